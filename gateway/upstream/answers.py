"""What an attempt hands back, and what it needs from the client's codec.

`ClientSide` is the seam between the upstream and the client: for one request, it turns an
upstream's whole answer or stream into client bytes — natively when the client speaks the
adapter's wire format, through the hub otherwise. The failover loop and the relay only call
it, so a new client dialect never touches them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.core.errors import GatewayError
from gateway.core.targets import Target
from gateway.upstream.adapters import Adapter, Outgoing

__all__ = ["Answer", "ByteStream", "ClientSide", "StreamAnswer"]


class ByteStream(Protocol):
    """Upstream stream bytes in, client stream bytes out; `usage` is the hub usage seen so far."""

    @property
    def usage(self) -> dict[str, Any] | None: ...

    def feed(self, data: bytes) -> list[bytes]: ...
    def close(self) -> list[bytes]: ...


class ClientSide(Protocol):
    # The client's endpoint, for messages such as "has no /v1/embeddings endpoint".
    path: str

    def prepare(self, adapter: Adapter, body: dict[str, Any], target: Target, *, stream: bool) -> Outgoing:
        """The upstream request: the client's own body with `model` rewritten when the wire
        formats match and the codec keeps it, else `adapter.prepare` of the hub request."""
        ...

    @property
    def stream_headers(self) -> list[tuple[bytes, bytes]]:
        """Headers of a stream answer: a new list each time (the front door appends to it)."""
        ...

    def serves(self, adapter: Adapter) -> bool:
        """Can this client's request be answered through `adapter` (natively or via the hub)?"""
        ...

    def whole(self, adapter: Adapter, raw: bytes, body: dict[str, Any]) -> tuple[bytes, dict[str, Any] | None]:
        """The client's body for an upstream's whole 2xx answer, and the hub usage in it."""
        ...

    def stream(self, adapter: Adapter) -> ByteStream: ...

    def error_event(self, error: GatewayError) -> bytes:
        """The event that ends a stream which failed after its first byte."""
        ...


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


@dataclass(slots=True)
class StreamAnswer:
    """`abandon()` drops the upstream answer when the client never took the stream."""

    chunks: AsyncIterator[bytes]
    headers: list[tuple[bytes, bytes]]
    abandon: Callable[[], None]
