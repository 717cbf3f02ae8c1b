"""Client key policies against the real gateway: model patterns, rpm, tpm, concurrency and
budgets, each refused with the right status, code, message and Retry-After, in the envelope of
the dialect the client speaks; a budget survives a restart through the ledger."""

from __future__ import annotations

import threading

import anthropic
import httpx
import openai
import pytest

from tests.e2e.mock_upstream import stream


def config(url: str) -> str:
    return f"""
host: 127.0.0.1
api-keys:
  - {{api-key: narrow-key, name: narrow, models: ["cheap*", "pt/*"]}}
  - {{api-key: rpm-key, name: paced, rpm: 2}}
  - {{api-key: tpm-key, name: wordy, tpm: 10}}
  - {{api-key: one-key, name: single, max-concurrent: 1}}
  - {{api-key: budget-key, name: thrifty, budget: {{usd: 0.01, period: day}}}}
  - open-key
openai-compatibility:
  - name: oai
    base-url: {url}
    api-key-entries: [{{api-key: up}}]
    models:
      - {{name: m-cheap, alias: cheap-model, cost: {{input: 1000, output: 2000}}}}
      - {{name: m-dear, alias: dear-model, cost: {{input: 1000, output: 2000}}}}
  - name: pt
    prefix: pt
    base-url: {url}
    api-key-entries: [{{api-key: up-pt}}]
"""


def chat(gateway, key: str, model: str = "cheap-model", **extra) -> httpx.Response:
    return httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "Hi"}], **extra},
        timeout=10,
    )


@pytest.fixture
def gateway(gateway_factory, upstream_a):
    return gateway_factory(config(upstream_a.base_url))


def test_a_key_uses_only_the_models_its_patterns_allow_and_lists_only_those(gateway):
    assert chat(gateway, "narrow-key", "cheap-model").status_code == 200
    assert chat(gateway, "narrow-key", "pt/anything").status_code == 200
    caret = chat(gateway, "narrow-key", "pt^anything")  # the same id in its other spelling
    assert caret.status_code == 200 and caret.json()["model"] == "pt^anything"
    refused = chat(gateway, "narrow-key", "dear-model")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "model_not_allowed" and error["param"] == "model"
    assert "'narrow'" in error["message"] and "cheap*, pt/*" in error["message"]
    with openai.OpenAI(base_url=gateway.url + "/v1", api_key="narrow-key", max_retries=0) as client:
        assert [m.id for m in client.models.list()] == ["cheap-model"]
        with pytest.raises(openai.NotFoundError):
            client.models.retrieve("dear-model")
    with openai.OpenAI(base_url=gateway.url + "/v1", api_key="open-key", max_retries=0) as client:
        assert {m.id for m in client.models.list()} == {"cheap-model", "dear-model", "m-cheap", "m-dear"}
    # The Anthropic SDK gets Anthropic's envelope.
    with anthropic.Anthropic(base_url=gateway.url, api_key="narrow-key", max_retries=0) as client:
        with pytest.raises(anthropic.PermissionDeniedError) as caught:
            client.messages.create(model="dear-model", max_tokens=5, messages=[{"role": "user", "content": "Hi"}])
        assert caught.value.body["error"]["type"] == "permission_error"
        assert "may not use the model 'dear-model'" in caught.value.body["error"]["message"]


def test_rpm_admits_exactly_the_limit_per_minute_then_429_with_retry_after(gateway):
    statuses = [chat(gateway, "rpm-key").status_code for _ in range(2)]
    refused = chat(gateway, "rpm-key")
    assert statuses == [200, 200] and refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert "over its rpm limit of 2 requests per minute" in refused.json()["error"]["message"]
    assert 50 <= int(refused.headers["retry-after"]) <= 60
    # Another key is not affected; nor is the limited key's count by a refusal.
    assert chat(gateway, "open-key").status_code == 200
    gemini = httpx.post(
        gateway.url + "/v1beta/models/cheap-model:generateContent",
        headers={"x-goog-api-key": "rpm-key"},
        json={"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]},
    )
    assert gemini.status_code == 429 and gemini.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert "rpm limit of 2" in gemini.json()["error"]["message"]


def test_tpm_counts_the_tokens_upstreams_reported(gateway):
    # Each answer reports 5 + 2 tokens: 7 then 14, over 10.
    assert chat(gateway, "tpm-key").status_code == 200
    assert chat(gateway, "tpm-key").status_code == 200
    refused = chat(gateway, "tpm-key")
    assert refused.status_code == 429 and "tpm limit of 10 tokens per minute" in refused.json()["error"]["message"]
    assert int(refused.headers["retry-after"]) >= 1


def test_max_concurrent_refuses_a_second_request_while_the_first_streams(gateway, upstream_a):
    upstream_a.behaviours["up"] = stream(["a", "b", "c"], delay=0.5)
    first_started = threading.Event()
    done = []

    def first() -> None:
        with httpx.stream(
            "POST",
            gateway.url + "/v1/chat/completions",
            headers={"authorization": "Bearer one-key"},
            json={"model": "cheap-model", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
            timeout=10,
        ) as reply:
            first_started.set()
            done.append(reply.read())

    thread = threading.Thread(target=first)
    thread.start()
    assert first_started.wait(5)
    second = chat(gateway, "one-key")
    thread.join(10)
    assert (
        second.status_code == 429 and "max-concurrent limit of 1 requests at once" in second.json()["error"]["message"]
    )
    assert b"[DONE]" in done[0]
    upstream_a.behaviours.clear()
    assert chat(gateway, "one-key").status_code == 200  # the slot came back


def test_a_spent_budget_is_insufficient_quota_until_the_period_rolls_over_and_survives_a_restart(
    gateway_factory, upstream_a, tmp_path
):
    gateway = gateway_factory(config(upstream_a.base_url))
    # Each answer costs 5*1000 + 2*2000 per 1M = 0.009 USD: the second one spends past 0.01.
    assert chat(gateway, "budget-key").status_code == 200
    assert chat(gateway, "budget-key").status_code == 200
    refused = chat(gateway, "budget-key")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["type"] == "insufficient_quota" and error["code"] == "insufficient_quota"
    assert "budget of 0.01 USD this day" in error["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 86_400
    with anthropic.Anthropic(base_url=gateway.url, api_key="budget-key", max_retries=0) as client:
        with pytest.raises(anthropic.RateLimitError):
            client.messages.create(model="cheap-model", max_tokens=5, messages=[{"role": "user", "content": "Hi"}])
    # The same config directory (so the same usage.db) after a restart: still spent.
    directory = gateway.log_path.parent
    gateway.stop()
    from tests.e2e.conftest import start_gateway

    again = start_gateway((directory / "config.yaml").read_text(), directory)
    try:
        for _ in range(50):
            reply = chat(again, "budget-key")
            if reply.status_code == 429:
                break
        assert reply.status_code == 429 and reply.json()["error"]["code"] == "insufficient_quota"
    finally:
        again.stop()
