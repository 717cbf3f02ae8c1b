"""One-off requests the management API makes of an upstream: a minimal chat request to test
a target, and a GET of its model list. Outside the request path: a short-lived session each."""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiohttp

from gateway.core.targets import Credential, Target
from gateway.upstream.adapters import ADAPTERS, PROBES

__all__ = ["CheckFailed", "Trial", "fetch_model_list", "try_model"]

TIMEOUT_SECONDS = 20.0
MAX_MESSAGE = 500
MAX_LIST_BYTES = 8 << 20
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
    except (aiohttp.ClientError, OSError) as exc:
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
    except (aiohttp.ClientError, OSError) as exc:
        raise CheckFailed(f"Could not reach {provider.name!r} at its base URL: {type(exc).__name__}.") from None
    if status != 200:
        adapter = ADAPTERS.get((provider.dialect, "chat"))
        detail = adapter.parse_error(status, {}, raw, now=time.time()).message if adapter else ""
        raise CheckFailed(f"{provider.name!r} answered HTTP {status}: {detail}"[:MAX_MESSAGE])
    return raw
