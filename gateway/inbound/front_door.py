"""The front door: one raw-ASGI callable for every HTTP request, a dict lookup per route.

For each request it opens the `Exchange` record (request id echoed as `x-request-id`, status,
bytes and time to first byte counted as they leave), authenticates the client key, lets the
route's codec decode the body, hands the hub request to the failover loop with the codec's
`ClientSide`, and writes the answer. The record is finished in one `finally` whatever happens:
answer, error, client disconnect or a stream cut mid-way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import CONTENT_TYPE_LATEST

from gateway.clients.policies import KeyPolicy
from gateway.core.asgi import Receive, Scope, Send
from gateway.core.errors import ClientError, GatewayError
from gateway.core.redaction import Redactor
from gateway.inbound.anthropic import AnthropicCodec, anthropic_error_body
from gateway.inbound.asgi import ClientDisconnected, header, read_body
from gateway.inbound.codec import ClientCodec, Ids
from gateway.inbound.gemini import gemini_codec, gemini_error_body
from gateway.inbound.models import ModelsEndpoint
from gateway.inbound.openai import OpenAICodec, openai_error_body
from gateway.inbound.responses import ResponsesCodec
from gateway.inbound.session import session_key
from gateway.observe.exchange import Exchange, ExchangeObserver
from gateway.observe.trace_ids import new_trace
from gateway.routing.failover import Failover, Session
from gateway.runtime import Runtime, RuntimeHolder
from gateway.state.affinity import SessionAffinity
from gateway.state.limits import Limiter
from gateway.state.response_store import ResponseStore
from gateway.upstream.answers import Answer, ClientSide

__all__ = ["FrontDoor", "codec_table"]

log = logging.getLogger("gateway.inbound")


def codec_table(responses: ResponseStore) -> dict[str, ClientCodec]:
    """Request path -> the codec that speaks it (its dialect and operation); Gemini's paths
    carry the model and are matched by `gemini_codec`."""
    codecs: dict[str, ClientCodec] = {
        path: OpenAICodec(operation, path)
        for path, operation in (
            ("/v1/chat/completions", "chat"),
            ("/v1/completions", "completions"),
            ("/v1/embeddings", "embeddings"),
        )
    }
    codecs["/v1/messages"] = AnthropicCodec("chat", "/v1/messages")
    codecs["/v1/messages/count_tokens"] = AnthropicCodec("count_tokens", "/v1/messages/count_tokens")
    codecs["/v1/responses"] = ResponsesCodec(responses)
    return codecs


PATHS = (
    "/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/messages, /v1/messages/count_tokens, "
    "/v1/responses, /v1/models and /v1beta/models/{model}:{generateContent, streamGenerateContent, "
    "countTokens, embedContent, batchEmbedContents}"
)
MAX_REQUEST_ID = 128
METRICS_TYPE = CONTENT_TYPE_LATEST.encode()


class FrontDoor:
    __slots__ = (
        "holder",
        "failover",
        "models",
        "ids",
        "monotonic",
        "observers",
        "draining",
        "codecs",
        "metrics",
        "active_streams",
        "limiter",
        "tracing",
    )

    def __init__(
        self,
        holder: RuntimeHolder,
        failover: Failover,
        models: ModelsEndpoint,
        *,
        ids: Ids,
        observers: Sequence[ExchangeObserver],
        draining: Callable[[], bool],
        responses: ResponseStore,
        metrics: Callable[[], bytes],
        limiter: Limiter,
        tracing: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limiter = limiter
        self.tracing = tracing
        self.codecs = codec_table(responses)
        self.metrics = metrics
        self.active_streams = 0
        self.holder = holder
        self.failover = failover
        self.models = models
        self.ids = ids
        self.monotonic = monotonic
        self.observers = tuple(observers)
        self.draining = draining

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = self.holder.current
        path: str = scope["path"]
        codec = self.codecs.get(path) or gemini_codec(path)
        exchange = Exchange(
            _request_id(scope) or self.ids.new_id(),
            codec.dialect if codec else "openai",
            codec.operation if codec else _endpoint(path),
            self.monotonic(),
            self.ids.clock(),
            self.observers,
            self.monotonic,
            prices=runtime.prices,
        )
        if self.tracing:
            exchange.trace = new_trace(header(scope, b"traceparent"))
        try:
            if codec is not None:
                _allow(scope["method"], codec.method, path)
                exchange.key_name = runtime.keys.check(scope)
                await self._proxy(codec, runtime, scope, receive, send, exchange)
            else:
                await self._other(runtime, path, scope, send, exchange)
        except ClientDisconnected:
            exchange.finish("client_disconnected")
        except GatewayError as error:
            exchange.error_type = error.code or error.type
            await _send_json(
                send,
                exchange,
                runtime.redactor,
                error.status,
                (codec.error_body(error) if codec else _envelope(path, scope)(error)),
                error.headers(),
            )
        except Exception:
            # A defect, not the client's or the upstream's doing: logged with its traceback
            # here, never shown to the client.
            log.exception("request %s failed unexpectedly", exchange.request_id)
            exchange.error_type = "internal_error"
            exchange.ended = "error"
            if not exchange.status:
                internal = GatewayError(
                    500,
                    f"The gateway failed on this request; its log has the details (request id {exchange.request_id}).",
                    type="server_error",
                    code="internal_error",
                )
                await _send_json(
                    send,
                    exchange,
                    runtime.redactor,
                    500,
                    codec.error_body(internal) if codec else _envelope(path, scope)(internal),
                )
        except BaseException:
            # Cancelled (server shutdown): whatever was sent, the request did not complete.
            exchange.ended = exchange.ended or "error"
            raise
        finally:
            exchange.finish("completed" if 0 < exchange.status < 400 else "error")

    async def _other(self, runtime: Runtime, path: str, scope: Scope, send: Send, exchange: Exchange) -> None:
        if path == "/v1/models" or path.startswith(("/v1/models/", "/v1beta/models")):
            _allow(scope["method"], "GET", path)
            exchange.key_name = runtime.keys.check(scope)
            policy = runtime.keys.policy(exchange.key_name)
            body = self.models.answer(runtime, scope, policy.allows if policy and policy.models else None)
            await _send_json(send, exchange, runtime.redactor, 200, body)
        elif path == "/metrics" and runtime.config.metrics.enabled:
            _allow(scope["method"], "GET", path)
            # Labels hold configured names, never keys; the redactor makes sure (once per scrape).
            body = runtime.redactor.bytes(self.metrics())
            exchange.status = 200
            head = [(b"content-type", METRICS_TYPE), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": head})
            exchange.first_byte()
            exchange.bytes_out += len(body)
            await send({"type": "http.response.body", "body": body})
        elif path == "/healthz":
            await _send_json(send, exchange, runtime.redactor, 200, b'{"status":"ok"}')
        elif path == "/readyz":
            if self.draining():
                await _send_json(send, exchange, runtime.redactor, 503, b'{"status":"draining"}')
            else:
                await _send_json(send, exchange, runtime.redactor, 200, b'{"status":"ready"}')
        else:
            raise ClientError(
                404,
                f"Unknown path {path!r}; this gateway serves {PATHS}.",
                code="unknown_path",
            )

    async def _admit(self, policy: KeyPolicy, model: str, exchange: Exchange) -> None:
        """The key's model patterns and limits; an admitted request holds its place until it finishes."""
        policy.check_model(model)
        if policy.limits.any:
            refusal = await self.limiter.admit(policy.name, policy.limits, self.ids.clock())
            if refusal is not None:
                raise policy.refused(refusal)
            exchange.admitted = policy.limits

    async def _proxy(
        self, codec: ClientCodec, runtime: Runtime, scope: Scope, receive: Receive, send: Send, exchange: Exchange
    ) -> None:
        limits = runtime.config.limits
        task = asyncio.current_task()
        assert task is not None
        raw = await read_body(
            scope,
            receive,
            runtime.config.max_body_bytes,
            idle=limits.body_idle_seconds,
            total=limits.body_timeout_seconds,
            task=task,
        )
        decoded = codec.decode(raw, scope)
        exchange.model = decoded.model
        exchange.stream = decoded.stream
        exchange.request_bytes = len(raw)
        policy = runtime.keys.policy(exchange.key_name)
        if policy is not None:
            await self._admit(policy, decoded.model, exchange)
        route = runtime.catalog.route(decoded.model)
        local = codec.local_answer(decoded, route)
        if local is not None:
            await _send_json(send, exchange, runtime.redactor, local.status, local.body, local.headers)
            return
        client = codec.client_side(decoded, self.ids, runtime.redactor)
        retries = runtime.config.request_retry
        routing = runtime.config.routing
        affinity = self.failover.affinity
        session = (
            Session(
                session_key(scope, decoded.body, exchange.key_name, affinity.session_of), routing.session_affinity_ttl
            )
            if routing.session_affinity
            else None
        )

        async def work() -> None:
            try:
                answer = await self.failover.forward(
                    codec.operation,
                    decoded.body,
                    client,
                    route,
                    stream=decoded.stream,
                    retries=retries,
                    limits=runtime.config.limits,
                    exchange=exchange,
                    session=session,
                )
            except GatewayError as error:
                exchange.error_type = error.code or error.type
                await _send_json(
                    send, exchange, runtime.redactor, error.status, codec.error_body(error), error.headers()
                )
                return
            if isinstance(answer, Answer):
                cost = exchange.cost()
                extra = None if cost is None else [(b"x-gateway-cost-usd", _usd(cost))]
                await _send_json(send, exchange, runtime.redactor, answer.status, answer.body, extra)
                if session is not None:
                    _remember_response(client, session, affinity)
                return
            self.active_streams += 1
            try:
                headers = answer.headers
                headers.append((b"x-request-id", exchange.request_id.encode()))
                exchange.status = 200
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                async for chunk in answer.chunks:
                    if not exchange.bytes_out:
                        exchange.first_byte()
                    exchange.bytes_out += len(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
                if session is not None:
                    _remember_response(client, session, affinity)
            finally:
                self.active_streams -= 1
                # Runs the relay's cleanup; a relay that never started has none, so the
                # upstream answer is also closed here (closing twice is harmless).
                await answer.chunks.aclose()  # type: ignore[attr-defined]
                answer.abandon()

        if not await _until_disconnect(receive, work, task):
            exchange.finish("client_disconnected")


async def _send_json(
    send: Send,
    exchange: Exchange,
    redactor: Redactor,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """A whole JSON answer with `x-request-id`, recorded in the Exchange as it leaves. Error
    answers are the gateway's own words (or an upstream's): they pass the redactor here."""
    if status >= 400:
        body = redactor.bytes(body)
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", exchange.request_id.encode()),
    ]
    if headers:
        head += headers
    exchange.status = status
    await send({"type": "http.response.start", "status": status, "headers": head})
    exchange.first_byte()
    exchange.bytes_out += len(body)
    await send({"type": "http.response.body", "body": body})


def _usd(cost: float) -> bytes:
    """Dollars with enough places for a one-token answer of a cheap model."""
    return f"{cost:.8f}".rstrip("0").rstrip(".").encode() if cost else b"0"


def _remember_response(client: ClientSide, session: Session, affinity: SessionAffinity) -> None:
    """A Responses answer's id joins its session, for the turn that names it next."""
    produced = getattr(client, "produced_id", None)
    if produced:
        affinity.remember(produced, session.key, session.ttl)


def _request_id(scope: Scope) -> str | None:
    """The client's `x-request-id` when it is a sane token, so logs on both sides match."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if 0 < len(value) <= MAX_REQUEST_ID and value.isascii() and all(33 <= c < 127 for c in value):
                return value.decode()
            return None
    return None


def _envelope(path: str, scope: Scope) -> Callable[[GatewayError], bytes]:
    """The error envelope for a path without a codec: the dialect its client speaks."""
    if path.startswith("/v1beta/") or header(scope, b"x-goog-api-key") is not None:
        return gemini_error_body
    if header(scope, b"anthropic-version") is not None:
        return anthropic_error_body
    return openai_error_body


def _endpoint(path: str) -> str:
    """A fixed label for paths without a codec: never the client's own string."""
    if path.startswith(("/v1/models", "/v1beta/models")):
        return "models"
    return {"/healthz": "healthz", "/readyz": "readyz", "/metrics": "metrics"}.get(path, "unknown")


def _allow(method: str, expected: str, path: str) -> None:
    if method != expected:
        raise ClientError(405, f"{path} accepts {expected} only, not {method}.", code="method_not_allowed")


async def _until_disconnect(receive: Receive, work: Callable[[], Awaitable[None]], task: asyncio.Task[None]) -> bool:
    """Runs `work`, cancelling it (and so the upstream request) if the client disconnects;
    False when the client went away first.

    A plain asyncio task watches `receive()`: an anyio task group costs ten times as much per
    request, and this runs on every proxied request.
    """
    gone = False

    async def watch() -> None:
        nonlocal gone
        while (await receive())["type"] != "http.disconnect":
            pass
        gone = True
        task.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        await work()
    except asyncio.CancelledError:
        if not gone:
            raise
        task.uncancel()
        log.debug("client disconnected; upstream request cancelled")
    except OSError:
        # uvicorn raises when writing to a closed connection: the client is gone.
        gone = True
    finally:
        watcher.cancel()
    return not gone
