"""Asking a stored provider's upstream directly (gateway.upstream.checks does the HTTP): a
minimal chat request to test one model, and the list of models it serves.

The target is built the way routing builds it (the provider laid over an empty config), so a
test exercises the same URL, dialect, headers and key a real request would. Messages that come
back are redacted by the caller's redactor before they are stored or answered.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from gateway.admin.schemas import AvailableModel
from gateway.config.models import GatewayConfig
from gateway.core.errors import ClientError
from gateway.core.targets import Target
from gateway.routing.catalog import build_catalog
from gateway.store.overlay import overlay
from gateway.store.providers import Managed, StoredModel, StoredProvider
from gateway.upstream.checks import CheckFailed, Trial, fetch_model_list, try_model
from gateway.upstream.discovery import parse_tags

__all__ = ["CheckFailed", "Trial", "list_models", "target_for", "try_model"]


def target_for(provider: StoredProvider, model: StoredModel) -> Target:
    """The routing target of `model` of `provider` (which carries its secrets), even when the
    provider is disabled."""
    alone = replace(provider, enabled=True, models=(model,))
    catalog = build_catalog(overlay(GatewayConfig(), Managed(providers=(alone,))))
    try:
        return catalog.route(f"{provider.name}/{model.model}").pools[0].targets[0]
    except ClientError:
        raise CheckFailed(
            f"{provider.name!r} cannot be routed: its type needs fields it lacks (a key or a base URL)."
        ) from None


async def list_models(provider: StoredProvider) -> list[AvailableModel]:
    """The upstream's own model list (OpenAI /models, Anthropic /v1/models, Gemini models,
    Ollama /api/tags with sizes)."""
    probe_model = StoredModel(id="probe", provider_id=provider.id, model="probe")
    target = target_for(provider, probe_model)
    raw = await fetch_model_list(target.credential, ollama=provider.provider_type == "ollama")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise CheckFailed(f"{provider.name!r} answered its model list with something that is not JSON.") from None
    return parse_model_list(document, ollama=provider.provider_type == "ollama")


def parse_model_list(document: Any, *, ollama: bool) -> list[AvailableModel]:
    """Models from any of the four list formats; entries of an unexpected shape are skipped."""
    if ollama:
        try:
            names = set(parse_tags(document))
        except ValueError:
            raise CheckFailed("The Ollama model list has no 'models' list.") from None
        found = []
        for item in document.get("models", []):
            if not isinstance(item, dict) or (item.get("name") or item.get("model")) not in names:
                continue
            raw_details = item.get("details")
            details = raw_details if isinstance(raw_details, dict) else {}
            size = item.get("size")
            found.append(
                AvailableModel(
                    id=item.get("name") or item["model"],
                    parameter_size=_text(details.get("parameter_size")),
                    quantization=_text(details.get("quantization_level")),
                    size_bytes=size if isinstance(size, int) and not isinstance(size, bool) else None,
                )
            )
        return found
    if not isinstance(document, dict):
        raise CheckFailed("The model list is not a JSON object.")
    items = document.get("data") if isinstance(document.get("data"), list) else document.get("models")
    if not isinstance(items, list):
        raise CheckFailed("The model list has neither 'data' nor 'models'.")
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        ident = item.get("id") or item.get("name")
        if not isinstance(ident, str) or not ident:
            continue
        name = item.get("display_name") or item.get("displayName")
        found.append(AvailableModel(id=ident.removeprefix("models/"), name=_text(name)))
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
