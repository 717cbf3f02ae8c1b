"""The request path: try a route's targets in order until one answers, then relay its answer.

Nothing reaches the client before an upstream has answered 2xx and (for streams) produced
its first event, so every failure up to then is retried on the next target: 429 cools the
(credential, model) pair down, 401/403 sets the credential aside, 5xx/408/timeouts/connection
errors count towards the target's circuit breaker and move on. Other 4xx answers are the
client's own mistake and are returned as they are. A route is a pool and the pools it falls
back to (chains, `fallbacks`): each gets `request-retry` extra attempts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from gateway.catalog import Pool, Route, Target
from gateway.dialects import DIALECTS, ClientStream, Dialect, Outgoing
from gateway.health import Health
from gateway.errors import (ClientError, GatewayError, NotImplementedDialect, RateLimited, UpstreamError,
                            openai_error_body)
from gateway.ratelimit import retry_after_seconds
from gateway.router import Router
from gateway.upstream import UPSTREAM_ERRORS, Upstreams, lower_headers
from translators import openai as passthrough
from translators.errors import StreamError, TranslationError, UpstreamErrorInfo

__all__ = ["Answer", "Proxy", "StreamAnswer"]

log = logging.getLogger("gateway.proxy")

PUBLIC_PATHS = {"chat": "/v1/chat/completions", "completions": "/v1/completions", "embeddings": "/v1/embeddings"}
RETRYABLE_STATUSES = frozenset({408, 409, 425, 500, 502, 503, 504, 520, 521, 522, 523, 524, 529})
MAX_ERROR_BODY = 64 * 1024
STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


@dataclass(slots=True)
class StreamAnswer:
    chunks: AsyncIterator[bytes]
    headers: list[tuple[bytes, bytes]] = field(default_factory=lambda: STREAM_HEADERS)


@dataclass(slots=True)
class _Failure:
    target: Target
    error: GatewayError
    rate_limited: bool = False
    # The target could not take this request at all (dialect, endpoint): nothing was sent.
    refused: bool = False


class _Retry(Exception):
    """This target failed before anything reached the client: try the next one."""

    def __init__(self, failure: _Failure) -> None:
        self.failure = failure


class Proxy:
    """Runs one request against a route; holds no per-request state itself."""

    def __init__(self, *, router: Router, upstreams: Upstreams, clock: Callable[[], float] = time.time) -> None:
        self.router = router
        self.upstreams = upstreams
        self.clock = clock

    async def forward(self, endpoint: str, body: dict[str, Any], route: Route, *, stream: bool,
                      retries: int) -> Answer | StreamAnswer:
        failures: list[_Failure] = []
        recovers_at = float("inf")
        keep_usage = passthrough.client_wants_usage(body)
        for pool in route.pools:
            plan = self.router.plan(pool, self.clock())
            recovers_at = min(recovers_at, plan.recovers_at)
            attempts = 0
            for position, target in enumerate(plan.targets):
                if attempts > retries:
                    break
                # A half-open circuit admits one trial: claimed only when the attempt is made.
                if position < plan.last_resort_from and not self.router.health.claim(
                        target.credential.id, target.upstream_model, self.clock()):
                    continue
                answer, attempted = await self._try(endpoint, body, route, pool, target, failures, stream=stream,
                                                    keep_usage=keep_usage)
                if answer is not None:
                    return answer
                attempts += attempted
            if len(route.pools) > 1:
                log.warning("pool %r of %r exhausted; falling back", pool.id, route.id)
        raise self._give_up(route, failures, recovers_at)

    async def _try(self, endpoint: str, body: dict[str, Any], route: Route, pool: Pool, target: Target,
                   failures: list[_Failure], *, stream: bool,
                   keep_usage: bool) -> tuple[Answer | StreamAnswer | None, bool]:
        """One target: (the answer or None, whether an upstream request was made)."""
        dialect = DIALECTS.get(target.credential.provider.dialect)
        if dialect is None or endpoint not in dialect.endpoints:
            failures.append(_Failure(target, _unsupported(endpoint, pool, target), refused=True))
            return None, False
        try:
            outgoing = dialect.prepare(endpoint, body, target, stream=stream)
        except TranslationError as exc:
            # Another target of the route may speak a dialect that can honour the request.
            failures.append(_Failure(target, ClientError(
                400, f"{exc.message} (model {route.id!r} is served by {target.credential.provider.name}, a "
                     f"{dialect.name} upstream).", param=exc.param, code="unsupported_parameter"), refused=True))
            return None, False
        started = time.monotonic()
        try:
            answer, latency = await self._attempt(dialect, endpoint, body, outgoing, route, target, stream=stream,
                                                  keep_usage=keep_usage, started=started)
        except _Retry as retry:
            failures.append(retry.failure)
            if not retry.failure.rate_limited and retry.failure.error.code != "upstream_auth_failed":
                if self.router.health.failed(target.credential.id, target.upstream_model, now=self.clock()):
                    log.warning("circuit open for provider=%s credential=%s model=%s",
                                target.credential.provider.name, target.credential.id, target.upstream_model)
            log.warning("attempt failed, trying next target: model=%s provider=%s credential=%s status=%s %s",
                        route.id, target.credential.provider.name, target.credential.id,
                        retry.failure.error.status, retry.failure.error.message)
            return None, True
        except UpstreamError:
            # The upstream is alive and answered: the request, not the target, was at fault.
            self.router.health.answered(target.credential.id, target.upstream_model)
            raise
        self.router.cooldowns.succeeded(target.credential.id, target.upstream_model)
        self.router.health.succeeded(target.credential.id, target.upstream_model, latency=latency,
                                     finished=isinstance(answer, Answer))
        log.debug("served: model=%s provider=%s credential=%s", route.id, target.credential.provider.name,
                  target.credential.id)
        return answer, True

    async def _attempt(self, dialect: Dialect, endpoint: str, body: dict[str, Any], outgoing: Outgoing,
                       route: Route, target: Target, *, stream: bool, keep_usage: bool,
                       started: float) -> tuple[Answer | StreamAnswer, float]:
        """The answer and the time to its first byte (headers, or a stream's first event)."""
        provider = target.credential.provider
        timeouts = provider.timeouts
        session = self.upstreams.session(provider)
        deadline = asyncio.get_running_loop().time() + timeouts.total_seconds
        try:
            async with asyncio.timeout(min(timeouts.first_byte_seconds, timeouts.total_seconds)):
                response = await session.post(self.upstreams.url(outgoing.url), data=outgoing.content,
                                              headers=outgoing.headers, timeout=self.upstreams.timeout(timeouts),
                                              allow_redirects=False)
                if response.status >= 300:
                    await self._refused(dialect, response, target)
                if stream:
                    converter = dialect.stream(model=route.id, keep_usage=keep_usage)
                    answer = await self._stream(converter, response, target, deadline)
                    return answer, time.monotonic() - started
                latency = time.monotonic() - started
        except TimeoutError:
            raise _Retry(_timeout(target, "did not answer within timeouts.first-byte-seconds")) from None
        except aiohttp.ClientConnectorError as exc:
            raise _Retry(_Failure(target, UpstreamError(
                502, f"Provider {provider.name} is unreachable ({type(exc).__name__}); check its base-url.",
                type="server_error", code="upstream_unreachable"))) from None
        except UPSTREAM_ERRORS:
            raise _Retry(_broken(target)) from None
        return await self._whole(dialect, endpoint, body, response, route, target, deadline), latency

    async def _refused(self, dialect: Dialect, response: aiohttp.ClientResponse, target: Target) -> None:
        """Classifies a non-2xx answer: raises `_Retry` to move on, `UpstreamError` to stop."""
        status = response.status
        try:
            raw = await _read_capped(response, MAX_ERROR_BODY)
        except (*UPSTREAM_ERRORS, TimeoutError):
            raw = b""
        finally:
            # A fully read error answer leaves the connection reusable; release closes it otherwise.
            response.release()
        now = self.clock()
        headers = lower_headers(response.headers)
        info = dialect.error(status, headers, raw, now=now)
        message = _redact(info.message, target)
        provider = target.credential.provider.name
        if status == 429 or info.type == "rate_limit_error":
            hint = retry_after_seconds(headers, now=now)
            hint = info.retry_after if hint is None else hint
            self.router.cooldowns.rate_limited(target.credential.id, target.upstream_model, retry_after=hint, now=now)
            raise _Retry(_Failure(target, UpstreamError(429, f"Provider {provider} is rate limited: {message}",
                                                        type="rate_limit_error", code="rate_limit_exceeded"),
                                  rate_limited=True))
        if status in (401, 403) or info.type in ("authentication_error", "permission_error"):
            self.router.cooldowns.auth_failed(target.credential.id, now=now)
            raise _Retry(_Failure(target, UpstreamError(
                502, f"Provider {provider} refused the gateway's credential (HTTP {status}); the operator "
                     "must check its api-key.", type="server_error", code="upstream_auth_failed")))
        if status < 400:
            raise _Retry(_Failure(target, UpstreamError(
                502, f"Provider {provider} answered with a redirect (HTTP {status}), which the gateway does not "
                     "follow so that keys never reach another host; set its base-url to the final address.",
                type="server_error", code="upstream_redirect")))
        if status in RETRYABLE_STATUSES or status >= 500:
            raise _Retry(_Failure(target, UpstreamError(
                502, f"Provider {provider} failed (HTTP {status}): {message}", type="server_error",
                code="upstream_error")))
        raise UpstreamError(status, message, type=info.type, code=info.code)

    async def _whole(self, dialect: Dialect, endpoint: str, body: dict[str, Any], response: aiohttp.ClientResponse,
                     route: Route, target: Target, deadline: float) -> Answer:
        try:
            async with asyncio.timeout_at(deadline):
                raw = await response.read()
        except TimeoutError:
            raise _Retry(_timeout(target, "timed out while sending its answer")) from None
        except UPSTREAM_ERRORS:
            raise _Retry(_broken(target)) from None
        finally:
            response.release()
        try:
            answer = dialect.whole(endpoint, raw, model=route.id, body=body)
        except TranslationError as exc:
            raise _Retry(_Failure(target, UpstreamError(502, f"Provider {target.credential.provider.name}: "
                                  f"{exc.message}.", type="server_error", code="upstream_malformed"))) from None
        return Answer(200, answer)

    async def _stream(self, converter: ClientStream, response: aiohttp.ClientResponse, target: Target,
                      deadline: float) -> StreamAnswer:
        upstream = response.content.iter_any()
        first: list[bytes] = []
        ended = False
        try:
            while not first:
                try:
                    chunk = await upstream.__anext__()
                except StopAsyncIteration:
                    first, ended = converter.close(), True
                    break
                first = converter.feed(chunk)
        except (StreamError, TranslationError) as exc:
            response.close()
            info = exc.info if isinstance(exc, StreamError) else _malformed(exc)
            raise _Retry(_Failure(target, _stream_error(target, info))) from None
        except BaseException:
            response.close()
            raise
        return StreamAnswer(_relay(first, None if ended else upstream, converter, response, target, deadline,
                                   self.router.health, self.clock))

    def _give_up(self, route: Route, failures: list[_Failure], recovers_at: float) -> GatewayError:
        tried = [f for f in failures if not f.refused]
        if failures and not tried and recovers_at == float("inf"):
            # No target could take the request as it is: say why (the first one's reason).
            return failures[0].error
        if all(f.rate_limited for f in tried):
            now = self.clock()
            for failure in tried:
                t = failure.target
                until = self.router.cooldowns.blocked_until(t.credential.id, t.upstream_model, now)
                if until:
                    recovers_at = min(recovers_at, until)
            if recovers_at == float("inf"):
                recovers_at = now + 1.0
            wait = max(0.0, recovers_at - now)
            return RateLimited(f"Every credential serving {route.id!r} is rate limited; retry after "
                               f"{wait:.0f} s.", retry_after=wait)
        for failure in reversed(tried):
            if not failure.rate_limited:
                return failure.error
        return tried[-1].error


async def _relay(first: list[bytes], upstream: AsyncIterator[bytes] | None, converter: ClientStream,
                 response: aiohttp.ClientResponse, target: Target, deadline: float,
                 health: Health, clock: Callable[[], float]) -> AsyncIterator[bytes]:
    """Client bytes for a committed stream; a failure now can only end it with an error event.

    `upstream` is None when the stream already ended with its first events. A break counts
    against the target's circuit like a failure before the first byte would.
    """
    complete = False
    failure: GatewayError | None = None
    try:
        for chunk in first:
            yield chunk
        if upstream is None:
            complete = True
            health.answered(target.credential.id, target.upstream_model)
            return
        try:
            async with asyncio.timeout_at(deadline):
                async for data in upstream:
                    for chunk in converter.feed(data):
                        yield chunk
            for chunk in converter.close():
                yield chunk
            complete = True
            health.answered(target.credential.id, target.upstream_model)
        except StreamError as exc:
            failure = _stream_error(target, exc.info)
        except TranslationError as exc:
            failure = _stream_error(target, _malformed(exc))
        except TimeoutError:
            what = "exceeded timeouts.total-seconds" if asyncio.get_running_loop().time() >= deadline else \
                "went silent mid-stream (timeouts.idle-seconds)"
            failure = _timeout(target, what).error
        except UPSTREAM_ERRORS:
            failure = _broken(target).error
        if failure is not None:
            health.failed(target.credential.id, target.upstream_model, now=clock())
            yield _error_event(failure)
        log.debug("stream done: provider=%s usage=%s", target.credential.provider.name, converter.usage)
    finally:
        if complete:
            response.release()
        else:
            # Closed, not released: a client gone mid-stream must stop the upstream at once.
            response.close()


def _unsupported(endpoint: str, pool: Pool, target: Target) -> GatewayError:
    provider = target.credential.provider
    if provider.dialect not in DIALECTS:
        return NotImplementedDialect(
            f"Model {pool.id!r} is served by {provider.name}, whose dialect ({provider.dialect}) has no "
            "translator in this version of llm-gateway.")
    return NotImplementedDialect(f"Model {pool.id!r} is served by {provider.name}, a {provider.dialect} upstream, "
                                 f"which has no {PUBLIC_PATHS[endpoint]} endpoint.")


def _timeout(target: Target, what: str) -> _Failure:
    return _Failure(target, UpstreamError(504, f"Provider {target.credential.provider.name} {what}; try again "
                                          "or raise the timeouts in the config.", type="timeout_error",
                                          code="upstream_timeout"))


def _malformed(exc: TranslationError) -> UpstreamErrorInfo:
    return UpstreamErrorInfo(status=502, type="server_error", code="upstream_malformed", message=exc.message)


def _broken(target: Target) -> _Failure:
    return _Failure(target, UpstreamError(502, f"Provider {target.credential.provider.name} broke the connection "
                                          "mid-answer.", type="server_error", code="upstream_connection_broken"))


def _stream_error(target: Target, info: UpstreamErrorInfo) -> UpstreamError:
    return UpstreamError(502, f"Provider {target.credential.provider.name}: {_redact(info.message, target)}",
                         type=info.type or "server_error", code=info.code or "upstream_stream_error")


def _error_event(error: GatewayError) -> bytes:
    log.warning("stream ended with an error: %s", error.message)
    return b"data: " + openai_error_body(error) + b"\n\n"


def _redact(message: str, target: Target) -> str:
    key = target.credential.api_key
    return message.replace(key, "[redacted]") if key and key in message else message


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]
