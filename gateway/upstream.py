"""One shared, pooled `httpx.AsyncClient` per provider entry, and the failures it can raise.

Clients are keyed by the provider's stable id, so a config reload that keeps an entry keeps
its warm keep-alive connections. Environment proxies are ignored (`trust_env=False`): a
gateway's route to its upstreams is configuration, not ambient state.
"""

from __future__ import annotations

import httpx

from gateway.catalog import Provider
from gateway.config import TimeoutConfig

__all__ = ["UPSTREAM_FAILURES", "Upstreams"]

# What httpx raises when the upstream could not be reached or broke the exchange.
UPSTREAM_FAILURES = (httpx.TransportError,)


class Upstreams:
    __slots__ = ("_clients", "_timeouts")

    def __init__(self, timeouts: TimeoutConfig) -> None:
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._timeouts = timeouts

    def client(self, provider: Provider) -> httpx.AsyncClient:
        client = self._clients.get(provider.id)
        if client is None:
            client = self._clients[provider.id] = self._new_client()
        return client

    def _new_client(self) -> httpx.AsyncClient:
        t = self._timeouts
        return httpx.AsyncClient(
            timeout=httpx.Timeout(connect=t.connect_seconds, read=t.read_seconds, write=t.read_seconds,
                                  pool=t.connect_seconds),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=256, keepalive_expiry=60.0),
            trust_env=False,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
