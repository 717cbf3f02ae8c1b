"""Session affinity over real sockets: a conversation sticks to one credential, moves on when
that credential is cooling, and stays on the new one."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from gateway.config.models import RoutingConfig
from tests.e2e.conftest import CLIENT_KEY
from tests.e2e.mock_upstream import status


def config(url: str, affinity: bool) -> str:
    return f"""
host: 127.0.0.1
api-keys: [{CLIENT_KEY}]
routing: {{strategy: round-robin, session-affinity: {str(affinity).lower()}, session-affinity-ttl: 1h}}
openai-compatibility:
  - name: oai
    base-url: {url}
    api-key-entries: [{{api-key: key-a}}, {{api-key: key-b}}]
    models: [{{name: gpt-4o, alias: gpt}}]
"""


def ask(gateway, session: str, text: str = "Hi") -> httpx.Response:
    return httpx.post(
        gateway.url + "/v1/messages",
        headers={"x-api-key": CLIENT_KEY, "x-claude-code-session-id": session},
        json={"model": "gpt", "max_tokens": 50, "messages": [{"role": "user", "content": text}]},
        timeout=10,
    )


def chat(gateway, cache_key: str) -> httpx.Response:
    return httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {CLIENT_KEY}"},
        json={"model": "gpt", "prompt_cache_key": cache_key, "messages": [{"role": "user", "content": "Hi"}]},
        timeout=10,
    )


def test_each_conversation_sticks_to_one_credential(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url, affinity=True))
    for turn in range(4):
        assert ask(gateway, "session-1", f"turn {turn}").status_code == 200
        assert ask(gateway, "session-2", f"turn {turn}").status_code == 200
        assert chat(gateway, "cache-3").status_code == 200
    seen = upstream_a.keys_seen()
    first, second, third = seen[0::3], seen[1::3], seen[2::3]
    assert len(set(first)) == 1 and len(set(second)) == 1 and len(set(third)) == 1, seen


def test_without_affinity_round_robin_spreads_one_conversation(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url, affinity=False))
    for turn in range(4):
        assert ask(gateway, "session-1", f"turn {turn}").status_code == 200
    assert set(upstream_a.keys_seen()) == {"key-a", "key-b"}


def test_a_cooling_credential_hands_the_conversation_over_and_it_stays(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url, affinity=True))
    assert ask(gateway, "session-1").status_code == 200
    bound = upstream_a.keys_seen()[0]
    other = "key-b" if bound == "key-a" else "key-a"
    upstream_a.behaviours[bound] = status(429, "slow down", headers={"retry-after": "1"})
    assert ask(gateway, "session-1").status_code == 200
    assert upstream_a.keys_seen()[-1] == other
    del upstream_a.behaviours[bound]  # the first credential recovers: the session stays moved
    for _ in range(3):
        assert ask(gateway, "session-1").status_code == 200
    assert upstream_a.keys_seen()[-3:] == [other] * 3


@pytest.mark.parametrize(("ttl", "seconds"), [("90s", 90), ("30m", 1800), ("1h30m", 5400), ("2.5", 2.5), (45, 45)])
def test_the_ttl_takes_durations_as_cliproxyapi_writes_them(ttl, seconds):
    assert RoutingConfig.model_validate({"session_affinity_ttl": ttl}).session_affinity_ttl == seconds


@pytest.mark.parametrize("ttl", ["1 hour", "h", "", "10x"])
def test_a_ttl_that_is_not_a_duration_is_refused_with_the_forms_that_work(ttl):
    with pytest.raises(ValidationError) as caught:
        RoutingConfig.model_validate({"session_affinity_ttl": ttl})
    assert "90s, 30m, 1h" in str(caught.value)


def test_a_responses_conversation_chained_by_previous_response_id_sticks(gateway_factory, upstream_a):
    """Each turn names the last response's id, a new one every time: the gateway remembers
    whose session each id it passed on belongs to."""
    gateway = gateway_factory(config(upstream_a.base_url, affinity=True))
    with gateway.client() as client:
        previous = None
        for turn in range(5):
            response = client.responses.create(model="gpt", input=f"turn {turn}", previous_response_id=previous)
            previous = response.id
            # Two other conversations in between move the round-robin cursor by two: without
            # affinity each turn would land on the key the previous one did not use.
            client.responses.create(model="gpt", input=f"unrelated {turn}")
            client.responses.create(model="gpt", input=f"other {turn}")
    chained = upstream_a.keys_seen()[0::3]
    assert len(chained) == 5 and len(set(chained)) == 1, upstream_a.keys_seen()
