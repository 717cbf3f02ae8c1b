"""The client-codec seam: what every client dialect provides to the front door.

A codec decodes a client's request body into the hub request (plus the few facts the front
door needs: model id, stream), binds a `ClientSide` for the failover loop (answers and streams
into the client's bytes), and renders gateway errors in the client's envelope. Codecs are
registered by request path in the front door's route table, keyed (dialect, operation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.core.asgi import Scope
from gateway.core.errors import GatewayError
from gateway.core.redaction import Redactor
from gateway.routing.catalog import Route
from gateway.upstream.answers import Answer, ClientSide

__all__ = ["ClientCodec", "Decoded", "Ids"]


@dataclass(frozen=True, slots=True)
class Decoded:
    """A client request as the hub sees it."""

    body: dict[str, Any]
    model: str
    stream: bool
    # Client headers a native upstream of the same dialect gets too (`anthropic-beta`, say).
    forwarded: Mapping[str, str] = field(default_factory=dict)
    # The stream framing, for a dialect that has more than one (Gemini: "sse" or "array").
    framing: str = ""


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

    def decode(self, raw: bytes, scope: Scope) -> Decoded: ...
    def client_side(self, decoded: Decoded, ids: Ids, redactor: Redactor) -> ClientSide:
        """Bound to one request; its stream error events pass `redactor`."""
        ...

    def local_answer(self, decoded: Decoded, route: Route) -> Answer | None:
        """An answer the gateway gives itself when no upstream of the route can (a token
        estimate, say); None to forward the request."""
        ...

    def error_body(self, error: GatewayError) -> bytes: ...
