"""W3C trace context for one request: the ids the request path needs, and nothing else (the
OpenTelemetry SDK is only imported by gateway.observe.tracing, at finish)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

__all__ = ["Trace", "new_trace", "parse_traceparent"]

_TRACEPARENT = re.compile(rb"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16


@dataclass(slots=True)
class Trace:
    """The ids of one request's trace: its own span, the client's parent span, and each
    attempt's span id with the wall-clock time it started."""

    trace_id: str
    span_id: str
    parent_id: str | None = None
    sampled: bool = True
    current: tuple[str, float] | None = None  # the attempt in flight: span id, start
    attempts: list[tuple[str, float] | None] = field(default_factory=list)

    def attempt_header(self, started: float) -> str:
        """A new attempt's span, as the `traceparent` its upstream receives."""
        span = os.urandom(8).hex()
        self.current = (span, started)
        return f"00-{self.trace_id}-{span}-{'01' if self.sampled else '00'}"

    def take_attempt(self) -> None:
        """The attempt just recorded in the Exchange was the one in flight (or never sent)."""
        self.attempts.append(self.current)
        self.current = None


def parse_traceparent(value: bytes | None) -> tuple[str, str, bool] | None:
    """(trace id, parent span id, sampled) from a valid version-00 `traceparent`, else None."""
    if value is None:
        return None
    match = _TRACEPARENT.fullmatch(value.strip().lower())
    if match is None:
        return None
    trace_id, parent, flags = (group.decode() for group in match.groups())
    if trace_id == _ZERO_TRACE or parent == _ZERO_SPAN:
        return None
    return trace_id, parent, bool(int(flags, 16) & 1)


def new_trace(traceparent: bytes | None) -> Trace:
    parsed = parse_traceparent(traceparent)
    if parsed is None:
        return Trace(os.urandom(16).hex(), os.urandom(8).hex())
    trace_id, parent, sampled = parsed
    return Trace(trace_id, os.urandom(8).hex(), parent, sampled)
