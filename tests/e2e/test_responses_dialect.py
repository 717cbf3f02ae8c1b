"""The openai SDK's Chat Completions against an OpenAI Responses API upstream (codex-api-key)."""

from __future__ import annotations

import json

import openai
import pytest

from tests.e2e import dialect_mocks as mocks
from tests.e2e.mock_upstream import status
from tests.e2e.test_dialects import MESSAGES, PIXEL, WEATHER_TOOL


@pytest.fixture
def gateway(gateway_factory, upstream_a):
    upstream_a.default = mocks.responses_text()
    return gateway_factory(f"""
api-keys: [test-key]
routing: {{strategy: fill-first}}
codex-api-key:
  - {{api-key: oa-key-1, prefix: codex, base-url: {upstream_a.base_url}, models: [{{name: gpt-5-codex, alias: codex}}]}}
  - {{api-key: oa-key-2, prefix: codex, base-url: {upstream_a.base_url}, models: [{{name: gpt-5-codex, alias: codex}}]}}
""")


def test_plain_chat_goes_to_responses_and_comes_back_as_a_chat_completion(gateway, upstream_a):
    reply = gateway.client().chat.completions.create(model="codex", messages=MESSAGES, max_tokens=200)
    assert reply.choices[0].message.content == "Hello from Responses" and reply.model == "codex"
    assert reply.usage.total_tokens == 17
    sent = upstream_a.requests[0]
    assert sent.path == "/v1/responses" and sent.headers["authorization"] == "Bearer oa-key-1"
    assert sent.body["model"] == "gpt-5-codex" and sent.body["max_output_tokens"] == 200
    assert sent.body["store"] is False


def test_streamed_chat_and_streamed_tool_call(gateway, upstream_a):
    chunks = list(gateway.client().chat.completions.create(model="codex", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from Responses"
    upstream_a.default = mocks.responses_tool_stream()
    arguments, ids, finish = "", "", None
    for chunk in gateway.client().chat.completions.create(
        model="codex", messages=MESSAGES, tools=[WEATHER_TOOL], stream=True
    ):
        for call in chunk.choices[0].delta.tool_calls or []:
            arguments += call.function.arguments or ""
            ids += call.id or ""
        finish = chunk.choices[0].finish_reason or finish
    assert json.loads(arguments) == {"location": "Paris, FR", "unit": "celsius"}
    assert ids == "call_abc" and finish == "tool_calls"
    assert upstream_a.requests[-1].body["tools"][0]["name"] == "get_weather"


def test_image_input_becomes_an_input_image_part(gateway, upstream_a):
    gateway.client().chat.completions.create(
        model="codex",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is it?"},
                    {"type": "image_url", "image_url": {"url": PIXEL}},
                ],
            }
        ],
    )
    content = upstream_a.requests[0].body["input"][0]["content"]
    assert any(part["type"] == "input_image" and part["image_url"] == PIXEL for part in content)


def test_429_with_openai_reset_headers_rotates_and_errors_surface(gateway, upstream_a):
    upstream_a.behaviours["oa-key-1"] = status(
        429, "Rate limit reached for requests", headers={"x-ratelimit-reset-requests": "20s"}, type="requests"
    )
    gateway.client().chat.completions.create(model="codex", messages=MESSAGES)
    assert upstream_a.keys_seen() == ["oa-key-1", "oa-key-2"]
    upstream_a.default = status(400, "Unsupported parameter: 'reasoning.effort'", type="invalid_request_error")
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client().chat.completions.create(model="codex", messages=MESSAGES)
    assert "Unsupported parameter" in caught.value.message
