"""Credential rotation under 429, 401 and 5xx, through real sockets."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import openai
import pytest

from tests.e2e.configs import two_providers
from tests.e2e.mock_upstream import answer, hang, status

MESSAGES = [{"role": "user", "content": "hi"}]


def ask(gateway, model: str = "gpt") -> str:
    return gateway.client().chat.completions.create(model=model, messages=MESSAGES).choices[0].message.content


def test_round_robin_spreads_twenty_requests_evenly_over_two_keys(gateway_factory, upstream_a, upstream_b):
    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url))
    for _ in range(20):
        ask(gateway)
    assert Counter(upstream_a.keys_seen()) == {"a-key-1": 10, "a-key-2": 10}


def test_fill_first_uses_the_first_key_until_it_is_rate_limited(gateway_factory, upstream_a, upstream_b):
    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url, strategy="fill-first"))
    for _ in range(5):
        ask(gateway)
    assert upstream_a.keys_seen() == ["a-key-1"] * 5
    upstream_a.behaviours["a-key-1"] = status(429, "slow down", headers={"retry-after": "30"})
    for _ in range(3):
        ask(gateway)
    assert upstream_a.keys_seen()[5:] == ["a-key-1", "a-key-2", "a-key-2", "a-key-2"]


def test_key_answering_429_is_skipped_until_retry_after_passes_while_the_other_key_serves(
    gateway_factory, upstream_a, upstream_b
):
    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url, strategy="fill-first"))
    upstream_a.behaviours["a-key-1"] = status(
        429, "rate limited", headers={"retry-after": "1"}, type="rate_limit_error"
    )
    for _ in range(4):
        assert ask(gateway) == "hello from upstream"
    # key 1 refused once, then was left alone while it cooled down; key 2 served all four.
    assert upstream_a.keys_seen() == ["a-key-1"] + ["a-key-2"] * 4
    upstream_a.behaviours["a-key-1"] = answer("key one is back")
    time.sleep(1.2)
    assert ask(gateway) == "key one is back"


def test_every_key_limited_gives_429_with_retry_after_of_the_earliest_recovery(gateway_factory, upstream_a, upstream_b):
    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url))
    upstream_a.behaviours["a-key-1"] = status(429, "limit", headers={"retry-after": "40"})
    upstream_a.behaviours["a-key-2"] = status(429, "limit", headers={"retry-after-ms": "20000"})
    with pytest.raises(openai.RateLimitError) as caught:
        ask(gateway)
    retry_after = int(caught.value.response.headers["retry-after"])
    assert 18 <= retry_after <= 20
    assert len(upstream_a.requests) == 2
    # While both cool down the gateway answers at once without asking the upstream again.
    response = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": "Bearer test-key"},
        json={"model": "gpt", "messages": MESSAGES},
    )
    assert response.status_code == 429
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert 18 <= int(response.headers["retry-after"]) <= 20
    assert len(upstream_a.requests) == 2


def test_500_on_one_provider_is_retried_on_another_provider_of_the_same_pool(gateway_factory, upstream_a, upstream_b):
    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url, strategy="fill-first"))
    upstream_a.default = status(500, "internal error")
    upstream_b.default = answer("beta served it")
    assert ask(gateway, "shared-model") == "beta served it"
    assert upstream_a.keys_seen() == ["a-key-1", "a-key-2"]
    assert upstream_b.keys_seen() == ["b-key-1"]
    assert upstream_b.requests[0].body["model"] == "shared-model"


def test_401_from_the_upstream_sets_the_key_aside_and_the_next_key_serves(gateway_factory, upstream_a, upstream_b):
    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url, strategy="fill-first"))
    upstream_a.behaviours["a-key-1"] = status(401, "Incorrect API key provided: a-key-1", type="invalid_request_error")
    for _ in range(3):
        assert ask(gateway) == "hello from upstream"
    assert upstream_a.keys_seen() == ["a-key-1", "a-key-2", "a-key-2", "a-key-2"]
    assert "a-key-1" not in gateway.log()


def test_client_error_from_the_upstream_comes_back_unchanged_and_is_not_retried(
    gateway_factory, upstream_a, upstream_b
):
    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url))
    upstream_a.default = status(400, "temperature must be at most 2", type="invalid_request_error")
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client().chat.completions.create(model="gpt", messages=MESSAGES, temperature=5)
    assert "temperature must be at most 2" in caught.value.message
    assert len(upstream_a.requests) == 1


def test_every_target_failing_with_5xx_gives_502_naming_the_provider(gateway_factory, upstream_a, upstream_b):
    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url))
    upstream_a.default = status(503, "overloaded")
    with pytest.raises(openai.APIStatusError) as caught:
        ask(gateway)
    assert caught.value.status_code == 502
    assert "alpha" in caught.value.message and "503" in caught.value.message
    assert len(upstream_a.requests) == 2


def test_unreachable_upstream_gives_502_naming_the_entry_and_timeout_gives_504(gateway_factory, upstream_a, upstream_b):
    from tests.e2e.mock_upstream import free_port

    dead = f"http://127.0.0.1:{free_port()}/v1"
    gateway = gateway_factory(two_providers(dead, upstream_b.base_url))
    with pytest.raises(openai.APIStatusError) as caught:
        ask(gateway)
    assert caught.value.status_code == 502
    assert "alpha" in caught.value.message and "unreachable" in caught.value.message
    assert "a-key" not in caught.value.message

    gateway = gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url))
    upstream_a.default = hang(5)
    with pytest.raises(openai.APIStatusError) as caught:
        gateway.client().chat.completions.create(model="open/slow-model", messages=MESSAGES)
    assert caught.value.status_code == 504
