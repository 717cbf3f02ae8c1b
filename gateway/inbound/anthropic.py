"""The Anthropic Messages client codec: POST /v1/messages and /v1/messages/count_tokens.

Claude Code and the anthropic SDKs call these. A Claude model on a `claude-api-key` entry gets
the body natively with `anthropic-beta` / `anthropic-version` passed on (cache_control,
thinking signatures and fields the gateway does not know arrive intact); any other upstream
gets it through the hub (translators.anthropic.inbound) and its answer back as Anthropic
messages and events. Errors use Anthropic's `{"type": "error", "error": {...}}` envelope.
Token counting goes to an Anthropic upstream of the model when there is one; otherwise the
gateway answers an estimate (`inbound.estimate_tokens`) and says so with the header
`x-gateway-token-count: estimate`.
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
from gateway.upstream.answers import Answer, ByteStream
from translators.anthropic import inbound, passthrough

__all__ = ["AnthropicCodec", "anthropic_error_body"]

# Client headers a Claude upstream gets as the client sent them; never sent to other dialects.
FORWARDED = (b"anthropic-beta", b"anthropic-version")
ESTIMATE = ((b"x-gateway-token-count", b"estimate"),)


def serves_natively(route: Route, dialect: str) -> bool:
    return any(t.credential.provider.dialect == dialect for pool in route.pools for t in pool.targets)


def anthropic_error_body(error: GatewayError) -> bytes:
    return orjson.dumps(inbound.error_body(error.status, error.message))


class AnthropicCodec:
    dialect = "anthropic"
    method = "POST"

    def __init__(self, operation: str, path: str) -> None:
        # "chat" for /v1/messages (its hub form is a chat request), "count_tokens" otherwise.
        self.operation = operation
        self.path = path

    def decode(self, raw: bytes, scope: Scope) -> Decoded:
        body = parse_object(raw, example='{"model": ..., "max_tokens": 1024, "messages": [...]}')
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ClientError(
                400, "'model' must be a non-empty string, a model id GET /v1/models lists.", param="model"
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ClientError(400, "'messages' must be a non-empty array of message objects.", param="messages")
        stream = body.get("stream") or False
        if not isinstance(stream, bool):
            raise ClientError(400, "'stream' must be true or false.", param="stream")
        forwarded = {name.decode(): value.decode("latin-1") for name, value in scope["headers"] if name in FORWARDED}
        return Decoded(body, model, stream and self.operation == "chat", forwarded)

    def client_side(self, decoded: Decoded, ids: Ids, redactor: Redactor) -> AnthropicClient:
        client_type = AnthropicClient if self.operation == "chat" else CountTokensClient
        return client_type(self.path, decoded, ids, redactor)

    def local_answer(self, decoded: Decoded, route: Route) -> Answer | None:
        if self.operation != "count_tokens" or serves_natively(route, "anthropic"):
            return None
        return Answer(200, orjson.dumps({"input_tokens": inbound.estimate_tokens(decoded.body)}), list(ESTIMATE))

    def error_body(self, error: GatewayError) -> bytes:
        return anthropic_error_body(error)


class AnthropicClient(TranslatedClient):
    wire = "anthropic-messages"

    def to_hub(self) -> dict[str, Any]:
        return inbound.hub_request(self.body)

    def answer(self, hub: dict[str, Any]) -> dict[str, Any]:
        return inbound.client_answer(hub, model=self.model, id=self._message_id())

    def encoder(self) -> ClientEncoder:
        return inbound.ClientStream(model=self.model, id=self._message_id())

    def native_whole(self, raw: bytes) -> tuple[bytes, dict[str, Any] | None]:
        return passthrough.rewrite_response(raw, model=self.model)

    def native_stream(self) -> ByteStream:
        return passthrough.PassthroughStream(model=self.model)

    def error_bytes(self, error: GatewayError, native: ByteStream | None) -> bytes:
        return b"event: error\ndata: " + anthropic_error_body(error) + b"\n\n"

    def _message_id(self) -> str:
        return "msg_" + self.ids.new_id()[:24]


class CountTokensClient(AnthropicClient):
    """Token counting: served natively by an Anthropic upstream, never translated."""

    wire = "anthropic-count-tokens"
    hub_operation = ""

    def native_whole(self, raw: bytes) -> tuple[bytes, dict[str, Any] | None]:
        return raw, None
