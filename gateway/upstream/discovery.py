"""Ollama model discovery: `ollama` entries without a `models` list learn them from /api/tags.

A background task asks each such entry at start-up and then every `refresh-seconds`; when the
set of names changes, it publishes them and the gateway swaps in a runtime whose catalog lists
them. It reads the running config's entries and the names known so far through callables, so
it holds no reference to the gateway. An Ollama that
is down never stops the gateway: a warning is logged once per outage, its prefix still passes
requests through, and the next probe tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

import aiohttp

from gateway.config.entries import OllamaEntry
from gateway.core.background import BackgroundLoop

__all__ = ["OllamaDiscovery", "parse_tags"]

log = logging.getLogger("gateway.discovery")
PROBE_TIMEOUT_SECONDS = 5.0


def parse_tags(document: object) -> tuple[str, ...]:
    """Model names from Ollama's GET /api/tags answer {"models": [{"name": "llama3.2:latest"}, ...]}."""
    models = document.get("models") if isinstance(document, dict) else None
    if not isinstance(models, list):
        raise ValueError("the answer has no 'models' list")
    names = [m.get("name") or m.get("model") for m in models if isinstance(m, dict)]
    return tuple(sorted({n for n in names if isinstance(n, str) and n}))


Discovered = Mapping[str, tuple[str, ...]]


class OllamaDiscovery:
    """`entries()` gives the running config's ollama entries, `known()` the names found so far
    by entry name, and `publish(found)` swaps in what changed."""

    def __init__(
        self,
        *,
        entries: Callable[[], tuple[OllamaEntry, ...]],
        known: Callable[[], Discovered],
        publish: Callable[[Discovered], None],
    ) -> None:
        self._entries = entries
        self._known = known
        self._publish = publish
        self._loop = BackgroundLoop("ollama discovery", self._run)
        self._down: set[str] = set()

    def start(self) -> None:
        if any(entry.models is None and not entry.disabled for entry in self._entries()):
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as client:
            while True:
                entries = [e for e in self._entries() if e.models is None and not e.disabled]
                if not entries:
                    return
                found = dict(self._known())
                for entry in entries:
                    names = await self._probe(client, entry.name, entry.base_url)
                    if names is not None:
                        found[entry.name] = names
                if found != self._known():
                    self._publish(found)
                await asyncio.sleep(min(e.refresh_seconds for e in entries))

    async def _probe(self, client: aiohttp.ClientSession, name: str, base_url: str) -> tuple[str, ...] | None:
        try:
            async with client.get(base_url + "/api/tags", allow_redirects=False) as response:
                response.raise_for_status()
                names = parse_tags(await response.json(content_type=None))
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            if name not in self._down:
                self._down.add(name)
                log.warning(
                    "ollama entry %r at %s cannot list its models (%s); /v1/models omits them until it answers",
                    name,
                    base_url,
                    type(exc).__name__,
                )
            return None
        if name in self._down or names != self._known().get(name):
            log.info("ollama entry %r serves %d model(s): %s", name, len(names), ", ".join(names))
        self._down.discard(name)
        return names
