"""Anthropic client to Anthropic upstream, natively: the body and the answer go through as they are.

Only `model` changes: the upstream gets its real model name, the client sees the id it asked
for, in the answer's `model` and in the stream's `message_start` (where the message sits,
https://docs.anthropic.com/en/docs/build-with-claude/streaming). Every other event goes out as
its data came in, unparsed where nothing needs reading, so integers beyond 64 bits and fields
the gateway does not know arrive intact. Usage is read on the way for metering, as hub usage.
An upstream `error` event raises `StreamError` once the events before it are handed out; a
stream that ends before `message_stop` raises `StreamError` too: a cut stream must not look whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from translators import openai
from translators.anthropic.errors import error_info
from translators.anthropic.response import usage as hub_usage
from translators.decoding import ErrorsAfterOutput, stream_malformed, stream_truncated
from translators.errors import StreamError, TranslationError
from translators.sse import SSEDecoder, SSEEvent, encode_event

__all__ = ["PassthroughStream", "native_request", "rewrite_response"]

# Events passed on without reading their data: the bulk of a stream, and nothing to rewrite.
UNREAD_EVENTS: frozenset[str] = frozenset({"content_block_start", "content_block_delta", "content_block_stop", "ping"})

TRUNCATED = stream_truncated("the upstream stream ended before message_stop")


def native_request(body: Mapping[str, Any], *, upstream_model: str) -> dict[str, Any]:
    """The client's body with `model` set to the upstream's name; everything else as it came."""
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    return {**body, "model": upstream_model}


def rewrite_response(raw: bytes, *, model: str) -> tuple[bytes, dict[str, Any] | None]:
    """The upstream's `message` with `model` set to the client's id, and its usage as hub usage."""
    body, usage = openai.rewrite_response(raw, model=model)
    return body, hub_usage(usage) if usage is not None else None


def _with_model(data: str, model: str) -> str:
    """`message_start` data with `message.model` replaced. Read with `json`, which keeps
    integers beyond 64 bits exact, as this one event per stream is rewritten."""
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):
        raise stream_malformed("the upstream sent a message_start that is not JSON") from None
    message = payload.get("message") if isinstance(payload, dict) else None
    if not isinstance(message, dict) or "model" not in message:
        return data
    message["model"] = model
    try:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        # A lone surrogate (an escaped \ud800 in the data) cannot be written as UTF-8; escaped, it can.
        return text if text.isascii() or _utf8(text) else json.dumps(payload, separators=(",", ":"))
    except RecursionError:
        raise stream_malformed("the upstream sent a message_start nested too deep to pass on") from None


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class PassthroughStream(ErrorsAfterOutput):
    """Upstream Anthropic SSE bytes in, client SSE bytes out (one `bytes` per event)."""

    __slots__ = ("_counts", "_done", "_model", "_sse", "usage")

    def __init__(self, *, model: str) -> None:
        self._sse = SSEDecoder()
        self._model = model
        self._done = False
        self._error: StreamError | None = None
        self._counts: dict[str, Any] = {}  # Anthropic usage, merged as message_delta says
        self.usage: dict[str, Any] | None = None

    def feed(self, data: bytes) -> list[bytes]:
        return self._handed_out(self._convert, self._sse.feed(data))

    def close(self) -> list[bytes]:
        out = self._handed_out(self._convert, self._sse.close())
        if self._error is not None:
            raise self._error
        if not self._done:
            raise StreamError(TRUNCATED)
        return out

    def _convert(self, events: list[SSEEvent], out: list[bytes]) -> None:
        for event in events:
            if self._done:
                break
            out.append(self._event(event))

    def _event(self, event: SSEEvent) -> bytes:
        name = event.event
        if name in UNREAD_EVENTS:
            return encode_event(event.data, event=name)
        try:
            payload = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            raise stream_malformed(f"the upstream sent a {name} event that is not JSON") from None
        if not isinstance(payload, dict):
            payload = {}
        kind = payload.get("type")
        kind = kind if isinstance(kind, str) else name
        data = event.data
        if kind == "error":
            raise StreamError(error_info(payload.get("error")))
        if kind == "message_start":
            data = _with_model(data, self._model)
            message = payload.get("message")
            self._count(message.get("usage") if isinstance(message, dict) else None)
        elif kind == "message_delta":
            self._count(payload.get("usage"))
        elif kind == "message_stop":
            self._done = True
        return encode_event(data, event=None if name == "message" else name)

    def _count(self, counts: Any) -> None:
        if isinstance(counts, dict):
            # message_delta counts are cumulative: they replace earlier ones; nulls say nothing.
            self._counts.update((key, value) for key, value in counts.items() if value is not None)
            self.usage = hub_usage(self._counts)
