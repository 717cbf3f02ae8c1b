"""What the client codecs of non-OpenAI dialects share: native or through the hub, per attempt.

An Anthropic, Responses or Gemini client's body is kept as the client sent it. For each attempt
the `ClientSide` looks at the adapter: one of the client's own wire format gets the body
natively (`Adapter.native`: only the model rewritten, the dialect's headers passed on), and its
answer goes back through the dialect's passthrough (only the model rewritten, usage read);
any other gets the hub request, translated from the client's body once and only when first
needed (a request a translated upstream cannot express is refused for that target alone), and
its hub answer or stream is encoded back into the client's dialect.
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from gateway.core.errors import GatewayError
from gateway.core.redaction import Redactor
from gateway.core.targets import Target
from gateway.inbound.codec import Decoded, Ids
from gateway.inbound.openai import STREAM_HEADERS
from gateway.upstream.adapters import Adapter, HubDecoder, Outgoing
from gateway.upstream.answers import ByteStream

__all__ = ["ClientEncoder", "HubToClient", "TranslatedClient"]


# OpenAI-compatible upstreams get the hub request as it is, so the hub's own extensions would
# reach them; many refuse unknown message fields (Mistral answers 422 to `reasoning_content`).
PLAIN_OPENAI = frozenset({"openai", "azure"})
MESSAGE_EXTENSIONS = ("reasoning_content", "thinking_blocks")


def plain_hub(hub: dict[str, Any]) -> dict[str, Any]:
    """The hub request without the extensions an Anthropic, Responses or Gemini history carries
    (earlier reasoning, signed thinking, Gemini thought signatures on tool calls): the text
    and tool calls of every turn stay. An OpenAI client's own fields are never touched."""
    messages = hub.get("messages")
    if not isinstance(messages, list):
        return hub
    plain = []
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "assistant":
            message = {k: v for k, v in message.items() if k not in MESSAGE_EXTENSIONS}
            calls = message.get("tool_calls")
            if isinstance(calls, list):
                message["tool_calls"] = [
                    {k: v for k, v in call.items() if k != "extra_content"} if isinstance(call, dict) else call
                    for call in calls
                ]
        plain.append(message)
    return {**hub, "messages": plain}


class ClientEncoder(Protocol):
    """Hub chunks in, the client dialect's stream bytes out; `usage` is the hub usage seen."""

    @property
    def usage(self) -> dict[str, Any] | None: ...

    def feed(self, chunks: list[dict[str, Any]]) -> list[bytes]: ...
    def close(self) -> list[bytes]: ...
    def error_event(self, status: int, type: str, message: str) -> bytes: ...


class HubToClient:
    """An upstream's hub decoder chained to the client's encoder: one `ByteStream`."""

    __slots__ = ("_decoder", "encoder")

    def __init__(self, decoder: HubDecoder, encoder: ClientEncoder) -> None:
        self._decoder = decoder
        self.encoder = encoder

    @property
    def usage(self) -> dict[str, Any] | None:
        return self.encoder.usage

    def feed(self, data: bytes) -> list[bytes]:
        chunks = self._decoder.feed(data)
        return self.encoder.feed(chunks) if chunks else []

    def close(self) -> list[bytes]:
        return self.encoder.feed(self._decoder.close()) + self.encoder.close()


class TranslatedClient:
    """One request's `ClientSide` for a dialect with its own wire format (see module doc).

    A dialect subclass says how its body becomes the hub request and how hub answers, streams
    and errors look to its clients; this class decides, per adapter, native or translated.
    """

    # The wire format the client speaks, the operation its hub request is, stream headers.
    wire: str = ""
    hub_operation: str = "chat"
    headers: tuple[tuple[bytes, bytes], ...] = STREAM_HEADERS

    def __init__(self, path: str, decoded: Decoded, ids: Ids, redactor: Redactor) -> None:
        self.path = path
        self.body = decoded.body
        self.model = decoded.model
        self.stream_requested = decoded.stream
        self.forwarded = decoded.forwarded
        self.ids = ids
        self.redactor = redactor
        self._hub: dict[str, Any] | None = None
        self._encoder: ClientEncoder | None = None
        self._native: ByteStream | None = None
        self._native_attempt = False
        self._plain: dict[str, Any] | None = None

    # --- what a dialect provides -------------------------------------------------------------

    def to_hub(self) -> dict[str, Any]:
        """The hub request for the client's body; `TranslationError` when it has none."""
        raise NotImplementedError

    def answer(self, hub: dict[str, Any]) -> dict[str, Any]:
        """The client's whole answer for a hub `chat.completion`."""
        raise NotImplementedError

    def encoder(self) -> ClientEncoder:
        raise NotImplementedError

    def native_whole(self, raw: bytes) -> tuple[bytes, dict[str, Any] | None]:
        raise NotImplementedError

    def native_stream(self) -> ByteStream:
        raise NotImplementedError

    def error_bytes(self, error: GatewayError, native: ByteStream | None) -> bytes:
        """The dialect's error event ending a native stream (`native`, when it began)."""
        raise NotImplementedError

    # --- ClientSide ----------------------------------------------------------------------------

    @property
    def stream_headers(self) -> list[tuple[bytes, bytes]]:
        return list(self.headers)

    def hub(self) -> dict[str, Any]:
        if self._hub is None:
            self._hub = self.to_hub()
        return self._hub

    def serves(self, adapter: Adapter) -> bool:
        return adapter.wire == self.wire or adapter.operation == self.hub_operation

    def goes_native(self, adapter: Adapter) -> bool:
        """Whether this attempt sends the client's body as it is (decided in `prepare`)."""
        return adapter.wire == self.wire

    def prepare(self, adapter: Adapter, body: dict[str, Any], target: Target, *, stream: bool) -> Outgoing:
        self._native_attempt = self.goes_native(adapter)
        if self._native_attempt:
            return adapter.native(self.body, target, stream=stream, headers=self.forwarded)
        if adapter.dialect in PLAIN_OPENAI:
            if self._plain is None:
                self._plain = plain_hub(self.hub())
            return adapter.prepare(self._plain, target, stream=stream)
        return adapter.prepare(self.hub(), target, stream=stream)

    def whole(self, adapter: Adapter, raw: bytes, body: dict[str, Any]) -> tuple[bytes, dict[str, Any] | None]:
        if self._native_attempt:
            return self.native_whole(raw)
        hub = adapter.decode_whole(
            raw, model=self.model, body=self.hub(), id=self.ids.new_id(), created=int(self.ids.clock())
        )
        usage = hub.get("usage")
        return orjson.dumps(self.answer(hub)), usage if isinstance(usage, dict) else None

    def stream(self, adapter: Adapter) -> ByteStream:
        if self._native_attempt:
            self._encoder = None
            self._native = self.native_stream()
            return self._native
        self._encoder = self.encoder()
        decoder = adapter.stream_decoder(model=self.model, id=self.ids.new_id(), created=int(self.ids.clock()))
        return HubToClient(decoder, self._encoder)

    def error_event(self, error: GatewayError) -> bytes:
        if self._encoder is not None:
            event = self._encoder.error_event(error.status, error.type, error.message)
        else:
            event = self.error_bytes(error, self._native)
        return self.redactor.bytes(event)
