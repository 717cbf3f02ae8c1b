"""SharedState against the real Redis: cooldowns and circuits reach other processes, and an
outage degrades to local state with one warning and one info line."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from gateway.config.models import CircuitBreakerConfig, CooldownConfig
from gateway.state.breaker import CircuitBreaker
from gateway.state.cooldowns import CooldownStore
from gateway.state.limits import KeyLimits
from gateway.state.shared import SharedState
from tests.state.local_redis import REDIS_URL, address, limit_of, through
from tests.state.tcp_proxy import TcpProxy

CREDENTIAL = "0123456789ab"


@pytest.fixture
async def open_state(prefix: str) -> AsyncIterator[Callable[..., Awaitable[SharedState]]]:
    """Starts SharedStates (each as one process would) and closes them all afterwards."""
    states: list[SharedState] = []

    async def start(url: str = REDIS_URL, probe_seconds: float = 1.0) -> SharedState:
        # A fresh cooldown book and breaker, as one process holds them.
        cooldowns = CooldownStore(CooldownConfig())
        breaker = CircuitBreaker(CircuitBreakerConfig(failure_threshold=2, cool_off_seconds=30), degraded_ms=1000)
        state = SharedState(url, prefix, cooldowns=cooldowns, breaker=breaker, probe_seconds=probe_seconds)
        states.append(state)
        async with asyncio.timeout(5):
            await state.start()
        return state

    try:
        yield start
    finally:
        for state in states:
            await state.aclose()


async def eventually(check: Callable[[], bool], seconds: float = 2.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.01)


def state_records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gateway.state" and r.levelno == level]


async def test_a_cooldown_reaches_a_running_process_at_once_and_one_started_later_loads_it(open_state, redis, prefix):
    first, second = await open_state(), await open_state()
    now = time.time()
    until = first.cooldowns.rate_limited(CREDENTIAL, "gpt-4o", retry_after=30.0, now=now)
    first.cooldowns.auth_failed("fedcba987654", now=now)
    await eventually(lambda: second.cooldowns.blocked_until(CREDENTIAL, "gpt-4o", time.time()) == until)
    await eventually(lambda: second.cooldowns.blocked_until("fedcba987654", "any-model", time.time()) > 0)
    assert float(await redis.get(f"{prefix}cooldown:{CREDENTIAL}:gpt-4o")) == until
    assert 0 < await redis.pttl(f"{prefix}cooldown:{CREDENTIAL}:gpt-4o") <= 30_000
    later = await open_state()
    assert later.cooldowns.blocked_until(CREDENTIAL, "gpt-4o", time.time()) == until
    assert later.cooldowns.blocked_until("fedcba987654", "other", time.time()) > 0


async def test_a_model_name_with_colons_survives_the_key_round_trip(open_state):
    first = await open_state()
    until = first.cooldowns.rate_limited(CREDENTIAL, "llama3:8b:q4", retry_after=30.0, now=time.time())
    await asyncio.sleep(0.1)
    later = await open_state()
    assert later.cooldowns.blocked_until(CREDENTIAL, "llama3:8b:q4", time.time()) == until


async def test_a_success_elsewhere_resets_the_backoff_here(open_state):
    first, second = await open_state(), await open_state()
    now = time.time()
    first.cooldowns.rate_limited(CREDENTIAL, "m", retry_after=None, now=now)
    assert second.cooldowns.rate_limited(CREDENTIAL, "m", retry_after=None, now=now) == now + 1
    assert second.cooldowns.rate_limited(CREDENTIAL, "m", retry_after=None, now=now) == now + 2
    first.cooldowns.succeeded(CREDENTIAL, "m")
    await eventually(lambda: second.cooldowns.rate_limited(CREDENTIAL, "m", retry_after=None, now=now) == now + 1)


async def test_an_open_circuit_is_shared_and_its_closing_too(open_state, redis, prefix):
    first, second = await open_state(), await open_state()
    now = time.time()
    first.breaker.failed(CREDENTIAL, "m", now=now)
    assert second.breaker.admits(CREDENTIAL, "m", now)
    assert first.breaker.failed(CREDENTIAL, "m", now=now)  # the threshold: open for 30 s
    await eventually(lambda: not second.breaker.admits(CREDENTIAL, "m", time.time()))
    assert second.breaker.status(CREDENTIAL, "m", time.time()) == "down"
    later = await open_state()
    assert not later.breaker.admits(CREDENTIAL, "m", time.time())
    first.breaker.succeeded(CREDENTIAL, "m", latency=0.1)
    await eventually(lambda: second.breaker.admits(CREDENTIAL, "m", time.time()))
    await eventually(lambda: later.breaker.admits(CREDENTIAL, "m", time.time()))
    assert await redis.exists(f"{prefix}circuit:{CREDENTIAL}:m") == 0


async def test_malformed_events_and_key_values_are_ignored(open_state, redis, prefix, caplog):
    caplog.set_level(logging.DEBUG, logger="gateway.state")
    await redis.set(f"{prefix}cooldown:{CREDENTIAL}:m", "soon", ex=60)
    await redis.set(f"{prefix}cooldown:no-model", str(time.time() + 60), ex=60)
    await redis.set(f"{prefix}circuit:{CREDENTIAL}:m", "nan", ex=60)
    await redis.set(f"{prefix}cooldown:{CREDENTIAL}:good", str(time.time() + 60), ex=60)
    state = await open_state()
    assert state.available
    assert state.cooldowns.blocked_until(CREDENTIAL, "good", time.time()) > 0
    assert state.breaker.admits(CREDENTIAL, "m", time.time())
    channel = f"{prefix}events"
    for garbage in (
        b"\xff\xfe",
        b"[]",
        b'{"event": "cooldown", "credential": 1, "model": "m", "until": 1e12}',
        b'{"event": "cooldown", "credential": "c", "model": "m", "until": "soon"}',
        b'{"event": "cooldown", "credential": "c", "model": "m", "until": true}',
        b'{"event": "explode", "credential": "c", "model": "m"}',
    ):
        await redis.publish(channel, garbage)
    until = time.time() + 60
    await redis.publish(
        channel, f'{{"from": "elsewhere", "event": "cooldown", "credential": "c", "model": "m", "until": {until}}}'
    )
    await eventually(lambda: state.cooldowns.blocked_until("c", "m", time.time()) == until)
    assert state.available
    assert len([m for m in state_records(caplog, logging.DEBUG) if "malformed" in m]) == 9


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_redis_unreachable_at_start_limits_still_hold_locally_and_one_warning_is_logged(open_state, caplog):
    caplog.set_level(logging.INFO, logger="gateway.state")
    port = closed_port()
    started = time.monotonic()
    state = await open_state(f"redis://user:hunter2@127.0.0.1:{port}/0", probe_seconds=0.1)
    assert time.monotonic() - started < 1.0
    assert not state.available
    limits = KeyLimits(rpm=2)
    now = time.time()
    assert await state.limiter.admit("k", limits, now) is None
    assert await state.limiter.admit("k", limits, now) is None
    assert limit_of(await state.limiter.admit("k", limits, now)) == "rpm"
    state.cooldowns.rate_limited(CREDENTIAL, "m", retry_after=5.0, now=now)  # nothing to write it to
    await asyncio.sleep(0.6)  # several probes
    warnings = state_records(caplog, logging.WARNING)
    assert len(warnings) == 1
    assert f"127.0.0.1:{port}" in warnings[0] and "hunter2" not in warnings[0]
    assert state_records(caplog, logging.INFO) == []


async def test_redis_going_away_mid_traffic_and_returning(open_state, redis, prefix, caplog):
    caplog.set_level(logging.INFO, logger="gateway.state")
    proxy = TcpProxy(*address())
    await proxy.start()
    try:
        async with asyncio.timeout(20):
            await outage_while_admitting(
                await open_state(through(proxy.port), probe_seconds=0.2), proxy, redis, prefix, caplog
            )
    finally:
        await proxy.aclose()


async def outage_while_admitting(state, proxy, redis, prefix, caplog):
    assert state.available
    caplog.clear()
    limits = KeyLimits(rpm=100_000)
    admitted = 0
    stop = asyncio.Event()

    async def traffic() -> None:
        nonlocal admitted
        while not stop.is_set():
            assert await state.limiter.admit("k", limits, time.time()) is None
            admitted += 1
            await asyncio.sleep(0.005)

    running = asyncio.create_task(traffic())
    try:
        for outage in (1, 2):
            await asyncio.sleep(0.2)
            await proxy.cut()
            await eventually(lambda: not state.available)
            state.cooldowns.rate_limited(CREDENTIAL, f"during-{outage}", retry_after=60.0, now=time.time())
            await asyncio.sleep(0.5)
            before = admitted
            await proxy.restore()
            await eventually(lambda: state.available, seconds=5)
            assert admitted > before  # requests kept being served throughout
            assert float(await redis.get(f"{prefix}cooldown:{CREDENTIAL}:during-{outage}")) > time.time()
        await asyncio.sleep(0.2)
    finally:
        stop.set()
        await running  # re-raises if any admit raised
    # Every admission is in Redis: those made while it was away were pushed on its return. An admit
    # in flight when the connection was cut may have been counted in both places.
    assert admitted <= await redis.zcard(f"{prefix}rpm:k") <= admitted + 2
    assert len(state_records(caplog, logging.WARNING)) == 2
    assert len([m for m in state_records(caplog, logging.INFO) if "reachable again" in m]) == 2
