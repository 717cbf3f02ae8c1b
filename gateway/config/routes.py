"""Which model ids a config serves, and the checks on its chains and fallbacks.

Computed from the config alone, so the loader can refuse a bad file without building the
catalog; the catalog uses `client_ids` too, so both agree on what an id is.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from gateway.config.entries import ModelEntry
from gateway.config.models import GatewayConfig

__all__ = ["SELECTOR", "ServedIds", "client_ids", "is_excluded", "route_problems", "served_ids"]

KeyPath = tuple[str | int, ...]
# `provider^model`: another spelling of `provider/model`, for clients that treat "/" specially.
SELECTOR = "^"


def client_ids(model: ModelEntry, prefix: str | None, force_prefix: bool) -> list[str]:
    """`prefix/name`, `prefix/alias`, and (unless forced to prefixes) the bare name and alias."""
    names = [model.name] + ([model.alias] if model.alias and model.alias != model.name else [])
    ids: list[str] = []
    if prefix:
        ids.extend(f"{prefix}/{name}" for name in names)
    if not prefix or not force_prefix:
        ids.extend(names)
    return ids


def is_excluded(model: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(model, pattern) for pattern in patterns)


@dataclass(frozen=True, slots=True)
class ServedIds:
    """Model ids -> their fallbacks; prefixes that pass any `prefix/<model>` through."""

    fallbacks: dict[str, tuple[str, ...]]
    passthrough: frozenset[str]

    def resolves(self, model: str) -> bool:
        if model in self.fallbacks:
            return True
        if SELECTOR in model:
            return self.resolves(model.replace(SELECTOR, "/", 1)) if "/" not in model else False
        prefix, sep, rest = model.partition("/")
        return bool(sep and rest and prefix in self.passthrough)


def _entries(config: GatewayConfig) -> Iterator[tuple[str | None, tuple[ModelEntry, ...] | None, tuple[str, ...]]]:
    """(prefix, models or None for passthrough, excluded patterns) of every enabled entry."""
    for block in (config.openai_compatibility, config.azure_openai, config.ollama, config.mock):
        for entry in block:
            if not entry.disabled:
                yield entry.prefix, entry.models, entry.excluded_models
    for native in (config.claude_api_key, config.gemini_api_key, config.codex_api_key):
        for item in native:
            yield item.prefix, item.models, item.excluded_models


def served_ids(config: GatewayConfig) -> ServedIds:
    fallbacks: dict[str, list[str]] = {}
    passthrough: set[str] = set()
    for prefix, models, excluded in _entries(config):
        if prefix and models is None:
            passthrough.add(prefix)
        for model in models or ():
            if is_excluded(model.name, excluded):
                continue
            for cid in client_ids(model, prefix, config.force_model_prefix):
                known = fallbacks.setdefault(cid, [])
                known.extend(f for f in model.fallbacks if f not in known)
    # An ollama entry without models passes its prefix through until its models are discovered.
    passthrough.update(e.prefix for e in config.ollama if e.prefix and e.models is None and not e.disabled)
    return ServedIds({k: tuple(v) for k, v in fallbacks.items()}, frozenset(passthrough))


def route_problems(config: GatewayConfig) -> list[tuple[KeyPath | str, str]]:
    """Chains and fallbacks that name unknown ids, shadow a model, or loop: (key path, message)."""
    served = served_ids(config)
    chains = {chain.name: chain.models for chain in config.chains}
    problems: list[tuple[KeyPath | str, str]] = []
    for index, (name, members) in enumerate(chains.items()):
        if name in served.fallbacks:
            problems.append((("chains", index, "name"), f"{name!r} is already a model id; give the chain its own name"))
        for position, member in enumerate(members):
            if member not in chains and not served.resolves(member):
                problems.append((("chains", index, "models", position), f"unknown model id {member!r}"))
    for model_id, fallbacks in served.fallbacks.items():
        for fallback in fallbacks:
            if fallback not in chains and not served.resolves(fallback):
                problems.append((f"fallbacks of {model_id!r}", f"unknown model id {fallback!r}"))
    starts = list(chains) + [m for m, f in served.fallbacks.items() if f]
    for name in dict.fromkeys(starts):
        loop = _loop(name, chains, served, ())
        if loop:
            problems.append(
                (f"chain or fallbacks of {name!r}", f"routing loop: {' -> '.join(loop)}; routes must not loop")
            )
    return problems


def _next(model: str, chains: dict[str, tuple[str, ...]], served: ServedIds) -> Iterable[str]:
    return chains[model] if model in chains else served.fallbacks.get(model, ())


def _loop(
    model: str, chains: dict[str, tuple[str, ...]], served: ServedIds, path: tuple[str, ...]
) -> tuple[str, ...] | None:
    if model in path:
        return path + (model,)
    for following in _next(model, chains, served):
        found = _loop(following, chains, served, path + (model,))
        if found:
            return found
    return None
