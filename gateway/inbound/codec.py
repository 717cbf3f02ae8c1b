"""The client-codec seam: what every client dialect provides to the front door.

A codec decodes a client's request body into the hub request (plus the few facts the front
door needs: model id, stream), binds a `ClientSide` for the failover loop (answers and streams
into the client's bytes), and renders gateway errors in the client's envelope. Codecs are
registered by request path in the front door's route table, keyed (dialect, operation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.core.errors import GatewayError
from gateway.core.redaction import Redactor
from gateway.upstream.answers import ClientSide

__all__ = ["ClientCodec", "Decoded", "Ids"]


@dataclass(frozen=True, slots=True)
class Decoded:
    """A client request as the hub sees it."""

    body: dict[str, Any]
    model: str
    stream: bool


@dataclass(frozen=True, slots=True)
class Ids:
    """Where codecs get ids and timestamps for the answers they make up (injected, so tests
    and translators never read the clock or `uuid` themselves)."""

    new_id: Callable[[], str]
    clock: Callable[[], float]


class ClientCodec(Protocol):
    dialect: str
    operation: str
    method: str
    path: str

    def decode(self, raw: bytes) -> Decoded: ...
    def client_side(self, decoded: Decoded, ids: Ids, redactor: Redactor) -> ClientSide:
        """Bound to one request; its stream error events pass `redactor`."""
        ...

    def error_body(self, error: GatewayError) -> bytes: ...
