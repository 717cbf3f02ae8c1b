"""The gateway's own CPU per request, in process: no sockets, no uvicorn, no aiohttp.

ASGI calls go straight into the app, answered by the built-in mock provider, so what is
measured is the front door, codec, routing, failover, attempt and translation code alone.
Process CPU time over a fixed number of requests, best and median of several rounds, is far
steadier on a shared machine than the socket benchmark's throughput: use it to compare two
versions (point it at another checkout) or to see what one change costs.

    python bench/inprocess.py [--root PATH] [--requests 5000] [--rounds 5]
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

CONFIG = "api-keys: [bench-key]\nmock:\n  - name: mock\n    prefix: mock\n    models: [{name: mock-1}]\n"


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
    if statuses != [200]:
        raise RuntimeError(f"the gateway answered {statuses}")


async def _measure(root: Path, requests: int, rounds: int) -> list[float]:
    sys.path.insert(0, str(root))
    from gateway.app import Gateway
    from gateway.config.loader import load_config

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "config.yaml"
        path.write_text(CONFIG)
        config, _ = load_config(path, os.environ)
    app = Gateway(config)
    body = b'{"model": "mock/mock-1", "messages": [{"role": "user", "content": "Hello there"}]}'
    scope = _scope(body)
    for _ in range(requests // 2):  # warm-up: caches, lazy imports, the allocator
        await _one(app, scope, body)
    figures = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(requests):
            await _one(app, scope, body)
        figures.append((time.process_time() - started) / requests * 1e6)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import uvloop

    figures = uvloop.run(_measure(args.root.resolve(), args.requests, args.rounds))
    print(
        f"{args.root}: chat completion, CPU per request {min(figures):.1f} us best, "
        f"{statistics.median(figures):.1f} us median of {args.rounds} x {args.requests}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
