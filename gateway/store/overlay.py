"""The store's providers, chains and active model laid over config.yaml: one `GatewayConfig`
that the runtime is built from, exactly as if the operator had written them in the file.

Pure. Each stored provider becomes an entry of the config block its type is driven by, named
and prefixed with its name, so `name/model` (and `name^model`) reach it. The active model and
its fallback become a chain named `default` (configurable); a provider's name alone is a chain
to its default model. Names the file already uses win: the file is what ops own.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import SecretStr, ValidationError

from gateway.config.models import (
    ApiKeyEntry,
    AzureModelEntry,
    AzureOpenAIEntry,
    ChainConfig,
    GatewayConfig,
    ModelEntry,
    OllamaEntry,
    OpenAICompatEntry,
    ProviderKeyEntry,
    When,
)
from gateway.config.provider_types import TYPES
from gateway.config.routes import served_ids
from gateway.store.providers import Managed, StoredModel, StoredProvider

__all__ = ["RESPONSES_ONLY", "config_names", "overlay"]

log = logging.getLogger("gateway.store")
M = TypeVar("M", bound=ModelEntry)

# With `openai_api_mode: auto`, OpenAI models that only the Responses API serves.
RESPONSES_ONLY = ("*codex*", "*-pro", "*-pro-*", "*deep-research*", "computer-use*")
NATIVE = {"claude-api-key": "claude_api_key", "gemini-api-key": "gemini_api_key", "codex-api-key": "codex_api_key"}


def config_names(config: GatewayConfig) -> set[str]:
    """Names and prefixes the file's entries use: a stored provider may not take one."""
    names: set[str] = set()
    for block in (config.openai_compatibility, config.azure_openai, config.ollama, config.mock):
        for entry in block:
            names.add(entry.name)
            if entry.prefix:
                names.add(entry.prefix)
    for native in (config.claude_api_key, config.gemini_api_key, config.codex_api_key):
        for item in native:
            names.update(n for n in (item.name, item.prefix) if n)
    return names


def model_entry(model: StoredModel, cls: type[M] = ModelEntry) -> M:  # type: ignore[assignment]
    per_1k = model.cost_per_1k_input is not None and model.cost_per_1k_output is not None
    return cls(
        name=model.model,
        alias=model.alias or None,
        priority=model.priority,
        tags=model.tags,
        when=When.model_validate(model.when) if model.when else None,
        advanced_json=model.advanced_json,
        multiplier=model.multiplier,
        cost_per_1k_input=model.cost_per_1k_input if per_1k else None,
        cost_per_1k_output=model.cost_per_1k_output if per_1k else None,
        cost_per_1k_cache_read=model.cost_per_1k_cache_read if per_1k else None,
        cost_per_1k_cache_write=model.cost_per_1k_cache_write if per_1k else None,
    )


def _responses_only(model: str) -> bool:
    return any(fnmatch.fnmatchcase(model, pattern) for pattern in RESPONSES_ONLY)


def _entries(provider: StoredProvider) -> Iterator[tuple[str, Any]]:
    """(config block attribute, entry) pairs for one stored provider."""
    kind = TYPES.get(provider.provider_type)
    if kind is None:
        return
    base_url = (provider.base_url or kind.default_base_url or "").rstrip("/") or None
    common: dict[str, Any] = {
        "prefix": provider.name,
        "headers": tuple(provider.headers.items()),
        "advanced_json": provider.advanced_json,
        "degraded_threshold_ms": provider.degraded_threshold_ms,
    }
    models: tuple[ModelEntry, ...] = tuple(model_entry(m) for m in provider.models)
    key = provider.api_key
    keys = (ApiKeyEntry(api_key=SecretStr(key)),) if key else ()
    block = kind.config_block
    if block == "openai-compatibility" and kind.key == "openai" and provider.openai_api_mode != "chat_completions":
        # The Responses API for models only it serves (auto), or for all (responses).
        everything = provider.openai_api_mode == "responses"
        responses = tuple(m for m in models if everything or _responses_only(m.name))
        models = tuple(m for m in models if m not in responses)
        if responses and key:
            yield (
                "codex_api_key",
                ProviderKeyEntry(
                    api_key=SecretStr(key), name=provider.name, base_url=base_url, models=responses, **common
                ),
            )
        if not models:
            return
    if block == "openai-compatibility":
        if base_url is None:
            return
        yield (
            "openai_compatibility",
            OpenAICompatEntry(name=provider.name, base_url=base_url, api_key_entries=keys, models=models, **common),
        )
    elif block in NATIVE:
        if key:
            yield (
                NATIVE[block],
                ProviderKeyEntry(
                    api_key=SecretStr(key), name=provider.name, base_url=base_url, models=models, **common
                ),
            )
    elif block == "azure-openai":
        if base_url and keys and models:
            azure_models = tuple(model_entry(m, AzureModelEntry) for m in provider.models)
            yield (
                "azure_openai",
                AzureOpenAIEntry(
                    name=provider.name, base_url=base_url, api_key_entries=keys, models=azure_models, **common
                ),
            )
    elif block == "ollama":
        yield "ollama", OllamaEntry(name=provider.name, base_url=base_url or "http://127.0.0.1:11434",
                                    models=models or None, **common)  # fmt: skip


def overlay(base: GatewayConfig, managed: Managed, *, default_id: str = "default", prune: bool = True) -> GatewayConfig:
    """`base` with `managed` laid over it. With `prune`, members of the store's chains (and of
    the default chain) that no longer resolve are left out, so that a deleted fallback leaves
    the active model serving; the management API checks with `prune=False` before a write."""
    taken = config_names(base)
    blocks: dict[str, list[Any]] = {}
    chains = list(base.chains)
    chain_names = {c.name for c in chains}
    stored: list[ChainConfig] = []  # the chains that come from the store, pruned below
    if managed.active_model and default_id not in chain_names:
        members = (managed.active_model,) + ((managed.fallback_model,) if managed.fallback_model else ())
        stored.append(ChainConfig(name=default_id, models=tuple(m.replace("^", "/", 1) for m in members)))
        chain_names.add(default_id)
    shortcuts: list[ChainConfig] = []
    for provider in managed.providers:
        if not provider.enabled or not (provider.models or provider.provider_type == "ollama"):
            continue
        if provider.name in taken:
            log.warning("stored provider %r is shadowed by config.yaml's entry of that name", provider.name)
            continue
        try:
            for attribute, entry in _entries(provider):
                blocks.setdefault(attribute, []).append(entry)
        except ValidationError as exc:
            log.warning("stored provider %r is not served: %s", provider.name, exc.errors()[0]["msg"])
            continue
        default = next((m for m in provider.models if m.is_default), provider.models[0] if provider.models else None)
        if default is not None and provider.name not in chain_names:
            shortcuts.append(ChainConfig(name=provider.name, models=(f"{provider.name}/{default.model}",)))
            chain_names.add(provider.name)
    for chain in managed.chains:
        if chain.name in chain_names:
            log.warning("stored chain %r is shadowed by a chain or provider of that name", chain.name)
            continue
        stored.append(ChainConfig(name=chain.name, models=chain.models))
        chain_names.add(chain.name)
    update: dict[str, Any] = {name: getattr(base, name) + tuple(entries) for name, entries in blocks.items()}
    merged = base.model_copy(update=update)
    served = served_ids(merged)
    # A provider's name is a chain to its default model, unless a model is called that.
    shortcuts = [c for c in shortcuts if c.name not in served.fallbacks]
    if prune:
        names = {c.name for c in (*chains, *stored, *shortcuts)}
        kept = []
        for item in stored:
            members = tuple(m for m in item.models if m in names or served.resolves(m))
            if members != item.models:
                gone = ", ".join(m for m in item.models if m not in members)
                log.warning("chain %r: %s no longer resolve(s) and is left out", item.name, gone)
            if members:
                kept.append(item.model_copy(update={"models": members}))
        stored = kept
    return merged.model_copy(update={"chains": (*chains, *stored, *shortcuts)})
