"""An upstream that writes raw HTTP/1.1 bytes on a loopback socket, for answers no well-behaved
server would send: broken chunked framing, huge bodies, compression bombs, endless events."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import threading
from collections.abc import Awaitable, Callable

# Writes the whole response (status line included) for one request, then returns.
RawHandler = Callable[[asyncio.StreamWriter], Awaitable[None]]


class RawUpstream:
    def __init__(self) -> None:
        self.handler: RawHandler | None = None
        self.requests = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> RawUpstream:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.run_until_complete(server.wait_closed())
        self._loop.run_until_complete(asyncio.sleep(0.05))  # let closing transports finish
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
            self.requests += 1
            if self.handler is not None:
                await self.handler(writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # the server is stopping with this answer unfinished: nothing to report
        finally:
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()


def head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


# --- answers no well-behaved upstream sends (shared by the tests and bench/hostile_soak.py) ---

FIRST_EVENT = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
)


def huge_answer(megabytes: int = 200) -> RawHandler:
    """A chunked JSON body of `megabytes` MiB."""

    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", transfer_encoding="chunked"))
        piece = b"x" * (1 << 20)
        for _ in range(megabytes):
            writer.write(chunk(piece))
            await writer.drain()
        writer.write(b"0\r\n\r\n")

    return handler


def gzip_bomb(megabytes: int = 200) -> RawHandler:
    """A few hundred KB of gzip that inflates to `megabytes` MiB."""
    bomb = gzip.compress(b"\0" * (megabytes << 20), compresslevel=9)

    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", content_encoding="gzip", content_length=str(len(bomb))))
        writer.write(bomb)

    handler.size = len(bomb)  # type: ignore[attr-defined]
    return handler


def framing_breaks(first: bytes, broken: bytes, *, pause: float, content_type: str) -> RawHandler:
    """A chunked body that starts well (`first`), then after `pause` sends `broken` framing and
    keeps the connection open: only the framing says the answer is over."""

    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type=content_type, transfer_encoding="chunked") + chunk(first))
        await writer.drain()
        await asyncio.sleep(pause)
        writer.write(broken)
        await writer.drain()
        await asyncio.sleep(30)

    return handler


def endless_event(chunks: int = 200) -> RawHandler:
    """A stream whose second event never ends: `chunks` x 64 KiB of data without a blank line."""

    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="text/event-stream", transfer_encoding="chunked") + chunk(FIRST_EVENT))
        writer.write(chunk(b"data: "))
        for _ in range(chunks):
            writer.write(chunk(b"y" * 65536))
            await writer.drain()

    return handler
