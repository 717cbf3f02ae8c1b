"""What the admin page reads beyond providers and usage: every target's health, and an Ollama
server's installed models and pulls before a provider exists for it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from gateway.admin import schemas
from gateway.admin.checks import parse_model_list
from gateway.admin.openapi import Operation
from gateway.admin.providers_api import ApiError, json_answer, read_body
from gateway.runtime import Runtime
from gateway.state.breaker import CircuitBreaker
from gateway.state.cooldowns import CooldownStore
from gateway.upstream.checks import CheckFailed, fetch_ollama_tags, stream_ollama_pull

__all__ = ["OPERATIONS", "ConsoleApi", "HealthSources"]

audit = logging.getLogger("gateway.audit")

OPERATIONS = (
    Operation("GET", "/health", "Every target's state, moving-average latency and last error.", schemas.Health),
    Operation(
        "POST",
        "/ollama/models",
        "The models installed on an Ollama server (with sizes), by base URL.",
        schemas.AvailableModels,
        body=schemas.OllamaServer,
    ),
    Operation(
        "POST",
        "/ollama/pull",
        "Pull a model onto an Ollama server; the answer streams its progress as JSON lines.",
        schemas.Deleted,
        body=schemas.OllamaPull,
        stream="application/x-ndjson",
    ),
)


@dataclass(frozen=True, slots=True)
class HealthSources:
    runtime: Callable[[], Runtime]
    cooldowns: CooldownStore
    breaker: CircuitBreaker
    last_errors: dict[tuple[str, str], tuple[float, str]]
    clock: Callable[[], float] = time.time


class ConsoleApi:
    def __init__(self, sources: HealthSources) -> None:
        self.sources = sources

    def routes(self) -> list[Route]:
        return [
            Route("/health", self.health, methods=["GET"]),
            Route("/ollama/models", self._guarded(self.ollama_models), methods=["POST"]),
            Route("/ollama/pull", self._guarded(self.ollama_pull), methods=["POST"]),
        ]

    @staticmethod
    def _guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as error:
                return error.response()

        return endpoint

    async def health(self, request: Request) -> Response:
        src = self.sources
        now = src.clock()
        targets: dict[tuple[str, str], schemas.TargetHealth] = {}
        for pool in src.runtime().catalog.pools.values():
            for target in pool.targets:
                credential, model = target.credential, target.upstream_model
                key = (credential.id, model)
                known = targets.get(key)
                if known is not None:
                    known.model_ids.append(pool.id)
                    continue
                cooling = src.cooldowns.blocked_until(credential.id, model, now)
                if cooling:
                    state = "cooling"
                elif not src.breaker.admits(credential.id, model, now):
                    state = "circuit_open"
                else:
                    state = src.breaker.status(credential.id, model, now, credential.provider.degraded_ms)
                latency = src.breaker.latency(credential.id, model)
                error = src.last_errors.get(key)
                targets[key] = schemas.TargetHealth(
                    provider=credential.provider.name,
                    credential=credential.label,
                    upstream_model=model,
                    model_ids=[pool.id],
                    state=state,  # type: ignore[arg-type]
                    cooling_for_seconds=round(cooling - now, 1) if cooling else 0.0,
                    latency_ms=round(latency * 1000, 1) if latency is not None else None,
                    consecutive_failures=src.breaker.failures(credential.id, model),
                    last_error=error[1] if error else None,
                    last_error_at=error[0] if error else None,
                )
        return json_answer(schemas.Health(data=list(targets.values())))

    async def ollama_models(self, request: Request) -> Response:
        body = await read_body(request, schemas.OllamaServer)
        try:
            raw = await fetch_ollama_tags(body.base_url)
            found = parse_model_list(orjson.loads(raw), ollama=True)
        except orjson.JSONDecodeError:
            raise ApiError(
                502, "Ollama answered /api/tags with something that is not JSON.", "upstream_unavailable"
            ) from None
        except CheckFailed as exc:
            raise ApiError(502, str(exc), "upstream_unavailable") from None
        return json_answer(schemas.AvailableModels(data=found))

    async def ollama_pull(self, request: Request) -> Response:
        body = await read_body(request, schemas.OllamaPull)
        client = request.client.host if request.client else "unknown"
        import logging

        logging.getLogger("gateway.audit").info(
            "management: pull of %r onto %s (from %s)", body.model, body.base_url, client
        )
        return StreamingResponse(stream_ollama_pull(body.base_url, body.model), media_type="application/x-ndjson")
