"""Responses API clients -> a Responses API upstream, natively: only the model name changes.

The request goes up as the client wrote it with `model` set to the upstream's name; the answer
and every stream event come back as the upstream wrote them, except `response.model` in the
events that carry the response object, set back to the client's id. The lifecycle events that
open a stream (`response.created`, `.queued`, `.in_progress`) are held back until the first
event of the answer itself, so an upstream that fails at once can still be retried elsewhere
before the client has seen a byte. `response.failed` and `error` events raise `StreamError` once
the events before them are handed out; a stream that ends before `response.completed` or
`response.incomplete` raises `StreamError` (truncated), as a cut stream must not look complete
(platform.openai.com/docs/api-reference/responses-streaming).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from translators import openai
from translators.decoding import ErrorsAfterOutput, stream_malformed, stream_truncated
from translators.errors import StreamError, TranslationError
from translators.responses.errors import stream_error_info
from translators.responses.response import usage as hub_usage
from translators.sse import SSEDecoder, SSEEvent, encode_event

__all__ = ["PassthroughStream", "native_request", "rewrite_response"]

LIFECYCLE_EVENTS: frozenset[str] = frozenset({"response.created", "response.queued", "response.in_progress"})
TERMINAL_EVENTS: frozenset[str] = frozenset({"response.completed", "response.incomplete"})
ERROR_EVENTS: frozenset[str] = frozenset({"response.failed", "error"})
RESPONSE_EVENTS: frozenset[str] = LIFECYCLE_EVENTS | TERMINAL_EVENTS | {"response.failed"}

TRUNCATED = stream_truncated("the upstream stream ended before response.completed or response.incomplete")

# HTTP status of a failure -> the documented `response.error.code` a client reads it as.
FAILURE_CODES: dict[int, str] = {400: "invalid_prompt", 429: "rate_limit_exceeded"}


def native_request(body: Mapping[str, Any], *, upstream_model: str) -> dict[str, Any]:
    """The client's request as the upstream gets it: every field as sent, `model` the upstream's."""
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    return {**body, "model": upstream_model}


def rewrite_response(raw: bytes, *, model: str) -> tuple[bytes, dict[str, Any] | None]:
    """The upstream's `response` object with `model` set to the client's id, and its usage as
    hub usage (for metering); every other value, integers beyond 64 bits included, as written."""
    body, usage = openai.rewrite_response(raw, model=model)
    return body, hub_usage(usage) if usage is not None else None


def _exact(data: str) -> dict[str, Any]:
    """An event that carries the response object, read with `json`, which keeps integers beyond
    64 bits exact (orjson reads them as floats); only a few events per stream are read so."""
    try:
        document = json.loads(data)
    except RecursionError:
        raise stream_malformed("the upstream sent a stream event nested too deep to pass on") from None
    return document if isinstance(document, dict) else {}


def _written(document: Any) -> str:
    try:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        raise stream_malformed("the upstream sent a stream event nested too deep to pass on") from None


class PassthroughStream(ErrorsAfterOutput):
    """Upstream Responses SSE bytes in, client SSE bytes out (one `bytes` per event)."""

    __slots__ = ("_decoder", "_done", "_held", "_model", "_opened", "_response", "_sequence", "usage")

    def __init__(self, *, model: str) -> None:
        self._decoder = SSEDecoder()
        self._model = model
        self._held: list[bytes] = []  # lifecycle events not yet handed out
        self._opened = False
        self._done = False
        self._error: StreamError | None = None
        self._response: dict[str, Any] | None = None  # the last response object, model rewritten
        self._sequence = 0
        self.usage: dict[str, Any] | None = None

    def feed(self, data: bytes) -> list[bytes]:
        return self._handed_out(self._convert_all, self._decoder.feed(data))

    def close(self) -> list[bytes]:
        out = self._handed_out(self._convert_all, self._decoder.close())
        if self._error is not None:
            raise self._error
        if not self._done:
            raise StreamError(TRUNCATED)
        return out

    @property
    def response_id(self) -> str | None:
        """The upstream's id for the response this stream carries, once it has said it."""
        value = self._response.get("id") if self._response is not None else None
        return value if isinstance(value, str) else None

    def error_event(self, status: int, type: str, message: str) -> bytes:
        """How a failure reaches a client whose stream has begun: `response.failed` for the
        response the upstream opened (the held-back events first), else a bare `error` event."""
        code = FAILURE_CODES.get(status) or ("rate_limit_exceeded" if type == "rate_limit_error" else "server_error")
        error = {"code": code, "message": message, "type": type}
        if self._response is None:
            return self._event({"type": "error", "code": code, "message": message, "param": None})
        held, self._held = b"".join(self._held), []
        response = {**self._response, "status": "failed", "error": error}
        return held + self._event({"type": "response.failed", "response": response})

    def _event(self, payload: dict[str, Any]) -> bytes:
        payload["sequence_number"] = self._sequence
        self._sequence += 1
        return encode_event(_written(payload), event=payload["type"])

    def _convert_all(self, events: list[SSEEvent], out: list[bytes]) -> None:
        for event in events:
            if self._done:
                break
            self._convert(event, out)

    def _convert(self, event: SSEEvent, out: list[bytes]) -> None:
        if event.data == "[DONE]":
            return  # a Chat Completions habit of some compatible servers; means nothing here
        try:
            payload = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            raise stream_malformed("the upstream sent a stream event that is not JSON") from None
        if not isinstance(payload, dict):
            raise stream_malformed("the upstream sent a stream event that is not a JSON object")
        kind = payload.get("type")
        kind = kind if isinstance(kind, str) else event.event
        number = payload.get("sequence_number")
        if isinstance(number, int) and not isinstance(number, bool):
            self._sequence = number + 1
        if kind == "error":
            raise StreamError(stream_error_info(payload))
        data = self._rewritten(kind, event.data) if kind in RESPONSE_EVENTS else event.data
        if kind == "response.failed":
            response = self._response or {}
            raise StreamError(stream_error_info(response.get("error")))
        encoded = encode_event(data, event=event.event if event.event != "message" else None)
        if kind in LIFECYCLE_EVENTS and not self._opened:
            self._held.append(encoded)
            return
        self._opened = True
        out.extend(self._held)
        self._held = []
        out.append(encoded)
        if kind in TERMINAL_EVENTS:
            self._done = True

    def _rewritten(self, kind: str, data: str) -> str:
        """The event with `response.model` set to the client's id; usage of a final one recorded."""
        payload = _exact(data)
        response = payload.get("response")
        if not isinstance(response, dict):
            return data
        if "model" in response:
            response["model"] = self._model
        self._response = response
        if kind in TERMINAL_EVENTS and isinstance(response.get("usage"), Mapping):
            self.usage = hub_usage(response["usage"])
        return _written(payload)
