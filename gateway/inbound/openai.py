"""The OpenAI client codec: /v1/chat/completions, /v1/completions and /v1/embeddings.

Requests are already in the hub format, so decoding is validation. Answers from an upstream
of the same wire format go through natively (`translators.openai`: only `model` rewritten,
the usage chunk kept only when the client asked for it); answers of other dialects arrive as
hub dicts and are serialised here. Errors use OpenAI's `{"error": {...}}` envelope, and a
stream that fails after its first byte ends with `data: {"error": ...}`.
"""

from __future__ import annotations

from typing import Any

import orjson

from gateway.core.asgi import Scope
from gateway.core.errors import ClientError, GatewayError
from gateway.core.redaction import Redactor
from gateway.core.targets import Target
from gateway.inbound.codec import Decoded, Ids
from gateway.routing.catalog import Route
from gateway.upstream.adapters import OPENAI_WIRES, Adapter, HubDecoder, Outgoing
from gateway.upstream.answers import Answer, ByteStream
from translators import openai as passthrough

__all__ = ["OpenAICodec", "openai_error_body"]

DONE = b"data: [DONE]\n\n"
# endpoint -> fields a request body must carry
REQUIRED_FIELDS = {"chat": ("model", "messages"), "completions": ("model", "prompt"), "embeddings": ("model", "input")}
# Operations whose answers have a hub form: other dialects' answers can be translated.
HUB_OPERATIONS = frozenset({"chat", "embeddings"})
STREAM_HEADERS = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
)


def openai_error_body(error: GatewayError) -> bytes:
    """OpenAI's envelope: {"error": {"message", "type", "param", "code"}}."""
    return orjson.dumps(
        {"error": {"message": error.message, "type": error.type, "param": error.param, "code": error.code}}
    )


class OpenAICodec:
    dialect = "openai"
    method = "POST"

    def __init__(self, operation: str, path: str) -> None:
        self.operation = operation
        self.path = path
        self.wire = OPENAI_WIRES[operation]

    def decode(self, raw: bytes, scope: Scope) -> Decoded:
        body = _parse_body(raw, self.operation)
        stream = body.get("stream") or False
        if not isinstance(stream, bool):
            raise ClientError(400, "'stream' must be true or false.", param="stream")
        return Decoded(body, body["model"], stream and self.operation != "embeddings")

    def client_side(self, decoded: Decoded, ids: Ids, redactor: Redactor) -> OpenAIClient:
        return OpenAIClient(self, decoded.model, passthrough.client_wants_usage(decoded.body), ids, redactor)

    def local_answer(self, decoded: Decoded, route: Route) -> Answer | None:
        return None

    def error_body(self, error: GatewayError) -> bytes:
        return openai_error_body(error)


class OpenAIClient:
    """One request's `ClientSide` (see gateway.upstream.answers)."""

    __slots__ = ("_codec", "_model", "_keep_usage", "_ids", "_redactor", "path")

    def __init__(self, codec: OpenAICodec, model: str, keep_usage: bool, ids: Ids, redactor: Redactor) -> None:
        self._codec = codec
        self._redactor = redactor
        self._model = model
        self._keep_usage = keep_usage
        self._ids = ids
        self.path = codec.path

    @property
    def stream_headers(self) -> list[tuple[bytes, bytes]]:
        return list(STREAM_HEADERS)

    def prepare(self, adapter: Adapter, body: dict[str, Any], target: Target, *, stream: bool) -> Outgoing:
        # The OpenAI request is the hub request: every adapter takes it as it is.
        return adapter.prepare(body, target, stream=stream)

    def serves(self, adapter: Adapter) -> bool:
        return adapter.wire == self._codec.wire or self._codec.operation in HUB_OPERATIONS

    def whole(self, adapter: Adapter, raw: bytes, body: dict[str, Any]) -> tuple[bytes, dict[str, Any] | None]:
        if adapter.wire == self._codec.wire:
            return passthrough.rewrite_response(raw, model=self._model)
        hub = adapter.decode_whole(
            raw, model=self._model, body=body, id=self._completion_id(), created=int(self._ids.clock())
        )
        usage = hub.get("usage")
        return orjson.dumps(hub), usage if isinstance(usage, dict) else None

    def stream(self, adapter: Adapter) -> ByteStream:
        if adapter.wire == self._codec.wire:
            return passthrough.PassthroughStream(model=self._model, keep_usage=self._keep_usage)
        decoder = adapter.stream_decoder(model=self._model, id=self._completion_id(), created=int(self._ids.clock()))
        return HubStream(decoder, keep_usage=self._keep_usage)

    def error_event(self, error: GatewayError) -> bytes:
        return b"data: " + self._redactor.bytes(openai_error_body(error)) + b"\n\n"

    def _completion_id(self) -> str:
        return "chatcmpl-" + self._ids.new_id()[:24]


class HubStream:
    """Hub chunk dicts from an upstream decoder, as OpenAI SSE bytes for the client."""

    __slots__ = ("_decoder", "_keep_usage", "_closed", "usage")

    def __init__(self, decoder: HubDecoder, *, keep_usage: bool) -> None:
        self._decoder = decoder
        self._keep_usage = keep_usage
        self._closed = False
        self.usage: dict[str, Any] | None = None

    def feed(self, data: bytes) -> list[bytes]:
        return self._encode(self._decoder.feed(data))

    def close(self) -> list[bytes]:
        """The end of the stream; a second call adds nothing (one `[DONE]`, ever)."""
        if self._closed:
            return []
        self._closed = True
        return self._encode(self._decoder.close()) + [DONE]

    def _encode(self, chunks: list[dict[str, Any]]) -> list[bytes]:
        out: list[bytes] = []
        for chunk in chunks:
            usage = chunk.get("usage")
            if usage is not None:
                self.usage = usage
                if not self._keep_usage:
                    if not chunk.get("choices"):
                        continue
                    chunk = {k: v for k, v in chunk.items() if k != "usage"}
            elif "usage" in chunk and not self._keep_usage:
                chunk = {k: v for k, v in chunk.items() if k != "usage"}
            out.append(b"data: " + orjson.dumps(chunk) + b"\n\n")
        return out


def _parse_body(raw: bytes, operation: str) -> dict[str, Any]:
    if not raw:
        raise ClientError(400, "The request body is empty; send a JSON object.", code="invalid_json")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ClientError(400, f"The request body is not valid JSON ({exc.args[0]}).", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ClientError(
            400, 'The request body must be a JSON object, like {"model": ..., "messages": [...]}.', code="invalid_json"
        )
    for name in REQUIRED_FIELDS[operation]:
        if name not in body:
            raise ClientError(400, f"Missing required field {name!r}.", param=name, code="missing_field")
    model = body["model"]
    if not isinstance(model, str) or not model:
        raise ClientError(
            400, "'model' must be a non-empty string, one of the ids GET /v1/models lists.", param="model"
        )
    if operation == "chat" and (not isinstance(body["messages"], list) or not body["messages"]):
        raise ClientError(400, "'messages' must be a non-empty array of message objects.", param="messages")
    return body
