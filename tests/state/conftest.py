"""Redis for the shared-state tests: the real server, one key prefix per test, cleaned after.

Redis is not optional here: a shared-limit test that silently skipped would hide exactly the
bugs that only show with two processes on one Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.store.database import redact_url
from tests.state.local_redis import REDIS_URL, connect


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = connect()
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    else:
        problem = ""
    if problem:
        await client.aclose()
        pytest.fail(
            f"Redis is required by the shared-state tests and is not reachable at {redact_url(REDIS_URL)}: {problem}\n"
            "Start it locally (redis-server) or set STATE_TEST_REDIS_URL.",
            pytrace=False,
        )
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    prefix = f"llm-gateway-test-{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await redis.delete(*keys)
