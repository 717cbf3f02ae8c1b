"""Small raw-ASGI helpers for the hot path: reading a capped body.

The proxy routes are plain ASGI callables rather than a framework's request objects: each
request costs a dict lookup and the bytes it moves, nothing more.
"""

from __future__ import annotations

import asyncio

from gateway.core.asgi import Receive, Scope, Send
from gateway.core.errors import ClientError
from gateway.core.memory import LARGE_BUFFER, give_back_freed_memory

__all__ = ["ClientDisconnected", "Receive", "Scope", "Send", "header", "read_body"]


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


async def read_body(
    scope: Scope, receive: Receive, limit: int, *, idle: float, total: float, task: asyncio.Task[None]
) -> bytes:
    """The whole request body; 413 as soon as it is known to exceed `limit`, 408 when the
    client pauses longer than `idle` between chunks or takes longer than `total` in all (a
    slow upload must not hold a connection and its buffered chunks forever)."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    loop = asyncio.get_running_loop()
    end = loop.time() + total
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    # A bare timer rather than asyncio.timeout(): this runs on every request, and the timer
    # costs a fraction of the context manager.
    timer = loop.call_later(min(idle, total), expire)
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                _drop(chunks, size, loop)
                raise ClientDisconnected
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    _drop(chunks, size, loop)
                    raise _too_large(limit)
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
            timer.cancel()
            timer = loop.call_at(min(loop.time() + idle, end), expire)
    except asyncio.CancelledError:
        if not expired:
            raise
        task.uncancel()
        _drop(chunks, size, loop)
        raise ClientError(
            408,
            f"The request body arrived too slowly (limits.body-idle-seconds {idle:g} s between chunks, "
            f"limits.body-timeout-seconds {total:g} s in all); send it at once.",
            code="request_timeout",
        ) from None
    finally:
        timer.cancel()
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _drop(chunks: list[bytes], size: int, loop: asyncio.AbstractEventLoop) -> None:
    """Lets a body that will not be used go; a large one is handed back to the system once
    the request has unwound (see gateway.core.memory)."""
    chunks.clear()
    if size >= LARGE_BUFFER:
        loop.call_soon(give_back_freed_memory)


class ClientDisconnected(Exception):
    """The client went away before the request was read."""


def _too_large(limit: int) -> ClientError:
    return ClientError(
        413,
        f"Request body is larger than max-body-bytes ({limit} bytes); send a smaller "
        "body or raise max-body-bytes in the gateway's config.",
        code="request_too_large",
    )
