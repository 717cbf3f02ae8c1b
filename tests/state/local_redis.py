"""Where the shared-state tests find Redis, and how they read a limiter's verdict."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis

from gateway.state.limits import Refusal

REDIS_URL = os.environ.get("STATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def connect() -> Redis:
    return Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def address() -> tuple[str, int]:
    parts = urlsplit(REDIS_URL)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def through(port: int) -> str:
    """REDIS_URL with its host and port replaced by a loopback proxy's (credentials kept)."""
    parts = urlsplit(REDIS_URL)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def limit_of(verdict: Refusal | None) -> str | None:
    """Which limit refused, or None when the request was admitted."""
    return verdict.limit if verdict is not None else None
