"""The usage ledger as the gateway runs it: opened at start (migrations applied) in a worker
thread, retried in the background while its database is unreachable, fed by the request
observers without ever blocking them, and flushed on shutdown.

Rows that finish before the database opens wait in memory (bounded) and are written once it
does. `on_open` runs once the ledger is open (the gateway seeds budget spend from it).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable

from gateway.config.models import StoreConfig
from gateway.store.database import MEMORY, Database, StoreError, open_database, redact_url
from gateway.store.ledger import Ledger, LedgerWriter, UsageRow
from gateway.store.migrations import migrate

__all__ = ["UsageLedger", "store_url"]

log = logging.getLogger("gateway.store")

MAX_EARLY_ROWS = 100_000
RETRY_SECONDS = 5.0
LOOP_BUSY_TIMEOUT_MS = 50


def store_url(store: StoreConfig, config_path: str | None) -> str:
    """`store.url`, else usage.db beside the config file (in memory without a file)."""
    if store.url:
        return store.url
    if config_path:
        return "sqlite:///" + os.path.join(os.path.dirname(os.path.abspath(config_path)), "usage.db")
    return "sqlite://"


class UsageLedger:
    def __init__(
        self, url: str, *, interval: float, on_open: Callable[[Ledger], Awaitable[None]] | None = None
    ) -> None:
        self.url = url
        self.interval = interval
        self.on_open = on_open
        self.ledger: Ledger | None = None  # for reports (its own connection where it can have one)
        self._db: Database | None = None
        self._reader: Database | None = None
        self._writer: LedgerWriter | None = None
        self._early: deque[UsageRow] = deque(maxlen=MAX_EARLY_ROWS)
        self._opening: asyncio.Task[None] | None = None
        self._tried = asyncio.Event()  # the first attempt to open is over, whichever way

    def add(self, row: UsageRow) -> None:
        """An `ExchangeObserver`'s call: never blocks, never raises."""
        if self._writer is not None:
            self._writer.add(row)
        else:
            self._early.append(row)

    def start(self) -> None:
        self._opening = asyncio.create_task(self._open(), name="usage-ledger-open")

    async def _open(self) -> None:
        warned = False
        while True:
            try:
                db = await asyncio.to_thread(open_database, self.url)
                try:
                    applied = await asyncio.to_thread(migrate, db)
                except BaseException:
                    db.close()
                    raise
                break
            except StoreError as exc:
                self._tried.set()
                if not warned:
                    log.error(
                        "usage ledger: %s; requests are served and their usage kept in memory until it opens "
                        "(retrying every %.0f s)",
                        exc,
                        RETRY_SECONDS,
                    )
                    warned = True
                await asyncio.sleep(RETRY_SECONDS)
        self._db = db
        sqlite = db.dialect == "sqlite"
        if sqlite:
            # On the event loop, another process's write lock (workers sharing the file) is
            # waited for briefly; a batch that cannot get it is kept for the next flush.
            await asyncio.to_thread(db.execute, f"PRAGMA busy_timeout = {LOOP_BUSY_TIMEOUT_MS}")
        if sqlite and db.name != MEMORY:
            # The writer works on the event loop: a long report must never hold its connection.
            try:
                self._reader = await asyncio.to_thread(open_database, self.url)
            except StoreError as exc:
                log.warning("usage ledger: reports share the writer's connection: %s", exc)
        writes = Ledger(db)
        self.ledger = Ledger(self._reader) if self._reader is not None else writes
        if applied:
            log.info("usage ledger %s: schema migrations %s applied", redact_url(self.url), applied)
        elif warned:
            log.info("usage ledger %s is open", redact_url(self.url))
        if self.on_open is not None:
            try:
                await self.on_open(writes)
            except StoreError as exc:
                log.warning("usage ledger: budgets start from zero spend: %s", exc)
        # SQLite is written on the event loop in small batches, PostgreSQL from a thread (see
        # LedgerWriter).
        writer = LedgerWriter(writes, interval=self.interval, max_batch=100 if sqlite else 500, in_thread=not sqlite)
        while self._early:
            writer.add(self._early.popleft())
        self._writer = writer
        writer.start()

    async def flush(self) -> None:
        if self._writer is not None:
            await self._writer.flush()

    async def first_attempt(self, timeout: float) -> bool:
        """Waits for the first attempt to open (at most `timeout` seconds): a database that
        answers is open before serving; one that refuses is retried in the background."""
        if self._opening is None:
            return False
        tried = asyncio.ensure_future(self._tried.wait())
        try:
            await asyncio.wait({tried, self._opening}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            tried.cancel()
        return self.ledger is not None

    async def aclose(self) -> None:
        """Writes everything pending and closes the database; a ledger that never opened loses
        its rows, which the log says."""
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
            await asyncio.wait({self._opening})
        if self._writer is not None:
            await self._writer.aclose()
        elif self._early:
            log.error("usage ledger: %d rows are lost, its database never opened", len(self._early))
        if self._db is not None:
            await asyncio.to_thread(self._db.close)
        if self._reader is not None:
            await asyncio.to_thread(self._reader.close)
