"""The request path: try a pool's targets in order until one answers, then relay its answer.

Nothing reaches the client before an upstream has answered 2xx and (for streams) produced
its first event, so every failure up to then is retried on the next target: 429 cools the
(credential, model) pair down, 401/403 sets the credential aside, 5xx/408/timeouts/connection
errors move on. Other 4xx answers are the client's own mistake and are returned as they are.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from gateway.catalog import Pool, Target
from gateway.dialects import DIALECTS, ClientStream, Dialect, Outgoing
from gateway.errors import (ClientError, GatewayError, NotImplementedDialect, RateLimited, UpstreamError,
                            openai_error_body)
from gateway.ratelimit import retry_after_seconds
from gateway.router import Router
from gateway.upstream import Upstreams
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


class Proxy:
    """Runs one request against a pool; holds no per-request state itself."""

    def __init__(self, *, router: Router, upstreams: Upstreams, clock: Callable[[], float] = time.time) -> None:
        self.router = router
        self.upstreams = upstreams
        self.clock = clock

    async def forward(self, endpoint: str, body: dict[str, Any], pool: Pool, *, stream: bool,
                      retries: int) -> Answer | StreamAnswer:
        plan = self.router.plan(pool, self.clock())
        if not plan.targets:
            raise self._all_cooling(pool, plan.recovers_at)
        failures: list[_Failure] = []
        keep_usage = passthrough.client_wants_usage(body)
        for target in plan.targets[: 1 + retries]:
            dialect = DIALECTS.get(target.credential.provider.dialect)
            if dialect is None or endpoint not in dialect.endpoints:
                failures.append(_Failure(target, _unsupported(endpoint, pool, target)))
                continue
            try:
                outgoing = dialect.prepare(endpoint, body, target, stream=stream)
            except TranslationError as exc:
                raise ClientError(400, f"{exc.message} (model {pool.id!r} is served by "
                                       f"{target.credential.provider.name}, a {dialect.name} upstream).",
                                  param=exc.param, code="unsupported_parameter") from None
            try:
                return await self._attempt(dialect, endpoint, body, outgoing, pool, target,
                                           stream=stream, keep_usage=keep_usage)
            except _Retry as retry:
                failures.append(retry.failure)
                log.warning("attempt failed, trying next target: model=%s provider=%s credential=%s status=%s %s",
                            pool.id, target.credential.provider.name, target.credential.id,
                            retry.failure.error.status, retry.failure.error.message)
        raise self._give_up(pool, failures)

    async def _attempt(self, dialect: Dialect, endpoint: str, body: dict[str, Any], outgoing: Outgoing,
                       pool: Pool, target: Target, *, stream: bool, keep_usage: bool) -> Answer | StreamAnswer:
        provider = target.credential.provider
        client = self.upstreams.client(provider)
        request = self.upstreams.request(outgoing.url, outgoing.headers, outgoing.content)
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            raise _Retry(_Failure(target, UpstreamError(
                504, f"Provider {provider.name} did not answer in time; try again or raise timeouts in the config.",
                type="timeout_error", code="upstream_timeout"))) from None
        except httpx.TransportError as exc:
            raise _Retry(_Failure(target, UpstreamError(
                502, f"Provider {provider.name} is unreachable ({type(exc).__name__}); check its base-url.",
                type="server_error", code="upstream_unreachable"))) from None
        if response.status_code >= 300:
            await self._refused(dialect, response, target)
        if not stream:
            return await self._whole(dialect, endpoint, body, response, pool, target)
        return await self._stream(dialect.stream(model=pool.id, keep_usage=keep_usage), response, target)

    async def _refused(self, dialect: Dialect, response: httpx.Response, target: Target) -> None:
        """Classifies a non-2xx answer: raises `_Retry` to move on, `UpstreamError` to stop."""
        status = response.status_code
        try:
            raw = await _read_capped(response, MAX_ERROR_BODY)
        except httpx.HTTPError:
            raw = b""
        finally:
            await response.aclose()
        now = self.clock()
        info = dialect.error(status, response.headers, raw, now=now)
        message = _redact(info.message, target)
        provider = target.credential.provider.name
        if status == 429 or info.type == "rate_limit_error":
            hint = retry_after_seconds(response.headers, now=now)
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
        if status in RETRYABLE_STATUSES or status >= 500:
            raise _Retry(_Failure(target, UpstreamError(
                502, f"Provider {provider} failed (HTTP {status}): {message}", type="server_error",
                code="upstream_error")))
        raise UpstreamError(status, message, type=info.type, code=info.code)

    async def _whole(self, dialect: Dialect, endpoint: str, body: dict[str, Any], response: httpx.Response,
                     pool: Pool, target: Target) -> Answer:
        try:
            raw = await response.aread()
        except httpx.TimeoutException:
            raise _Retry(_Failure(target, UpstreamError(504, f"Provider {target.credential.provider.name} "
                                  "timed out while sending its answer.", type="timeout_error",
                                  code="upstream_timeout"))) from None
        except httpx.TransportError:
            raise _Retry(_broken(target)) from None
        finally:
            await response.aclose()
        try:
            answer = dialect.whole(endpoint, raw, model=pool.id, body=body)
        except TranslationError as exc:
            raise _Retry(_Failure(target, UpstreamError(502, f"Provider {target.credential.provider.name}: "
                                  f"{exc.message}.", type="server_error", code="upstream_malformed"))) from None
        self.router.cooldowns.succeeded(target.credential.id, target.upstream_model)
        return Answer(200, answer)

    async def _stream(self, converter: ClientStream, response: httpx.Response, target: Target) -> StreamAnswer:
        upstream = response.aiter_bytes()
        first: list[bytes] = []
        try:
            while not first:
                try:
                    chunk = await upstream.__anext__()
                except StopAsyncIteration:
                    first = converter.close()
                    break
                first = converter.feed(chunk)
        except StreamError as exc:
            await response.aclose()
            raise _Retry(_Failure(target, _stream_error(target, exc.info))) from None
        except TranslationError as exc:
            await response.aclose()
            raise _Retry(_Failure(target, _stream_error(target, _malformed(exc)))) from None
        except httpx.TimeoutException:
            await response.aclose()
            raise _Retry(_Failure(target, UpstreamError(504, f"Provider {target.credential.provider.name} sent "
                                  "no stream event in time.", type="timeout_error", code="upstream_timeout"))) from None
        except httpx.TransportError:
            await response.aclose()
            raise _Retry(_broken(target)) from None
        self.router.cooldowns.succeeded(target.credential.id, target.upstream_model)
        return StreamAnswer(_relay(first, upstream, converter, response, target))

    def _all_cooling(self, pool: Pool, recovers_at: float) -> RateLimited:
        wait = max(0.0, recovers_at - self.clock())
        return RateLimited(f"Every credential serving {pool.id!r} is rate limited; retry after {wait:.0f} s.",
                           retry_after=wait)

    def _give_up(self, pool: Pool, failures: list[_Failure]) -> GatewayError:
        if failures and all(f.rate_limited for f in failures):
            now = self.clock()
            waits = [self.router.cooldowns.blocked_until(t.credential.id, t.upstream_model, now) for t in pool.targets]
            recovers_at = min((w for w in waits if w), default=now + 1.0)
            return self._all_cooling(pool, recovers_at)
        for failure in reversed(failures):
            if not failure.rate_limited:
                return failure.error
        return failures[-1].error


class _Retry(Exception):
    def __init__(self, failure: _Failure) -> None:
        self.failure = failure


async def _relay(first: list[bytes], upstream: AsyncIterator[bytes], converter: ClientStream,
                 response: httpx.Response, target: Target) -> AsyncIterator[bytes]:
    """Client bytes for a committed stream; a failure now can only end it with an error event."""
    try:
        for chunk in first:
            yield chunk
        try:
            async for data in upstream:
                for chunk in converter.feed(data):
                    yield chunk
            for chunk in converter.close():
                yield chunk
        except StreamError as exc:
            yield _error_event(_stream_error(target, exc.info))
        except TranslationError as exc:
            yield _error_event(_stream_error(target, _malformed(exc)))
        except httpx.TimeoutException:
            yield _error_event(UpstreamError(504, f"Provider {target.credential.provider.name} went silent "
                                             "mid-stream.", type="timeout_error", code="upstream_timeout"))
        except httpx.TransportError:
            yield _error_event(_broken(target).error)
        log.debug("stream done: provider=%s usage=%s", target.credential.provider.name, converter.usage)
    finally:
        await response.aclose()


def _unsupported(endpoint: str, pool: Pool, target: Target) -> GatewayError:
    provider = target.credential.provider
    if provider.dialect not in DIALECTS:
        return NotImplementedDialect(
            f"Model {pool.id!r} is served by {provider.name}, whose dialect ({provider.dialect}) has no "
            "translator in this version of llm-gateway.")
    return NotImplementedDialect(f"Model {pool.id!r} is served by {provider.name}, a {provider.dialect} upstream, "
                                 f"which has no {PUBLIC_PATHS[endpoint]} endpoint.")


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


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]
