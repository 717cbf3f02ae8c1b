"""The OpenAI Responses client codec: POST /v1/responses, for Codex CLI and the Agents SDK.

A `codex-api-key` (Responses) entry gets the body natively: input items the gateway does not
know, reasoning items with encrypted content and `previous_response_id` arrive intact. Any
other upstream gets it through the hub (translators.responses.inbound), and its answer back as
a Responses object or typed events. `previous_response_id` naming a response the gateway
translated is expanded from the response store (gateway.state.response_store) into the
conversation it continues, for whichever upstream serves the next request; an id the gateway
does not hold goes natively to a Responses upstream (which may know it) and is refused with a
400 for a translated one. Errors use OpenAI's envelope; a stream that fails after it began ends
with `response.failed`.
"""

from __future__ import annotations

from typing import Any

import orjson

from gateway.core.asgi import Scope
from gateway.core.errors import ClientError, GatewayError
from gateway.core.redaction import Redactor
from gateway.inbound.bodies import parse_object
from gateway.inbound.codec import Decoded, Ids
from gateway.inbound.translated import ClientEncoder, TranslatedClient
from gateway.routing.catalog import Route
from gateway.state.response_store import ResponseStore
from gateway.upstream.adapters import Adapter
from gateway.upstream.answers import Answer, ByteStream
from translators.errors import TranslationError
from translators.responses import inbound, passthrough

__all__ = ["ResponsesCodec", "responses_error_body"]

EXAMPLE = '{"model": ..., "input": "..."}'


def responses_error_body(error: GatewayError) -> bytes:
    return orjson.dumps(inbound.error_body(error.status, error.type, error.message, error.code, error.param))


class ResponsesCodec:
    dialect = "responses"
    operation = "chat"
    method = "POST"
    path = "/v1/responses"

    def __init__(self, store: ResponseStore) -> None:
        self.store = store

    def decode(self, raw: bytes, scope: Scope) -> Decoded:
        body = parse_object(raw, example=EXAMPLE)
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ClientError(
                400, "'model' must be a non-empty string, a model id GET /v1/models lists.", param="model"
            )
        stream = body.get("stream") or False
        if not isinstance(stream, bool):
            raise ClientError(400, "'stream' must be true or false.", param="stream")
        previous = body.get("previous_response_id")
        if previous is not None and not isinstance(previous, str):
            raise ClientError(400, "'previous_response_id' must be a response id string.", param="previous_response_id")
        return Decoded(body, model, stream)

    def client_side(self, decoded: Decoded, ids: Ids, redactor: Redactor) -> ResponsesClient:
        return ResponsesClient(self.path, decoded, ids, redactor, self.store)

    def local_answer(self, decoded: Decoded, route: Route) -> Answer | None:
        return None

    def error_body(self, error: GatewayError) -> bytes:
        return responses_error_body(error)


class ResponsesClient(TranslatedClient):
    wire = "responses"

    def __init__(self, path: str, decoded: Decoded, ids: Ids, redactor: Redactor, store: ResponseStore) -> None:
        super().__init__(path, decoded, ids, redactor)
        self._store = store
        previous = decoded.body.get("previous_response_id")
        self._previous: str | None = previous if isinstance(previous, str) and previous else None
        self._history = store.get(self._previous) if self._previous else None
        self._keep = decoded.body.get("store") is not False
        # What this request's answer was, to find its id for session affinity (`produced_id`).
        self._produced: str | bytes | passthrough.PassthroughStream | None = None

    @property
    def produced_id(self) -> str | None:
        """The id of the response the client received, read only when asked (affinity on)."""
        produced = self._produced
        if isinstance(produced, passthrough.PassthroughStream):
            return produced.response_id
        if isinstance(produced, bytes):
            try:
                document = orjson.loads(produced)
            except orjson.JSONDecodeError:
                return None
            value = document.get("id") if isinstance(document, dict) else None
            return value if isinstance(value, str) else None
        return produced

    def goes_native(self, adapter: Adapter) -> bool:
        # A response the gateway translated is unknown to a Responses upstream: expand it.
        return adapter.wire == self.wire and self._history is None

    def to_hub(self) -> dict[str, Any]:
        if self._previous is not None and self._history is None:
            raise TranslationError(
                f"previous_response_id {self._previous!r} is not a response this gateway holds (it expired, was "
                "made with store: false, or came from a Responses upstream directly); send the whole "
                "conversation as input instead",
                param="previous_response_id",
            )
        return inbound.hub_request(self.body, history=self._history or ())

    def answer(self, hub: dict[str, Any]) -> dict[str, Any]:
        response_id = self._produced = self._response_id()
        answer = inbound.client_answer(
            hub, model=self.model, id=response_id, created=int(self.ids.clock()), request=self.body
        )
        self._remember(response_id, inbound.assistant_message(hub))
        return answer

    def encoder(self) -> ClientEncoder:
        response_id = self._produced = self._response_id()
        stream = inbound.ClientStream(
            model=self.model, id=response_id, created=int(self.ids.clock()), request=self.body
        )
        return _Remembering(stream, lambda message: self._remember(response_id, message))

    def native_whole(self, raw: bytes) -> tuple[bytes, dict[str, Any] | None]:
        body, usage = passthrough.rewrite_response(raw, model=self.model)
        self._produced = body
        return body, usage

    def native_stream(self) -> ByteStream:
        stream = self._produced = passthrough.PassthroughStream(model=self.model)
        return stream

    def error_bytes(self, error: GatewayError, native: ByteStream | None) -> bytes:
        # The native stream fails the upstream's own response (its id, its sequence numbers).
        if isinstance(native, passthrough.PassthroughStream):
            return native.error_event(error.status, error.type, error.message)
        stream = inbound.ClientStream(
            model=self.model, id=self._response_id(), created=int(self.ids.clock()), request=self.body
        )
        return stream.error_event(error.status, error.type, error.message)

    def _response_id(self) -> str:
        return "resp_" + self.ids.new_id()[:32]

    def _remember(self, response_id: str, message: dict[str, Any] | None) -> None:
        if self._keep and message is not None:
            self._store.put(response_id, inbound.next_history(self.body, self.hub(), message))


class _Remembering:
    """The Responses stream encoder, telling the store what the response said once it ends."""

    __slots__ = ("_stream", "_remember")

    def __init__(self, stream: inbound.ClientStream, remember: Any) -> None:
        self._stream = stream
        self._remember = remember

    @property
    def usage(self) -> dict[str, Any] | None:
        return self._stream.usage

    def feed(self, chunks: list[dict[str, Any]]) -> list[bytes]:
        return self._stream.feed(chunks)

    def close(self) -> list[bytes]:
        out = self._stream.close()
        if out:
            self._remember(self._stream.assistant_message)
        return out

    def error_event(self, status: int, type: str, message: str) -> bytes:
        return self._stream.error_event(status, type, message)
