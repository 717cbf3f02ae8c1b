"""The ASGI application: routes, client auth, the models list, health, and the proxy routes.

`Gateway(config)` holds everything a request needs; nothing lives at module level, so tests
can build two. Per-config data (catalog, keys, the /v1/models body) is one immutable
`Runtime`; a request reads `gateway.runtime` once and keeps it to the end, so a reload is a
single attribute assignment. Cooldowns and upstream clients outlive reloads.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote

import orjson

from gateway.asgi import ClientDisconnected, Receive, Scope, Send, read_body, send_error, send_json
from gateway.auth import ClientKeys
from gateway.catalog import Catalog, Target, build_catalog
from gateway.config import GatewayConfig
from gateway.credentials import Cooldowns
from gateway.discovery import OllamaDiscovery
from gateway.health import Health
from gateway.errors import ClientError, GatewayError
from gateway.probes import HealthProber
from gateway.proxy import Answer, Proxy
from gateway.reload import ConfigWatcher
from gateway.router import Router
from gateway.upstream import Upstreams

__all__ = ["Gateway", "Runtime"]

log = logging.getLogger("gateway.app")

# endpoint -> fields a request body must carry
REQUIRED_FIELDS = {"chat": ("model", "messages"), "completions": ("model", "prompt"), "embeddings": ("model", "input")}
PROXY_ROUTES = {"/v1/chat/completions": "chat", "/v1/completions": "completions", "/v1/embeddings": "embeddings"}


class Runtime:
    """Everything derived from one config file; never mutated after construction."""

    __slots__ = ("config", "catalog", "keys", "models_body", "created", "discovered")

    def __init__(self, config: GatewayConfig, *, created: int,
                 discovered: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.config = config
        self.discovered = dict(discovered or {})
        self.catalog: Catalog = build_catalog(config, self.discovered)
        self.keys = ClientKeys(config)
        self.created = created
        self.models_body = orjson.dumps({"object": "list", "data": self.model_objects()})

    def model_objects(self) -> list[dict[str, Any]]:
        objects = [self.model_object(pool.id, pool.owned_by) for pool in self.catalog.pools.values()]
        objects += [self.model_object(name, "chain") for name in self.catalog.chains]
        return objects

    def model_object(self, model_id: str, owned_by: str) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": self.created, "owned_by": owned_by}


class Gateway:
    """`config_path`, when given, is watched and re-read on change or SIGHUP."""

    def __init__(self, config: GatewayConfig, *, clock: Callable[[], float] = time.time,
                 config_path: str | None = None) -> None:
        self.clock = clock
        self.runtime = Runtime(config, created=int(clock()))
        self.cooldowns = Cooldowns(config.cooldown)
        self.health = Health(config.circuit_breaker, degraded_ms=config.health_check.degraded_threshold_ms)
        self.router = Router(config.routing.strategy, self.cooldowns, self.health)
        self.upstreams = Upstreams()
        self.proxy = Proxy(router=self.router, upstreams=self.upstreams, clock=clock)
        self.discovery = OllamaDiscovery(self)
        self.prober = HealthProber(self)
        self.watcher = ConfigWatcher(self, config_path) if config_path else None
        self.draining = False

    def apply(self, config: GatewayConfig) -> None:
        """Swaps in a new config; state of credentials it keeps survives (stable ids)."""
        current = self.runtime
        self.runtime = Runtime(config, created=current.created, discovered=current.discovered)
        self.router.strategy = config.routing.strategy
        self.cooldowns.policy = config.cooldown
        self.health.configure(config.circuit_breaker, degraded_ms=config.health_check.degraded_threshold_ms)
        if config.ollama != current.config.ollama:
            asyncio.ensure_future(self._restart_discovery())
        # Sessions of removed entries may still carry streams: close them once those are over
        # (no exchange outlives its total timeout plus one idle wait), unless a later reload
        # brought the entry back.
        grace = max((p.timeouts.total_seconds + p.timeouts.idle_seconds for p in current.catalog.providers),
                    default=0.0) + 5.0
        asyncio.get_running_loop().call_later(grace, lambda: asyncio.ensure_future(self._retire_sessions()))

    async def _retire_sessions(self) -> None:
        await self.upstreams.retire({(p.id, p.timeouts) for p in self.runtime.catalog.providers})

    async def _restart_discovery(self) -> None:
        await self.discovery.stop()
        self.discovery.start()

    def use_discovered(self, discovered: Mapping[str, tuple[str, ...]]) -> None:
        """Swaps in a runtime whose catalog includes models found at run time."""
        current = self.runtime
        self.runtime = Runtime(current.config, created=current.created, discovered=discovered)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = self.runtime
        path: str = scope["path"]
        method: str = scope["method"]
        try:
            endpoint = PROXY_ROUTES.get(path)
            if endpoint is not None:
                _allow(method, "POST", path)
                runtime.keys.check(scope)
                await self._proxy(endpoint, runtime, scope, receive, send)
            elif path == "/v1/models" or path.startswith("/v1/models/"):
                _allow(method, "GET", path)
                runtime.keys.check(scope)
                await self._models(runtime, scope, send)
            elif path == "/healthz":
                await send_json(send, 200, b'{"status":"ok"}')
            elif path == "/readyz":
                if self.draining:
                    await send_json(send, 503, b'{"status":"draining"}')
                else:
                    await send_json(send, 200, b'{"status":"ready"}')
            else:
                raise ClientError(404, f"Unknown path {path!r}; this gateway serves /v1/chat/completions, "
                                       "/v1/completions, /v1/embeddings and /v1/models.", code="unknown_path")
        except ClientDisconnected:
            return
        except GatewayError as error:
            await send_error(send, error)

    async def _proxy(self, endpoint: str, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        raw = await read_body(scope, receive, runtime.config.max_body_bytes)
        body = _parse_body(raw, endpoint)
        stream = body.get("stream") or False
        if not isinstance(stream, bool):
            raise ClientError(400, "'stream' must be true or false.", param="stream")
        if endpoint == "embeddings":
            stream = False
        route = runtime.catalog.route(body["model"])
        retries = runtime.config.request_retry

        async def work() -> None:
            try:
                answer = await self.proxy.forward(endpoint, body, route, stream=stream, retries=retries)
            except GatewayError as error:
                await send_error(send, error)
                return
            if isinstance(answer, Answer):
                await send_json(send, answer.status, answer.body)
                return
            try:
                await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
                async for chunk in answer.chunks:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            finally:
                # Runs the relay's cleanup (closing the upstream) even if it never started.
                await answer.chunks.aclose()

        await _until_disconnect(receive, work)

    async def _models(self, runtime: Runtime, scope: Scope, send: Send) -> None:
        path: str = scope["path"]
        if path == "/v1/models" or path == "/v1/models/":
            if _flag(scope.get("query_string", b""), b"health"):
                await send_json(send, 200, orjson.dumps({"object": "list", "data": self._health(runtime)}))
            else:
                await send_json(send, 200, runtime.models_body)
            return
        # Ids may contain "/": take the raw path so an escaped slash is kept too.
        raw_path = scope.get("raw_path") or path.encode()
        model_id = unquote(raw_path.decode("latin-1").split("?", 1)[0][len("/v1/models/"):])
        pool = runtime.catalog.pools.get(model_id)
        owner = pool.owned_by if pool else ("chain" if model_id in runtime.catalog.chains else None)
        if owner is None:
            prefix, sep, rest = model_id.partition("/")
            owner = runtime.catalog.passthrough_owner(prefix) if sep and rest else None
        if owner is None:
            raise runtime.catalog.not_found(model_id)
        await send_json(send, 200, orjson.dumps(runtime.model_object(model_id, owner)))

    def _health(self, runtime: Runtime) -> list[dict[str, Any]]:
        """The models list with each target's state: healthy / degraded / down / cooling."""
        now = self.clock()
        objects = runtime.model_objects()
        for item in objects:
            pool = runtime.catalog.pools.get(item["id"])
            item["health"] = [self._target_health(t, now) for t in pool.targets] if pool else []
        return objects

    def _target_health(self, target: Target, now: float) -> dict[str, Any]:
        credential, model = target.credential.id, target.upstream_model
        cooling = self.cooldowns.blocked_until(credential, model, now)
        latency = self.health.latency(credential, model)
        return {
            "provider": target.credential.provider.name, "credential": credential, "upstream_model": model,
            "priority": target.priority, "state": self.health.status(credential, model, now),
            "cooling_for_seconds": round(cooling - now, 1) if cooling else 0,
            "latency_ms": round(latency * 1000, 1) if latency is not None else None,
            "consecutive_failures": self.health.failures(credential, model),
        }

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Everything built so far lives as long as the process: keep the collector from
                # walking it again on every full collection.
                gc.collect()
                gc.freeze()
                self.discovery.start()
                self.prober.start()
                if self.watcher is not None:
                    self.watcher.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.draining = True
                if self.watcher is not None:
                    await self.watcher.stop()
                await self.discovery.stop()
                await self.prober.stop()
                await self.upstreams.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _flag(query: bytes, name: bytes) -> bool:
    """`?name=1` / `?name=true` (not `?name=0`)."""
    for pair in query.split(b"&"):
        key, _, value = pair.partition(b"=")
        if key == name:
            return value.lower() in (b"1", b"true", b"yes", b"")
    return False


def _allow(method: str, expected: str, path: str) -> None:
    if method != expected:
        raise ClientError(405, f"{path} accepts {expected} only, not {method}.", code="method_not_allowed")


def _parse_body(raw: bytes, endpoint: str) -> dict[str, Any]:
    if not raw:
        raise ClientError(400, "The request body is empty; send a JSON object.", code="invalid_json")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ClientError(400, f"The request body is not valid JSON ({exc.args[0]}).", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ClientError(400, "The request body must be a JSON object, like {\"model\": ..., \"messages\": [...]}.",
                          code="invalid_json")
    for name in REQUIRED_FIELDS[endpoint]:
        if name not in body:
            raise ClientError(400, f"Missing required field {name!r}.", param=name, code="missing_field")
    model = body["model"]
    if not isinstance(model, str) or not model:
        raise ClientError(400, "'model' must be a non-empty string, one of the ids GET /v1/models lists.",
                          param="model")
    if endpoint == "chat" and (not isinstance(body["messages"], list) or not body["messages"]):
        raise ClientError(400, "'messages' must be a non-empty array of message objects.", param="messages")
    return body


async def _until_disconnect(receive: Receive, work: Callable[[], Awaitable[None]]) -> None:
    """Runs `work`, cancelling it (and so the upstream request) if the client disconnects.

    A plain asyncio task watches `receive()`: an anyio task group costs ten times as much per
    request, and this runs on every proxied request.
    """
    task = asyncio.current_task()
    assert task is not None
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
        pass
    finally:
        watcher.cancel()
