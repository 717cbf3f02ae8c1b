"""RedisLimiter against the real Redis: one limit shared by limiters on separate connections."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.state.limits import KeyLimits, period_bounds
from gateway.state.redis_limits import RedisLimiter
from tests.state.local_redis import connect, limit_of


class Direct:
    """A holder that always hands out one client (or none, to play an outage)."""

    def __init__(self, client: Redis | None) -> None:
        self.client = client
        self.losses: list[BaseException] = []

    def lost(self, client: Redis, error: BaseException) -> None:
        self.losses.append(error)


@pytest.fixture
async def clients() -> AsyncIterator[tuple[Redis, Redis]]:
    first, second = connect(), connect()
    try:
        yield first, second
    finally:
        await first.aclose()
        await second.aclose()


@pytest.fixture
def limiters(clients: tuple[Redis, Redis], prefix: str) -> tuple[RedisLimiter, RedisLimiter]:
    return RedisLimiter(Direct(clients[0]), prefix), RedisLimiter(Direct(clients[1]), prefix)


async def test_two_limiters_on_separate_connections_admit_exactly_rpm_between_them(limiters, redis, prefix):
    first, second = limiters
    rpm = 10
    limits = KeyLimits(rpm=rpm)
    now = time.time()
    async with asyncio.timeout(10):
        verdicts = await asyncio.gather(
            *((first if i % 2 else second).admit("team-a", limits, now + i * 0.001) for i in range(3 * rpm))
        )
    assert sum(v is None for v in verdicts) == rpm
    refusals = [v for v in verdicts if v is not None]
    assert {r.limit for r in refusals} == {"rpm"}
    assert all(0 < r.retry_after <= 60.1 for r in refusals)  # calls carry slightly different times
    assert await redis.zcard(f"{prefix}rpm:team-a") == rpm
    assert 0 < await redis.pttl(f"{prefix}rpm:team-a") <= 120_000


async def test_rpm_window_slides_sixty_seconds_after_each_admission(limiters):
    first, second = limiters
    limits = KeyLimits(rpm=2)
    now = time.time()
    assert await first.admit("k", limits, now) is None
    assert await second.admit("k", limits, now + 10) is None
    refusal = await first.admit("k", limits, now + 20)
    assert refusal is not None and refusal.limit == "rpm" and refusal.value == 2
    assert refusal.retry_after == pytest.approx(40, abs=0.01)
    assert await second.admit("k", limits, now + 60) is None  # the first admission has left the window
    assert limit_of(await first.admit("k", limits, now + 61)) == "rpm"


async def test_tokens_released_by_one_limiter_count_against_tpm_in_the_other_for_a_minute(limiters):
    first, second = limiters
    limits = KeyLimits(tpm=100)
    now = time.time()
    assert await first.admit("k", limits, now) is None
    first.release("k", limits, tokens=60, cost_usd=0.0, now=now)
    first.release("k", limits, tokens=50, cost_usd=0.0, now=now + 5)
    await first.drain()
    refusal = await second.admit("k", limits, now + 10)
    assert refusal is not None and refusal.limit == "tpm" and refusal.value == 100
    # Dropping the first 60 tokens brings the minute under the limit: they count, to the second, until then.
    assert refusal.retry_after == pytest.approx(int(now) + 61 - (now + 10), abs=0.01)
    assert await second.admit("k", limits, int(now) + 61.0) is None
    assert await second.admit("k", limits, int(now) + 66.0) is None


async def test_max_concurrent_is_shared_and_a_release_frees_the_slot_for_the_other(limiters, redis, prefix):
    first, second = limiters
    limits = KeyLimits(max_concurrent=2)
    now = time.time()
    assert await first.admit("k", limits, now) is None
    assert await second.admit("k", limits, now) is None
    refusal = await first.admit("k", limits, now)
    assert refusal is not None and (refusal.limit, refusal.value, refusal.retry_after) == ("max-concurrent", 2, 1.0)
    assert 0 < await redis.ttl(f"{prefix}concurrent:k") <= 900
    first.release("k", limits, tokens=0, cost_usd=0.0, now=now + 1)
    await first.drain()
    assert await second.admit("k", limits, now + 1) is None
    assert limit_of(await first.admit("k", limits, now + 1)) == "max-concurrent"


async def test_a_slot_left_by_a_crashed_process_stops_counting_after_fifteen_minutes(limiters):
    first, second = limiters
    limits = KeyLimits(max_concurrent=1)
    now = time.time()
    assert await first.admit("k", limits, now) is None  # never released
    assert limit_of(await second.admit("k", limits, now + 60)) == "max-concurrent"
    assert await second.admit("k", limits, now + 901) is None


async def test_budget_spent_through_one_limiter_refuses_the_other_until_the_period_ends(limiters, redis, prefix):
    first, second = limiters
    limits = KeyLimits(budget_usd=1.0, budget_period="day")
    now = time.time()
    period, ends = period_bounds("day", now)
    assert await first.admit("k", limits, now) is None
    first.release("k", limits, tokens=0, cost_usd=0.6, now=now)
    first.release("k", limits, tokens=0, cost_usd=0.4, now=now)
    await first.drain()
    refusal = await second.admit("k", limits, now + 1)
    assert refusal is not None and (refusal.limit, refusal.value) == ("budget", 1.0)
    assert refusal.retry_after == pytest.approx(max(ends - (now + 1), 1.0), abs=0.01)
    key = f"{prefix}spend:k:{period}"
    assert float(await redis.get(key)) == pytest.approx(1.0)
    assert await redis.ttl(key) == pytest.approx(ends + 86_400 - time.time(), abs=5)


async def test_seeded_spend_is_set_only_once_so_a_second_replica_does_not_double_it(limiters, redis, prefix):
    first, second = limiters
    now = time.time()
    period, _ = period_bounds("month", now)
    first.seed_spend("k", period, 0.5)
    await first.drain()
    second.seed_spend("k", period, 0.5)
    await second.drain()
    assert float(await redis.get(f"{prefix}spend:k:{period}")) == 0.5
    limits = KeyLimits(budget_usd=0.7)
    assert await second.admit("k", limits, now) is None
    second.release("k", limits, tokens=0, cost_usd=0.25, now=now)
    await second.drain()
    assert limit_of(await first.admit("k", limits, now + 1)) == "budget"


async def test_while_redis_is_down_limits_hold_in_the_process_and_its_counts_are_pushed_on_return(
    clients, redis, prefix
):
    holder = Direct(None)
    limiter = RedisLimiter(holder, prefix)
    limits = KeyLimits(rpm=2, tpm=1000, max_concurrent=5, budget_usd=1.0, budget_period="day")
    now = time.time()
    period, _ = period_bounds("day", now)
    limiter.seed_spend("k", period, 0.5)
    assert await limiter.admit("k", limits, now) is None
    assert await limiter.admit("k", limits, now + 1) is None
    assert limit_of(await limiter.admit("k", limits, now + 2)) == "rpm"
    limiter.release("k", limits, tokens=300, cost_usd=0.25, now=now + 3)
    limiter.release("k", limits, tokens=0, cost_usd=0.25, now=now + 3)
    assert limit_of(await limiter.admit("k", limits, now + 70)) == "budget"  # 0.5 seeded + 0.5 spent here
    await limiter.resync(clients[0], now + 4)
    assert await redis.zcard(f"{prefix}rpm:k") == 2
    assert int((await redis.hgetall(f"{prefix}tpm:k"))[str(int(now + 3)).encode()]) == 300
    assert float(await redis.get(f"{prefix}spend:k:{period}")) == pytest.approx(1.0)
    assert await redis.zcard(f"{prefix}concurrent:k") == 0  # slots taken locally stay local
    holder.client = clients[0]
    assert limit_of(await limiter.admit("k", limits, now + 5)) == "budget"
    assert holder.losses == []
