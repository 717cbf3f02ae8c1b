"""One shared, pooled `httpx.AsyncClient` per provider entry, and the failures it can raise.

Clients are keyed by the provider's stable id, so a config reload that keeps an entry keeps
its warm keep-alive connections. Environment proxies are ignored (`trust_env=False`): a
gateway's route to its upstreams is configuration, not ambient state.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from gateway.catalog import Provider
from gateway.config import TimeoutConfig

__all__ = ["Upstreams"]

MAX_CACHED_URLS = 4096


def _no_cookies() -> CookieJar:
    """A jar that keeps nothing: an upstream's cookies must not follow other clients' requests."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class Upstreams:
    __slots__ = ("_clients", "_timeouts", "_urls")

    def __init__(self, timeouts: TimeoutConfig) -> None:
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._timeouts = timeouts
        self._urls: dict[str, httpx.URL] = {}

    def request(self, url: str, headers: dict[str, str], content: bytes) -> httpx.Request:
        """A POST built without the client's merging of base URL, headers and cookies."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= MAX_CACHED_URLS:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        return httpx.Request("POST", parsed, headers=headers, content=content)

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
            cookies=_no_cookies(),
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
