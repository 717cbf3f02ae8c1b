"""Wiring only: builds the runtime holder, the state books, the stages and the background
loops, and answers ASGI lifespan events. Nothing lives at module level, so tests can build
two gateways in one process; time and ids are injected.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from starlette.responses import RedirectResponse

from gateway.admin.app import console_page, management_app
from gateway.admin.console_api import HealthSources
from gateway.config.models import GatewayConfig, LimitsConfig, MockEntry
from gateway.config.watcher import ConfigWatcher
from gateway.core.asgi import Receive, Scope, Send
from gateway.core.redaction import RedactingFilter
from gateway.inbound.codec import Ids
from gateway.inbound.front_door import FrontDoor
from gateway.inbound.models import ModelsEndpoint
from gateway.observe.dropped import DroppedFields
from gateway.observe.exchange import Exchange, ExchangeObserver
from gateway.observe.logs import access_log
from gateway.observe.metrics import CredentialStates, Metrics
from gateway.observe.tracing import Tracing
from gateway.observe.usage import usage_row
from gateway.observe.worker_metrics import WorkerSnapshots
from gateway.routing.failover import Failover
from gateway.routing.planner import Planner
from gateway.runtime import Runtime, RuntimeHolder
from gateway.state.breaker import CircuitBreaker
from gateway.state.cooldowns import CooldownStore
from gateway.state.limits import Limiter, MemoryLimiter, period_bounds, period_start
from gateway.state.response_store import ResponseStore
from gateway.store.ledger import Ledger
from gateway.store.managed import ManagedProviders
from gateway.store.providers import Managed
from gateway.store.secret_box import ENCRYPTION_KEY_ENV, EncryptionKeyError, SecretBox
from gateway.store.service import UsageLedger, store_url
from gateway.upstream.attempt import AttemptRunner
from gateway.upstream.client import Upstreams
from gateway.upstream.discovery import OllamaDiscovery
from gateway.upstream.mock import MockTransport
from gateway.upstream.probes import HealthProber
from gateway.upstream.transport import AiohttpTransport, Transport

if TYPE_CHECKING:
    from gateway.state.shared import SharedState

__all__ = ["Gateway", "RequestIds"]

log = logging.getLogger("gateway.app")

MANAGEMENT = "/v0/management"
CONSOLE = "/admin"
STORE_OPEN_SECONDS = 5.0


class RequestIds:
    """Request ids: a random per-process prefix and a counter. Unique across processes and
    replicas without a system call per request (os.urandom was ~2% of the CPU at c64)."""

    __slots__ = ("_prefix", "_counter")

    def __init__(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


class Gateway:
    """The ASGI app. `config_path`, when given, is watched and re-read on change or SIGHUP;
    `transports` replaces the aiohttp transport (tests)."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        new_id: Callable[[], str] | None = None,
        config_path: str | None = None,
        transports: dict[str, Transport] | None = None,
        observers: Sequence[ExchangeObserver] = (access_log,),
        metrics_dir: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.clock = clock
        self.holder = RuntimeHolder(Runtime(config, created=int(clock())))
        self.cooldowns = CooldownStore(config.cooldown)
        self.breaker = CircuitBreaker(config.circuit_breaker, degraded_ms=config.health_check.degraded_threshold_ms)
        self.planner = Planner(config.routing.strategy, self.cooldowns, self.breaker)
        self.upstreams = Upstreams()
        self.dropped = DroppedFields()
        self.draining = False
        self._log_filter = RedactingFilter(lambda: self.holder.current.redactor)
        self._tasks: set[asyncio.Future[None]] = set()
        new_id = new_id or RequestIds()
        ids = Ids(new_id=new_id, clock=clock)
        transports = transports or {
            "http": AiohttpTransport(self.upstreams),
            "mock": MockTransport(self._mock_entry, clock=clock, new_id=new_id),
        }
        self.failover = Failover(
            planner=self.planner,
            cooldowns=self.cooldowns,
            breaker=self.breaker,
            attempts=AttemptRunner(transports, clock=clock, monotonic=monotonic),
            dropped=self.dropped,
            clock=clock,
            monotonic=monotonic,
        )
        models = ModelsEndpoint(cooldowns=self.cooldowns, breaker=self.breaker, clock=clock)
        # Responses the gateway translated, for `previous_response_id` (in memory, bounded).
        self.responses = ResponseStore(clock=monotonic)
        # One registry per app (tests build several); GET /metrics serves it.
        self.registry = CollectorRegistry()
        self.metrics = Metrics(
            active_streams=lambda: self.front_door.active_streams,
            enabled=lambda: self.holder.current.config.metrics.enabled,
        )
        # Under --workers N: every worker's counts, summed at each scrape.
        self.worker_metrics = WorkerSnapshots(metrics_dir, self.metrics.snapshot) if metrics_dir else None
        if self.worker_metrics is not None:
            self.metrics.peers = self.worker_metrics.peers
        self.registry.register(self.metrics)
        self.registry.register(CredentialStates(self._credential_states))
        # Cooldowns, circuits and client keys' limits: in this process, or shared through Redis.
        redis_url = config.state.redis_url
        if redis_url is not None:
            # Imported only when configured: redis costs ~0.2 s of start-up.
            from gateway.state.shared import SharedState
        self.shared: SharedState | None = (
            SharedState(
                redis_url.get_secret_value(),
                config.state.key_prefix,
                cooldowns=self.cooldowns,
                breaker=self.breaker,
                clock=clock,
            )
            if redis_url is not None
            else None
        )
        self.limiter: Limiter = self.shared.limiter if self.shared is not None else MemoryLimiter()
        url = store_url(config.store, config_path)
        environ = os.environ if environ is None else environ
        # Providers, chains and the active model added through the management API.
        self.managed = ManagedProviders(
            url,
            SecretBox.from_value(environ.get(ENCRYPTION_KEY_ENV)),
            apply=self._apply_managed,
            interval=lambda: self.holder.current.config.store.poll_interval_seconds,
        )
        self.usage = UsageLedger(
            url,
            interval=config.store.flush_interval_seconds,
            on_open=self._seed_budgets,
        )
        # Spans over OTLP when tracing.otlp-endpoint is set (read at start).
        self.tracing = Tracing.create(config.tracing.otlp_endpoint, config.tracing.service_name)
        self.management = management_app(
            settings=lambda: self.holder.current.config.remote_management,
            usage=self.usage,
            clock=clock,
            managed=self.managed,
            runtime=lambda: self.holder.current,
            health=HealthSources(
                runtime=lambda: self.holder.current,
                cooldowns=self.cooldowns,
                breaker=self.breaker,
                last_errors=self.failover.last_errors,
                clock=clock,
            ),
        )
        self.console = console_page(lambda: self.holder.current.config.remote_management)
        self.front_door = FrontDoor(
            self.holder,
            self.failover,
            models,
            ids=ids,
            observers=(*observers, self.metrics.observe, self._settle)
            + ((self.tracing.observe,) if self.tracing is not None else ()),
            draining=lambda: self.draining,
            responses=self.responses,
            metrics=lambda: generate_latest(self.registry),
            limiter=self.limiter,
            tracing=self.tracing is not None,
            monotonic=monotonic,
        )
        self.discovery = OllamaDiscovery(
            entries=lambda: self.holder.current.config.ollama,
            known=lambda: self.holder.current.discovered,
            publish=self._use_discovered,
        )
        self.prober = HealthProber(
            settings=lambda: self.holder.current.config.health_check,
            credentials=lambda: self.holder.current.catalog.credentials,
            breaker=self.breaker,
        )
        self.watcher = (
            ConfigWatcher(config_path, settings=lambda: self.holder.current.config.reload, apply=self.apply)
            if config_path
            else None
        )

    def _settle(self, exchange: Exchange) -> None:
        """At finish: the client key's limits get the request's tokens and cost back, and the
        ledger its row."""
        limits = exchange.admitted
        if limits is not None and exchange.key_name is not None:
            usage = exchange.usage
            self.limiter.release(
                exchange.key_name,
                limits,
                tokens=usage.input + usage.output if usage else 0,
                cost_usd=exchange.cost_usd or 0.0,
                now=self.clock(),
            )
        row = usage_row(exchange)
        if row is not None:
            self.usage.add(row)

    async def _seed_budgets(self, ledger: Ledger) -> None:
        """Budgets go on from what the ledger already holds for the current period."""
        now = self.clock()
        for name, policy in self.holder.current.keys.policies.items():
            limits = policy.limits
            if limits.budget_usd is None:
                continue
            spent = await asyncio.to_thread(ledger.spend, name, period_start(limits.budget_period, now))
            if spent:
                self.limiter.seed_spend(name, period_bounds(limits.budget_period, now)[0], spent)

    def client_limits(self) -> LimitsConfig:
        """Read by the HTTP protocol at each connection (gateway.inbound.guard)."""
        return self.holder.current.config.limits

    def _credential_states(self) -> Iterator[tuple[str, str, str]]:
        """Each credential's state, for the metrics: cooling when any of its models is, else
        open_circuit when any circuit is open, else available."""
        now = self.clock()
        states: dict[tuple[str, str], str] = {}
        for pool in self.holder.current.catalog.pools.values():
            for target in pool.targets:
                credential, model = target.credential, target.upstream_model
                key = (credential.provider.name, credential.label)
                if self.cooldowns.blocked_until(credential.id, model, now):
                    states[key] = "cooling"
                elif states.get(key) != "cooling" and not self.breaker.admits(credential.id, model, now):
                    states[key] = "open_circuit"
                else:
                    states.setdefault(key, "available")
        for (provider, label), state in states.items():
            yield provider, label, state

    def _mock_entry(self, name: str) -> MockEntry | None:
        return next((entry for entry in self.holder.current.config.mock if entry.name == name), None)

    def apply(self, config: GatewayConfig) -> str:
        """Swaps in a new config.yaml (the store's providers stay laid over it); state of
        credentials it keeps survives (stable ids)."""
        return self._swap(self.holder.current.with_config(config))

    def _apply_managed(self, managed: Managed) -> None:
        """Swaps in the store's providers, chains and active model as they are now."""
        empty = not (managed.providers or managed.chains or managed.active_model)
        if empty and self.holder.current.managed is None:
            return  # nothing stored yet: the config alone serves
        summary = self._swap(self.holder.current.with_managed(managed))
        log.info("providers from the store (version %d) applied: %s", managed.version, summary)

    def _swap(self, runtime: Runtime) -> str:
        previous = self.holder.replace(runtime)
        config = runtime.config
        self.planner.strategy = config.routing.strategy
        self.cooldowns.policy = config.cooldown
        self.breaker.configure(config.circuit_breaker, degraded_ms=config.health_check.degraded_threshold_ms)
        if config.state != previous.config.state:
            log.warning("state: a change of redis-url or key-prefix applies at the next start")
        if config.ollama != previous.config.ollama:
            self._spawn(self._restart_discovery())
        # Sessions of removed entries may still carry streams: close them once those are over
        # (no exchange outlives its total timeout plus one idle wait), unless a later reload
        # brought the entry back.
        grace = (
            max((p.timeouts.total_seconds + p.timeouts.idle_seconds for p in previous.catalog.providers), default=0.0)
            + 5.0
        )
        asyncio.get_running_loop().call_later(grace, lambda: self._spawn(self._retire_sessions()))
        before, after = set(previous.catalog.pools), set(runtime.catalog.pools)
        return f"{len(after)} model id(s), {len(after - before)} added, {len(before - after)} removed"

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Runs `work` in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _retire_sessions(self) -> None:
        await self.upstreams.retire({(p.id, p.timeouts) for p in self.holder.current.catalog.providers})

    async def _restart_discovery(self) -> None:
        await self.discovery.stop()
        self.discovery.start()

    def _use_discovered(self, discovered: Mapping[str, tuple[str, ...]]) -> None:
        """Swaps in a runtime whose catalog includes models found at run time."""
        self.holder.replace(self.holder.current.with_discovered(discovered))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path.startswith(MANAGEMENT):
                await self._management(scope, receive, send)
            elif path == CONSOLE or path.startswith(CONSOLE + "/"):
                await self._console(scope, receive, send)
            else:
                await self.front_door(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await _refuse_websocket(scope, receive, send)

    async def _management(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The management app, its answers passed through the redactor like every other."""
        scope = dict(scope)
        scope["root_path"] = scope.get("root_path", "") + MANAGEMENT
        redactor = self.holder.current.redactor
        held: list[MutableMapping[str, Any]] = []

        async def redacted(message: MutableMapping[str, Any]) -> None:
            # The head waits for a whole body, whose length redaction may change.
            if message["type"].endswith(".start"):
                held.append(message)
                return
            body = redactor.bytes(message.get("body", b""))
            if held:
                head = held.pop()
                if not message.get("more_body"):
                    length = str(len(body)).encode()
                    head = {
                        **head,
                        "headers": [(k, length if k == b"content-length" else v) for k, v in head["headers"]],
                    }
                await send(head)
            await send({**message, "body": body})

        await self.management(scope, receive, redacted)

    async def _console(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The admin page's static files under /admin/ (/admin itself redirects there)."""
        if scope["path"] == CONSOLE:
            await RedirectResponse(CONSOLE + "/", 308)(scope, receive, send)
            return
        scope = dict(scope)
        scope["root_path"] = scope.get("root_path", "") + CONSOLE
        await self.console(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # The server has configured logging by now: every handler gets the redactor.
                for handler in _handlers():
                    handler.addFilter(self._log_filter)
                if self.shared is not None:
                    await self.shared.start()
                self.usage.start()
                # Open before serving when the database answers at once (SQLite, a reachable
                # PostgreSQL); else it keeps trying in the background while requests are served.
                await self.usage.first_attempt(timeout=STORE_OPEN_SECONDS)
                try:
                    await asyncio.wait_for(self.managed.open(), STORE_OPEN_SECONDS)
                except TimeoutError:
                    log.error("provider store: no answer in %.0f s; retrying in the background", STORE_OPEN_SECONDS)
                except EncryptionKeyError as exc:
                    # Nothing was written: the gateway stops here with what to do.
                    log.error("%s", exc)
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                self.managed.start()
                if self.worker_metrics is not None:
                    self.worker_metrics.start()
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
                await self.managed.aclose()
                for task in list(self._tasks):
                    task.cancel()
                await self.upstreams.aclose()
                # In-flight requests have finished (the server drained them): their rows are written.
                await self.usage.aclose()
                if self.shared is not None:
                    await self.shared.aclose()
                if self.worker_metrics is not None:
                    await self.worker_metrics.aclose()
                if self.tracing is not None:
                    await asyncio.to_thread(self.tracing.shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                for handler in _handlers():
                    handler.removeFilter(self._log_filter)
                return


async def _refuse_websocket(scope: Scope, receive: Receive, send: Send) -> None:
    """The gateway has no WebSocket transport; Codex asks for one on /v1/responses when its
    provider allows it. Measured with Codex CLI 0.169: a 426 Upgrade Required makes it fall
    back to HTTP at once (0.7 s for a whole task), where a 403, 404 or 405 costs five
    reconnects first (about 7 s)."""
    await receive()  # websocket.connect
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b'{"error":{"message":"This gateway serves /v1 over HTTP only; send the request as a POST.",'
    body += b'"type":"invalid_request_error","code":"websocket_not_supported"}}'
    await send(
        {
            "type": "websocket.http.response.start",
            "status": 426,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "websocket.http.response.body", "body": body})


def _handlers() -> list[logging.Handler]:
    """The handlers of the root logger and of uvicorn's own loggers (which do not propagate)."""
    handlers: list[logging.Handler] = []
    for name in (None, "uvicorn", "uvicorn.error", "uvicorn.access"):
        handlers += [h for h in logging.getLogger(name).handlers if h not in handlers]
    return handlers
