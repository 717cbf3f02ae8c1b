"""The measurements: load phases against one endpoint, each preceded by a warm-up.

A phase's CPU cost is the server tree's utime + stime delta across the measured part only,
divided by the requests it completed. Figures come back as plain dicts ready for the JSON
report; comparing them (ratios, added latency) is `bench.report`'s job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from bench import wrk
from bench.loadgen import LoadResult, closed_loop, soak, stream_load
from bench.procs import Pinning, ProcessTree
from bench.wire import Endpoint

__all__ = ["FULL", "QUICK", "Bench", "Settings", "probe", "run_async"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Settings:
    mode: str
    warmup_seconds: float
    throughput_seconds: float
    latency_seconds: float
    latency_max_requests: int
    stream_c1_streams: int
    stream_seconds: float
    stream_max_streams: int
    startup_runs: int
    throughput_connections: int = 64
    stream_connections: tuple[int, ...] = (1, 16)
    # count bound of a timed phase: this many requests per second of its duration
    rate_cap: int = 100_000
    chunks: int = 20
    chunk_delay_ms: float = 5.0


FULL = Settings(
    "full",
    warmup_seconds=2.0,
    throughput_seconds=10.0,
    latency_seconds=5.0,
    latency_max_requests=50_000,
    stream_c1_streams=60,
    stream_seconds=8.0,
    stream_max_streams=5_000,
    startup_runs=3,
)
QUICK = Settings(
    "quick",
    warmup_seconds=0.3,
    throughput_seconds=1.0,
    latency_seconds=0.6,
    latency_max_requests=400,
    stream_c1_streams=5,
    stream_seconds=1.0,
    stream_max_streams=200,
    startup_runs=1,
)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs on uvloop when it is installed (the gateway installs it), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def probe(endpoint: Endpoint) -> int:
    """The HTTP status of one request (0 if the connection failed); streams are read to the end."""
    try:
        headers = {"content-type": "application/json", **dict(endpoint.headers)}
        with (
            httpx.Client(timeout=15.0, trust_env=False) as client,
            client.stream("POST", endpoint.url, content=endpoint.body, headers=headers) as answer,
        ):
            answer.read()
            return answer.status_code
    except httpx.HTTPError:
        return 0


@dataclass(frozen=True, slots=True)
class Bench:
    """How to load things on this run: the settings, the pinning and the load generator."""

    settings: Settings
    pinning: Pinning
    loadgen: str
    say: Callable[[str], None]

    def _load(self, endpoint: Endpoint, *, connections: int, seconds: float, max_requests: int) -> LoadResult:
        if self.loadgen == "wrk":
            # wrk cannot end a run early (see bench.wrk): its count bound is only the safety cap.
            return wrk.run_wrk(
                endpoint,
                connections=connections,
                seconds=seconds,
                max_requests=max(max_requests, int(self.settings.rate_cap * max(1.0, seconds))),
                prefix=self.pinning.tools,
            )
        return run_async(closed_loop(endpoint, connections=connections, seconds=seconds, max_requests=max_requests))

    def load(
        self,
        endpoint: Endpoint,
        tree: ProcessTree | None,
        *,
        connections: int,
        seconds: float,
        max_requests: int | None = None,
        label: str = "",
    ) -> dict[str, Any]:
        """Warm-up, then the measured phase; with `tree`, also the server's CPU per request."""
        cap = max_requests or int(self.settings.rate_cap * seconds)
        warm = self.settings.warmup_seconds
        self._load(endpoint, connections=connections, seconds=warm, max_requests=int(self.settings.rate_cap * warm))
        before = tree.cpu_seconds() if tree else 0.0
        result = self._load(endpoint, connections=connections, seconds=seconds, max_requests=cap)
        figures = result.to_json()
        if tree is not None:
            spent = tree.cpu_seconds() - before
            figures["cpu_seconds"] = spent
            figures["cpu_us_per_request"] = spent * 1e6 / result.requests if result.requests else None
        self.say(
            f"{label or endpoint.name} c{connections}: {result.rps:,.0f} req/s, p50 "
            f"{result.latency_us.get('p50', 0):,.0f} us, {result.errors} error(s) [{result.tool}]"
        )
        return figures

    def streams(
        self, endpoint: Endpoint, tree: ProcessTree | None, *, connections: int, label: str = ""
    ) -> dict[str, Any]:
        s = self.settings
        limit = s.stream_c1_streams if connections == 1 else s.stream_max_streams
        run_async(stream_load(endpoint, connections=connections, seconds=s.stream_seconds, max_streams=connections))
        before = tree.cpu_seconds() if tree else 0.0
        result = run_async(stream_load(endpoint, connections=connections, seconds=s.stream_seconds, max_streams=limit))
        figures = result.to_json()
        if tree is not None:
            spent = tree.cpu_seconds() - before
            figures["cpu_us_per_stream"] = spent * 1e6 / result.streams if result.streams else None
        self.say(
            f"{label or endpoint.name} streams c{connections}: {result.streams} stream(s), first token p50 "
            f"{result.first_token_ms.get('p50', 0):.2f} ms, {result.errors} error(s)"
        )
        return figures

    def soak(
        self, plain: Endpoint, streamed: Endpoint, tree: ProcessTree, *, total: int, seconds: float
    ) -> dict[str, Any]:
        samples: list[tuple[float, int]] = []
        started = time.monotonic()
        start_rss = tree.rss()

        def tick() -> None:
            samples.append((round(time.monotonic() - started, 1), tree.rss()))

        result = run_async(
            soak(
                plain,
                streamed,
                connections=self.settings.throughput_connections,
                total=total,
                seconds=seconds,
                tick=tick,
            )
        )
        end_rss = tree.rss()
        # Pools and caches fill up early; growth after the first tenth of the run is what a leak shows as.
        warm_rss = next((rss for at, rss in samples if at >= result.seconds / 10), start_rss)
        figures = result.to_json()
        figures |= {
            "rss_start_bytes": start_rss,
            "rss_end_bytes": end_rss,
            "rss_peak_bytes": tree.peak_rss(),
            "rss_growth_pct": (end_rss - start_rss) * 100 / start_rss if start_rss else None,
            "rss_after_first_tenth_bytes": warm_rss,
            "rss_growth_after_first_tenth_pct": (end_rss - warm_rss) * 100 / warm_rss if warm_rss else None,
            "rss_samples": samples,
            "connections": self.settings.throughput_connections,
        }
        self.say(
            f"soak: {result.requests:,} request(s) in {result.seconds:.0f} s, {result.errors} error(s), "
            f"RSS {start_rss / 2**20:.1f} -> {end_rss / 2**20:.1f} MiB"
        )
        return figures
