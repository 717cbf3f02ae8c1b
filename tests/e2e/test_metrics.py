"""GET /metrics scraped after real traffic: counts, tokens, attempts and credential states are
exactly what the fake upstreams did."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import CLIENT_KEY
from tests.e2e.mock_upstream import answer, status


def config(url: str, enabled: bool = True) -> str:
    return f"""
host: 127.0.0.1
api-keys: [{CLIENT_KEY}]
routing: {{strategy: fill-first}}
metrics: {{enabled: {str(enabled).lower()}}}
openai-compatibility:
  - name: oai
    base-url: {url}
    api-key-entries: [{{api-key: key-a}}, {{api-key: key-b}}]
    models: [{{name: gpt-4o, alias: gpt}}]
"""


def scrape(gateway) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = httpx.get(gateway.url + "/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_after_real_traffic(gateway_factory, upstream_a):
    upstream_a.default = answer("one two three")
    gateway = gateway_factory(config(upstream_a.base_url))
    with gateway.client() as client:
        for _ in range(3):
            client.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "Hi"}])
        list(client.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "Hi"}], stream=True))
    httpx.post(
        gateway.url + "/v1/messages",
        headers={"x-api-key": CLIENT_KEY},
        json={"model": "gpt", "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]},
    )
    httpx.post(gateway.url + "/v1/chat/completions", headers={"authorization": "Bearer nope"}, json={})
    samples = scrape(gateway)
    ok = {"model": "gpt", "provider": "oai", "status_class": "2xx"}
    assert value(samples, "llm_gateway_requests_total", dialect="openai", **ok) == 4
    assert value(samples, "llm_gateway_requests_total", dialect="anthropic", **ok) == 1
    assert value(samples, "llm_gateway_requests_total", dialect="openai", model="unknown", provider="none",
                 status_class="4xx") == 1  # fmt: skip
    # Whole answers report 5 in / 2 out (the mock's usage); the stream 5 in / 3 out.
    assert value(samples, "llm_gateway_tokens_total", model="gpt", provider="oai", kind="input") == 5 * 5
    assert value(samples, "llm_gateway_tokens_total", model="gpt", provider="oai", kind="output") == 2 * 4 + 3
    assert value(samples, "llm_gateway_request_duration_seconds_count", dialect="openai", model="gpt",
                 provider="oai") == 4  # fmt: skip
    assert value(samples, "llm_gateway_time_to_first_byte_seconds_count", dialect="anthropic", model="gpt",
                 provider="oai") == 1  # fmt: skip
    attempts = [v for (name, labels), v in samples.items() if name == "llm_gateway_upstream_attempts_total"]
    assert sum(attempts) == 5
    assert value(samples, "llm_gateway_active_streams") == 0
    assert value(samples, "llm_gateway_credential_state", provider="oai", credential=_label(samples, 0),
                 state="available") == 1  # fmt: skip


def test_a_429_shows_as_a_rate_limited_attempt_and_a_cooling_credential(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url))
    upstream_a.behaviours["key-a"] = status(429, "slow down", headers={"retry-after": "60"})
    with gateway.client() as client:
        client.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "Hi"}])
    samples = scrape(gateway)
    outcomes = {
        dict(labels)["outcome"]: v
        for (name, labels), v in samples.items()
        if name == "llm_gateway_upstream_attempts_total"
    }
    assert outcomes == {"rate_limited": 1.0, "ok": 1.0}
    states = {
        (dict(labels)["credential"], dict(labels)["state"]): v
        for (name, labels), v in samples.items()
        if name == "llm_gateway_credential_state"
    }
    cooling = [credential for (credential, state), v in states.items() if state == "cooling" and v == 1]
    available = [credential for (credential, state), v in states.items() if state == "available" and v == 1]
    assert len(cooling) == 1 and len(available) == 1 and cooling != available
    assert all("key-" not in credential for credential, _ in states), "a key leaked into a label"


def test_metrics_can_be_turned_off(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url, enabled=False))
    assert httpx.get(gateway.url + "/metrics").status_code == 404


def _label(samples, index: int) -> str:
    labels = sorted(
        dict(labels)["credential"] for (name, labels), _ in samples.items() if name == "llm_gateway_credential_state"
    )
    return labels[index]
