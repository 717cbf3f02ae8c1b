"""GET /v1/models and /v1/models/{id} (ids may contain "/"), with `?health=1` showing each
target's state: healthy / degraded / down, cooldown, latency, consecutive failures.

Each SDK gets its own list format: OpenAI's by default, Anthropic's when the request carries
`anthropic-version` (the anthropic SDKs always send it), Gemini's under /v1beta/models and
when the key comes in `x-goog-api-key` (google-genai lists /v1/models with it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import orjson

from gateway.core.asgi import Scope
from gateway.core.targets import Target
from gateway.inbound.asgi import header
from gateway.runtime import Runtime
from gateway.state.breaker import CircuitBreaker
from gateway.state.cooldowns import CooldownStore
from translators.gemini import inbound as gemini_inbound

__all__ = ["ModelsEndpoint"]

PREFIX = "/v1/models/"
GEMINI_PREFIX = "/v1beta/models/"


class ModelsEndpoint:
    __slots__ = ("cooldowns", "breaker", "clock")

    def __init__(self, *, cooldowns: CooldownStore, breaker: CircuitBreaker, clock: Callable[[], float]) -> None:
        self.cooldowns = cooldowns
        self.breaker = breaker
        self.clock = clock

    def answer(self, runtime: Runtime, scope: Scope, allows: Callable[[str], bool] | None = None) -> bytes:
        """The JSON body; raises the catalog's 404 for an unknown id. `allows`: the client key
        may use only the ids it accepts, so only those are listed."""
        path: str = scope["path"]
        gemini = path.startswith("/v1beta/models") or header(scope, b"x-goog-api-key") is not None
        anthropic = not gemini and header(scope, b"anthropic-version") is not None
        if path in ("/v1/models", PREFIX, "/v1beta/models", GEMINI_PREFIX):
            objects = runtime.model_objects()
            if allows is not None:
                objects = [item for item in objects if allows(item["id"])]
            if gemini:
                return orjson.dumps(gemini_inbound.models_list([item["id"] for item in objects]))
            if anthropic:
                return orjson.dumps(_anthropic_list([_anthropic(item) for item in objects]))
            if _flag(scope.get("query_string", b""), b"health"):
                return orjson.dumps({"object": "list", "data": self._health(runtime, objects)})
            if allows is not None:
                return orjson.dumps({"object": "list", "data": objects})
            return runtime.models_body
        # Ids may contain "/": take the raw path so an escaped slash is kept too.
        raw_path = scope.get("raw_path") or path.encode()
        prefix = GEMINI_PREFIX if path.startswith(GEMINI_PREFIX) else PREFIX
        model_id = unquote(raw_path.decode("latin-1").split("?", 1)[0][len(prefix) :])
        if gemini:
            model_id = model_id.removeprefix("models/")
        if allows is not None and not allows(model_id):
            raise runtime.catalog.not_found(model_id)
        item = self._one(runtime, model_id)
        if gemini:
            return orjson.dumps(gemini_inbound.model_entry(item["id"]))
        return orjson.dumps(_anthropic(item) if anthropic else item)

    def _one(self, runtime: Runtime, model_id: str) -> dict[str, Any]:
        catalog = runtime.catalog
        pool = catalog.pools.get(model_id)
        owner = pool.owned_by if pool else ("chain" if model_id in catalog.chains else None)
        if owner is None:
            prefix, sep, rest = model_id.partition("/")
            owner = catalog.passthrough_owner(prefix) if sep and rest else None
        if owner is None:
            raise catalog.not_found(model_id)
        return runtime.model_object(model_id, owner)

    def _health(self, runtime: Runtime, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        now = self.clock()
        for item in objects:
            pool = runtime.catalog.pools.get(item["id"])
            item["health"] = [self._target(t, now) for t in pool.targets] if pool else []
        return objects

    def _target(self, target: Target, now: float) -> dict[str, Any]:
        credential, model = target.credential, target.upstream_model
        cooling = self.cooldowns.blocked_until(credential.id, model, now)
        latency = self.breaker.latency(credential.id, model)
        return {
            "provider": credential.provider.name,
            "credential": credential.id,
            "label": credential.label,
            "upstream_model": model,
            "priority": target.priority,
            "state": self.breaker.status(credential.id, model, now, credential.provider.degraded_ms),
            "cooling_for_seconds": round(cooling - now, 1) if cooling else 0,
            "latency_ms": round(latency * 1000, 1) if latency is not None else None,
            "consecutive_failures": self.breaker.failures(credential.id, model),
        }


def _anthropic(item: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI model object in Anthropic's form (https://docs.anthropic.com/en/api/models)."""
    created = datetime.fromtimestamp(item["created"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"type": "model", "id": item["id"], "display_name": item["id"], "created_at": created}


def _anthropic_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    first, last = (items[0]["id"], items[-1]["id"]) if items else (None, None)
    return {"data": items, "has_more": False, "first_id": first, "last_id": last}


def _flag(query: bytes, name: bytes) -> bool:
    """`?name=1` / `?name=true` (not `?name=0`)."""
    for pair in query.split(b"&"):
        key, _, value = pair.partition(b"=")
        if key == name:
            return value.lower() in (b"1", b"true", b"yes", b"")
    return False
