"""Small raw-ASGI helpers for the hot path: reading a capped body.

The proxy routes are plain ASGI callables rather than a framework's request objects: each
request costs a dict lookup and the bytes it moves, nothing more.
"""

from __future__ import annotations

from gateway.core.asgi import Receive, Scope, Send
from gateway.core.errors import ClientError

__all__ = ["ClientDisconnected", "Receive", "Scope", "Send", "header", "read_body"]


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
