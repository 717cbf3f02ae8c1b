"""The built-in mock provider through real sockets, driven by the official openai SDK: the
shipped example config answers with no cloud key, and mock entries exercise failover."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest

from tests.e2e.conftest import CLIENT_KEY

ROOT = Path(__file__).resolve().parents[2]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather of a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
                "required": ["city", "unit"],
            },
        },
    }
]


def test_the_shipped_example_config_answers_a_completion_with_no_cloud_key(gateway_factory):
    gateway = gateway_factory((ROOT / "config.example.yaml").read_text(), env={"OLLAMA_HOST": "http://127.0.0.1:9"})
    answer = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"Authorization": "Bearer local-dev-key"},
        json={"model": "mock/mock-1", "messages": [{"role": "user", "content": "Hello"}]},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"] == "mock/mock-1" and "Hello" in body["choices"][0]["message"]["content"]
    assert body["usage"]["total_tokens"] > 0 and answer.headers["x-request-id"]


MOCK = f"""
api-keys: ["{CLIENT_KEY}"]
debug: true
request-retry: 2
routing: {{strategy: fill-first}}
mock:
  - name: flaky
    models: [{{name: mock-1, priority: 1}}]
    fail-every: 1
    fail-status: 429
    retry-after-seconds: 30
  - name: steady
    models: [{{name: mock-1}}]
    chunk-delay-ms: 5
"""


def test_the_openai_sdk_streams_and_calls_tools_through_the_mock(gateway_factory):
    client = gateway_factory(MOCK).client()
    text = "".join(
        chunk.choices[0].delta.content or ""
        for chunk in client.chat.completions.create(
            model="mock-1", stream=True, messages=[{"role": "user", "content": "stream please"}]
        )
        if chunk.choices
    )
    assert "stream please" in text
    called = client.chat.completions.create(
        model="mock-1", tools=TOOLS, messages=[{"role": "user", "content": "weather in Oslo?"}]
    )
    call = called.choices[0].message.tool_calls[0]
    assert called.choices[0].finish_reason == "tool_calls" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "mock", "unit": "c"}


def test_a_rate_limited_mock_entry_fails_over_and_the_access_line_shows_both_attempts(gateway_factory):
    gateway = gateway_factory(MOCK)
    answer = gateway.client().with_raw_response.chat.completions.create(
        model="mock-1", messages=[{"role": "user", "content": "hi"}], extra_headers={"x-request-id": "trace-42"}
    )
    assert answer.headers["x-request-id"] == "trace-42"
    assert answer.parse().choices[0].message.content
    line = next(line for line in gateway.log().splitlines() if "request_id=trace-42" in line)
    assert "attempts=[flaky/flaky#0:rate_limited,steady/steady#0:ok]" in line
    assert "ended=completed" in line and "input_tokens=" in line


def test_when_every_mock_entry_fails_the_sdk_sees_the_status_with_retry_after(gateway_factory):
    gateway = gateway_factory(
        MOCK.replace(
            "  - name: steady\n    models: [{name: mock-1}]\n",
            "  - name: steady\n    models: [{name: mock-1}]\n    fail-every: 1\n    fail-status: 503\n",
        )
    )
    with pytest.raises(openai.APIStatusError) as caught:
        gateway.client().chat.completions.create(model="mock-1", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 502 and "HTTP 503" in caught.value.message
