"""Providers, their models, chains and the active and fallback model, changed at run time.

Every write goes to the store in a worker thread, then the store is read back and laid over the
config (`ManagedProviders.refresh`), so the change serves new requests as soon as the answer
is sent; other replicas see it at their next poll. Every change is one audit line: what, which
id, from which address, never a secret. Providers of config.yaml are listed read-only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.admin import schemas
from gateway.admin.checks import CheckFailed, Trial, list_models, target_for, try_model
from gateway.admin.openapi import Operation
from gateway.admin.views import CONFIG_ID_PREFIX, config_providers, model_view, provider_view
from gateway.config.provider_types import TYPES
from gateway.config.routes import route_problems
from gateway.runtime import Runtime
from gateway.store.database import StoreError
from gateway.store.managed import ManagedProviders
from gateway.store.overlay import config_names, overlay
from gateway.store.providers import (
    Conflict,
    Managed,
    ManagedError,
    NeedsEncryptionKey,
    NotFound,
    ProviderStore,
    StoredChain,
    StoredProvider,
)
from gateway.store.secret_box import EncryptionKeyError

__all__ = ["OPERATIONS", "ApiError", "ProvidersApi", "json_answer", "read_body"]

audit = logging.getLogger("gateway.audit")
B = TypeVar("B", bound=BaseModel)
T = TypeVar("T")
MAX_BODY = 1 << 20

OPERATIONS = (
    Operation(
        "GET", "/providers", "Every provider: the store's, then config.yaml's (read-only).", schemas.ProviderList
    ),
    Operation(
        "POST",
        "/providers",
        "Add a provider with its models.",
        schemas.ProviderOut,
        body=schemas.ProviderIn,
        status=201,
    ),
    Operation("GET", "/providers/{provider_id}", "One provider with its models.", schemas.ProviderOut),
    Operation(
        "PATCH",
        "/providers/{provider_id}",
        "Change a provider; an empty api_key keeps the stored one.",
        schemas.ProviderOut,
        body=schemas.ProviderPatch,
    ),
    Operation("DELETE", "/providers/{provider_id}", "Soft delete: out of routing, restorable.", schemas.Deleted),
    Operation("PATCH", "/providers/{provider_id}/restore", "Undo a soft delete.", schemas.ProviderOut),
    Operation("DELETE", "/providers/{provider_id}/purge", "Wipe a provider, its models and its key.", schemas.Deleted),
    Operation("GET", "/providers/{provider_id}/models", "A provider's models.", schemas.ModelList),
    Operation(
        "POST",
        "/providers/{provider_id}/models",
        "Add a model to a provider.",
        schemas.ModelOut,
        body=schemas.ModelIn,
        status=201,
    ),
    Operation(
        "PATCH",
        "/providers/{provider_id}/models/{model_id}",
        "Change a model.",
        schemas.ModelOut,
        body=schemas.ModelPatch,
    ),
    Operation(
        "DELETE",
        "/providers/{provider_id}/models/{model_id}",
        "Remove a model (not the last, not the active one).",
        schemas.Deleted,
    ),
    Operation(
        "POST",
        "/providers/{provider_id}/models/{model_id}/test",
        "Send a minimal request and record connected (with latency) or error.",
        schemas.ModelOut,
    ),
    Operation(
        "GET", "/providers/{provider_id}/available-models", "The upstream's own model list.", schemas.AvailableModels
    ),
    Operation("GET", "/chains", "Chains: the store's and config.yaml's.", schemas.ChainList),
    Operation("POST", "/chains", "Add a chain.", schemas.ChainOut, body=schemas.ChainIn, status=201),
    Operation("PATCH", "/chains/{chain_id}", "Rename or reorder a chain.", schemas.ChainOut, body=schemas.ChainPatch),
    Operation("DELETE", "/chains/{chain_id}", "Remove a chain.", schemas.Deleted),
    Operation("GET", "/settings/active-model", "The model that the `default` id serves.", schemas.ModelSetting),
    Operation(
        "PUT",
        "/settings/active-model",
        "Make a model active.",
        schemas.ModelSetting,
        body=schemas.ModelSettingIn,
    ),
    Operation(
        "GET", "/settings/fallback-model", "The model that serves while the active one cannot.", schemas.ModelSetting
    ),
    Operation(
        "PUT", "/settings/fallback-model", "Set the fallback model.", schemas.ModelSetting, body=schemas.ModelSettingIn
    ),
    Operation("DELETE", "/settings/fallback-model", "Clear the fallback model.", schemas.ModelSetting),
)


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param

    def response(self) -> Response:
        body: dict[str, Any] = {"message": self.message, "type": self.code, "code": self.code}
        if self.param is not None:
            body["param"] = self.param
        return Response(orjson.dumps({"error": body}), status_code=self.status, media_type="application/json")


def json_answer(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json().encode(), status_code=status, media_type="application/json")


async def read_body(request: Request, model: type[B]) -> B:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise ApiError(413, f"The body is larger than {MAX_BODY} bytes.", "body_too_large")
    try:
        data = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.", "invalid_json") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in error["loc"]) or "(body)"
            problems.append(f"{where}: {error['msg']}")
        first = exc.errors()[0]["loc"]
        raise ApiError(
            422, "The body is invalid: " + "; ".join(problems[:10]) + ".", "invalid_body", ".".join(map(str, first))
        ) from None


class ProvidersApi:
    """Handlers over `managed.store`; `runtime()` is the running runtime (for the file's
    providers, routing checks and the redactor)."""

    def __init__(self, managed: ManagedProviders, runtime: Callable[[], Runtime]) -> None:
        self.managed = managed
        self.runtime = runtime

    def routes(self) -> list[Route]:
        handlers: dict[tuple[str, str], Callable[[Request], Awaitable[Response]]] = {
            ("GET", "/providers"): self.list_providers,
            ("POST", "/providers"): self.create_provider,
            ("GET", "/providers/{provider_id}"): self.get_provider,
            ("PATCH", "/providers/{provider_id}"): self.update_provider,
            ("DELETE", "/providers/{provider_id}"): self.delete_provider,
            ("PATCH", "/providers/{provider_id}/restore"): self.restore_provider,
            ("DELETE", "/providers/{provider_id}/purge"): self.purge_provider,
            ("GET", "/providers/{provider_id}/models"): self.list_models,
            ("POST", "/providers/{provider_id}/models"): self.add_model,
            ("PATCH", "/providers/{provider_id}/models/{model_id}"): self.update_model,
            ("DELETE", "/providers/{provider_id}/models/{model_id}"): self.delete_model,
            ("POST", "/providers/{provider_id}/models/{model_id}/test"): self.test_model,
            ("GET", "/providers/{provider_id}/available-models"): self.available_models,
            ("GET", "/chains"): self.list_chains,
            ("POST", "/chains"): self.create_chain,
            ("PATCH", "/chains/{chain_id}"): self.update_chain,
            ("DELETE", "/chains/{chain_id}"): self.delete_chain,
            ("GET", "/settings/active-model"): self.get_active,
            ("PUT", "/settings/active-model"): self.put_active,
            ("GET", "/settings/fallback-model"): self.get_fallback,
            ("PUT", "/settings/fallback-model"): self.put_fallback,
            ("DELETE", "/settings/fallback-model"): self.delete_fallback,
        }
        by_path: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = {}
        for (method, path), handler in handlers.items():
            by_path.setdefault(path, {})[method] = handler
        return [Route(path, self._dispatch(methods), methods=list(methods)) for path, methods in by_path.items()]

    def _dispatch(
        self, methods: dict[str, Callable[[Request], Awaitable[Response]]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return await methods[request.method](request)
            except ApiError as error:
                return error.response()

        return endpoint

    # --- plumbing ------------------------------------------------------------------------

    def _store(self) -> ProviderStore:
        store = self.managed.store
        if store is None:
            raise ApiError(
                503, "The provider store is not open (its database is unreachable); see the log.", "store_unavailable"
            )
        return store

    async def _call(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(work, *args, **kwargs)
        except NotFound as exc:
            raise ApiError(404, str(exc), "not_found") from None
        except NeedsEncryptionKey as exc:
            raise ApiError(409, str(exc), "encryption_key_required") from None
        except Conflict as exc:
            raise ApiError(409, str(exc), "conflict") from None
        except ManagedError as exc:
            raise ApiError(422, str(exc), "invalid_body") from None
        except EncryptionKeyError as exc:
            raise ApiError(409, str(exc), "encryption_key_mismatch") from None
        except StoreError as exc:
            raise ApiError(503, str(exc), "store_unavailable") from None

    async def _changed(self, request: Request, what: str) -> None:
        """Applies the change here at once, and writes the audit line."""
        await self.managed.refresh()
        client = request.client.host if request.client else "unknown"
        audit.info("management: %s (%s %s from %s)", what, request.method, request.url.path, client)

    def _settings(self) -> tuple[str | None, str | None]:
        managed = self.runtime().managed
        return (managed.active_model, managed.fallback_model) if managed else (None, None)

    @staticmethod
    def _writable(provider_id: str) -> None:
        if provider_id.startswith(CONFIG_ID_PREFIX):
            raise ApiError(
                409,
                f"{provider_id[len(CONFIG_ID_PREFIX) :]!r} is defined in config.yaml and is read-only here; edit the "
                "file (it is reloaded on save).",
                "read_only",
            )

    def _check_routes(self, candidate: Managed) -> None:
        """Refuses a change that would leave chains or the active model pointing nowhere or
        in a loop."""
        runtime = self.runtime()
        config = overlay(
            runtime.base, candidate, default_id=runtime.base.remote_management.default_model_id, prune=False
        )
        problems = [message for _, message in route_problems(config)]
        if problems:
            raise ApiError(
                422, "The change would break routing: " + "; ".join(dict.fromkeys(problems)) + ".", "invalid_route"
            )

    def _name_taken(self, name: str, *, chain_id: str | None = None, provider_id: str | None = None) -> None:
        """Provider names, chain names and the default id share one namespace of model ids."""
        runtime = self.runtime()
        current = self._current()
        reserved = {runtime.base.remote_management.default_model_id, *(c.name for c in runtime.base.chains)}
        if name in reserved or name in config_names(runtime.base):
            raise ApiError(
                409, f"The name {name!r} is taken by config.yaml or the default model id.", "conflict", "name"
            )
        if any(c.name == name and c.id != chain_id for c in current.chains):
            raise ApiError(409, f"A chain is named {name!r}; pick another name.", "conflict", "name")
        if any(p.name == name and p.id != provider_id for p in current.providers):
            raise ApiError(409, f"A provider is named {name!r}; pick another name.", "conflict", "name")

    def _current(self) -> Managed:
        return self.runtime().managed or Managed()

    # --- providers -----------------------------------------------------------------------

    async def list_providers(self, request: Request) -> Response:
        store = self._store()
        deleted = request.query_params.get("deleted", "false").lower() in ("1", "true", "yes")
        stored = await self._call(store.providers, deleted=deleted)
        active, fallback = self._settings()
        runtime = self.runtime()
        data = [provider_view(p, active, fallback) for p in stored]
        data += config_providers(
            runtime.base, runtime.discovered, runtime.base.health_check.degraded_threshold_ms, (active, fallback)
        )
        return json_answer(schemas.ProviderList(data=data))

    async def _provider_out(self, provider_id: str, *, deleted: bool = False) -> schemas.ProviderOut:
        if provider_id.startswith(CONFIG_ID_PREFIX):
            runtime = self.runtime()
            found = [
                p
                for p in config_providers(
                    runtime.base, runtime.discovered, runtime.base.health_check.degraded_threshold_ms, self._settings()
                )
                if p.id == provider_id
            ]
            if not found:
                raise ApiError(
                    404, f"No provider {provider_id!r}; GET /v0/management/providers lists them.", "not_found"
                )
            return found[0]
        provider = await self._call(self._store().provider, provider_id, deleted=deleted)
        return provider_view(provider, *self._settings())

    async def get_provider(self, request: Request) -> Response:
        return json_answer(await self._provider_out(request.path_params["provider_id"]))

    async def create_provider(self, request: Request) -> Response:
        body = await read_body(request, schemas.ProviderIn)
        store = self._store()
        kind = TYPES.get(body.provider_type)
        if kind is None:
            raise ApiError(
                422,
                f"provider_type {body.provider_type!r} is not a known type; GET /v0/management/catalog lists them.",
                "invalid_body",
                "provider_type",
            )
        self._name_taken(body.name, provider_id="")
        missing = [f for f in kind.required_fields if f in ("api_key", "base_url") and not getattr(body, f)]
        if "base_url" in missing and kind.default_base_url:
            missing.remove("base_url")
        if missing:
            raise ApiError(422, f"A {kind.name} provider needs {' and '.join(missing)}.", "invalid_body", missing[0])
        if not body.models and kind.key != "ollama":
            raise ApiError(422, 'Add at least one model (models: ["model-name", ...]).', "invalid_body", "models")
        models = [
            {"model": m} if isinstance(m, str) else m.model_dump(exclude_none=True, mode="json") for m in body.models
        ]
        made = await self._call(
            store.create_provider,
            provider_type=kind.key,
            name=body.name,
            base_url=body.base_url,
            api_key=body.api_key or None,
            headers=body.headers,
            openai_api_mode=body.openai_api_mode or "auto",
            advanced_json=body.advanced_json,
            degraded_threshold_ms=body.degraded_threshold_ms or 5000.0,
            enabled=True if body.enabled is None else body.enabled,
            models=models,
        )
        await self._changed(
            request, f"created provider {made.name!r} ({made.id}, {made.provider_type}, {len(made.models)} model(s))"
        )
        return json_answer(provider_view(made, *self._settings()), 201)

    async def update_provider(self, request: Request) -> Response:
        provider_id = request.path_params["provider_id"]
        self._writable(provider_id)
        body = await read_body(request, schemas.ProviderPatch)
        changes = body.model_dump(exclude_unset=True)
        if changes.get("name") is not None:
            self._name_taken(changes["name"], provider_id=provider_id)
        for required in ("name", "openai_api_mode", "degraded_threshold_ms", "enabled"):
            if required in changes and changes[required] is None:
                raise ApiError(422, f"{required} cannot be null.", "invalid_body", required)
        made = await self._call(self._store().update_provider, provider_id, **changes)
        fields = ", ".join(sorted(changes)) or "nothing"
        await self._changed(request, f"changed provider {made.name!r} ({made.id}): {fields}")
        return json_answer(provider_view(made, *self._settings()))

    async def delete_provider(self, request: Request) -> Response:
        provider_id = request.path_params["provider_id"]
        self._writable(provider_id)
        await self._call(self._store().delete_provider, provider_id)
        await self._changed(request, f"deleted provider {provider_id} (restorable)")
        return json_answer(schemas.Deleted(id=provider_id))

    async def restore_provider(self, request: Request) -> Response:
        provider_id = request.path_params["provider_id"]
        self._writable(provider_id)
        made = await self._call(self._store().restore_provider, provider_id)
        await self._changed(request, f"restored provider {made.name!r} ({made.id})")
        return json_answer(provider_view(made, *self._settings()))

    async def purge_provider(self, request: Request) -> Response:
        provider_id = request.path_params["provider_id"]
        self._writable(provider_id)
        await self._call(self._store().purge_provider, provider_id)
        await self._changed(request, f"purged provider {provider_id} and its key")
        return json_answer(schemas.Deleted(id=provider_id))

    # --- models --------------------------------------------------------------------------

    async def list_models(self, request: Request) -> Response:
        provider = await self._provider_out(request.path_params["provider_id"])
        return json_answer(schemas.ModelList(data=provider.models))

    async def add_model(self, request: Request) -> Response:
        provider_id = request.path_params["provider_id"]
        self._writable(provider_id)
        body = await read_body(request, schemas.ModelIn)
        spec = body.model_dump(exclude_none=True, mode="json")
        model = await self._call(self._store().add_model, provider_id, spec.pop("model"), **spec)
        provider = await self._call(self._store().provider, provider_id)
        await self._changed(request, f"added model {model.model!r} ({model.id}) to {provider.name!r}")
        return json_answer(model_view(provider, model, *self._settings()), 201)

    async def update_model(self, request: Request) -> Response:
        provider_id, model_id = request.path_params["provider_id"], request.path_params["model_id"]
        self._writable(provider_id)
        body = await read_body(request, schemas.ModelPatch)
        changes = body.model_dump(exclude_unset=True, mode="json")
        if "model" in changes and changes["model"] is None:
            raise ApiError(422, "model cannot be null.", "invalid_body", "model")
        model = await self._call(self._store().update_model, provider_id, model_id, **changes)
        provider = await self._call(self._store().provider, provider_id)
        await self._changed(
            request,
            f"changed model {model.model!r} ({model.id}) of {provider.name!r}: "
            f"{', '.join(sorted(changes)) or 'nothing'}",
        )
        return json_answer(model_view(provider, model, *self._settings()))

    async def delete_model(self, request: Request) -> Response:
        provider_id, model_id = request.path_params["provider_id"], request.path_params["model_id"]
        self._writable(provider_id)
        await self._call(self._store().delete_model, provider_id, model_id)
        await self._changed(request, f"removed model {model_id} from provider {provider_id}")
        return json_answer(schemas.Deleted(id=model_id))

    async def _stored_with_secrets(self, provider_id: str) -> StoredProvider:
        self._writable(provider_id)
        store = self._store()
        await self._call(store.provider, provider_id)  # 404 for an unknown or deleted id
        snapshot = await self._call(store.snapshot)
        found = next((p for p in snapshot.providers if p.id == provider_id), None)
        if found is None:
            raise ApiError(404, f"No provider {provider_id!r}; GET /v0/management/providers lists them.", "not_found")
        return found

    async def test_model(self, request: Request) -> Response:
        provider_id, model_id = request.path_params["provider_id"], request.path_params["model_id"]
        provider = await self._stored_with_secrets(provider_id)
        model = next((m for m in provider.models if m.id == model_id), None)
        if model is None:
            raise ApiError(404, f"Provider {provider.name!r} has no model {model_id!r}.", "not_found")
        try:
            outcome = await try_model(target_for(provider, model), now=time.time())
        except CheckFailed as exc:
            outcome = Trial(False, None, str(exc))
        message = self.runtime().redactor.text(outcome.message) if outcome.message else None
        status = "connected" if outcome.ok else "error"
        await self._call(self._store().record_test, model_id, status, outcome.latency_ms, message)
        stored = await self._call(self._store().provider, provider_id)
        tested = next((m for m in stored.models if m.id == model_id), None)
        if tested is None:
            raise ApiError(404, f"The model {model_id!r} was removed while it was tested.", "not_found")
        audit.info("management: tested %s/%s: %s", provider.name, model.model, status)
        return json_answer(model_view(stored, tested, *self._settings()))

    async def available_models(self, request: Request) -> Response:
        provider = await self._stored_with_secrets(request.path_params["provider_id"])
        try:
            found = await list_models(provider)
        except CheckFailed as exc:
            raise ApiError(502, self.runtime().redactor.text(str(exc)), "upstream_unavailable") from None
        return json_answer(schemas.AvailableModels(data=found))

    # --- chains --------------------------------------------------------------------------

    async def list_chains(self, request: Request) -> Response:
        stored = await self._call(self._store().chains)
        data = [schemas.ChainOut(id=c.id, source="store", name=c.name, models=list(c.models)) for c in stored]
        data += [
            schemas.ChainOut(id=CONFIG_ID_PREFIX + c.name, source="config", name=c.name, models=list(c.models))
            for c in self.runtime().base.chains
        ]
        return json_answer(schemas.ChainList(data=data))

    async def create_chain(self, request: Request) -> Response:
        body = await read_body(request, schemas.ChainIn)
        self._name_taken(body.name, chain_id="")
        current = self._current()
        candidate = StoredChain("new", body.name, tuple(body.models), 0.0, 0.0)
        self._check_routes(replace(current, chains=current.chains + (candidate,)))
        made = await self._call(self._store().create_chain, body.name, body.models)
        await self._changed(request, f"created chain {made.name!r} ({made.id})")
        return json_answer(schemas.ChainOut(id=made.id, source="store", name=made.name, models=list(made.models)), 201)

    async def update_chain(self, request: Request) -> Response:
        chain_id = request.path_params["chain_id"]
        if chain_id.startswith(CONFIG_ID_PREFIX):
            raise ApiError(
                409, "That chain is defined in config.yaml and is read-only here; edit the file.", "read_only"
            )
        body = await read_body(request, schemas.ChainPatch)
        existing = await self._call(self._store().chain, chain_id)
        if body.name is not None and body.name != existing.name:
            self._name_taken(body.name, chain_id="")
        current = self._current()
        changed = replace(existing, name=body.name or existing.name, models=tuple(body.models or existing.models))
        self._check_routes(replace(current, chains=tuple(changed if c.id == chain_id else c for c in current.chains)))
        made = await self._call(self._store().update_chain, chain_id, name=body.name, models=body.models)
        await self._changed(request, f"changed chain {made.name!r} ({made.id})")
        return json_answer(schemas.ChainOut(id=made.id, source="store", name=made.name, models=list(made.models)))

    async def delete_chain(self, request: Request) -> Response:
        chain_id = request.path_params["chain_id"]
        if chain_id.startswith(CONFIG_ID_PREFIX):
            raise ApiError(
                409, "That chain is defined in config.yaml and is read-only here; edit the file.", "read_only"
            )
        await self._call(self._store().delete_chain, chain_id)
        await self._changed(request, f"deleted chain {chain_id}")
        return json_answer(schemas.Deleted(id=chain_id))

    # --- the active and fallback model ---------------------------------------------------

    def _setting_out(self, which: str) -> Response:
        active, fallback = self._settings()
        model_id = self.runtime().base.remote_management.default_model_id
        return json_answer(schemas.ModelSetting(model_id=model_id, model=active if which == "active" else fallback))

    async def get_active(self, request: Request) -> Response:
        self._store()
        return self._setting_out("active")

    async def get_fallback(self, request: Request) -> Response:
        self._store()
        return self._setting_out("fallback")

    async def _put_setting(self, request: Request, which: str) -> Response:
        body = await read_body(request, schemas.ModelSettingIn)
        model = body.model.strip()
        current = self._current()
        default_id = self.runtime().base.remote_management.default_model_id
        if model.replace("^", "/", 1) == default_id:
            raise ApiError(
                422,
                f"{default_id!r} is what the active model is served as; name a real model.",
                "invalid_body",
                "model",
            )
        if which == "fallback" and not current.active_model:
            raise ApiError(409, "Set the active model first; the fallback serves while it cannot.", "conflict")
        if which == "fallback" and model == current.active_model:
            raise ApiError(422, "The fallback must differ from the active model.", "invalid_body", "model")
        if which == "active":
            candidate = replace(current, active_model=model)
        else:
            candidate = replace(current, fallback_model=model)
        self._check_routes(candidate)
        await self._call(self._store().set_model_setting, which, model)
        await self._changed(request, f"{which} model set to {model!r}")
        return self._setting_out(which)

    async def put_active(self, request: Request) -> Response:
        return await self._put_setting(request, "active")

    async def put_fallback(self, request: Request) -> Response:
        return await self._put_setting(request, "fallback")

    async def delete_fallback(self, request: Request) -> Response:
        await self._call(self._store().set_model_setting, "fallback", None)
        await self._changed(request, "fallback model cleared")
        return self._setting_out("fallback")
