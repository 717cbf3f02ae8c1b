"""Model ids -> pools of route targets, built once per config and never mutated.

A client id is `prefix/name`, `prefix/alias`, or (unless `force-model-prefix`, or for entries
without a prefix) the bare `name`/`alias`. Every (credential, upstream model) that serves an id
joins that id's pool. An entry without `models` passes any `prefix/<anything>` through with
`<anything>` as the upstream model. A chain name, or an id with `fallbacks`, resolves to a
route: its own pool first, then the pools it falls back to, in order.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gateway.config.models import GatewayConfig, ModelEntry
from gateway.config.routes import SELECTOR, client_ids, is_excluded
from gateway.core.errors import ClientError
from gateway.core.targets import Credential, Provider, Target
from gateway.routing.conditions import merge_advanced

__all__ = ["Catalog", "Pool", "Route", "build_catalog"]

DEFAULT_BASE_URLS = {
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
    "responses": "https://api.openai.com/v1",
}
# config block -> dialect of its upstream
NATIVE_BLOCKS = {"claude-api-key": "anthropic", "gemini-api-key": "gemini", "codex-api-key": "responses"}


def _fingerprint(*parts: str) -> str:
    """A stable, non-reversible id: the same entry keeps its id (and cooldowns) across reloads."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Pool:
    id: str
    targets: tuple[Target, ...]
    owned_by: str
    fallbacks: tuple[str, ...] = ()
    # Round-robin position key: the id, or "prefix/*" for a passthrough pool, so that client-
    # chosen model names do not each get a cursor.
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.id)


@dataclass(frozen=True, slots=True)
class Route:
    """What serves one client id: pools tried in order; `id` is what the client sees."""

    id: str
    pools: tuple[Pool, ...]


@dataclass(frozen=True, slots=True)
class _Entry:
    provider: Provider
    credentials: tuple[Credential, ...]
    prefix: str | None
    models: tuple[ModelEntry, ...] | None
    excluded: tuple[str, ...]
    # Also pass `prefix/<anything>` through when models are listed (discovered Ollama models).
    passthrough: bool = False
    advanced_json: Mapping[str, object] | None = None


class Catalog:
    """Immutable lookup from client model ids to pools and routes."""

    def __init__(
        self,
        pools: dict[str, Pool],
        passthrough: dict[str, tuple[_Entry, ...]],
        providers: tuple[Provider, ...],
        chains: dict[str, tuple[str, ...]],
        credentials: tuple[Credential, ...] = (),
    ):
        self.pools = pools
        self._passthrough = passthrough
        self.providers = providers
        self.credentials = credentials
        self.chains = chains
        # Routes of plain pools are built once here, so a request allocates none.
        self._routes: dict[str, Route] = {
            pid: Route(pid, (pool,)) for pid, pool in pools.items() if not pool.fallbacks and pid not in chains
        }

    def resolve(self, model: str) -> Pool:
        pool = self.pools.get(model)
        if pool is not None:
            return pool
        if SELECTOR in model:
            # A chain or fallback member spelt provider^model.
            try:
                return self.resolve(model.replace(SELECTOR, "/", 1))
            except ClientError:
                raise self.not_found(model) from None
        prefix, sep, rest = model.partition("/")
        entries = self._passthrough.get(prefix, ()) if sep and rest else ()
        targets = tuple(
            Target(credential, rest, credential.priority, extra=entry.advanced_json or None)
            for entry in entries
            if not is_excluded(rest, entry.excluded)
            for credential in entry.credentials
        )
        if targets:
            return Pool(model, targets, targets[0].credential.provider.name, key=prefix + "/*")
        raise self.not_found(model)

    def route(self, model: str) -> Route:
        """The pools serving `model`: a chain's members, or a pool and its fallbacks.
        `provider^model` names the same thing as `provider/model`."""
        route = self._routes.get(model)
        if route is not None:
            return route
        if SELECTOR in model and model not in self.pools and model not in self.chains:
            try:
                return Route(model, self.route(model.replace(SELECTOR, "/", 1)).pools)
            except ClientError:
                raise self.not_found(model) from None
        if model not in self.chains:
            pool = self.resolve(model)
            if not pool.fallbacks:
                return Route(model, (pool,))
        pools: list[Pool] = []
        self._expand(model, pools, set(), ())
        route = self._routes[model] = Route(model, tuple(pools))
        return route

    def _expand(self, model: str, pools: list[Pool], seen: set[str], path: tuple[str, ...]) -> None:
        if model in path:
            raise ClientError(500, f"routing loop: {' -> '.join(path + (model,))}", code="routing_loop")
        if model in self.chains:
            for member in self.chains[model]:
                self._expand(member, pools, seen, path + (model,))
            return
        pool = self.resolve(model)
        if pool.id not in seen:
            seen.add(pool.id)
            pools.append(pool)
        for fallback in pool.fallbacks:
            self._expand(fallback, pools, seen, path + (model,))

    def passthrough_owner(self, prefix: str) -> str | None:
        entries = self._passthrough.get(prefix)
        return entries[0].provider.name if entries else None

    def not_found(self, model: str) -> ClientError:
        known = list(self.pools) + list(self.chains) + [f"{p}/<model>" for p in self._passthrough]
        close = difflib.get_close_matches(model, known, n=3, cutoff=0.4)
        if close:
            hint = "closest ids: " + ", ".join(close)
        elif known:
            hint = "GET /v1/models lists the ids this gateway serves"
        else:
            hint = "this gateway has no models configured"
        return ClientError(
            404, f"The model {model!r} does not exist on this gateway; {hint}.", code="model_not_found", param="model"
        )


def _credentials(provider: Provider, keys: list[tuple[str, int]]) -> tuple[Credential, ...]:
    """One credential per key (one keyless credential when there are none), labelled
    `entry-name#index`: stable, never the key itself."""
    return tuple(
        Credential(provider, key, _fingerprint(provider.id, key), priority, f"{provider.name}#{index}")
        for index, (key, priority) in enumerate(keys or [("", 0)])
    )


def _entries(config: GatewayConfig, discovered: Mapping[str, tuple[str, ...]]) -> Iterable[_Entry]:
    base = config.timeouts
    for entry in config.openai_compatibility:
        if entry.disabled:
            continue
        provider = Provider(
            entry.name,
            "openai",
            entry.base_url,
            entry.headers,
            _fingerprint("openai", entry.name, entry.base_url),
            base.merged(entry.timeouts),
            degraded_ms=entry.degraded_threshold_ms,
        )
        keys = [(k.api_key.get_secret_value(), k.priority) for k in entry.api_key_entries]
        yield _Entry(
            provider,
            _credentials(provider, keys),
            entry.prefix,
            entry.models,
            entry.excluded_models,
            advanced_json=entry.advanced_json,
        )
    for azure in config.azure_openai:
        if azure.disabled:
            continue
        provider = Provider(
            azure.name,
            "azure",
            azure.base_url,
            azure.headers,
            _fingerprint("azure", azure.name, azure.base_url),
            base.merged(azure.timeouts),
            degraded_ms=azure.degraded_threshold_ms,
            api_version=azure.api_version,
        )
        keys = [(k.api_key.get_secret_value(), k.priority) for k in azure.api_key_entries]
        yield _Entry(
            provider,
            _credentials(provider, keys),
            azure.prefix,
            azure.models,
            azure.excluded_models,
            advanced_json=azure.advanced_json,
        )
    for ollama in config.ollama:
        if ollama.disabled:
            continue
        provider = Provider(
            ollama.name,
            "openai",
            ollama.base_url + "/v1",
            ollama.headers,
            _fingerprint("ollama", ollama.name, ollama.base_url),
            base.merged(ollama.timeouts),
            degraded_ms=ollama.degraded_threshold_ms,
        )
        models = ollama.models
        if models is None:
            models = tuple(ModelEntry(name=name) for name in discovered.get(ollama.name, ()))
        yield _Entry(
            provider,
            _credentials(provider, []),
            ollama.prefix,
            models,
            ollama.excluded_models,
            passthrough=ollama.models is None,
            advanced_json=ollama.advanced_json,
        )
    for mock in config.mock:
        if mock.disabled:
            continue
        provider = Provider(
            mock.name,
            "openai",
            f"mock://{mock.name}",
            mock.headers,
            _fingerprint("mock", mock.name),
            base.merged(mock.timeouts),
            degraded_ms=mock.degraded_threshold_ms,
            transport="mock",
        )
        yield _Entry(provider, _credentials(provider, []), mock.prefix, mock.models, mock.excluded_models)
    for block, dialect in NATIVE_BLOCKS.items():
        for index, item in enumerate(getattr(config, block.replace("-", "_"))):
            base_url = item.base_url or DEFAULT_BASE_URLS[dialect]
            key = item.api_key.get_secret_value()
            provider = Provider(
                item.name or f"{block}[{index}]",
                dialect,
                base_url,
                item.headers,
                _fingerprint(dialect, base_url, key),
                base.merged(item.timeouts),
                degraded_ms=item.degraded_threshold_ms,
            )
            yield _Entry(
                provider,
                _credentials(provider, [(key, item.priority)]),
                item.prefix,
                item.models,
                item.excluded_models,
                advanced_json=item.advanced_json,
            )


def upstream_name(model: ModelEntry) -> str:
    """What the upstream is asked for: an Azure deployment, else the model's name."""
    return getattr(model, "deployment", None) or model.name


def build_catalog(config: GatewayConfig, discovered: Mapping[str, tuple[str, ...]] | None = None) -> Catalog:
    """`discovered` holds model names found at run time, by entry name (Ollama's /api/tags)."""
    targets: dict[str, list[Target]] = {}
    owners: dict[str, str] = {}
    fallbacks: dict[str, list[str]] = {}
    passthrough: dict[str, list[_Entry]] = {}
    providers: list[Provider] = []
    credentials: list[Credential] = []
    for entry in _entries(config, discovered or {}):
        providers.append(entry.provider)
        credentials.extend(entry.credentials)
        if entry.prefix and (entry.models is None or entry.passthrough):
            passthrough.setdefault(entry.prefix, []).append(entry)
        for model in entry.models or ():
            if is_excluded(model.name, entry.excluded):
                continue
            for client_id in client_ids(model, entry.prefix, config.force_model_prefix):
                pool = targets.setdefault(client_id, [])
                owners.setdefault(client_id, entry.provider.name)
                chain = fallbacks.setdefault(client_id, [])
                chain.extend(f for f in model.fallbacks if f not in chain)
                extra = merge_advanced(entry.advanced_json or {}, model.advanced_json) or None
                for credential in entry.credentials:
                    target = Target(
                        credential,
                        upstream_name(model),
                        model.priority + credential.priority,
                        model.price(),
                        extra=extra,
                        when=model.when,
                    )
                    if target not in pool:
                        pool.append(target)
    pools = {cid: Pool(cid, tuple(ts), owners[cid], tuple(fallbacks[cid])) for cid, ts in targets.items()}
    chains = {chain.name: chain.models for chain in config.chains}
    return Catalog(pools, {p: tuple(es) for p, es in passthrough.items()}, tuple(providers), chains, tuple(credentials))
