"""Per-client-key limits kept in Redis, so that replicas and workers enforce one limit.

`admit` is one Lua script (one round trip) that checks, in MemoryLimiter's order, budget, tpm,
rpm and max-concurrent, and counts the request only when all pass. `release` never waits: the
settlements of the next few milliseconds go in one pipeline (measured in bench/inprocess.py: a
pipeline per request cost 130 us of CPU per request in redis-py, half the Redis variant's extra).
While Redis is down (the holder hands out no client) both fall back to a MemoryLimiter, and
what was counted locally is pushed to Redis by `resync` when it returns. Meanwhile a budget
holds against the spend last seen in Redis plus this process's own; a slot is returned to
whichever side took it.

Times are the `now` passed in, not the Redis server's clock: processes sharing a Redis share
wall-clock time (one host, or NTP). Keys, all with a TTL:
    {prefix}rpm:{key}            sorted set, one member per admission, score = time; 120 s
    {prefix}tpm:{key}            hash, tokens finished per whole second; 120 s
    {prefix}concurrent:{key}     sorted set of slots held, score = admission time; 15 min
    {prefix}spend:{key}:{period} USD spent in the budget period; until the period ends + 1 day
A slot older than 15 minutes no longer counts, so a process that crashed holds none for long.
`key` is the client key's name, never its secret: it appears in Redis key names.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ReadOnlyError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.state.limits import WINDOW, KeyLimits, MemoryLimiter, Refusal, period_bounds

__all__ = ["OUTAGE", "LuaScript", "RedisHolder", "RedisLimiter"]

log = logging.getLogger("gateway.state")

# Errors that mean Redis cannot be used now (as opposed to a command it refused).
OUTAGE: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError)
WINDOW_TTL_MS = 120_000
SLOT_SECONDS = 900.0
DAY = 86_400
_ONE_SLOT = KeyLimits(max_concurrent=1)

# KEYS: spend, tpm, rpm, concurrent. ARGV: now, budget, tpm, rpm, max-concurrent (each "" when
# unset), period end, window cutoff (now - 60), slot cutoff, member. Returns {limit or "",
# retry-after, spend}, as strings: Redis truncates Lua numbers to integers.
_ADMIT = """
local now = tonumber(ARGV[1])
local budget, tpm, rpm, slots = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local cutoff = tonumber(ARGV[7])
local spent = 0
if budget then
  spent = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
  if spent >= budget then
    return {'budget', tostring(math.max(tonumber(ARGV[6]) - now, 1)), tostring(spent)}
  end
end
if tpm then
  -- A second's bucket counts until its last instant leaves the window: never less than exact.
  local fields, live, stale, sum = redis.call('HGETALL', KEYS[2]), {}, {}, 0
  for i = 1, #fields, 2 do
    local second = tonumber(fields[i])
    if second == nil or second + 1 <= cutoff then
      stale[#stale + 1] = fields[i]
    else
      local tokens = tonumber(fields[i + 1]) or 0
      sum = sum + tokens
      live[#live + 1] = {second, tokens}
    end
  end
  if #stale > 0 then redis.call('HDEL', KEYS[2], unpack(stale)) end
  if sum >= tpm then
    table.sort(live, function(a, b) return a[1] < b[1] end)
    local excess, wait = sum - tpm, 60
    for _, bucket in ipairs(live) do
      excess = excess - bucket[2]
      if excess < 0 then
        wait = math.max(bucket[1] + 1 + 60 - now, 0.001)
        break
      end
    end
    return {'tpm', tostring(wait), tostring(spent)}
  end
end
if rpm then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[7])
  if redis.call('ZCARD', KEYS[3]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    return {'rpm', tostring(math.max(tonumber(oldest[2]) + 60 - now, 0.001)), tostring(spent)}
  end
end
if slots then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[8])
  if redis.call('ZCARD', KEYS[4]) >= slots then
    return {'max-concurrent', '1', tostring(spent)}
  end
end
if rpm then
  redis.call('ZADD', KEYS[3], ARGV[1], ARGV[9])
  redis.call('PEXPIRE', KEYS[3], 120000)
end
if slots then
  redis.call('ZADD', KEYS[4], ARGV[1], ARGV[9])
  redis.call('EXPIRE', KEYS[4], 900)
end
return {'', '0', tostring(spent)}
"""


class RedisHolder(Protocol):
    """Hands out the client while Redis is reachable and hears when a command found it gone."""

    @property
    def client(self) -> Redis | None:
        """None while Redis is known to be down: callers then must not touch it."""
        ...

    def lost(self, client: Redis, error: BaseException) -> None: ...


class LuaScript:
    """A script run by digest (EVALSHA); sent whole (EVAL) only when the server lacks it."""

    __slots__ = ("source", "sha")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, client: Redis, keys: Sequence[str], args: Sequence[str | int | float]) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await client.eval(self.source, len(keys), *keys, *args)


ADMIT = LuaScript(_ADMIT)
# Settlements wait at most this long, or for this many more, to share one pipeline.
SETTLE_DELAY = 0.005
SETTLE_BATCH = 256
# key, limits, slot to return, tokens, cost, time
_Settlement = tuple[str, KeyLimits, str | None, int, float, float]


@dataclass(slots=True)
class _Pending:
    """What was counted locally while Redis was down, to push when it returns."""

    seeds: dict[tuple[str, str], float] = field(default_factory=dict)
    spend: dict[tuple[str, str], float] = field(default_factory=dict)
    tokens: dict[str, dict[int, int]] = field(default_factory=dict)  # key -> second -> tokens
    requests: dict[str, deque[tuple[float, str]]] = field(default_factory=dict)  # key -> (time, member)
    slots: list[tuple[str, str]] = field(default_factory=list)  # (key, member) to remove

    @property
    def empty(self) -> bool:
        return not (self.seeds or self.spend or self.tokens or self.requests or self.slots)

    def merge(self, other: _Pending) -> None:
        for (key, period), usd in other.seeds.items():
            self.seeds[(key, period)] = self.seeds.get((key, period), 0.0) + usd
        for (key, period), usd in other.spend.items():
            self.spend[(key, period)] = self.spend.get((key, period), 0.0) + usd
        for key, seconds in other.tokens.items():
            mine = self.tokens.setdefault(key, {})
            for second, tokens in seconds.items():
                mine[second] = mine.get(second, 0) + tokens
        for key, stamps in other.requests.items():
            self.requests[key] = deque(sorted([*stamps, *self.requests.get(key, ())]))
        self.slots += other.slots


class RedisLimiter:
    """The Limiter protocol over Redis; falls back to this process's counts while Redis is down."""

    def __init__(self, holder: RedisHolder, prefix: str) -> None:
        self._holder = holder
        self._prefix = prefix
        self._memory = MemoryLimiter()
        self._origin = uuid.uuid4().hex[:12]
        self._ids = itertools.count()
        self._slots: dict[str, list[str]] = {}  # key -> members of the Redis slots this process holds
        self._memory_slots: dict[str, int] = {}  # key -> slots held in the local fallback
        self._known_spend: dict[str, tuple[str, float]] = {}  # key -> (period, spend last seen in Redis)
        self._pending = _Pending()
        self._tasks: set[asyncio.Task[None]] = set()
        self._script_failed = False
        self._settling: list[_Settlement] = []
        self._settle_timer: asyncio.TimerHandle | None = None

    def _key(self, kind: str, key: str) -> str:
        return f"{self._prefix}{kind}:{key}"

    async def admit(self, key: str, limits: KeyLimits, now: float) -> Refusal | None:
        if not limits.any:
            return None
        client = self._holder.client
        member = f"{self._origin}:{next(self._ids)}"
        if client is None:
            return self._admit_locally(key, limits, now, member)
        period, ends = period_bounds(limits.budget_period, now) if limits.budget_usd is not None else ("", now)
        keys = (
            self._key("spend", f"{key}:{period}"),
            self._key("tpm", key),
            self._key("rpm", key),
            self._key("concurrent", key),
        )
        args = (
            repr(now),
            _arg(limits.budget_usd),
            _arg(limits.tpm),
            _arg(limits.rpm),
            _arg(limits.max_concurrent),
            repr(ends),
            repr(now - WINDOW),
            repr(now - SLOT_SECONDS),
            member,
        )
        try:
            limit, retry_after, spent = await ADMIT(client, keys, args)
        except OUTAGE as error:
            self._holder.lost(client, error)
            if limits.max_concurrent is not None:
                self._pending.slots.append((key, member))  # the script may have run before the loss
            return self._admit_locally(key, limits, now, member)
        except RedisError:
            self._script_broke()
            return self._admit_locally(key, limits, now, member)
        except asyncio.CancelledError:
            if limits.max_concurrent is not None:  # the script may have taken a slot nobody will return
                self._queue((key, limits, member, 0, 0.0, now))
            raise
        if limits.budget_usd is not None:
            self._known_spend[key] = (period, float(spent))
        if limit:
            name = limit.decode() if isinstance(limit, bytes) else str(limit)
            return Refusal(name, _configured(limits, name), float(retry_after))
        if limits.max_concurrent is not None:
            self._slots.setdefault(key, []).append(member)
        return None

    def _script_broke(self) -> None:
        """Redis refused the script (not an outage): worth one error line, not one per request."""
        if not self._script_failed:
            self._script_failed = True
            log.exception("shared limits: Redis refused a limit command; counting in this process meanwhile")

    def _admit_locally(self, key: str, limits: KeyLimits, now: float, member: str) -> Refusal | None:
        if limits.budget_usd is not None:
            period, ends = period_bounds(limits.budget_period, now)
            if self._spent(key, period) >= limits.budget_usd:
                return Refusal("budget", limits.budget_usd, max(ends - now, 1.0))
            limits = replace(limits, budget_usd=None)  # spend is tracked here, against Redis's last count
        refusal = self._memory.admit_now(key, limits, now)
        if refusal is None:
            if limits.rpm is not None:
                stamps = self._pending.requests.setdefault(key, deque())
                while stamps and stamps[0][0] <= now - WINDOW:
                    stamps.popleft()
                stamps.append((now, member))
            if limits.max_concurrent is not None:
                self._memory_slots[key] = self._memory_slots.get(key, 0) + 1
        return refusal

    def _spent(self, key: str, period: str) -> float:
        known = self._known_spend.get(key)
        base = known[1] if known is not None and known[0] == period else 0.0
        return base + self._pending.spend.get((key, period), 0.0)

    def release(self, key: str, limits: KeyLimits, *, tokens: int, cost_usd: float, now: float) -> None:
        slot = self._return_slot(key, now) if limits.max_concurrent is not None else None
        tokens = tokens if limits.tpm is not None and tokens > 0 else 0
        cost = cost_usd if limits.budget_usd is not None and cost_usd > 0 else 0.0
        if slot is None and not tokens and not cost:
            return
        if self._holder.client is None:
            self._settle_locally(key, limits, slot, tokens, cost, now)
        else:
            self._queue((key, limits, slot, tokens, cost, now))

    def _queue(self, settlement: _Settlement) -> None:
        self._settling.append(settlement)
        if len(self._settling) >= SETTLE_BATCH:
            self._flush_settling()
        elif self._settle_timer is None:
            self._settle_timer = asyncio.get_running_loop().call_later(SETTLE_DELAY, self._flush_settling)

    def _flush_settling(self) -> None:
        if self._settle_timer is not None:
            self._settle_timer.cancel()
            self._settle_timer = None
        batch, self._settling = self._settling, []
        if not batch:
            return
        client = self._holder.client
        if client is None:
            for settlement in batch:
                self._settle_locally(*settlement)
        else:
            self._spawn(self._settle(client, batch))

    def _return_slot(self, key: str, now: float) -> str | None:
        """Frees a local slot if this process holds one for `key`, else hands back a Redis slot's member."""
        held = self._memory_slots.get(key, 0)
        if held:
            if held == 1:
                del self._memory_slots[key]
            else:
                self._memory_slots[key] = held - 1
            self._memory.release(key, _ONE_SLOT, tokens=0, cost_usd=0.0, now=now)
            return None
        members = self._slots.get(key)
        if not members:
            return None
        member = members.pop()
        if not members:
            del self._slots[key]
        return member

    async def _settle(self, client: Redis, batch: list[_Settlement]) -> None:
        try:
            async with client.pipeline(transaction=False) as pipe:
                for key, limits, slot, tokens, cost, now in batch:
                    if slot is not None:
                        pipe.zrem(self._key("concurrent", key), slot)
                    if tokens:
                        pipe.hincrby(self._key("tpm", key), str(int(now)), tokens)
                        pipe.pexpire(self._key("tpm", key), WINDOW_TTL_MS)
                    if cost:
                        period, ends = period_bounds(limits.budget_period, now)
                        pipe.incrbyfloat(self._key("spend", f"{key}:{period}"), cost)
                        pipe.expireat(self._key("spend", f"{key}:{period}"), int(ends) + DAY)
                await pipe.execute()
        except OUTAGE as error:
            self._holder.lost(client, error)
            for settlement in batch:
                self._settle_locally(*settlement)
        except RedisError:
            self._script_broke()

    def _settle_locally(
        self, key: str, limits: KeyLimits, slot: str | None, tokens: int, cost: float, now: float
    ) -> None:
        pending = self._pending
        if slot is not None:
            pending.slots.append((key, slot))
        if tokens:
            self._memory.release(key, KeyLimits(tpm=limits.tpm), tokens=tokens, cost_usd=0.0, now=now)
            seconds = pending.tokens.setdefault(key, {})
            if len(seconds) > 2 * WINDOW:
                pending.tokens[key] = seconds = {s: n for s, n in seconds.items() if s + 1 > now - WINDOW}
            seconds[int(now)] = seconds.get(int(now), 0) + tokens
        if cost:
            period, _ = period_bounds(limits.budget_period, now)
            pending.spend[(key, period)] = pending.spend.get((key, period), 0.0) + cost

    def seed_spend(self, key: str, period: str, usd: float) -> None:
        known = self._known_spend.get(key)
        base = known[1] if known is not None and known[0] == period else 0.0
        self._known_spend[key] = (period, base + usd)
        client = self._holder.client
        if client is None:
            self._pending.seeds[(key, period)] = self._pending.seeds.get((key, period), 0.0) + usd
        else:
            self._spawn(self._seed(client, key, period, usd))

    async def _seed(self, client: Redis, key: str, period: str, usd: float) -> None:
        try:
            # NX: another replica may have seeded it from the same ledger, or counted since.
            await client.set(self._key("spend", f"{key}:{period}"), repr(usd), nx=True, exat=_period_end(period) + DAY)
        except OUTAGE as error:
            self._holder.lost(client, error)
            self._pending.seeds[(key, period)] = self._pending.seeds.get((key, period), 0.0) + usd
        except RedisError:
            self._script_broke()

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> bool:
        """Counted here while Redis was down and not pushed yet."""
        return not self._pending.empty

    async def resync(self, client: Redis, now: float) -> None:
        """Redis is back: loads the script and pushes what was counted here meanwhile (one pipeline)."""
        await client.script_load(ADMIT.source)
        pending, self._pending = self._pending, _Pending()
        if pending.empty:
            return
        try:
            async with client.pipeline(transaction=False) as pipe:
                self._queue_pending(pipe, pending, now)
                await pipe.execute()
        except BaseException:
            self._pending.merge(pending)
            raise
        for (key, period), usd in pending.spend.items():
            known = self._known_spend.get(key)
            if known is not None and known[0] == period:
                self._known_spend[key] = (period, known[1] + usd)

    def _queue_pending(self, pipe: Any, pending: _Pending, now: float) -> None:
        for (key, period), usd in pending.seeds.items():
            pipe.set(self._key("spend", f"{key}:{period}"), repr(usd), nx=True, exat=_period_end(period) + DAY)
        for (key, period), usd in pending.spend.items():
            pipe.incrbyfloat(self._key("spend", f"{key}:{period}"), usd)
            pipe.expireat(self._key("spend", f"{key}:{period}"), _period_end(period) + DAY)
        for key, seconds in pending.tokens.items():
            fresh = {second: tokens for second, tokens in seconds.items() if second + 1 > now - WINDOW}
            for second, tokens in fresh.items():
                pipe.hincrby(self._key("tpm", key), str(second), tokens)
            if fresh:
                pipe.pexpire(self._key("tpm", key), WINDOW_TTL_MS)
        for key, stamps in pending.requests.items():
            members = {member: stamp for stamp, member in stamps if stamp > now - WINDOW}
            if members:
                pipe.zadd(self._key("rpm", key), members)
                pipe.pexpire(self._key("rpm", key), WINDOW_TTL_MS)
        for key, member in pending.slots:
            pipe.zrem(self._key("concurrent", key), member)

    async def drain(self) -> None:
        """Sends the settlements queued and waits for those and the seeds in flight (each bounded
        by the client's socket timeout)."""
        self._flush_settling()
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _arg(value: float | None) -> str:
    return "" if value is None else repr(value)


def _configured(limits: KeyLimits, name: str) -> float:
    values = {
        "budget": limits.budget_usd,
        "tpm": limits.tpm,
        "rpm": limits.rpm,
        "max-concurrent": limits.max_concurrent,
    }
    return float(values.get(name) or 0.0)


def _period_end(period: str) -> int:
    """When the budget period with id "2026-12" (month) or "2026-12-06" (day) ends, epoch seconds."""
    kind, pattern = ("day", "%Y-%m-%d") if len(period) == 10 else ("month", "%Y-%m")
    try:
        start = datetime.strptime(period, pattern).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return int(datetime.now(UTC).timestamp()) + 32 * DAY
    return int(period_bounds(kind, start)[1])
