"""The Gemini client codec: POST /v1beta/models/{model}:{method} (and /v1/models/..., which
google-genai calls by default) for google-genai and Gemini CLI.

`generateContent` and `streamGenerateContent` (`alt=sse` framing, or the JSON array Google
streams without it) go natively to a `gemini-api-key` entry (thought signatures, unknown parts
and fields intact) and through the hub to any other upstream (translators.gemini.inbound).
`countTokens` goes to a Gemini upstream of the model when there is one, else the gateway
answers an estimate marked `x-gateway-token-count: estimate`. `embedContent` and
`batchEmbedContents` become the hub's embeddings request, so any embeddings upstream serves
them. Errors use Google's `{"error": {"code", "message", "status"}}` envelope.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import orjson

from gateway.core.asgi import Scope
from gateway.core.errors import ClientError, GatewayError
from gateway.core.redaction import Redactor
from gateway.inbound.anthropic import ESTIMATE, serves_natively
from gateway.inbound.bodies import parse_object
from gateway.inbound.codec import Decoded, Ids
from gateway.inbound.translated import ClientEncoder, TranslatedClient
from gateway.routing.catalog import Route
from gateway.upstream.answers import Answer, ByteStream
from translators.gemini import inbound, passthrough

__all__ = ["GEMINI_PREFIX", "GeminiCodec", "gemini_codec", "gemini_error_body"]

GEMINI_PREFIX = "/v1beta/models/"
PREFIXES = (GEMINI_PREFIX, "/v1/models/")
EXAMPLE = '{"contents": [{"role": "user", "parts": [{"text": "..."}]}]}'
JSON_HEADERS = ((b"content-type", b"application/json; charset=utf-8"),)


def gemini_error_body(error: GatewayError) -> bytes:
    return orjson.dumps(inbound.error_body(error.status, error.message))


def gemini_codec(path: str) -> GeminiCodec | None:
    """The codec for a `/v1beta/models/{model}:{method}` (or `/v1/...`) path, or None."""
    if not path.startswith(PREFIXES):
        return None
    _, colon, method = path.rpartition(":")
    return CODECS.get(method) if colon else None


class GeminiCodec:
    dialect = "gemini"
    method = "POST"

    def __init__(self, name: str, operation: str) -> None:
        self.name = name
        self.operation = operation
        self.path = GEMINI_PREFIX + "{model}:" + name

    def decode(self, raw: bytes, scope: Scope) -> Decoded:
        model = _model(scope)
        body = parse_object(raw, example=EXAMPLE)
        if self.operation == "chat":
            contents = body.get("contents")
            if not isinstance(contents, list) or not contents:
                raise ClientError(400, "'contents' must be a non-empty array of Content objects.", param="contents")
        stream = self.name == "streamGenerateContent"
        sse = stream and b"alt=sse" in scope.get("query_string", b"")
        return Decoded(body, model, stream, framing="sse" if sse else "array")

    def client_side(self, decoded: Decoded, ids: Ids, redactor: Redactor) -> TranslatedClient:
        client_type = {"chat": GeminiClient, "count_tokens": CountTokensClient, "embeddings": EmbeddingsClient}
        client = client_type[self.operation](self.path, decoded, ids, redactor)
        client.batch = self.name == "batchEmbedContents"
        return client

    def local_answer(self, decoded: Decoded, route: Route) -> Answer | None:
        if self.operation != "count_tokens" or serves_natively(route, "gemini"):
            return None
        return Answer(200, orjson.dumps({"totalTokens": inbound.estimate_tokens(decoded.body)}), list(ESTIMATE))

    def error_body(self, error: GatewayError) -> bytes:
        return gemini_error_body(error)


class GeminiClient(TranslatedClient):
    wire = "gemini-generate"

    def __init__(self, path: str, decoded: Decoded, ids: Ids, redactor: Redactor) -> None:
        super().__init__(path, decoded, ids, redactor)
        self.sse = decoded.framing == "sse"
        self.batch = False

    @property
    def stream_headers(self) -> list[tuple[bytes, bytes]]:
        return list(self.headers if self.sse else JSON_HEADERS)

    def to_hub(self) -> dict[str, Any]:
        return inbound.hub_request(self.body, model=self.model, stream=self.stream_requested)

    def answer(self, hub: dict[str, Any]) -> dict[str, Any]:
        return inbound.client_answer(hub, model=self.model)

    def encoder(self) -> ClientEncoder:
        return inbound.ClientStream(model=self.model, sse=self.sse)

    def native_whole(self, raw: bytes) -> tuple[bytes, dict[str, Any] | None]:
        return passthrough.rewrite_response(raw, model=self.model)

    def native_stream(self) -> ByteStream:
        return passthrough.PassthroughStream(model=self.model, sse=self.sse)

    def error_bytes(self, error: GatewayError, native: ByteStream | None) -> bytes:
        # The native stream knows its framing's state (an open JSON array, say).
        if isinstance(native, passthrough.PassthroughStream):
            return native.error_event(error.status, error.type, error.message)
        return inbound.ClientStream(model=self.model, sse=self.sse).error_event(error.status, error.type, error.message)


class CountTokensClient(GeminiClient):
    wire = "gemini-count-tokens"
    hub_operation = ""

    def native_whole(self, raw: bytes) -> tuple[bytes, dict[str, Any] | None]:
        return raw, None


class EmbeddingsClient(GeminiClient):
    """embedContent / batchEmbedContents through the hub's embeddings request."""

    wire = ""  # no native form: Gemini upstreams are reached through the embeddings adapter
    hub_operation = "embeddings"

    def to_hub(self) -> dict[str, Any]:
        if self.batch:
            return inbound.batch_embed_request(self.body, model=self.model)
        return inbound.embed_request(self.body, model=self.model)

    def answer(self, hub: dict[str, Any]) -> dict[str, Any]:
        return inbound.embed_answer(hub, batch=self.batch)


def _model(scope: Scope) -> str:
    """The model id between the prefix and the method, percent-decoded ("/" may be escaped)."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    text = unquote(raw_path.decode("latin-1").split("?", 1)[0])
    prefix = next(prefix for prefix in PREFIXES if text.startswith(prefix))
    model = text[len(prefix) :].rpartition(":")[0].removeprefix("models/")
    if not model:
        raise ClientError(404, "The path names no model: use /v1beta/models/{model}:{method}.", code="model_not_found")
    return model


CODECS: dict[str, GeminiCodec] = {
    name: GeminiCodec(name, operation)
    for name, operation in (
        ("generateContent", "chat"),
        ("streamGenerateContent", "chat"),
        ("countTokens", "count_tokens"),
        ("embedContent", "embeddings"),
        ("batchEmbedContents", "embeddings"),
    )
}
