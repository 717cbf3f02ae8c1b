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
    __slots__ = ("_clients", "_urls")

    def __init__(self) -> None:
        self._clients: dict[tuple[str, TimeoutConfig], httpx.AsyncClient] = {}
        self._urls: dict[str, httpx.URL] = {}

    def request(self, url: str, headers: dict[str, str], content: bytes, timeouts: TimeoutConfig) -> httpx.Request:
        """A POST built without the client's merging of base URL, headers and cookies.

        Its timeout dict is its own: the proxy lowers `read` from the first-byte limit to the
        idle limit once the headers are in, before the body is read.
        """
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= MAX_CACHED_URLS:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        timeout = {"connect": timeouts.connect_seconds, "read": timeouts.first_byte_seconds,
                   "write": timeouts.idle_seconds, "pool": timeouts.connect_seconds}
        return httpx.Request("POST", parsed, headers=headers, content=content, extensions={"timeout": timeout})

    def client(self, provider: Provider) -> httpx.AsyncClient:
        key = (provider.id, provider.timeouts)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._new_client(provider.timeouts)
        return client

    async def retire(self, keep: set[tuple[str, TimeoutConfig]]) -> None:
        """Closes clients of entries a reload removed or changed (after in-flight use ends)."""
        for key in [k for k in self._clients if k not in keep]:
            await self._clients.pop(key).aclose()

    def _new_client(self, t: TimeoutConfig) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(connect=t.connect_seconds, read=t.first_byte_seconds, write=t.idle_seconds,
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
