"""Prices: the shipped catalog, the operator's `prices:` patterns and a model's own `cost:` in
both spellings, applied to usage with cache reads and writes."""

from __future__ import annotations

import pytest

from gateway.config.entries import ModelCost, ModelEntry
from gateway.config.loader import ConfigError, parse_config
from gateway.observe.exchange import Usage
from gateway.observe.pricing import PriceBook, cost_usd


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", (2.5, 10.0)),
        ("gpt-4o-2024-08-06", (2.5, 10.0)),
        ("gpt-4o-mini-2024-07-18", (0.15, 0.6)),  # the longer key wins
        ("openai/gpt-4.1", (2.0, 8.0)),  # provider prefix and dots
        ("gpt-4.1-mini", (0.4, 1.6)),
        ("claude-sonnet-4-5-20250929", (3.0, 15.0)),
        ("anthropic/claude-sonnet-4.5", (3.0, 15.0)),
        ("models/gemini-2.5-flash-lite", (0.1, 0.4)),
        ("gemini-2.5-flash-preview-05-20", (0.3, 2.5)),
        ("o3-mini", (1.1, 4.4)),
        ("o3", (2.0, 8.0)),
    ],
)
def test_the_catalog_knows_well_known_models_by_prefix(model, expected):
    price = PriceBook().find(model)
    assert price is not None and (price.input, price.output) == expected


@pytest.mark.parametrize("model", ["llama3.1:8b", "gpt-4oops", "o30", "my-own-model"])
def test_names_that_only_look_alike_have_no_price(model):
    assert PriceBook().find(model) is None


def test_operator_patterns_come_before_the_catalog():
    book = PriceBook({"gpt-4o*": ModelCost(input=1, output=1), "llama*": ModelCost(input=0.1, output=0.2)})
    assert book.find("gpt-4o-mini").input == 1
    assert book.find("llama3.1:8b").output == 0.2
    assert book.find("claude-haiku-4-5").input == 1.0  # still the catalog's


def test_cost_bills_cache_reads_and_writes_at_their_prices_or_as_input():
    usage = Usage(input=1000, output=100, cached=200, cache_write=300)
    priced = ModelCost(input=3, output=15, cache_read=0.3, cache_write=3.75)
    assert cost_usd(priced, usage) == pytest.approx((500 * 3 + 100 * 15 + 200 * 0.3 + 300 * 3.75) / 1e6)
    plain = ModelCost(input=3, output=15)
    assert cost_usd(plain, usage) == pytest.approx((1000 * 3 + 100 * 15) / 1e6)


def test_a_model_entry_prices_per_million_or_per_thousand_with_a_multiplier():
    per_million = ModelEntry(name="m", cost=ModelCost(input=1, output=2, cache_read=0.5))
    assert per_million.price() == ModelCost(input=1, output=2, cache_read=0.5)
    per_thousand = ModelEntry.model_validate(
        {"name": "m", "cost-per-1k-input": 0.001, "cost-per-1k-output": 0.002, "cost-per-1k-cache-read": 0.0005,
         "multiplier": 3}
    )  # fmt: skip
    price = per_thousand.price()
    assert price is not None
    assert (price.input, price.output, price.cache_read, price.cache_write) == pytest.approx((3, 6, 1.5, None))
    assert ModelEntry(name="m").price() is None


def test_a_price_given_twice_or_half_given_is_a_config_error_naming_the_model():
    both = """
mock:
  - name: mock
    models: [{name: m, cost: {input: 1, output: 2}, cost-per-1k-input: 1, cost-per-1k-output: 2}]
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(both, {})
    assert "mock[0].models[0]" in str(caught.value) and "not both" in str(caught.value)
    half = "mock:\n  - name: mock\n    models: [{name: m, cost-per-1k-input: 1}]\n"
    with pytest.raises(ConfigError, match="go together"):
        parse_config(half, {})


def test_prices_patterns_are_read_from_the_config_with_unknown_keys_warned():
    config, warnings = parse_config('prices:\n  "llama*": {input: 0.1, output: 0.2, colour: red}\n', {})
    assert config.prices["llama*"] == ModelCost(input=0.1, output=0.2)
    assert [w.path for w in warnings] == ["prices.llama*.colour"]
