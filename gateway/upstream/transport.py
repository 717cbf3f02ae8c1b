"""How bytes reach an upstream: the `Transport` protocol and its aiohttp implementation.

The attempt code speaks to `UpstreamResponse` only, so the built-in mock provider (in-process)
and test doubles plug in beside the pooled aiohttp client without a branch on the hot path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Protocol

import aiohttp

from gateway.core.targets import Provider
from gateway.upstream.adapters import Outgoing
from gateway.upstream.client import Upstreams

__all__ = ["UPSTREAM_ERRORS", "AiohttpTransport", "Transport", "UpstreamResponse"]

# What aiohttp raises when the upstream cannot be reached or breaks the exchange.
UPSTREAM_ERRORS = (aiohttp.ClientError, OSError)


class UpstreamResponse(Protocol):
    """An upstream's answer once its status line and headers arrived."""

    status: int

    @property
    def headers(self) -> Mapping[str, str]:
        """Response headers with lower-case names."""
        ...

    @property
    def declared_length(self) -> int | None:
        """The body's size when the upstream declared it and sent it uncompressed, else None."""
        ...

    async def read(self) -> bytes:
        """The whole body."""
        ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives."""
        ...

    def release(self) -> None:
        """The answer was read to its end: the connection may be reused."""
        ...

    def close(self) -> None:
        """Abandon the answer (client gone, stream broken): the connection is dropped."""
        ...


class Transport(Protocol):
    async def send(self, provider: Provider, outgoing: Outgoing) -> UpstreamResponse:
        """POSTs `outgoing`; raises `ConnectError` or TimeoutError/OSError on failure."""
        ...


class ConnectError(Exception):
    """The upstream could not be reached at all (DNS, refused, TLS)."""


class _AiohttpResponse:
    __slots__ = ("_response", "status", "_headers", "_closed")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self._headers: dict[str, str] | None = None
        # aiohttp closes the connection when the upstream's framing breaks mid-body (a bad
        # chunk size, a missing CRLF) but never wakes the reader of the body, which then
        # waits for the total timeout. Watching the connection's close ends that read at once.
        connection = response.connection
        protocol = connection.protocol if connection is not None else None
        # (`is not None`: the protocol is a queue, and an empty one is falsy.)
        self._closed = protocol.closed if protocol is not None else None
        if self._closed is not None:
            self._closed.add_done_callback(self._connection_closed)

    def _connection_closed(self, _: object) -> None:
        content = self._response.content
        if not content.is_eof() and content.exception() is None:
            content.set_exception(aiohttp.ClientPayloadError("the upstream connection closed mid-answer"))

    def _forget(self) -> None:
        # A pooled connection outlives this answer: the callback must not pile up on it.
        if self._closed is not None:
            self._closed.remove_done_callback(self._connection_closed)
            self._closed = None

    @property
    def headers(self) -> Mapping[str, str]:
        # Built on demand: a passthrough answer never reads them.
        if self._headers is None:
            self._headers = {str(k).lower(): str(v) for k, v in self._response.headers.items()}
        return self._headers

    @property
    def declared_length(self) -> int | None:
        response = self._response
        return None if "Content-Encoding" in response.headers else response.content_length

    async def read(self) -> bytes:
        return await self._response.read()

    def chunks(self) -> AsyncIterator[bytes]:
        return self._response.content.iter_any()

    def release(self) -> None:
        self._forget()
        self._response.release()

    def close(self) -> None:
        self._forget()
        self._response.close()


class AiohttpTransport:
    """Real upstreams over the pooled sessions of `Upstreams` (one per provider entry)."""

    __slots__ = ("upstreams",)

    def __init__(self, upstreams: Upstreams) -> None:
        self.upstreams = upstreams

    async def send(self, provider: Provider, outgoing: Outgoing) -> UpstreamResponse:
        upstreams = self.upstreams
        try:
            response = await upstreams.session(provider).post(
                upstreams.url(outgoing.url),
                data=outgoing.content,
                headers=outgoing.headers,
                timeout=upstreams.timeout(provider.timeouts),
                allow_redirects=False,
            )
        except aiohttp.ClientConnectorError as exc:
            raise ConnectError(type(exc).__name__) from None
        return _AiohttpResponse(response)
