"""State shared by replicas and workers through Redis: cooldowns, open circuits, key limits.

Each change the cooldown book or the breaker makes itself is written to Redis as a key with a
TTL (so a process that starts later loads it) and published on `{prefix}events` (so running
processes apply it at once; each ignores its own messages). The request path touches Redis at
most once per request (the limit script, with short socket timeouts) and not at all while Redis
is known to be down: then this process serves on its own state, one warning says so, a probe
looks for Redis about every second, and on its return one info line says so and the local state
is pushed back. A malformed message or key value is ignored (debug log).

Keys: {prefix}cooldown:{credential}:{model} and {prefix}circuit:{credential}:{model} hold the
epoch time the pair recovers and expire then. Credential ids are hex digests (no ":"), so the
model is everything after the credential; model "" is a whole credential (401/403).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gateway.state.breaker import CircuitBreaker
from gateway.state.cooldowns import CooldownStore
from gateway.state.redis_limits import OUTAGE, LuaScript, RedisLimiter

__all__ = ["SharedState"]

log = logging.getLogger("gateway.state")

try:  # redis-py 7+ asks every new connection to enable maintenance notifications: a round trip
    from redis.maint_notifications import MaintNotificationsConfig

    _CONNECTION_OPTIONS: dict[str, Any] = {"maint_notifications_config": MaintNotificationsConfig(enabled=False)}
except ImportError:
    _CONNECTION_OPTIONS = {}

# A request waits at most this long for one Redis command (connect, then read).
CONNECT_TIMEOUT = 0.25
SOCKET_TIMEOUT = 0.5
# Probes back off from the first delay to the probe interval.
FIRST_PROBE_SECONDS = 0.25
PROBE_SECONDS = 1.0
# Connecting includes loading and pushing state: bounded, so start-up never hangs on Redis.
CONNECT_BUDGET_SECONDS = 3.0
SCAN_BATCH = 500
# Anything Redis or the network can raise: an outage, or a command Redis refused.
FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError)

# KEYS: the pair's key. ARGV: until, TTL in ms, channel, message. Keeps the later time.
_MARK = LuaScript("""
local current = tonumber(redis.call('GET', KEYS[1]) or '')
if current == nil or current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 0
""")


class SharedState:
    """Connects the local books to Redis; `limiter` counts client-key limits there."""

    def __init__(
        self,
        url: str,
        prefix: str,
        *,
        cooldowns: CooldownStore,
        breaker: CircuitBreaker,
        clock: Callable[[], float] = time.time,
        probe_seconds: float = PROBE_SECONDS,
    ) -> None:
        parse_url(url)  # a malformed URL is a config error at start, not an outage
        self._url = url
        self._where = _where(url)
        self._prefix = prefix
        self._channel = f"{prefix}events"
        self.cooldowns = cooldowns
        self.breaker = breaker
        self._clock = clock
        self._probe_seconds = probe_seconds
        self._origin = uuid.uuid4().hex
        self._client: Redis | None = None
        self._pubsub: PubSub | None = None
        self._up = False
        self._down_logged = False
        self._dirty = False  # a local change was not written: push again before going up
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._listening: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._handlers: dict[str, Callable[[str, str, float], None]] = {
            "cooldown": lambda c, m, until: cooldowns.apply_cooldown(c, m, until, now=self._clock()),
            "cleared": lambda c, m, _: cooldowns.apply_cleared(c, m),
            "open": breaker.apply_opened,
            "closed": lambda c, m, _: breaker.apply_closed(c, m),
        }
        self.limiter = RedisLimiter(self, prefix)

    @property
    def available(self) -> bool:
        return self._up

    @property
    def client(self) -> Redis | None:
        return self._client if self._up else None

    async def start(self) -> None:
        """One bounded connect attempt; if Redis is not there, the probe keeps looking."""
        self.cooldowns.listener = self
        self.breaker.listener = self
        await self._connect()
        self._supervisor = asyncio.create_task(self._supervise(), name="shared-state")

    async def aclose(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        self._up = False
        await self.limiter.drain()
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._disconnect()
        if self.cooldowns.listener is self:
            self.cooldowns.listener = None
        if self.breaker.listener is self:
            self.breaker.listener = None

    def lost(self, client: Redis, error: BaseException) -> None:
        """A command found Redis gone: stop using it at once; the probe takes over."""
        if not self._up or client is not self._client:
            return
        self._up = False
        self._warn(error)
        self._lost.set()

    def _warn(self, error: BaseException) -> None:
        if not self._down_logged:
            self._down_logged = True
            reason = f"{type(error).__name__}: {error}"[:200] if str(error) else type(error).__name__
            log.warning(
                "shared state: Redis at %s unreachable (%s); serving on this process's own state until it returns",
                self._where,
                reason,
            )

    async def _supervise(self) -> None:
        delay = FIRST_PROBE_SECONDS
        while True:
            try:
                if self._up:
                    await self._lost.wait()
                    self._lost.clear()
                    await self._disconnect()
                    delay = FIRST_PROBE_SECONDS
                    continue
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._probe_seconds)
                await self._connect()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("shared state: the Redis supervisor failed; retrying")
                await asyncio.sleep(self._probe_seconds)

    async def _connect(self) -> bool:
        client = Redis.from_url(
            self._url,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=CONNECT_TIMEOUT,
            retry=Retry(NoBackoff(), 0),  # a failure is an outage to route around, not to retry inline
            **_CONNECTION_OPTIONS,
        )
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        connected = False
        try:
            async with asyncio.timeout(CONNECT_BUDGET_SECONDS):
                await client.ping()
                await pubsub.subscribe(self._channel)  # before loading, so no change falls between
                await client.script_load(_MARK.source)
                await self._load(client)
                await self._push_back(client)
            connected = True
        except FAILURES as error:
            self._warn(error)
            return False
        finally:
            if not connected:  # failed, or cancelled by aclose()
                await _quietly(pubsub.aclose())
                await _quietly(client.aclose())
        self._client, self._pubsub = client, pubsub
        self._lost.clear()
        self._up = True
        self._listening = asyncio.create_task(self._listen(client, pubsub), name="shared-state-events")
        if self._down_logged:
            self._down_logged = False
            log.info("shared state: Redis at %s is reachable again; local state pushed back", self._where)
        else:
            log.info("shared state: cooldowns, circuits and key limits in Redis at %s", self._where)
        return True

    async def _disconnect(self) -> None:
        listening, self._listening = self._listening, None
        if listening is not None:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
        pubsub, self._pubsub = self._pubsub, None
        client, self._client = self._client, None
        if pubsub is not None:
            await _quietly(pubsub.aclose())
        if client is not None:
            await _quietly(client.aclose())

    async def _load(self, client: Redis) -> None:
        """Applies the cooldowns and open circuits other processes left in Redis."""
        now = self._clock()
        for kind, event in (("cooldown", "cooldown"), ("circuit", "open")):
            head = f"{self._prefix}{kind}:"
            keys = [key async for key in client.scan_iter(match=_glob_escape(head) + "*", count=SCAN_BATCH)]
            for start in range(0, len(keys), SCAN_BATCH):
                chunk = keys[start : start + SCAN_BATCH]
                for key, value in zip(chunk, await client.mget(chunk), strict=True):
                    self._load_one(head, key, value, event, now)

    def _load_one(self, head: str, key: bytes, value: bytes | str | None, event: str, now: float) -> None:
        try:
            credential, model = key.decode()[len(head) :].split(":", 1)
            until = float(value) if value is not None else math.nan
        except (UnicodeDecodeError, ValueError):
            log.debug("shared state: ignored malformed key %r = %r", key, value)
            return
        if not math.isfinite(until):
            log.debug("shared state: ignored malformed key %r = %r", key, value)
        elif until > now:
            self._handlers[event](credential, model, until)

    async def _push_back(self, client: Redis) -> None:
        """Writes what changed here while Redis was away; again if more changed meanwhile, so that
        nothing falls between the last push and going up (no await in between)."""
        for _ in range(3):
            self._dirty = False
            await self._push(client)
            await self.limiter.resync(client, self._clock())
            if not self._dirty and not self.limiter.pending:
                return

    async def _push(self, client: Redis) -> None:
        """Writes and announces local cooldowns and open circuits (Redis keeps the later time)."""
        now = self._clock()
        marks = [("cooldown", "cooldown", *entry) for entry in self.cooldowns.cooling(now)]
        marks += [("circuit", "open", *entry) for entry in self.breaker.open_circuits(now)]
        if marks:
            async with client.pipeline(transaction=False) as pipe:
                for kind, event, credential, model, until in marks:
                    keys, args = self._mark_call(kind, event, credential, model, until, now)
                    pipe.evalsha(_MARK.sha, len(keys), *keys, *args)
                await pipe.execute()

    def _mark_call(
        self, kind: str, event: str, credential: str, model: str, until: float, now: float
    ) -> tuple[list[str], list[str | int]]:
        ttl_ms = max(int((until - now) * 1000), 1)
        message = self._message(event, credential, model, until)
        return [f"{self._prefix}{kind}:{credential}:{model}"], [repr(until), ttl_ms, self._channel, message]

    def _message(self, event: str, credential: str, model: str, until: float | None = None) -> str:
        body: dict[str, Any] = {"from": self._origin, "event": event, "credential": credential, "model": model}
        if until is not None:
            body["until"] = until
        return orjson.dumps(body).decode()

    async def _listen(self, client: Redis, pubsub: PubSub) -> None:
        try:
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None and message.get("type") == "message":
                    self._receive(message.get("data"))
        except FAILURES as error:
            self.lost(client, error)

    def _receive(self, data: Any) -> None:
        try:
            event = orjson.loads(data)
        except (orjson.JSONDecodeError, TypeError):
            event = None
        if not isinstance(event, dict):
            log.debug("shared state: ignored malformed event %r", data)
            return
        if event.get("from") == self._origin:
            return
        kind, credential, model = event.get("event"), event.get("credential"), event.get("model")
        apply = self._handlers.get(kind) if isinstance(kind, str) else None
        until = event.get("until", 0.0 if kind in ("cleared", "closed") else None)
        if apply is None or not isinstance(credential, str) or not isinstance(model, str) or not _is_time(until):
            log.debug("shared state: ignored malformed event %r", data)
            return
        apply(credential, model, until)

    # The listener protocol (gateway.state.listener): this process's own changes.

    def cooldown_set(self, credential: str, model: str, until: float) -> None:
        self._mark("cooldown", "cooldown", credential, model, until)

    def circuit_opened(self, credential: str, model: str, open_until: float) -> None:
        self._mark("circuit", "open", credential, model, open_until)

    def cooldown_cleared(self, credential: str, model: str) -> None:
        message = self._message("cleared", credential, model)
        self._send(lambda client: client.publish(self._channel, message))

    def circuit_closed(self, credential: str, model: str) -> None:
        key, message = f"{self._prefix}circuit:{credential}:{model}", self._message("closed", credential, model)

        async def close(client: Redis) -> None:
            async with client.pipeline(transaction=False) as pipe:
                pipe.delete(key)
                pipe.publish(self._channel, message)
                await pipe.execute()

        self._send(close)

    def _mark(self, kind: str, event: str, credential: str, model: str, until: float) -> None:
        now = self._clock()
        if until > now:
            keys, args = self._mark_call(kind, event, credential, model, until, now)
            self._send(lambda client: _MARK(client, keys, args))

    def _send(self, write: Callable[[Redis], Awaitable[Any]]) -> None:
        """Fire and forget; while Redis is down the change waits for the push on its return."""
        client = self.client
        if client is None:
            self._dirty = True
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._write(client, write))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, client: Redis, write: Callable[[Redis], Awaitable[Any]]) -> None:
        try:
            await write(client)
        except OUTAGE as error:
            self.lost(client, error)
        except RedisError as error:
            log.debug("shared state: Redis refused a write: %s", error)


def _where(url: str) -> str:
    """host:port (or the socket path) for log lines: never the user or password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    host = parts.hostname or "localhost"
    host = f"[{host}]" if ":" in host else host
    try:
        port = parts.port or 6379
    except ValueError:
        port = 6379
    return f"{host}:{port}"


def _glob_escape(text: str) -> str:
    """`text` as a literal in a SCAN MATCH pattern (a prefix may hold glob characters)."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


def _is_time(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


async def _quietly(closing: Awaitable[Any]) -> None:
    """Closing a connection to a Redis that is gone may fail; it is closed either way."""
    with contextlib.suppress(*FAILURES):
        await closing
