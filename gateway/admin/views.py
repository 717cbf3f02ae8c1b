"""Providers as the management API shows them: stored ones with masked secrets, and the entries
of config.yaml, read-only, in the same shape."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gateway.admin.schemas import ModelOut, ProviderOut, TestStatus
from gateway.config.entries import ModelEntry
from gateway.config.models import GatewayConfig
from gateway.config.secrets import is_secret_header
from gateway.store.providers import StoredModel, StoredProvider, refers_to

__all__ = ["CONFIG_ID_PREFIX", "config_providers", "model_view", "provider_view"]

# Ids of providers from config.yaml: `config:<entry name>`.
CONFIG_ID_PREFIX = "config:"
# config block -> the catalog type it drives
BLOCK_TYPES = {
    "openai_compatibility": "openai-compatible",
    "azure_openai": "azure-openai",
    "ollama": "ollama",
    "mock": "mock",
    "claude_api_key": "anthropic",
    "gemini_api_key": "gemini",
    "codex_api_key": "openai-responses",
}


def _masked(last4: str | None) -> str | None:
    return None if last4 is None else "****" + last4


def model_view(provider: StoredProvider, model: StoredModel, active: str | None, fallback: str | None) -> ModelOut:
    return ModelOut(
        id=model.id,
        model_id=f"{provider.name}/{model.model}",
        model=model.model,
        alias=model.alias,
        priority=model.priority,
        is_default=model.is_default,
        tags=list(model.tags),
        when=model.when,
        advanced_json=model.advanced_json,
        multiplier=model.multiplier,
        cost_per_1k_input=model.cost_per_1k_input,
        cost_per_1k_output=model.cost_per_1k_output,
        cost_per_1k_cache_read=model.cost_per_1k_cache_read,
        cost_per_1k_cache_write=model.cost_per_1k_cache_write,
        active=refers_to(active, provider, model),
        fallback=refers_to(fallback, provider, model),
        test=TestStatus(
            status=model.test_status,  # type: ignore[arg-type]
            latency_ms=model.test_latency_ms,
            message=model.test_message,
            tested_at=model.tested_at,
        ),
    )


def provider_view(provider: StoredProvider, active: str | None, fallback: str | None) -> ProviderOut:
    return ProviderOut(
        id=provider.id,
        source="store",
        read_only=False,
        provider_type=provider.provider_type,
        name=provider.name,
        base_url=provider.base_url,
        api_key_masked=_masked(provider.api_key_last4),
        headers=provider.headers,
        openai_api_mode=provider.openai_api_mode,
        advanced_json=provider.advanced_json,
        degraded_threshold_ms=provider.degraded_threshold_ms,
        enabled=provider.enabled,
        deleted=provider.deleted_at is not None,
        created_at=provider.created_at,
        updated_at=provider.updated_at,
        deleted_at=provider.deleted_at,
        models=[model_view(provider, m, active, fallback) for m in provider.models],
    )


def _config_entries(config: GatewayConfig) -> Iterator[tuple[str, str, Any]]:
    """(block attribute, display name, entry) of every entry of the file."""
    for attribute in ("openai_compatibility", "azure_openai", "ollama", "mock"):
        for entry in getattr(config, attribute):
            yield attribute, entry.name, entry
    for attribute in ("claude_api_key", "gemini_api_key", "codex_api_key"):
        for index, item in enumerate(getattr(config, attribute)):
            yield attribute, item.name or f"{attribute.replace('_', '-')}[{index}]", item


def config_providers(
    config: GatewayConfig,
    discovered: Mapping[str, tuple[str, ...]],
    degraded_ms: float,
    settings: tuple[str | None, str | None] = (None, None),
) -> list[ProviderOut]:
    """The file's entries, read-only: keys masked, secret header values hidden."""
    found = []
    for attribute, name, entry in _config_entries(config):
        keys = getattr(entry, "api_key_entries", None)
        key = keys[0].api_key if keys else getattr(entry, "api_key", None)
        secret = key.get_secret_value() if key is not None else ""
        models: tuple[ModelEntry, ...] = getattr(entry, "models", None) or tuple(
            ModelEntry(name=n) for n in discovered.get(name, ())
        )
        prefix = getattr(entry, "prefix", None)
        found.append(
            ProviderOut(
                id=CONFIG_ID_PREFIX + name,
                source="config",
                read_only=True,
                provider_type=BLOCK_TYPES[attribute],
                name=name,
                base_url=getattr(entry, "base_url", None),
                api_key_masked=_masked(secret[-4:]) if secret else None,
                headers={k: ("****" + v[-4:] if is_secret_header(k) else v) for k, v in entry.headers},
                openai_api_mode="chat_completions",
                advanced_json=entry.advanced_json,
                degraded_threshold_ms=degraded_ms,
                enabled=not getattr(entry, "disabled", False),
                deleted=False,
                created_at=None,
                updated_at=None,
                deleted_at=None,
                models=[_config_model(name, prefix, m, settings) for m in models],
            )
        )
    return found


def _config_model(
    provider: str, prefix: str | None, model: ModelEntry, settings: tuple[str | None, str | None]
) -> ModelOut:
    price = model.price()
    model_id = f"{prefix}/{model.name}" if prefix else model.name
    active, fallback = (s.replace("^", "/", 1) if s else None for s in settings)
    return ModelOut(
        id=f"{CONFIG_ID_PREFIX}{provider}/{model.name}",
        model_id=model_id,
        model=model.name,
        alias=model.alias,
        priority=model.priority,
        is_default=False,
        tags=list(model.tags),
        when=model.when.model_dump(exclude_none=True) if model.when else None,
        advanced_json=model.advanced_json,
        multiplier=model.multiplier,
        cost_per_1k_input=None if price is None else price.input / 1000,
        cost_per_1k_output=None if price is None else price.output / 1000,
        cost_per_1k_cache_read=None if price is None or price.cache_read is None else price.cache_read / 1000,
        cost_per_1k_cache_write=None if price is None or price.cache_write is None else price.cache_write / 1000,
        active=active == model_id,
        fallback=fallback == model_id,
        test=TestStatus(status="untested"),
    )
