"""The usage ledger: one row per finished request, written in batches, grouped into reports.

`LedgerWriter.add` is the only call on the request path: O(1), never blocks, never raises. Rows
wait in memory until the next flush; a failed write keeps them for the next one (up to a cap,
past which the oldest go), and `aclose` at shutdown writes whatever is left.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from gateway.store.database import Database, Transaction

__all__ = ["GROUP_COLUMNS", "METRICS", "Ledger", "LedgerWriter", "UsageReport", "UsageRow", "check_group_by"]

log = logging.getLogger("gateway.store")

GROUP_COLUMNS = ("key", "model", "provider", "day")
METRICS = ("requests", "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens", "cost_usd")
_TOKENS = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")
# Nano-dollars: a few tokens of a cheap model still show.
COST_DECIMALS = 9


class UsageRow(NamedTuple):
    """One finished request; a plain tuple, bound as the INSERT's parameters as it is."""

    time: float  # epoch seconds at which the request ended
    request_id: str
    key: str
    model: str
    provider: str
    credential: str
    dialect: str
    endpoint: str
    status: int
    ended: str
    stream: bool
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: float | None  # None: the model has no price, which is not the same as free
    latency_ms: float
    ttfb_ms: float | None


_ROW_FIELDS = UsageRow._fields
_PLACES = "(" + ", ".join("?" * (len(_ROW_FIELDS) + 1)) + ")"
# Rows per INSERT statement. The drivers release the GIL around every statement they step, and
# a thread taking the GIL back from a busy event loop waits up to its switch interval (5 ms):
# one statement per row wrote ~200 rows/s under load, one per 200 rows keeps up with any.
ROWS_PER_STATEMENT = 200


def _insert(count: int) -> str:
    return f"INSERT INTO usage (day, {', '.join(_ROW_FIELDS)}) VALUES {', '.join([_PLACES] * count)}"


_INSERT_FULL = _insert(ROWS_PER_STATEMENT)


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Grouped rows (group columns, then METRICS) sorted by group, and totals over the whole range.

    cost_usd sums the known costs only and is None where no row in the group had one.
    """

    group_by: tuple[str, ...]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]


def check_group_by(group_by: Iterable[str]) -> tuple[str, ...]:
    """The validated group columns in GROUP_COLUMNS order; ValueError naming the allowed ones."""
    names = set(group_by)
    unknown = sorted(names - set(GROUP_COLUMNS))
    if unknown:
        raise ValueError(
            f"cannot group usage by {', '.join(map(repr, unknown))}: choose from {', '.join(GROUP_COLUMNS)}"
        )
    return tuple(column for column in GROUP_COLUMNS if column in names)


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def _metrics(values: Sequence[Any]) -> dict[str, Any]:
    """COUNT, the token SUMs and the cost SUM of one result row (PostgreSQL sums bigints as Decimal)."""
    requests, *tokens, cost = values
    result: dict[str, Any] = {"requests": int(requests)}
    result.update((name, int(value or 0)) for name, value in zip(_TOKENS, tokens, strict=True))
    result["cost_usd"] = None if cost is None else float(cost)
    return result


def _rounded(metrics: dict[str, Any]) -> dict[str, Any]:
    cost = metrics["cost_usd"]
    return {**metrics, "cost_usd": None if cost is None else round(cost, COST_DECIMALS)}


def _sum(rows: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {name: sum(row[name] for row in rows) for name in METRICS[:-1]}
    costs = [row["cost_usd"] for row in rows if row["cost_usd"] is not None]
    totals["cost_usd"] = sum(costs) if costs else None
    return totals


class Ledger:
    """Synchronous reads and writes of the `usage` table; callers run them in a thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, rows: Sequence[UsageRow]) -> None:
        """Write `rows` in one transaction; the UTC day is derived here from each row's time."""
        if not rows:
            return
        values = [(_day(row.time), *row) for row in rows]
        statements = []
        for start in range(0, len(values), ROWS_PER_STATEMENT):
            chunk = values[start : start + ROWS_PER_STATEMENT]
            sql = _INSERT_FULL if len(chunk) == ROWS_PER_STATEMENT else _insert(len(chunk))
            statements.append((sql, [value for row in chunk for value in row]))

        def write(tx: Transaction) -> None:
            for sql, params in statements:
                tx.execute(sql, params)

        self.db.run(write)

    def report(self, *, since: float | None, until: float | None, group_by: Sequence[str]) -> UsageReport:
        """Usage with since <= time < until (None: unbounded), grouped by the validated columns."""
        columns = check_group_by(group_by)
        aggregates = ["COUNT(*)", *(f"SUM({name})" for name in _TOKENS), "SUM(cost_usd)"]
        # Only validated column names reach the SQL text; the bounds are bound parameters.
        sql = f"SELECT {', '.join([*columns, *aggregates])} FROM usage"
        bounds = [(since, "time >= ?"), (until, "time < ?")]
        params = [value for value, _ in bounds if value is not None]
        conditions = [condition for value, condition in bounds if value is not None]
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        if columns:
            sql += f" GROUP BY {', '.join(columns)}"
        result = self.db.query(sql, params)
        if not columns:
            return UsageReport(group_by=(), rows=[], totals=_rounded(_metrics(result[0])))
        # Sorted here rather than by ORDER BY: PostgreSQL's collation would order text differently
        # from SQLite's, and a report must not depend on the database it came from.
        grouped = sorted(result, key=lambda values: tuple(values[: len(columns)]))
        rows = [{**dict(zip(columns, values, strict=False)), **_metrics(values[len(columns) :])} for values in grouped]
        return UsageReport(group_by=columns, rows=[_rounded(row) for row in rows], totals=_rounded(_sum(rows)))

    def spend(self, key: str, since: float) -> float:
        """Known cost of `key`'s requests since `since`, in USD: seeds budgets at start."""
        [(total,)] = self.db.query("SELECT SUM(cost_usd) FROM usage WHERE key = ? AND time >= ?", (key, since))
        return float(total or 0.0)


class LedgerWriter:
    """Batches rows in memory and writes them to the Ledger off the request path.

    `in_thread`: each batch is written in a worker thread (PostgreSQL: the wait is the network),
    or else on the event loop itself between requests (SQLite: a batch of 100 rows is about
    0.5 ms of local work). Measured at saturation with bench/inprocess.py --variant ledger: a
    worker thread taking the GIL back from the busy loop cost the process 35 us of CPU per
    request and fell behind; on the loop the ledger costs 6 us per request.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        interval: float = 1.0,
        max_batch: int = 500,
        max_pending: int = 100_000,
        in_thread: bool = True,
    ) -> None:
        if interval <= 0 or max_batch < 1 or max_pending < max_batch:
            raise ValueError("LedgerWriter needs interval > 0 and 1 <= max_batch <= max_pending")
        self._ledger = ledger
        self._in_thread = in_thread
        self._interval = interval
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._rows: deque[UsageRow] = deque()
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._failures = 0  # consecutive failed writes
        self._dropped = 0  # rows dropped during the current failure streak
        self._dropped_unreported = 0

    @property
    def pending(self) -> int:
        """Rows not yet written, including a batch being written now."""
        return len(self._rows) + self._in_flight

    def add(self, row: UsageRow) -> None:
        """Queue `row` for the next flush: called on the request path, so it only appends."""
        self._rows.append(row)
        if self.pending > self._max_pending:
            self._rows.popleft()
            self._dropped_unreported += 1
        # While writes fail, the loop retries on its interval, not on every full batch.
        if len(self._rows) >= self._max_batch and not self._failures:
            self._wake.set()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._closing = False
            self._task = asyncio.create_task(self._run(), name="usage-ledger-writer")

    async def _run(self) -> None:
        while not self._closing:
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval)
            except TimeoutError:
                pass
            self._wake.clear()
            if not self._closing:
                await self.flush()

    async def flush(self) -> bool:
        """Write what is pending now in batches of max_batch; False if a write failed (rows kept).
        Rows that arrive meanwhile wait for the next flush: they would otherwise trickle out one
        commit each while requests keep coming."""
        async with self._flushing:
            self._report_drops()
            left = len(self._rows)
            while left and self._rows:
                batch = [self._rows.popleft() for _ in range(min(self._max_batch, left, len(self._rows)))]
                left -= len(batch)
                self._in_flight = len(batch)
                try:
                    if self._in_thread:
                        await asyncio.to_thread(self._ledger.record, batch)
                    else:
                        self._ledger.record(batch)
                        await asyncio.sleep(0)  # requests go on between batches
                except Exception as exc:  # noqa: BLE001 - whatever failed, the rows are kept for the next try
                    self._keep(batch, exc)
                    return False
                finally:
                    self._in_flight = 0
                self._recovered()
            return True

    def _keep(self, batch: list[UsageRow], exc: Exception) -> None:
        """Put a failed batch back in front; past max_pending the oldest rows go."""
        self._rows.extendleft(reversed(batch))
        self._in_flight = 0
        while len(self._rows) > self._max_pending:
            self._rows.popleft()
            self._dropped_unreported += 1
        self._failures += 1
        if self._failures == 1:
            # The exception text comes from the database layer, which never includes credentials.
            log.error(
                "usage ledger write failed; %d rows are kept in memory and retried every %.3g s: %s",
                len(self._rows),
                self._interval,
                exc,
            )
        self._report_drops()

    def _recovered(self) -> None:
        if self._failures:
            lost = f"; {self._dropped} rows were dropped meanwhile" if self._dropped else ""
            level = logging.WARNING if self._dropped else logging.INFO
            log.log(level, "usage ledger writes resumed after %d failed attempts%s", self._failures, lost)
        self._failures = 0
        self._dropped = 0

    def _report_drops(self) -> None:
        """One warning per failure streak when rows start to be dropped, saying how many so far."""
        if not self._dropped_unreported:
            return
        if not self._dropped:
            log.warning(
                "usage ledger: dropped the %d oldest rows, more than %d were waiting to be written",
                self._dropped_unreported,
                self._max_pending,
            )
        self._dropped += self._dropped_unreported
        self._dropped_unreported = 0

    async def aclose(self) -> None:
        """Stop the loop and write everything still pending; rows that cannot be written are logged."""
        self._closing = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            # wait() rather than await: a loop cancelled from outside must not skip the last flush.
            await asyncio.wait({task})
        if not await self.flush():
            log.error("usage ledger: %d rows could not be written at shutdown and are lost", self.pending)
