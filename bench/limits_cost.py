"""What each per-peer limit adds to one request, measured alone on the event loop the gateway
runs (uvloop), so that a socket bench's noise cannot hide or invent it.

Each figure is the extra CPU time of the limit's per-request work, best of several rounds:
the head timer the connection guard arms and cancels, the body timer of `read_body`, the task
that watches for a client disconnect, and a whole request through the guarded protocol against
uvicorn's own (a real request head parsed by httptools, a fake transport, the app answering at
once).

    .venv/bin/python -m bench.limits_cost [--requests N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvloop

from gateway.config.models import LimitsConfig

REQUEST = (
    b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
    b"authorization: Bearer bench-key\r\ncontent-length: 2\r\n\r\n{}"
)


async def _timer(n: int) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(n):
        loop.call_later(10.0, _nothing).cancel()


async def _empty(n: int) -> None:
    for _ in range(n):
        pass


async def _watcher(n: int) -> None:
    for _ in range(n):
        never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def watch(wait: asyncio.Future[None] = never) -> None:
            await wait

        task = asyncio.ensure_future(watch())
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


async def _yield_only(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def _nothing() -> None:
    pass


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def write(self, data: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8317)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class _App:
    """Answers at once; `client_limits` is what the guard reads."""

    def __init__(self) -> None:
        self.limits = LimitsConfig()
        self.answered = 0

    def client_limits(self) -> LimitsConfig:
        return self.limits

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"{}"})
        self.answered += 1


def _protocol_run(guarded: bool) -> Callable[[int], Awaitable[None]]:
    async def run(n: int) -> None:
        import uvicorn
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
        from uvicorn.server import ServerState

        from gateway.inbound.guard import GuardedHttpToolsProtocol

        app = _App()
        config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="error")
        config.load()
        cls = GuardedHttpToolsProtocol if guarded else HttpToolsProtocol
        protocol = cls(config=config, server_state=ServerState(), app_state={})
        protocol.connection_made(_Transport())
        for _ in range(n):
            protocol.data_received(REQUEST)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        protocol.connection_lost(None)
        if app.answered != n:
            raise RuntimeError(f"{app.answered} of {n} requests were answered: the measure is wrong")

    return run


async def _measure(work: Callable[[int], Awaitable[None]], n: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        await work(n)
        best = min(best, time.process_time() - started)
    return best / n * 1e6


async def main(n: int, rounds: int) -> None:
    empty = await _measure(_empty, n, rounds)
    timer = await _measure(_timer, n, rounds) - empty
    watcher = await _measure(_watcher, n, rounds) - await _measure(_yield_only, n, rounds)
    plain = await _measure(_protocol_run(False), n, rounds)
    guarded = await _measure(_protocol_run(True), n, rounds)
    rows = [
        ("head timer (connection guard): arm and cancel", timer),
        ("body timer (read_body): arm and cancel", timer),
        ("disconnect watch: a task started and cancelled", watcher),
        ("a request through uvicorn's httptools protocol", plain),
        ("the same through the guarded protocol", guarded),
        ("the guard's share of a request (difference)", guarded - plain),
    ]
    print(f"CPU per request, best of {rounds} x {n:,} (uvloop):")
    for label, micros in rows:
        print(f"  {label:<52} {micros:7.2f} us")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    uvloop.install()
    asyncio.run(main(args.requests, args.rounds))
