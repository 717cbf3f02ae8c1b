"""What a request cost: a model's price (per 1M tokens) applied to the usage it reported.

A configured model carries its own price (`cost:` or `cost-per-1k-*`, times `multiplier`);
other upstream model names are looked up in `PriceBook`: the operator's `prices:` patterns
first, then the shipped catalog (gateway/observe/price_catalog.py). Lookups are cached per
name, so a request pays one dict lookup.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from gateway.config.entries import ModelCost
from gateway.observe.price_catalog import CATALOG

if TYPE_CHECKING:
    from gateway.observe.exchange import Usage

__all__ = ["PriceBook", "cost_usd", "normalise"]

MAX_CACHED = 4096
_BOUNDARY = "-:@"
_DOT_IN_VERSION = re.compile(r"(?<=\d)\.(?=\d)")


def cost_usd(price: ModelCost, usage: Usage) -> float:
    """USD for `usage` at `price` (per 1M tokens); cached and cache-write tokens are part of
    `usage.input` and billed at their own price when it is set, else as input."""
    cached, written = usage.cached, usage.cache_write
    fresh = max(usage.input - cached - written, 0)
    total = fresh * price.input + usage.output * price.output
    total += cached * (price.input if price.cache_read is None else price.cache_read)
    total += written * (price.input if price.cache_write is None else price.cache_write)
    return total / 1_000_000


def normalise(name: str) -> str:
    """`openai/gpt-4.1` and `models/gemini-2.5-pro` read as the catalog writes them."""
    name = name.rsplit("/", 1)[-1].lower()
    return _DOT_IN_VERSION.sub("-", name)


class PriceBook:
    """Upstream model name -> price, from the operator's patterns (globs, or name prefixes)
    over the shipped catalog."""

    __slots__ = ("_patterns", "_catalog", "_cache")

    def __init__(self, overrides: Mapping[str, ModelCost] | None = None) -> None:
        self._patterns = list((overrides or {}).items())
        # Longest key first, so the first prefix that matches is the most specific.
        self._catalog = sorted(
            ((normalise(key), _cost(*prices)) for key, prices in CATALOG.items()), key=lambda item: -len(item[0])
        )
        self._cache: dict[str, ModelCost | None] = {}

    def find(self, model: str) -> ModelCost | None:
        try:
            return self._cache[model]
        except KeyError:
            pass
        price = self._lookup(model)
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[model] = price
        return price

    def _lookup(self, model: str) -> ModelCost | None:
        for pattern, price in self._patterns:
            if fnmatch.fnmatchcase(model, pattern) or _prefix_match(normalise(model), normalise(pattern)):
                return price
        name = normalise(model)
        for key, price in self._catalog:
            if _prefix_match(name, key):
                return price
        return None


def _prefix_match(name: str, key: str) -> bool:
    return name.startswith(key) and (len(name) == len(key) or name[len(key)] in _BOUNDARY)


def _cost(input: float, output: float, cache_read: float | None, cache_write: float | None) -> ModelCost:
    return ModelCost(input=input, output=output, cache_read=cache_read, cache_write=cache_write)
