"""The shape shared by stream decoders whose SSE events carry JSON objects.

`EventDecoder.feed(bytes)` / `close()` return `chat.completion.chunk` dicts; a dialect says what
one event means in `_event`, whether its events are typed (Anthropic, Responses) or whole
untyped answers (Gemini). An upstream error event is raised only after the chunks decoded
before it have been handed out, so how the bytes were split never changes what the client
receives. A stream that ends incomplete (`_complete` false: by default, before the dialect's
terminal event) raises `StreamError(TRUNCATED)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import orjson

from translators.common import Chunk, chunk, delta_choice
from translators.errors import StreamError, TranslationError, UpstreamErrorInfo
from translators.sse import SSEDecoder, SSEEvent

__all__ = ["ErrorsAfterOutput", "EventDecoder", "event_type", "load_event", "stream_malformed", "stream_truncated"]


def stream_truncated(message: str) -> UpstreamErrorInfo:
    """The error a stream cut off before its terminal event raises: a 502 `server_error`."""
    return UpstreamErrorInfo(status=502, type="server_error", message=message, code="stream_truncated")


class ErrorsAfterOutput:
    """An upstream error is raised only once what was decoded before it has been handed out,
    so how the bytes were split never changes what the client receives."""

    __slots__ = ("_error",)
    _error: StreamError | None

    def _handed_out(self, convert: Callable[[list[Any], list[Any]], None], events: list[Any]) -> list[Any]:
        if self._error is not None:
            raise self._error
        out: list[Any] = []
        try:
            convert(events, out)
        except StreamError as error:
            if not out:
                raise
            self._error = error
        return out


def stream_malformed(message: str) -> StreamError:
    """What a stream that breaks its dialect's format raises: a 502 `server_error`."""
    return StreamError(
        UpstreamErrorInfo(status=502, type="server_error", code="upstream_stream_malformed", message=message)
    )


def load_event(event: SSEEvent) -> Mapping[str, Any]:
    """The event's data as a JSON object; anything else breaks the dialect's format."""
    try:
        payload = orjson.loads(event.data)
    except orjson.JSONDecodeError:
        raise TranslationError(f"upstream stream event {event.event!r} is not JSON") from None
    if not isinstance(payload, Mapping):
        raise TranslationError(f"upstream stream event {event.event!r} is not a JSON object")
    return payload


def event_type(event: SSEEvent, payload: Mapping[str, Any]) -> str:
    """A typed event's `type`, or its SSE event name when the data names none."""
    kind = payload.get("type", event.event)
    if not isinstance(kind, str):
        raise TranslationError(f"upstream stream event {event.event!r} has a type that is not a string")
    return kind


class EventDecoder:
    """Upstream SSE bytes in, chunk dicts out; subclasses implement `_event` and set `TRUNCATED`.

    `_event` sets `_done` at the terminal event, after which no further events are read, and
    `_error` for an error event, after which none are read either; `_started` is the subclass's
    record that the answer has begun. A dialect without a terminal event overrides `_complete`
    (what `close` requires) and `_closing` (chunks only the end of the stream can give).
    """

    TRUNCATED: ClassVar[UpstreamErrorInfo]

    def __init__(self, *, model: str, created: int, id: str) -> None:
        self._sse = SSEDecoder()
        self._model = model
        self._created = created
        self._id = id
        self._started = False
        self._done = False
        self._error: StreamError | None = None

    def feed(self, data: bytes) -> list[Chunk]:
        if self._error is not None:
            raise self._error
        return self._handle(self._sse.feed(data))

    def close(self) -> list[Chunk]:
        if self._error is not None:
            raise self._error
        try:
            chunks = self._handle(self._sse.close())
        except TranslationError:
            # An event cut off by the end of the stream is truncation, not a format violation
            # (translators.sse discards such events; this holds whatever it hands over).
            raise StreamError(self.TRUNCATED) from None
        if self._error is not None:
            raise self._error
        if not self._complete():
            raise StreamError(self.TRUNCATED)
        return chunks + self._closing()

    def _handle(self, events: list[SSEEvent]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for event in events:
            if self._done or self._error is not None:
                break
            chunks.extend(self._event(event))
        if self._error is not None and not chunks:
            raise self._error
        return chunks

    def _event(self, event: SSEEvent) -> list[Chunk]:
        raise NotImplementedError

    def _complete(self) -> bool:
        """Whether the stream may end here; by default, once the terminal event was read."""
        return self._done

    def _closing(self) -> list[Chunk]:
        """Chunks due at the end of a complete stream; none for dialects that end with an event."""
        return []

    def _chunk(
        self,
        delta: dict[str, Any],
        reason: str | None = None,
        logprobs: Any = None,
        *,
        index: int = 0,
    ) -> Chunk:
        choice = delta_choice(delta, reason, index=index, logprobs=logprobs)
        return chunk(id=self._id, created=self._created, model=self._model, choices=[choice])

    def _usage_chunk(self, usage: dict[str, Any]) -> Chunk:
        return chunk(id=self._id, created=self._created, model=self._model, choices=[], usage=usage)
