"""One-off requests the management API makes of an upstream: a minimal chat request to test
a target, and a GET of its model list. Outside the request path: a short-lived session each."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import orjson

from gateway.core.targets import Credential, Target
from gateway.upstream.adapters import ADAPTERS, PROBES

__all__ = ["CheckFailed", "Trial", "fetch_model_list", "fetch_ollama_tags", "stream_ollama_pull", "try_model"]

TIMEOUT_SECONDS = 20.0
MAX_MESSAGE = 500
MAX_LIST_BYTES = 8 << 20
# A pull that reports nothing for this long has stalled.
PULL_IDLE_SECONDS = 300.0
PING = {"messages": [{"role": "user", "content": "Reply with OK."}], "max_tokens": 8, "stream": False}


class CheckFailed(Exception):
    """The upstream could not be asked or gave no usable answer; the message says why."""


@dataclass(frozen=True, slots=True)
class Trial:
    ok: bool
    latency_ms: float | None
    message: str | None


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(), trust_env=False, timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    )


async def try_model(target: Target, *, now: float) -> Trial:
    """Sends one minimal chat request to `target`: connected with its latency, or the error."""
    provider = target.credential.provider
    adapter = ADAPTERS.get((provider.dialect, "chat"))
    if adapter is None:
        return Trial(False, None, f"{provider.dialect} upstreams cannot be tested with a chat request.")
    outgoing = adapter.prepare({**PING, "model": target.upstream_model}, target, stream=False)
    started = time.monotonic()
    try:
        async with _session() as session:
            async with session.post(
                outgoing.url, data=outgoing.content, headers=outgoing.headers, allow_redirects=False
            ) as response:
                raw = await response.content.read(1 << 20)
                status, headers = response.status, dict(response.headers)
    except TimeoutError:
        return Trial(False, None, f"No answer within {TIMEOUT_SECONDS:.0f} s.")
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return Trial(False, None, f"Cannot reach {provider.base_url}: {type(exc).__name__}.")
    latency = round((time.monotonic() - started) * 1000, 1)
    if 200 <= status < 300:
        return Trial(True, latency, None)
    info = adapter.parse_error(status, headers, raw, now=now)
    return Trial(False, latency, f"HTTP {status}: {info.message}"[:MAX_MESSAGE])


async def fetch_model_list(credential: Credential, *, ollama: bool) -> bytes:
    """The raw answer of the credential's model-list request (Ollama: /api/tags)."""
    provider = credential.provider
    if ollama:
        url, headers = provider.base_url.removesuffix("/v1") + "/api/tags", dict(provider.headers)
    else:
        probe = PROBES.get(provider.dialect)
        if probe is None:
            raise CheckFailed(f"{provider.dialect} upstreams have no model list.")
        url, headers = probe(credential)
    try:
        async with _session() as session:
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                raw = await response.content.read(MAX_LIST_BYTES)
                status = response.status
    except TimeoutError:
        raise CheckFailed(f"{provider.name!r} did not answer within {TIMEOUT_SECONDS:.0f} s.") from None
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        raise CheckFailed(f"Could not reach {provider.name!r} at its base URL: {type(exc).__name__}.") from None
    if status != 200:
        adapter = ADAPTERS.get((provider.dialect, "chat"))
        detail = adapter.parse_error(status, {}, raw, now=time.time()).message if adapter else ""
        raise CheckFailed(f"{provider.name!r} answered HTTP {status}: {detail}"[:MAX_MESSAGE])
    return raw


def _ollama_root(base_url: str) -> str:
    return base_url.rstrip("/").removesuffix("/v1")


async def fetch_ollama_tags(base_url: str) -> bytes:
    """An Ollama server's /api/tags answer, before any provider exists for it."""
    url = _ollama_root(base_url) + "/api/tags"
    try:
        async with _session() as session:
            async with session.get(url, allow_redirects=False) as response:
                raw = await response.content.read(MAX_LIST_BYTES)
                status = response.status
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
        raise CheckFailed(f"Could not reach Ollama at {_ollama_root(base_url)}: {type(exc).__name__}.") from None
    if status != 200:
        raise CheckFailed(f"Ollama at {_ollama_root(base_url)} answered HTTP {status}.")
    return raw


async def stream_ollama_pull(base_url: str, model: str) -> AsyncIterator[bytes]:
    """Ollama's /api/pull progress, one JSON object per line as it arrives ({status, total,
    completed} ... {status: success}, or {error}); a failure to connect is one {error} line."""
    url = _ollama_root(base_url) + "/api/pull"
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=PULL_IDLE_SECONDS)
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), trust_env=False, timeout=timeout) as s:
            async with s.post(url, json={"model": model, "stream": True}, allow_redirects=False) as response:
                if response.status != 200:
                    detail = (await response.content.read(MAX_MESSAGE)).decode("utf-8", "replace")
                    yield _line({"error": f"Ollama answered HTTP {response.status}: {detail}"})
                    return
                async for line in response.content:
                    if line.strip():
                        yield line if line.endswith(b"\n") else line + b"\n"
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
        yield _line({"error": f"Could not reach Ollama at {_ollama_root(base_url)}: {type(exc).__name__}."})


def _line(document: dict[str, str]) -> bytes:
    return orjson.dumps(document) + b"\n"
