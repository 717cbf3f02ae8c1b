"""Connection-level limits uvicorn does not have: time and size to receive a request head, and
a cap on open connections, checked in the HTTP protocol before any request reaches the app.

    - a connection that sends nothing, or a head that never ends, is answered 408 and closed
      after `limits.head-timeout-seconds` (uvicorn's keep-alive timer starts only after a
      first answer, and nothing bounds a head in progress);
    - a head (request line and headers) larger than `limits.max-head-bytes` is answered 431
      and closed, also while it is still arriving, so it is never buffered whole;
    - past `limits.max-connections` open connections, a new one is answered 503 and closed.

The limits are read from the running config when a connection opens (a reload applies to the
connections opened after it), and the work per request is kept to a few attribute reads: no
override runs per header, the head's exact size is summed once it is complete. The answers
use OpenAI's error envelope: no client dialect is known before a head is parsed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.config.models import LimitsConfig

__all__ = ["GuardedHttpToolsProtocol"]

REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large", 503: b"Service Unavailable"}
# After refusing, what the client still sends is read and dropped this long before the close:
# closing on unread data would reset the connection and could destroy the answer in flight.
LINGER_SECONDS = 2.0


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = _limits_of(self.app)
        self._head_timer: asyncio.TimerHandle | None = None
        self._awaiting_head = True
        self._head_bytes = 0  # bytes fed while a head is in progress (an upper bound)
        self._max_head = 0
        self._head_timeout = 0.0
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limits = self._limits()
        self._max_head = limits.max_head_bytes
        self._head_timeout = limits.head_timeout_seconds
        if len(self.connections) > limits.max_connections:
            self._refuse(
                503,
                f"The gateway has {limits.max_connections} connections open (limits.max-connections); retry shortly.",
                "too_many_connections",
            )
            return
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._awaiting_head:
            if self._head_timer is None:
                # The first bytes of a request after a keep-alive pause: its head is timed now.
                self._start_head_timer()
            self._head_bytes += len(data)
        super().data_received(data)
        if self._awaiting_head and self._head_bytes > self._max_head and not self._refused:
            # Still no end of head, and already too much of it.
            self._refuse_large_head()

    def eof_received(self) -> None:
        if self._refused:
            self.transport.close()  # the client is done sending: no need to linger

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._stop_head_timer()
        # Headers kept while the head arrived are bounded by `data_received`'s check (at most
        # max-head-bytes plus one read); the exact size decides now.
        if self._head_bytes > self._max_head:
            size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
            if size > self._max_head:
                self._head_bytes = 0
                self._refuse_large_head()
                return
        self._head_bytes = 0
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._awaiting_head = True  # the next head is timed from its first byte

    def _refuse_large_head(self) -> None:
        limit = self._max_head
        self._refuse(
            431,
            f"The request line and headers exceed limits.max-head-bytes ({limit} bytes); send "
            "fewer or shorter headers.",
            "request_header_fields_too_large",
        )

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self._head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._awaiting_head and not self._refused and not self.transport.is_closing():
            seconds = self._head_timeout
            self._refuse(
                408,
                f"No complete request head arrived within limits.head-timeout-seconds ({seconds:g} s).",
                "request_timeout",
            )

    def _refuse(self, status: int, message: str, code: str) -> None:
        self._stop_head_timer()
        self._awaiting_head = False
        body = orjson.dumps(
            {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
        )
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
            % (status, REASONS[status], len(body))
            + body
        )
        self.transport.close()


def _limits_of(app: Any) -> Callable[[], LimitsConfig]:
    """The gateway's `client_limits` under whatever middleware the server wrapped it in."""
    for _ in range(10):
        limits = getattr(app, "client_limits", None)
        if limits is not None:
            return limits
        app = getattr(app, "app", None)
    default = LimitsConfig()
    return lambda: default
