"""The gateway's own CPU per request, in process: no sockets, no uvicorn, no aiohttp.

ASGI calls go straight into the app, answered by the built-in mock provider, so what is
measured is the front door, codec, routing, failover, attempt and translation code alone.
Process CPU time over a fixed number of requests, best and median of several rounds, is far
steadier on a shared machine than the socket benchmark's throughput: use it to compare two
versions (point it at another checkout) or to see what one change costs.

    python bench/inprocess.py [--root PATH] [--requests 5000] [--rounds 5] [--variant ...]

Variants: `plain` (no usage rows kept), `ledger` (the usage ledger on, in an SQLite file, its
writer thread's CPU counted too), `limits` (the client key has rpm, tpm, concurrency and a
budget, counted in memory), `redis` (the same limits and the cooldowns in Redis at
127.0.0.1:6379: one round trip per request). `all` runs each in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MOCK = "mock:\n  - name: mock\n    prefix: mock\n    models: [{name: mock-1}]\n"
LIMITED_KEY = (
    "api-keys:\n  - {api-key: bench-key, name: bench, rpm: 1000000000, tpm: 1000000000000, "
    "max-concurrent: 100000, budget: {usd: 1000000000}}\n"
)
VARIANTS = {
    "plain": "api-keys: [bench-key]\n" + MOCK,
    "ledger": "api-keys: [bench-key]\nstore: {url: 'sqlite:///{directory}/usage.db'}\n" + MOCK,
    "limits": LIMITED_KEY + MOCK,
    "redis": LIMITED_KEY + "state: {redis-url: 'redis://127.0.0.1:6379/0', key-prefix: 'bench-{pid}:'}\n" + MOCK,
}


def _scope(body: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "headers": [
            (b"host", b"bench"),
            (b"authorization", b"Bearer bench-key"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }


async def _one(app: Any, scope: dict[str, Any], body: bytes) -> None:
    answered = asyncio.Event()
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    answered.set()
    # A served connection yields to the loop on its socket; so does this, letting background
    # work (the ledger's writer, Redis releases) run as it would in a server.
    await asyncio.sleep(0)
    if statuses != [200]:
        raise RuntimeError(f"the gateway answered {statuses}")


class _Lifespan:
    """Runs the app's ASGI lifespan (the ledger, the Redis connection) around a measurement."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def __aenter__(self) -> None:
        self.task = asyncio.ensure_future(self.app({"type": "lifespan"}, self.inbox.get, self.outbox.put))
        await self.inbox.put({"type": "lifespan.startup"})
        await self.outbox.get()

    async def __aexit__(self, *exc: object) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        await self.outbox.get()
        await self.task


async def _measure(root: Path, requests: int, rounds: int, variant: str) -> tuple[list[float], list[float]]:
    sys.path.insert(0, str(root))
    from gateway.app import Gateway
    from gateway.config.loader import load_config

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "config.yaml"
        path.write_text(VARIANTS[variant].replace("{directory}", directory).replace("{pid}", str(os.getpid())))
        config, _ = load_config(path, os.environ)
        app = Gateway(config)
        if variant == "plain":
            app.usage.add = lambda row: None  # type: ignore[method-assign]
        async with _Lifespan(app):
            if variant == "ledger":
                await app.usage.first_attempt(timeout=30)
            return await _rounds(app, requests, rounds)


async def _rounds(app: Any, requests: int, rounds: int) -> tuple[list[float], list[float]]:
    """CPU and wall-clock microseconds per request, one figure per round (requests in turn)."""
    body = b'{"model": "mock/mock-1", "messages": [{"role": "user", "content": "Hello there"}]}'
    scope = _scope(body)
    for _ in range(requests // 2):  # warm-up: caches, lazy imports, the allocator
        await _one(app, scope, body)
    figures, walls = [], []
    for _ in range(rounds):
        started, wall = time.process_time(), time.perf_counter()
        for _ in range(requests):
            await _one(app, scope, body)
        figures.append((time.process_time() - started) / requests * 1e6)
        walls.append((time.perf_counter() - wall) / requests * 1e6)
    return figures, walls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--variant", choices=[*VARIANTS, "all"], default="plain")
    args = parser.parse_args()
    import uvloop

    variants = list(VARIANTS) if args.variant == "all" else [args.variant]
    plain: float | None = None
    for variant in variants:
        figures, walls = uvloop.run(_measure(args.root.resolve(), args.requests, args.rounds, variant))
        best = min(figures)
        plain = best if variant == "plain" else plain
        ratio = f", {best / plain:.2f}x plain" if plain and variant != "plain" else ""
        print(
            f"{args.root} [{variant}]: chat completion, CPU per request {best:.1f} us best, "
            f"{statistics.median(figures):.1f} us median of {args.rounds} x {args.requests}{ratio}; "
            f"wall clock {min(walls):.1f} us best"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
