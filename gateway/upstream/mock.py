"""The built-in `mock` provider: an in-process upstream speaking OpenAI's Chat Completions wire format.

`mock_reply` is pure: path, body, entry, request number, `created` and `id` in; status, headers and
bytes out, never an exception. `MockTransport` plugs it in beside the aiohttp transport; the only
waiting it does is the entry's `chunk-delay-ms` between stream chunks, through an injected sleep.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from gateway.config.entries import MockEntry
from gateway.upstream import mock_answers
from gateway.upstream.mock_answers import MockRequestError, error_document

__all__ = ["MockReply", "MockResponse", "MockTransport", "mock_reply"]

DONE = b"data: [DONE]\n\n"
JSON_HEADERS = (("content-type", "application/json"),)
SSE_HEADERS = (("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache"))
MAX_COUNTED_ENTRIES = 1024  # request counters kept; the oldest entry's is dropped beyond this
# Ids look like OpenAI's whatever `new_id` gives: the kind of object first, then the fresh part.
ID_PREFIXES: Mapping[str, str] = {"/chat/completions": "chatcmpl-", "/completions": "cmpl-"}

Answerer = Callable[..., dict[str, Any] | list[dict[str, Any]]]
ENDPOINTS: Mapping[str, Answerer] = {
    "/chat/completions": mock_answers.chat,
    "/completions": mock_answers.completions,
    "/embeddings": mock_answers.embeddings,
}


@dataclass(frozen=True, slots=True)
class MockReply:
    """A whole answer (`body`) or a stream (`chunks`, SSE events ending with `data: [DONE]`)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    chunks: tuple[bytes, ...] = ()


def _error(
    status: int, message: str, *, code: str | None, param: str | None = None, headers: tuple[tuple[str, str], ...] = ()
) -> MockReply:
    document = error_document(status, message, code=code, param=param)
    return MockReply(status, JSON_HEADERS + headers, orjson.dumps(document))


def _failure(entry: MockEntry, request_number: int) -> MockReply:
    status = entry.fail_status
    headers: tuple[tuple[str, str], ...] = ()
    if status == 429 and entry.retry_after_seconds is not None:
        headers = (("retry-after", str(math.ceil(entry.retry_after_seconds))),)
    return _error(
        status,
        f"mock failure: request {request_number} of entry {entry.name!r} fails (fail-every {entry.fail_every})",
        code="rate_limit_exceeded" if status == 429 else "mock_failure",
        headers=headers,
    )


def mock_reply(
    path: str, body: Mapping[str, Any], entry: MockEntry, *, request_number: int, created: int, id: str
) -> MockReply:
    """The mock's answer to one request; `request_number` counts this entry's requests from 1."""
    if entry.fail_every > 0 and request_number % entry.fail_every == 0:
        return _failure(entry, request_number)
    answer = ENDPOINTS.get(path)
    if answer is None:
        return _error(
            404, f"the mock provider has no endpoint {path!r}; it answers {', '.join(ENDPOINTS)}", code="unknown_url"
        )
    if not isinstance(body, Mapping):
        return _error(400, "the request body must be a JSON object", code="invalid_type")
    stream = body.get("stream") is True
    try:
        result = answer(body, entry, id=id, created=created, stream=stream)
        if isinstance(result, list):
            chunks = tuple(b"data: " + orjson.dumps(chunk) + b"\n\n" for chunk in result) + (DONE,)
            return MockReply(200, SSE_HEADERS, chunks=chunks)
        return MockReply(200, JSON_HEADERS, orjson.dumps(result))
    except MockRequestError as error:
        return _error(error.status, error.message, code=error.code, param=error.param)
    except orjson.JSONEncodeError:
        # A body built in-process (not parsed from bytes) may carry text JSON cannot encode.
        return _error(
            400, "the request carries text that cannot be encoded as JSON (lone surrogates?)", code="invalid_value"
        )


class _Provider(Protocol):
    @property
    def name(self) -> str: ...


class _Outgoing(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def content(self) -> bytes: ...


class MockResponse:
    """A `MockReply` behind the `UpstreamResponse` interface; `close()` ends a stream early."""

    __slots__ = ("_closed", "_delay", "_reply", "_sleep", "status")

    def __init__(self, reply: MockReply, *, delay: float, sleep: Callable[[float], Awaitable[None]]) -> None:
        self.status = reply.status
        self._reply = reply
        self._delay = delay
        self._sleep = sleep
        self._closed = False

    @property
    def headers(self) -> Mapping[str, str]:
        return dict(self._reply.headers)

    @property
    def declared_length(self) -> int | None:
        return None  # as a chunked answer: the mock's pieces arrive one by one

    async def read(self) -> bytes:
        return self._reply.body + b"".join(self._reply.chunks)

    def chunks(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        pieces = self._reply.chunks or ((self._reply.body,) if self._reply.body else ())
        for index, piece in enumerate(pieces):
            if index and not self._closed:
                await self._sleep(self._delay)
            if self._closed:  # checked after the sleep too: close() may come while it waits
                return
            yield piece

    def release(self) -> None:
        self._closed = True

    def close(self) -> None:
        self._closed = True


class MockTransport:
    """Answers requests to `mock://<name>` from the entry `entries(name)` returns at that moment.

    `new_id()` gives the fresh part of each answer's id (`chatcmpl-` + it, `cmpl-` + it).
    """

    __slots__ = ("_clock", "_counts", "_entries", "_new_id", "_sleep")

    def __init__(
        self,
        entries: Callable[[str], MockEntry | None],
        *,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._entries = entries
        self._clock = clock
        self._new_id = new_id or _fresh_id
        self._sleep = sleep
        self._counts: dict[str, int] = {}

    def request_number(self, name: str) -> int:
        """Counts one more request to entry `name`; returns its number, from 1."""
        number = self._counts.pop(name, 0) + 1
        self._counts[name] = number  # re-inserted: the dict's order is least recently used first
        if len(self._counts) > MAX_COUNTED_ENTRIES:
            del self._counts[next(iter(self._counts))]
        return number

    async def send(self, provider: _Provider, outgoing: _Outgoing) -> MockResponse:
        name = provider.name
        entry = self._entries(name)
        if entry is None or entry.disabled:
            state = "not configured" if entry is None else "disabled"
            # 503, not 404: a reload removed the entry while a request was routed to it, and the
            # failover loop should move on to another target.
            reply = _error(503, f"mock entry {state}: {name!r}", code="mock_entry_" + state.replace(" ", "_"))
            return MockResponse(reply, delay=0.0, sleep=self._sleep)
        number = self.request_number(name)
        try:
            body = orjson.loads(outgoing.content)
        except orjson.JSONDecodeError:
            reply = _error(400, "the request body is not valid JSON", code="invalid_json")
        else:
            path = _path(outgoing.url, name)
            reply = mock_reply(
                path,
                body,
                entry,
                request_number=number,
                created=int(self._clock()),
                id=ID_PREFIXES.get(path, "mock-") + self._new_id(),
            )
        return MockResponse(reply, delay=entry.chunk_delay_ms / 1000, sleep=self._sleep)


def _path(url: str, name: str) -> str:
    """The path after the entry's base URL `mock://<name>`, without a query."""
    base = f"mock://{name}"
    tail = url[len(base) :] if url.startswith(base) and url[len(base) :][:1] in ("", "/", "?") else urlsplit(url).path
    return tail.split("?", 1)[0].rstrip("/") or "/"


def _fresh_id() -> str:
    return uuid.uuid4().hex[:24]
