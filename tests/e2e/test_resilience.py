"""Fault injection over real sockets: chains, breakers, latency routing, timeouts, broken streams."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import openai
import pytest

from tests.e2e.mock_upstream import answer, chunks, delayed, hang, raw_stream, sse, status

MESSAGES = [{"role": "user", "content": "hi"}]


def config(a: str, b: str, *, strategy: str = "fill-first", extra: str = "", a_models: str = "") -> str:
    return f"""
api-keys: [test-key]
routing: {{strategy: {strategy}}}
request-retry: 3
timeouts: {{connect-seconds: 2, first-byte-seconds: 1, idle-seconds: 1}}
circuit-breaker: {{failure-threshold: 2, cool-off-seconds: 1}}
openai-compatibility:
  - name: alpha
    base-url: {a}
    api-key-entries: [{{api-key: a-key}}]
    models:
      - {{name: primary, alias: pooled}}
      - {{name: lonely, fallbacks: [backup]}}
      {a_models}
  - name: beta
    base-url: {b}
    api-key-entries: [{{api-key: b-key}}]
    models:
      - {{name: backup, alias: pooled}}
chains:
  - {{name: smart, models: [primary, backup]}}
{extra}
"""


@pytest.fixture
def gateway(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = answer("from alpha")
    upstream_b.default = answer("from beta")
    return gateway_factory(config(upstream_a.base_url, upstream_b.base_url))


def ask(gateway, model: str, **options) -> str:
    return (
        gateway.client().chat.completions.create(model=model, messages=MESSAGES, **options).choices[0].message.content
    )


def test_chain_falls_through_when_its_first_pool_is_rate_limited_and_comes_back(gateway, upstream_a):
    assert ask(gateway, "smart") == "from alpha"
    upstream_a.default = status(429, "limited", headers={"retry-after": "1"})
    assert ask(gateway, "smart") == "from beta"
    assert ask(gateway, "smart") == "from beta"
    assert len(upstream_a.requests) == 2, "the cooling pool is skipped without asking it"
    upstream_a.default = answer("from alpha")
    time.sleep(1.2)
    reply = gateway.client().chat.completions.create(model="smart", messages=MESSAGES)
    assert reply.choices[0].message.content == "from alpha" and reply.model == "smart"


def test_model_fallbacks_serve_when_its_pool_fails(gateway, upstream_a, upstream_b):
    upstream_a.default = status(503, "down for maintenance")
    assert ask(gateway, "lonely") == "from beta"
    assert upstream_b.requests[-1].body["model"] == "backup"


def test_models_list_includes_chains(gateway):
    ids = {m.id: m.owned_by for m in gateway.client().models.list()}
    assert ids["smart"] == "chain"


def test_chain_with_every_member_rate_limited_gives_429_with_the_earliest_recovery(gateway, upstream_a, upstream_b):
    upstream_a.default = status(429, "limited", headers={"retry-after": "30"})
    upstream_b.default = status(429, "limited", headers={"retry-after": "12"})
    with pytest.raises(openai.RateLimitError) as caught:
        ask(gateway, "smart")
    assert 10 <= int(caught.value.response.headers["retry-after"]) <= 12


def test_circuit_opens_after_consecutive_failures_then_half_opens_and_closes(gateway, upstream_a, upstream_b):
    upstream_a.default = status(500, "boom")
    for _ in range(2):
        assert ask(gateway, "pooled") == "from beta"
    assert len(upstream_a.requests) == 2
    # Open: alpha is no longer asked first.
    for _ in range(3):
        assert ask(gateway, "pooled") == "from beta"
    assert len(upstream_a.requests) == 2
    # After the cool-off one trial goes to alpha; it has recovered, so the circuit closes.
    upstream_a.default = answer("from alpha")
    time.sleep(1.1)
    assert ask(gateway, "pooled") == "from alpha"
    assert ask(gateway, "pooled") == "from alpha"
    health = httpx.get(
        gateway.url + "/v1/models", params={"health": "1"}, headers={"authorization": "Bearer test-key"}
    ).json()
    pooled = next(m for m in health["data"] if m["id"] == "pooled")
    assert [t["state"] for t in pooled["health"]] == ["healthy", "healthy"]


def test_least_latency_prefers_the_faster_target(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = delayed(0.15, answer("slow alpha"))
    upstream_b.default = answer("fast beta")
    gateway = gateway_factory(config(upstream_a.base_url, upstream_b.base_url, strategy="least-latency"))
    served = Counter(ask(gateway, "pooled") for _ in range(12))
    assert served["fast beta"] >= 10 and served["slow alpha"] >= 1


def test_upstream_hanging_before_headers_times_out_and_the_next_target_serves(gateway, upstream_a):
    upstream_a.default = hang(5)
    started = time.monotonic()
    assert ask(gateway, "pooled") == "from beta"
    assert time.monotonic() - started < 3


def test_single_target_hanging_gives_504(gateway, upstream_a):
    upstream_a.default = hang(5)
    with pytest.raises(openai.APIStatusError) as caught:
        ask(gateway, "primary")
    assert caught.value.status_code == 504 and "first-byte" in caught.value.message


def test_malformed_sse_before_the_first_event_is_retried_on_the_next_target(gateway, upstream_a):
    upstream_a.default = raw_stream(b"data: {this is not json\n\n")
    chunks_ = list(gateway.client().chat.completions.create(model="pooled", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks_ if c.choices) == "from beta"
    assert len(upstream_a.requests) == 1


def test_upstream_going_silent_mid_stream_ends_the_stream_with_an_error_event(gateway, upstream_a):
    good = chunks("primary", ["a", "b"])
    upstream_a.default = raw_stream(sse(good[0]), sse(good[1]), sse(good[2]), pause_after=2, pause=3)
    received = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in gateway.client().chat.completions.create(model="primary", messages=MESSAGES, stream=True):
            received.append(chunk)
    assert received, "the first chunks were delivered before the failure"
    assert "went silent" in str(caught.value)


def test_malformed_sse_mid_stream_ends_the_stream_with_an_error_event(gateway, upstream_a):
    good = chunks("primary", ["a"])
    upstream_a.default = raw_stream(sse(good[0]), b"data: {broken\n\n")
    with pytest.raises(openai.APIError) as caught:
        list(gateway.client().chat.completions.create(model="primary", messages=MESSAGES, stream=True))
    assert "not JSON" in str(caught.value)


@pytest.mark.parametrize("code", [500, 502, 503, 529])
def test_server_errors_are_retried_on_the_next_target(gateway, upstream_a, code):
    upstream_a.default = status(code, "upstream trouble")
    assert ask(gateway, "pooled") == "from beta"


def test_no_request_fails_while_one_target_can_serve(gateway, upstream_a):
    faults = [
        status(500, "x"),
        status(429, "y", headers={"retry-after": "0"}),
        hang(3),
        raw_stream(b"data: {bad\n\n"),
        status(503, "z"),
    ]
    failures = 0
    for index in range(15):
        upstream_a.default = faults[index % len(faults)]
        try:
            ask(gateway, "pooled", stream=False)
        except openai.APIError:
            failures += 1
    assert failures == 0


def test_health_probes_mark_a_failing_target_down_skip_it_and_switch_back(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = answer("from alpha")
    upstream_b.default = answer("from beta")
    gateway = gateway_factory(
        config(upstream_a.base_url, upstream_b.base_url, extra="health-check: {enabled: true, interval-seconds: 0.2}")
    )
    assert ask(gateway, "pooled") == "from alpha"
    upstream_a.probe_status = 503

    def states() -> dict[str, str]:
        models = httpx.get(gateway.url + "/v1/models", params={"health": "1"}, headers={"x-api-key": "test-key"})
        pooled = next(m for m in models.json()["data"] if m["id"] == "pooled")
        return {t["provider"]: t["state"] for t in pooled["health"]}

    deadline = time.monotonic() + 5
    while states()["alpha"] != "down" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert states() == {"alpha": "down", "beta": "healthy"}
    chat_requests = len(upstream_a.requests)
    assert ask(gateway, "pooled") == "from beta"
    assert len(upstream_a.requests) == chat_requests, "a down target is not tried while another can serve"
    upstream_a.probe_status = 200
    deadline = time.monotonic() + 5
    while states()["alpha"] != "healthy" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ask(gateway, "pooled") == "from alpha"
    assert "health check: alpha" in gateway.log() and "is back" in gateway.log()


def test_429_without_retry_after_backs_off_from_one_second(gateway, upstream_a):
    upstream_a.default = status(429, "slow down")
    assert ask(gateway, "pooled") == "from beta"
    upstream_a.default = answer("from alpha")
    assert ask(gateway, "pooled") == "from beta", "alpha is cooling for the first backoff step"
    assert len(upstream_a.requests) == 1
    time.sleep(1.1)
    assert ask(gateway, "pooled") == "from alpha"


def test_an_entry_s_own_timeouts_override_the_global_ones(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = hang(5)
    text = (
        config(upstream_a.base_url, upstream_b.base_url)
        .replace(
            "timeouts: {connect-seconds: 2, first-byte-seconds: 1, idle-seconds: 1}",
            "timeouts: {connect-seconds: 2, first-byte-seconds: 10, idle-seconds: 10}",
        )
        .replace(
            "    api-key-entries: [{api-key: a-key}]",
            "    api-key-entries: [{api-key: a-key}]\n    timeouts: {first-byte-seconds: 0.3}",
        )
    )
    gateway = gateway_factory(text)
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as caught:
        ask(gateway, "primary")
    assert caught.value.status_code == 504
    assert time.monotonic() - started < 2.0, "alpha's own 0.3 s limit applied, not the global 10 s"


def test_a_redirecting_upstream_is_not_followed_so_its_key_reaches_no_other_host(gateway, upstream_a, upstream_b):
    upstream_a.default = status(307, "moved", headers={"location": upstream_b.base_url + "/chat/completions"})
    with pytest.raises(openai.APIStatusError) as caught:
        ask(gateway, "primary")
    assert caught.value.status_code == 502 and "redirect" in caught.value.message
    assert upstream_b.requests == []


def test_a_stream_broken_after_its_first_byte_counts_against_the_circuit(gateway, upstream_a, upstream_b):
    good = chunks("primary", ["a"])
    upstream_a.default = raw_stream(sse(good[0]), b"data: {broken\n\n", pause_after=1, pause=0.2)
    for _ in range(2):
        with pytest.raises(openai.APIError):
            list(gateway.client().chat.completions.create(model="pooled", messages=MESSAGES, stream=True))
    # Two breaks opened alpha's circuit (threshold 2): beta now serves without alpha being asked.
    assert ask(gateway, "pooled") == "from beta"
    assert len(upstream_a.requests) == 2
