"""Incremental Server-Sent Events parser and writer (WHATWG HTML, "server-sent events").

`SSEDecoder.feed(bytes)` returns every event completed by those bytes; input may be split
anywhere, including inside a CRLF pair or a multi-byte UTF-8 character. Lines end with CRLF,
LF or CR; `data:` lines of one event are joined with LF; lines starting with `:` are
comments; a blank line dispatches the event. An event with no data is not dispatched, and
neither is one cut off by the end of the stream (the spec discards it: a truncated event is
not an event).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "SSEEvent", "encode_event"]


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event; `event` is "message" when the stream named none."""

    data: str
    event: str = "message"
    id: str | None = None


class SSEDecoder:
    """Bytes in, `SSEEvent`s out; `close()` discards an event the stream cut off."""

    __slots__ = ("_buffer", "_data", "_event", "_id", "_pending_cr")

    def __init__(self) -> None:
        self._buffer = b""
        self._pending_cr = False
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if self._pending_cr:
            # A CR ended the previous chunk: an LF starting this one belongs to it.
            self._pending_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buffer = self._buffer + chunk
        events: list[SSEEvent] = []
        start = 0
        length = len(buffer)
        while start < length:
            lf = buffer.find(b"\n", start)
            cr = buffer.find(b"\r", start, lf if lf >= 0 else length)
            if cr >= 0:
                end, next_start = cr, cr + 1
                if next_start < length:
                    if buffer[next_start : next_start + 1] == b"\n":
                        next_start += 1
                else:
                    self._pending_cr = True
            elif lf >= 0:
                end, next_start = lf, lf + 1
            else:
                break
            event = self._line(buffer[start:end])
            if event is not None:
                events.append(event)
            start = next_start
        self._buffer = buffer[start:]
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream: whatever was not dispatched by a blank line is discarded."""
        self._buffer = b""
        self._pending_cr = False
        self._data = []
        self._event = ""
        return []

    @property
    def pending(self) -> bool:
        """True while part of an event has arrived but not its terminating blank line."""
        return bool(self._buffer or self._data)

    def _line(self, raw: bytes) -> SSEEvent | None:
        if not raw:
            return self._dispatch()
        line = raw.decode("utf-8", errors="replace")
        if line[0] == ":":
            return None
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value  # an id with NUL is ignored, as the spec says
        # "retry" and unknown fields are ignored: reconnection is not a proxy's concern.
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SSEEvent(data="\n".join(self._data), event=self._event or "message", id=self._id)
        self._data = []
        self._event = ""
        return event


def encode_event(data: str | bytes, *, event: str | None = None) -> bytes:
    """One SSE event as bytes; multi-line data becomes several `data:` lines."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    head = b"event: " + event.encode("utf-8") + b"\n" if event else b""
    if b"\n" not in data and b"\r" not in data:
        return head + b"data: " + data + b"\n\n"
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    return head + b"".join(b"data: " + line + b"\n" for line in lines) + b"\n"
