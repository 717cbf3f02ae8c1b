"""The anthropic SDK as the client: /v1/messages against an OpenAI-compatible upstream, a Gemini
upstream (both translated) and a Claude upstream (native passthrough), over real sockets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from tests.e2e import dialect_mocks as mocks
from tests.e2e.conftest import CLIENT_KEY
from tests.e2e.mock_upstream import (
    Received,
    _send_json,
    answer,
    cut_after_first_chunk,
    tool_call_stream,
)

WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a place",
    "input_schema": {
        "type": "object",
        "properties": {"location": {"type": "string"}, "unit": {"type": "string"}},
        "required": ["location"],
    },
}


def config(openai_url: str, anthropic_root: str, gemini_root: str) -> str:
    return f"""
host: 127.0.0.1
api-keys: [{CLIENT_KEY}]
request-retry: 0
timeouts: {{connect-seconds: 2, first-byte-seconds: 5, idle-seconds: 5}}
openai-compatibility:
  - name: oai
    base-url: {openai_url}
    api-key-entries: [{{api-key: oai-key}}]
    models: [{{name: gpt-4o, alias: gpt}}]
claude-api-key:
  - api-key: ant-key
    base-url: {anthropic_root}
    models: [{{name: claude-sonnet-4-5, alias: sonnet}}]
gemini-api-key:
  - api-key: gem-key
    base-url: {gemini_root}
    models: [{{name: gemini-2.5-flash, alias: flash}}]
"""


@pytest.fixture
def gateway(gateway_factory, upstream_a, upstream_b, upstream_c):
    upstream_b.default = mocks.anthropic_text()
    upstream_c.default = mocks.gemini_text()
    return gateway_factory(config(upstream_a.base_url, upstream_b.root, upstream_c.root))


@pytest.fixture
def claude(gateway) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=gateway.url, api_key=CLIENT_KEY, max_retries=0) as client:
        yield client


# --- translated: an OpenAI-compatible upstream ---------------------------------------------------


def test_a_message_to_an_openai_model_is_translated_both_ways(claude, upstream_a):
    upstream_a.default = answer("Hello from GPT")
    message = claude.messages.create(
        model="gpt", max_tokens=200, system="Be brief.", messages=[{"role": "user", "content": "Hi"}]
    )
    assert message.content[0].type == "text" and message.content[0].text == "Hello from GPT"
    assert message.stop_reason == "end_turn" and message.model == "gpt" and message.role == "assistant"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (5, 2)
    sent = upstream_a.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.key == "oai-key"
    assert sent.body["model"] == "gpt-4o"
    assert sent.body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent.body["messages"][-1]["role"] == "user"
    assert "anthropic-version" not in sent.headers and "anthropic-beta" not in sent.headers


def test_a_streamed_tool_call_from_an_openai_model_arrives_as_incremental_input_json(claude, upstream_a):
    upstream_a.default = tool_call_stream("get_weather", ['{"loca', 'tion": "Par', 'is"}'], call_id="call_9")
    partials: list[str] = []
    with claude.messages.stream(
        model="gpt", max_tokens=200, tools=[WEATHER], messages=[{"role": "user", "content": "Weather in Paris?"}]
    ) as stream:
        for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                partials.append(event.delta.partial_json)
        final = stream.get_final_message()
    assert len(partials) == 3, "the arguments were buffered instead of streamed"
    tool = [block for block in final.content if block.type == "tool_use"][0]
    assert (tool.id, tool.name, tool.input) == ("call_9", "get_weather", {"location": "Paris"})
    assert final.stop_reason == "tool_use"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (30, 12)
    assert upstream_a.requests[0].body["tools"][0]["function"]["parameters"]["required"] == ["location"]


def test_a_tool_result_turn_reaches_an_openai_model_as_a_tool_message(claude, upstream_a):
    upstream_a.default = answer("It is sunny.")
    message = claude.messages.create(
        model="gpt",
        max_tokens=200,
        tools=[WEATHER],
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "call_9", "name": "get_weather", "input": {"location": "Paris"}}
                ],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_9", "content": "22 C, sun"}]},
        ],
    )
    assert message.content[0].text == "It is sunny."
    history = upstream_a.requests[0].body["messages"]
    call = history[1]["tool_calls"][0]
    assert call["id"] == "call_9" and json.loads(call["function"]["arguments"]) == {"location": "Paris"}
    assert history[2]["role"] == "tool" and history[2]["tool_call_id"] == "call_9"
    assert "22 C, sun" in json.dumps(history[2]["content"])


def test_a_streamed_text_answer_from_an_openai_model_has_the_sdk_event_sequence(claude, upstream_a):
    upstream_a.default = answer("one two three")
    with claude.messages.stream(model="gpt", max_tokens=50, messages=[{"role": "user", "content": "Count"}]) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_start" in kinds and "content_block_stop" in kinds and "message_delta" in kinds
    assert final.content[0].text == "one two three" and final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 3


# --- translated: a Gemini upstream ---------------------------------------------------------------


def test_a_message_to_a_gemini_model_is_translated_both_ways(claude, upstream_c):
    message = claude.messages.create(model="flash", max_tokens=100, messages=[{"role": "user", "content": "Hi"}])
    assert message.content[0].text == "Hello from Gemini" and message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (9, 5)
    assert upstream_c.requests[0].path.endswith(":generateContent")


def test_a_streamed_tool_call_from_a_gemini_model_reaches_the_sdk(claude, upstream_c):
    upstream_c.default = mocks.gemini_tool_stream()
    with claude.messages.stream(
        model="flash", max_tokens=100, tools=[WEATHER], messages=[{"role": "user", "content": "Weather?"}]
    ) as stream:
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["text", "tool_use"]
    assert final.content[1].input == {"location": "Paris, FR", "unit": "celsius"}
    assert final.stop_reason == "tool_use"


# --- native: a Claude upstream -------------------------------------------------------------------


def test_a_claude_model_gets_the_body_and_beta_headers_as_the_client_sent_them(claude, upstream_b):
    body: dict[str, Any] = {
        "model": "sonnet",
        "max_tokens": 300,
        "system": [{"type": "text", "text": "Long cached prompt.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral"}}]}
        ],
        "metadata": {"user_id": "u-1"},
    }
    message = claude.messages.create(
        **body,
        extra_headers={"anthropic-beta": "prompt-caching-2024-07-31"},
        extra_body={"a_field_from_the_future": {"x": 1}},
    )
    assert message.content[0].text == "Hello from Claude" and message.model == "sonnet"
    sent = upstream_b.requests[0]
    assert sent.path == "/v1/messages" and sent.key == "ant-key"
    assert sent.body == {**body, "model": "claude-sonnet-4-5", "a_field_from_the_future": {"x": 1}}
    assert sent.headers["anthropic-beta"] == "prompt-caching-2024-07-31"
    assert sent.headers["anthropic-version"] == claude.default_headers["anthropic-version"]


def test_extended_thinking_with_a_tool_call_keeps_its_signature_for_the_next_turn(claude, upstream_b):
    upstream_b.default = mocks.anthropic_thinking_tool_stream(signature="sig-abc")
    question = {"role": "user", "content": "Weather in Oslo?"}
    with claude.messages.stream(
        model="sonnet",
        max_tokens=4000,
        thinking={"type": "enabled", "budget_tokens": 2048},
        tools=[WEATHER],
        messages=[question],
    ) as stream:
        final = stream.get_final_message()
    thinking, tool = final.content
    assert thinking.type == "thinking" and thinking.signature == "sig-abc"
    assert thinking.thinking == "The user wants weather. Call the tool."
    assert tool.type == "tool_use" and tool.input == {"location": "Oslo"}
    assert final.model == "sonnet" and final.usage.output_tokens == 25

    upstream_b.default = mocks.anthropic_text("Cold.")
    turn = [question, {"role": "assistant", "content": [b.model_dump() for b in final.content]}]
    turn.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": "-3 C"}]})
    claude.messages.create(
        model="sonnet",
        max_tokens=4000,
        thinking={"type": "enabled", "budget_tokens": 2048},
        tools=[WEATHER],
        messages=turn,
    )
    replayed = upstream_b.requests[-1].body["messages"][1]["content"][0]
    assert replayed["type"] == "thinking" and replayed["signature"] == "sig-abc"
    assert replayed["thinking"] == "The user wants weather. Call the tool."


def test_anthropic_beta_headers_never_reach_another_dialect(claude, upstream_a):
    claude.messages.create(
        model="gpt",
        max_tokens=10,
        messages=[{"role": "user", "content": "Hi"}],
        extra_headers={"anthropic-beta": "interleaved-thinking-2025-05-14"},
    )
    assert not any(name.startswith("anthropic-") for name in upstream_a.requests[0].headers)


# --- errors in Anthropic's envelope --------------------------------------------------------------


def test_a_wrong_key_is_an_anthropic_authentication_error(gateway):
    client = anthropic.Anthropic(base_url=gateway.url, api_key="wrong", max_retries=0)
    with client, pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(model="gpt", max_tokens=10, messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == "authentication_error"


def test_an_unknown_model_is_an_anthropic_not_found_error(claude):
    with pytest.raises(anthropic.NotFoundError) as caught:
        claude.messages.create(model="nope", max_tokens=10, messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.body["error"]["type"] == "not_found_error"
    assert "nope" in caught.value.body["error"]["message"]


def test_an_upstream_429_is_an_anthropic_rate_limit_error_with_retry_after(claude, upstream_a):
    async def limited(request: Received, receive: Any, send: Any) -> None:
        await _send_json(
            send, 429, {"error": {"message": "slow down", "type": "rate_limit_error"}}, {"retry-after": "7"}
        )

    upstream_a.default = limited
    with pytest.raises(anthropic.RateLimitError) as caught:
        claude.messages.create(model="gpt", max_tokens=10, messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.body["error"]["type"] == "rate_limit_error"
    assert 1 <= int(caught.value.response.headers["retry-after"]) <= 7


def test_a_malformed_body_is_an_anthropic_invalid_request_error(gateway):
    reply = httpx.post(
        gateway.url + "/v1/messages", headers={"x-api-key": CLIENT_KEY}, content=b'{"model": "gpt", "messages": []}'
    )
    assert reply.status_code == 400
    assert reply.json()["type"] == "error" and reply.json()["error"]["type"] == "invalid_request_error"
    assert "messages" in reply.json()["error"]["message"]


def test_a_stream_cut_after_its_first_event_ends_with_an_anthropic_error_event(claude, upstream_a):
    upstream_a.default = cut_after_first_chunk()
    with pytest.raises(anthropic.APIStatusError) as caught:
        with claude.messages.stream(model="gpt", max_tokens=10, messages=[{"role": "user", "content": "Hi"}]) as stream:
            for _ in stream:
                pass
    assert caught.value.body["error"]["type"] in ("api_error", "overloaded_error")


# --- count_tokens and models ---------------------------------------------------------------------


def test_count_tokens_goes_to_a_claude_upstream_and_is_estimated_elsewhere(claude, gateway, upstream_b):
    async def counted(request: Received, receive: Any, send: Any) -> None:
        await _send_json(send, 200, {"input_tokens": 321})

    upstream_b.default = counted
    native = claude.messages.count_tokens(model="sonnet", messages=[{"role": "user", "content": "Hello there"}])
    assert native.input_tokens == 321
    assert upstream_b.requests[0].path == "/v1/messages/count_tokens"
    assert upstream_b.requests[0].body["model"] == "claude-sonnet-4-5"

    reply = httpx.post(
        gateway.url + "/v1/messages/count_tokens",
        headers={"x-api-key": CLIENT_KEY},
        json={"model": "gpt", "messages": [{"role": "user", "content": "Hello there, how are you today?"}]},
    )
    assert reply.status_code == 200 and reply.headers["x-gateway-token-count"] == "estimate"
    assert reply.json()["input_tokens"] > 0


def test_the_anthropic_sdk_lists_models_in_its_own_format(claude):
    ids = [model.id for model in claude.models.list()]
    assert {"gpt", "sonnet", "flash"} <= set(ids)
    assert claude.models.retrieve("sonnet").type == "model"


def test_signed_thinking_in_the_history_does_not_reach_an_openai_model(claude, upstream_a):
    """Anthropic-only fields of the hub (signed thinking, earlier reasoning) stay off an
    OpenAI-compatible upstream; the turn's text and tool calls arrive."""
    upstream_a.default = answer("Cold.")
    claude.messages.create(
        model="gpt",
        max_tokens=100,
        tools=[WEATHER],
        messages=[
            {"role": "user", "content": "Weather in Oslo?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Call the tool.", "signature": "sig-abc"},
                    {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"location": "Oslo"}},
                ],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "-3 C"}]},
        ],
    )
    assistant = upstream_a.requests[0].body["messages"][1]
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert "thinking_blocks" not in assistant and "reasoning_content" not in assistant


def test_a_body_over_the_limit_is_an_anthropic_request_too_large(gateway_factory, upstream_a):
    gateway = gateway_factory(
        f"host: 127.0.0.1\napi-keys: [{CLIENT_KEY}]\nmax-body-bytes: 1000\n"
        f"openai-compatibility:\n  - name: oai\n    base-url: {upstream_a.base_url}\n    models: [{{name: gpt}}]\n"
    )
    with anthropic.Anthropic(base_url=gateway.url, api_key=CLIENT_KEY, max_retries=0) as client:
        with pytest.raises(anthropic.APIStatusError) as caught:
            client.messages.create(model="gpt", max_tokens=10, messages=[{"role": "user", "content": "x" * 5000}])
    assert caught.value.status_code == 413
    assert caught.value.body["error"]["type"] == "request_too_large"
    assert "max-body-bytes" in caught.value.body["error"]["message"]
