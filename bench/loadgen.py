"""The Python load generator: closed-loop request load, timed streams, and the mixed soak.

Every loop is bounded twice, by a deadline and by a request count, and the whole run by a
hard timeout. Connections are kept alive; a failed exchange is counted, its connection
dropped and reopened. Latency is measured from writing the request to reading the last
byte of its answer.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.wire import Connection, Endpoint, StreamSample, read_response, read_stream

__all__ = ["LoadResult", "SoakResult", "StreamResult", "closed_loop", "percentiles", "soak", "stream_load"]

HARD_MARGIN = 30.0  # seconds a phase may overrun its deadline before it is cancelled
FAILURES = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p90/p99 by linear interpolation between closest ranks, plus mean, min and max."""
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        rank = q * (len(ordered) - 1)
        low = int(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    return {
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "mean": sum(ordered) / len(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "n": float(len(ordered)),
    }


@dataclass(frozen=True, slots=True)
class LoadResult:
    tool: str
    connections: int
    requests: int
    errors: int
    seconds: float
    latency_us: dict[str, float]
    statuses: dict[str, int] = field(default_factory=dict)
    capped: bool = False

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "rps": self.rps}


@dataclass(frozen=True, slots=True)
class StreamResult:
    connections: int
    streams: int
    errors: int
    seconds: float
    ttfb_ms: dict[str, float]
    first_token_ms: dict[str, float]
    chunk_delay_us: dict[str, float]
    tokens_per_stream: float
    statuses: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SoakResult:
    requests: int
    by_kind: dict[str, int]
    errors: int
    seconds: float
    stopped_by: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Budget:
    """A request count and a deadline shared by every worker of one phase."""

    def __init__(self, count: int, seconds: float) -> None:
        self.left = count
        self.deadline = time.monotonic() + seconds

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() >= self.deadline:
            return False
        self.left -= 1
        return True


async def _bounded(workers: list[Awaitable[None]], seconds: float) -> float:
    """Runs the workers to their end (at most `seconds` + HARD_MARGIN); their wall time."""
    started = time.perf_counter()
    tasks = [asyncio.ensure_future(w) for w in workers]
    try:
        await asyncio.wait(tasks, timeout=seconds + HARD_MARGIN)
        elapsed = time.perf_counter() - started
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return elapsed


async def closed_loop(endpoint: Endpoint, *, connections: int, seconds: float, max_requests: int) -> LoadResult:
    """`connections` clients each sending the next request as soon as the last one is answered."""
    budget = _Budget(max_requests, seconds)
    request = endpoint.request()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()

    async def worker() -> None:
        connection: Connection | None = None
        while budget.take():
            try:
                connection = connection or await Connection.open(endpoint)
                started = time.perf_counter_ns()
                connection.writer.write(request)
                status, _, keep_alive = await read_response(connection.reader)
            except FAILURES as exc:
                statuses[type(exc).__name__] += 1
                if connection is not None:
                    connection.close()
                connection = None
                await asyncio.sleep(0.01)
                continue
            statuses[str(status)] += 1
            if 200 <= status < 300:
                latencies.append((time.perf_counter_ns() - started) / 1000)
            if not keep_alive:
                connection.close()
                connection = None
        if connection is not None:
            connection.close()

    elapsed = await _bounded([worker() for _ in range(connections)], seconds)
    ok = len(latencies)
    return LoadResult(
        "python",
        connections,
        ok,
        sum(statuses.values()) - ok,
        elapsed,
        percentiles(latencies),
        dict(statuses),
        capped=budget.left <= 0,
    )


async def stream_load(endpoint: Endpoint, *, connections: int, seconds: float, max_streams: int) -> StreamResult:
    """`connections` clients reading whole streams back to back, timing every chunk."""
    budget = _Budget(max_streams, seconds)
    request = endpoint.request()
    samples: list[StreamSample] = []
    statuses: Counter[str] = Counter()

    async def worker() -> None:
        connection: Connection | None = None
        while budget.take():
            try:
                connection = connection or await Connection.open(endpoint)
                sample = await read_stream(connection, request, dialect=endpoint.dialect)
            except FAILURES as exc:
                statuses[type(exc).__name__] += 1
                if connection is not None:
                    connection.close()
                connection = None
                await asyncio.sleep(0.01)
                continue
            statuses[str(sample.status) if sample.error is None else sample.error] += 1
            if sample.error is None and sample.first_token_ns is not None:
                samples.append(sample)
            if not sample.keep_alive:
                connection.close()
                connection = None
        if connection is not None:
            connection.close()

    elapsed = await _bounded([worker() for _ in range(connections)], seconds)
    delays = [d / 1000 for s in samples for d in s.chunk_delays_ns]
    tokens = sum(s.tokens for s in samples) / len(samples) if samples else 0.0
    return StreamResult(
        connections,
        len(samples),
        sum(statuses.values()) - len(samples),
        elapsed,
        percentiles([s.ttfb_ns / 1e6 for s in samples]),
        percentiles([s.first_token_ns / 1e6 for s in samples if s.first_token_ns is not None]),
        percentiles(delays),
        tokens,
        dict(statuses),
    )


# One soak cycle: mostly whole answers, some whole streams, some streams the client abandons.
SOAK_MIX = ("plain",) * 6 + ("stream",) * 3 + ("cut",)
CUT_AFTER_TOKENS = 3


async def soak(
    plain: Endpoint,
    streamed: Endpoint,
    *,
    connections: int,
    total: int,
    seconds: float,
    tick: Callable[[], None] | None = None,
) -> SoakResult:
    """A bounded mixed load; `tick` runs once a second (the caller samples memory there)."""
    budget = _Budget(total, seconds)
    plain_request, stream_request = plain.request(), streamed.request()
    done: Counter[str] = Counter()
    errors = 0
    issued = 0

    async def worker() -> None:
        nonlocal errors, issued
        connection: Connection | None = None
        while budget.take():
            kind = SOAK_MIX[issued % len(SOAK_MIX)]
            issued += 1
            try:
                connection = connection or await Connection.open(plain)
                if kind == "plain":
                    connection.writer.write(plain_request)
                    status, _, keep = await read_response(connection.reader)
                    ok = status == 200
                else:
                    sample = await read_stream(
                        connection,
                        stream_request,
                        dialect=streamed.dialect,
                        stop_after_tokens=CUT_AFTER_TOKENS if kind == "cut" else None,
                    )
                    ok, keep = sample.error is None, sample.keep_alive
            except FAILURES:
                ok, keep = False, False
            done[kind] += ok
            errors += not ok
            if not keep and connection is not None:
                connection.close()
                connection = None
        if connection is not None:
            connection.close()

    async def ticker() -> None:
        while tick is not None:
            tick()
            await asyncio.sleep(1.0)

    ticking = asyncio.ensure_future(ticker())
    try:
        elapsed = await _bounded([worker() for _ in range(connections)], seconds)
    finally:
        ticking.cancel()
    stopped_by = "count" if budget.left <= 0 else "time"
    return SoakResult(sum(done.values()), dict(done), errors, elapsed, stopped_by)
