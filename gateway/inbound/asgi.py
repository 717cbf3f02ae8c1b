"""Small raw-ASGI helpers for the hot path: reading a capped body, sending a whole answer.

The proxy routes are plain ASGI callables rather than a framework's request objects: each
request costs a dict lookup and the bytes it moves, nothing more.
"""

from __future__ import annotations

from gateway.core.asgi import Receive, Scope, Send
from gateway.core.errors import ClientError

__all__ = ["ClientDisconnected", "Receive", "Scope", "Send", "header", "read_body", "send_json"]


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole request body; 413 as soon as it is known to exceed `limit`."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class ClientDisconnected(Exception):
    """The client went away before the request was read."""


def _too_large(limit: int) -> ClientError:
    return ClientError(
        413,
        f"Request body is larger than max-body-bytes ({limit} bytes); send a smaller "
        "body or raise max-body-bytes in the gateway's config.",
        code="request_too_large",
    )


async def send_json(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A whole JSON answer; a new header list each time (the front door appends to it)."""
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if headers:
        head += headers
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
