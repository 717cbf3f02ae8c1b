"""Active health checks: every `health-check.interval-seconds`, each credential is probed.

A probe is the dialect's cheapest authenticated request (listing models). It fails on a
connection error, a timeout, a 5xx, or a 401/403 (the key no longer works); any other answer,
429 included, proves the upstream alive. Results feed `Health.probed`: a failed probe marks the
credential down (a last resort until a probe succeeds), a slow one degraded. Mock entries
answer in-process and are not probed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

import aiohttp

from gateway.config.models import HealthCheckConfig
from gateway.core.background import BackgroundLoop
from gateway.core.targets import Credential
from gateway.state.breaker import CircuitBreaker
from gateway.upstream.adapters import PROBES

__all__ = ["HealthProber"]

log = logging.getLogger("gateway.health")


class HealthProber:
    """`settings()` and `credentials()` read the running config; verdicts go to `breaker`."""

    def __init__(
        self,
        *,
        settings: Callable[[], HealthCheckConfig],
        credentials: Callable[[], Iterable[Credential]],
        breaker: CircuitBreaker,
    ) -> None:
        self._settings = settings
        self._credentials = credentials
        self._breaker = breaker
        self._loop = BackgroundLoop("health checks", self._run)
        self._down: set[str] = set()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as client:
            while True:
                settings = self._settings()
                if settings.enabled:
                    unique = {c.id: c for c in self._credentials() if c.provider.transport == "http"}
                    await asyncio.gather(*(self._probe(client, c, settings.timeout_seconds) for c in unique.values()))
                elif self._down:
                    self._down.clear()
                    self._breaker.forget_probes()
                await asyncio.sleep(settings.interval_seconds)

    async def _probe(self, client: aiohttp.ClientSession, credential: Credential, timeout: float) -> None:
        probe = PROBES.get(credential.provider.dialect)
        if probe is None:
            return
        url, headers = probe(credential)
        started = time.monotonic()
        try:
            async with client.get(
                url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=False
            ) as response:
                await response.read()
            ok = response.status < 500 and response.status not in (401, 403)
            why = f"HTTP {response.status}"
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            ok, why = False, type(exc).__name__
        latency = time.monotonic() - started
        self._breaker.probed(credential.id, ok=ok, latency=latency if ok else None)
        name = f"{credential.provider.name} (credential {credential.id})"
        if not ok and credential.id not in self._down:
            self._down.add(credential.id)
            log.warning("health check: %s is down (%s)", name, why)
        elif ok and credential.id in self._down:
            self._down.discard(credential.id)
            log.info("health check: %s is back (%.0f ms)", name, latency * 1000)
