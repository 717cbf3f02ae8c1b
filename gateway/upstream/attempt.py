"""One attempt: send a prepared request to one target and classify what came back.

Raises an `AttemptFailure` when the target failed before anything reached the client (the
failover loop then tries the next one), `UpstreamError` when the upstream refused the request
as the client's own mistake (returned as it is), and otherwise returns the answer: a whole
body, or a stream whose first event has already arrived. State (cooldowns, breakers) is not
touched here: the caller reads the failure's type.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from gateway.config.models import LimitsConfig
from gateway.core.errors import UpstreamError
from gateway.core.memory import LARGE_BUFFER, give_back_freed_memory
from gateway.core.targets import Target
from gateway.observe.exchange import Exchange
from gateway.upstream.adapters import Adapter, Outgoing
from gateway.upstream.answers import Answer, ByteStream, ClientSide, StreamAnswer
from gateway.upstream.failures import (
    AuthFailure,
    ConnectFailure,
    CutFailure,
    RateLimitedFailure,
    ServerFailure,
    TimeoutFailure,
)
from gateway.upstream.relay import StreamEnd, relay, stream_error
from gateway.upstream.retry_after import retry_after_seconds
from gateway.upstream.transport import UPSTREAM_ERRORS, ConnectError, Transport, UpstreamResponse
from translators.errors import StreamError, TranslationError, UpstreamErrorInfo

__all__ = ["AttemptRunner"]

# Statuses that say the target, not the request, failed: the next target is tried.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 500, 502, 503, 504, 520, 521, 522, 523, 524, 529})
AUTH_TYPES = frozenset({"authentication_error", "permission_error"})
MAX_ERROR_BODY = 64 * 1024


class AttemptRunner:
    __slots__ = ("transports", "clock", "monotonic")

    def __init__(
        self,
        transports: Mapping[str, Transport],
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transports = transports
        self.clock = clock
        self.monotonic = monotonic

    async def run(
        self,
        adapter: Adapter,
        outgoing: Outgoing,
        target: Target,
        client: ClientSide,
        body: dict[str, Any],
        *,
        stream: bool,
        exchange: Exchange,
        on_stream_end: StreamEnd,
        limits: LimitsConfig,
    ) -> tuple[Answer | StreamAnswer, float]:
        """The answer and the time to its first byte (headers, or a stream's first event)."""
        provider = target.credential.provider
        timeouts = provider.timeouts
        if exchange.trace is not None:
            outgoing.headers["traceparent"] = exchange.trace.attempt_header(self.clock())
        deadline = asyncio.get_running_loop().time() + timeouts.total_seconds
        started = self.monotonic()
        try:
            async with asyncio.timeout(min(timeouts.first_byte_seconds, timeouts.total_seconds)):
                response = await self.transports[provider.transport].send(provider, outgoing)
                if response.status >= 300:
                    await self._refused(adapter, response, target)
                if stream:
                    answer = await self._stream(
                        client.stream(adapter),
                        response,
                        target,
                        client,
                        deadline,
                        exchange,
                        on_stream_end,
                        limits.max_event_bytes,
                    )
                    return answer, self.monotonic() - started
                latency = self.monotonic() - started
        except TimeoutError:
            raise TimeoutFailure(target, "first_byte") from None
        except ConnectError as exc:
            raise ConnectFailure(target, str(exc)) from None
        except UPSTREAM_ERRORS:
            raise CutFailure.broken(target) from None
        whole = await self._whole(adapter, response, target, client, body, deadline, exchange, limits.max_answer_bytes)
        return whole, latency

    async def _refused(self, adapter: Adapter, response: UpstreamResponse, target: Target) -> None:
        """Classifies a non-2xx answer by status and structured body; always raises."""
        status = response.status
        try:
            raw = await _read_capped(response, MAX_ERROR_BODY)
        except (*UPSTREAM_ERRORS, TimeoutError):
            raw = b""
        finally:
            # A fully read error answer leaves the connection reusable; release closes it otherwise.
            response.release()
        now = self.clock()
        headers = response.headers
        info = adapter.parse_error(status, headers, raw, now=now)
        # Secrets in it are removed where it leaves the process (gateway.core.redaction).
        message = info.message
        provider = target.credential.provider.name
        if status == 429 or info.type == "rate_limit_error":
            hint = retry_after_seconds(headers, now=now)
            raise RateLimitedFailure(
                target,
                UpstreamError(
                    429,
                    f"Provider {provider} is rate limited: {message}",
                    type="rate_limit_error",
                    code="rate_limit_exceeded",
                ),
                status=status,
                retry_after=info.retry_after if hint is None else hint,
            )
        if status in (401, 403) or info.type in AUTH_TYPES:
            raise AuthFailure(
                target,
                UpstreamError(
                    502,
                    f"Provider {provider} refused the gateway's credential (HTTP {status}); the operator "
                    "must check its api-key.",
                    type="server_error",
                    code="upstream_auth_failed",
                ),
                status=status,
            )
        if status < 400:
            raise ServerFailure(
                target,
                UpstreamError(
                    502,
                    f"Provider {provider} answered with a redirect (HTTP {status}), which the gateway does not "
                    "follow so that keys never reach another host; set its base-url to the final address.",
                    type="server_error",
                    code="upstream_redirect",
                ),
                status=status,
            )
        if status in RETRYABLE_STATUSES or status >= 500:
            raise ServerFailure(
                target,
                UpstreamError(
                    502,
                    f"Provider {provider} failed (HTTP {status}): {message}",
                    type="server_error",
                    code="upstream_error",
                ),
                status=status,
            )
        raise UpstreamError(status, message, type=info.type, code=info.code)

    async def _whole(
        self,
        adapter: Adapter,
        response: UpstreamResponse,
        target: Target,
        client: ClientSide,
        body: dict[str, Any],
        deadline: float,
        exchange: Exchange,
        limit: int,
    ) -> Answer:
        try:
            async with asyncio.timeout_at(deadline):
                raw = await read_bounded(response, limit)
        except AnswerTooLarge:
            # What was read up to the limit is freed: hand it back once the attempt has unwound.
            if limit >= LARGE_BUFFER:
                asyncio.get_running_loop().call_soon(give_back_freed_memory)
            raise CutFailure.too_large(target, "limits.max-answer-bytes", limit) from None
        except TimeoutError:
            raise TimeoutFailure(target, "body") from None
        except UPSTREAM_ERRORS:
            raise CutFailure.broken(target) from None
        finally:
            response.release()
        try:
            content, usage = client.whole(adapter, raw, body)
        except TranslationError as exc:
            raise CutFailure(
                target,
                UpstreamError(
                    502,
                    f"Provider {target.credential.provider.name}: {exc.message}.",
                    type="server_error",
                    code="upstream_malformed",
                ),
            ) from None
        exchange.usage_raw = usage
        return Answer(200, content)

    async def _stream(
        self,
        machine: ByteStream,
        response: UpstreamResponse,
        target: Target,
        client: ClientSide,
        deadline: float,
        exchange: Exchange,
        on_end: StreamEnd,
        max_event: int,
    ) -> StreamAnswer:
        """Waits for the first client bytes: until then a failure can still go to the next target."""
        upstream = response.chunks()
        first: list[bytes] = []
        ended = False
        pending = 0
        try:
            while not first:
                try:
                    data = await upstream.__anext__()
                except StopAsyncIteration:
                    first, ended = machine.close(), True
                    break
                first = machine.feed(data)
                pending += len(data)
                if not first and pending > max_event:
                    response.close()
                    raise CutFailure.too_large(target, "limits.max-event-bytes", max_event)
        except (StreamError, TranslationError) as exc:
            response.close()
            info = exc.info if isinstance(exc, StreamError) else malformed(exc)
            raise CutFailure(target, stream_error(target, info)) from None
        except BaseException:
            response.close()
            raise
        return StreamAnswer(
            relay(
                first,
                None if ended else upstream,
                machine,
                response,
                target,
                deadline,
                client,
                exchange,
                on_end,
                max_event,
            ),
            client.stream_headers,
            response.close,
        )


def malformed(exc: TranslationError) -> UpstreamErrorInfo:
    return UpstreamErrorInfo(status=502, type="server_error", code="upstream_malformed", message=exc.message)


class AnswerTooLarge(Exception):
    """An upstream answer passed the configured size limit."""


async def read_bounded(response: UpstreamResponse, limit: int) -> bytes:
    """The whole body, decompressed as it arrives and refused once past `limit` bytes, so a
    huge answer or a compression bomb costs at most `limit` (plus one chunk) of memory. A body
    whose uncompressed length is declared is judged by it and, within the limit, read at once
    (the common case: a chunk iterator costs more than the read)."""
    declared = response.declared_length
    if declared is not None:
        if declared > limit:
            raise AnswerTooLarge
        return await response.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.chunks():
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _read_capped(response: UpstreamResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.chunks():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]
