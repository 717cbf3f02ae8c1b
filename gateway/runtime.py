"""Everything derived from one config (and the models discovered at run time): the `Runtime`.

A `Runtime` is built whole and never mutated. A request reads `holder.current` once and
keeps that runtime to its end, so a reload or a discovery is one attribute assignment in
`RuntimeHolder.replace()`, and no request ever sees half of two configs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from gateway.clients.keys import ClientKeys
from gateway.config.models import GatewayConfig
from gateway.config.secrets import config_secrets
from gateway.core.redaction import Redactor
from gateway.observe.pricing import PriceBook
from gateway.routing.catalog import Catalog, build_catalog
from gateway.store.overlay import overlay
from gateway.store.providers import Managed

__all__ = ["Runtime", "RuntimeHolder"]


class Runtime:
    """`base` is config.yaml as read; `config` is it with the store's providers laid over
    (`managed`), and is what every stage reads."""

    __slots__ = (
        "base",
        "managed",
        "config",
        "catalog",
        "keys",
        "models_body",
        "created",
        "discovered",
        "redactor",
        "prices",
    )

    def __init__(
        self,
        base: GatewayConfig,
        *,
        created: int,
        discovered: Mapping[str, tuple[str, ...]] | None = None,
        redactor: Redactor | None = None,
        managed: Managed | None = None,
    ) -> None:
        self.base = base
        self.managed = managed
        config = base
        if managed is not None:
            config = overlay(base, managed, default_id=base.remote_management.default_model_id)
        self.config = config
        # Secrets of this config and of every earlier one: requests may still use those.
        self.redactor = (redactor or Redactor(())).union(config_secrets(config))
        self.discovered: dict[str, tuple[str, ...]] = dict(discovered or {})
        self.catalog: Catalog = build_catalog(config, self.discovered)
        self.keys = ClientKeys(config)
        self.prices = PriceBook(config.prices)
        self.created = created
        self.models_body = orjson.dumps({"object": "list", "data": self.model_objects()})

    def with_config(self, base: GatewayConfig) -> Runtime:
        return Runtime(
            base, created=self.created, discovered=self.discovered, redactor=self.redactor, managed=self.managed
        )

    def with_discovered(self, discovered: Mapping[str, tuple[str, ...]]) -> Runtime:
        return Runtime(
            self.base, created=self.created, discovered=discovered, redactor=self.redactor, managed=self.managed
        )

    def with_managed(self, managed: Managed) -> Runtime:
        return Runtime(
            self.base, created=self.created, discovered=self.discovered, redactor=self.redactor, managed=managed
        )

    def model_objects(self) -> list[dict[str, Any]]:
        objects = [self.model_object(pool.id, pool.owned_by) for pool in self.catalog.pools.values()]
        objects += [self.model_object(name, "chain") for name in self.catalog.chains]
        return objects

    def model_object(self, model_id: str, owned_by: str) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": self.created, "owned_by": owned_by}


class RuntimeHolder:
    """The one place the running runtime lives; `current` is read once per request."""

    __slots__ = ("current",)

    def __init__(self, runtime: Runtime) -> None:
        self.current = runtime

    def replace(self, runtime: Runtime) -> Runtime:
        """Swaps `runtime` in and returns the one it replaced."""
        previous, self.current = self.current, runtime
        return previous
