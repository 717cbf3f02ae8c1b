"""Active health checks: every `health-check.interval-seconds`, each credential is probed.

A probe is the dialect's cheapest authenticated request (listing models). It fails on a
connection error, a timeout, a 5xx, or a 401/403 (the key no longer works); any other answer,
429 included, proves the upstream alive. Results feed `Health.probed`: a failed probe marks the
credential down (a last resort until a probe succeeds), a slow one degraded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import aiohttp

from gateway.background import BackgroundLoop

from gateway.catalog import Credential
from gateway.dialects import DIALECTS

if TYPE_CHECKING:
    from gateway.app import Gateway

__all__ = ["HealthProber"]

log = logging.getLogger("gateway.health")


class HealthProber:
    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._loop = BackgroundLoop("health checks", self._run)
        self._down: set[str] = set()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as client:
            while True:
                settings = self._gateway.runtime.config.health_check
                if settings.enabled:
                    unique = {c.id: c for c in self._gateway.runtime.catalog.credentials}
                    await asyncio.gather(*(self._probe(client, c, settings.timeout_seconds) for c in unique.values()))
                elif self._down:
                    self._down.clear()
                    self._gateway.health.forget_probes()
                await asyncio.sleep(settings.interval_seconds)

    async def _probe(self, client: aiohttp.ClientSession, credential: Credential, timeout: float) -> None:
        dialect = DIALECTS.get(credential.provider.dialect)
        if dialect is None:
            return
        url, headers = dialect.probe(credential)
        started = time.monotonic()
        try:
            async with client.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout),
                                  allow_redirects=False) as response:
                await response.read()
            ok = response.status < 500 and response.status not in (401, 403)
            why = f"HTTP {response.status}"
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            ok, why = False, type(exc).__name__
        latency = time.monotonic() - started
        self._gateway.health.probed(credential.id, ok=ok, latency=latency if ok else None)
        name = f"{credential.provider.name} (credential {credential.id})"
        if not ok and credential.id not in self._down:
            self._down.add(credential.id)
            log.warning("health check: %s is down (%s)", name, why)
        elif ok and credential.id in self._down:
            self._down.discard(credential.id)
            log.info("health check: %s is back (%.0f ms)", name, latency * 1000)
