"""The openai SDK against Anthropic and Gemini upstreams: the client sees OpenAI either way."""

from __future__ import annotations

import json

import openai
import pytest

from tests.e2e import dialect_mocks as mocks

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a place",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}, "unit": {"type": "string"}},
            "required": ["location"],
        },
    },
}
PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="
)
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]


def config(anthropic_root: str, gemini_root: str) -> str:
    return f"""
host: 127.0.0.1
api-keys: [test-key]
routing: {{strategy: fill-first}}
timeouts: {{connect-seconds: 2, first-byte-seconds: 3, idle-seconds: 3}}
claude-api-key:
  - api-key: ant-key-1
    prefix: claude
    base-url: {anthropic_root}
    models: [{{name: claude-sonnet-4-5, alias: sonnet}}]
  - api-key: ant-key-2
    prefix: claude
    base-url: {anthropic_root}
    models: [{{name: claude-sonnet-4-5, alias: sonnet}}]
gemini-api-key:
  - api-key: gem-key-1
    prefix: gemini
    base-url: {gemini_root}
    models: [{{name: gemini-2.5-flash, alias: flash}}, {{name: text-embedding-004}}]
  - api-key: gem-key-2
    prefix: gemini
    base-url: {gemini_root}
    models: [{{name: gemini-2.5-flash, alias: flash}}]
"""


@pytest.fixture
def gateway(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = mocks.anthropic_text()
    upstream_b.default = mocks.gemini_text()
    return gateway_factory(config(upstream_a.root, upstream_b.root))


# --- Anthropic -------------------------------------------------------------------------------


def test_anthropic_plain_chat_is_translated_both_ways(gateway, upstream_a):
    reply = gateway.client().chat.completions.create(model="sonnet", messages=MESSAGES, max_tokens=100)
    assert reply.choices[0].message.content == "Hello from Claude"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == "sonnet"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (12, 4)
    sent = upstream_a.requests[0]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "ant-key-1" and sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body["model"] == "claude-sonnet-4-5" and sent.body["max_tokens"] == 100
    assert sent.body["system"] in ("Be brief.", [{"type": "text", "text": "Be brief."}])
    assert sent.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}] or sent.body[
        "messages"
    ] == [{"role": "user", "content": "Hello"}]


def test_anthropic_streamed_chat_arrives_as_openai_chunks(gateway):
    chunks = list(
        gateway.client().chat.completions.create(
            model="claude/sonnet", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from Claude"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage.completion_tokens == 3 and chunks[-1].model == "claude/sonnet"


def test_anthropic_streamed_tool_call_reassembles_into_valid_json(gateway, upstream_a):
    upstream_a.default = mocks.anthropic_tool_stream()
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in gateway.client().chat.completions.create(
        model="sonnet",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="auto",
        stream=True,
    ):
        for call in chunk.choices[0].delta.tool_calls or []:
            entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += call.id or ""
            entry["name"] += call.function.name or ""
            entry["arguments"] += call.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert calls[0]["id"] == "toolu_01A" and calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"]) == {"location": "Paris, FR", "unit": "celsius"}
    assert upstream_a.requests[0].body["tools"][0]["name"] == "get_weather"
    assert upstream_a.requests[0].body["tools"][0]["input_schema"]["required"] == ["location"]


def test_anthropic_image_input_reaches_the_upstream_as_a_base64_image_block(gateway, upstream_a):
    gateway.client().chat.completions.create(
        model="sonnet",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": PIXEL}},
                ],
            }
        ],
    )
    blocks = upstream_a.requests[0].body["messages"][0]["content"]
    image = next(b for b in blocks if b["type"] == "image")
    assert image["source"]["type"] == "base64" and image["source"]["media_type"] == "image/png"
    assert image["source"]["data"] == PIXEL.split(",", 1)[1]


def test_anthropic_429_with_retry_after_rotates_to_the_other_key(gateway, upstream_a):
    upstream_a.behaviours["ant-key-1"] = mocks.anthropic_error(
        429, "rate_limit_error", "Number of requests has exceeded your rate limit", {"retry-after": "30"}
    )
    for _ in range(3):
        assert gateway.client().chat.completions.create(model="sonnet", messages=MESSAGES).choices[0].message.content
    assert upstream_a.keys_seen() == ["ant-key-1", "ant-key-2", "ant-key-2", "ant-key-2"]


def test_anthropic_529_overloaded_moves_on_like_a_503(gateway, upstream_a):
    upstream_a.behaviours["ant-key-1"] = mocks.anthropic_error(529, "overloaded_error", "Overloaded")
    reply = gateway.client().chat.completions.create(model="sonnet", messages=MESSAGES)
    assert reply.choices[0].message.content == "Hello from Claude"
    assert upstream_a.keys_seen() == ["ant-key-1", "ant-key-2"]


def test_anthropic_request_error_surfaces_with_its_message(gateway, upstream_a):
    upstream_a.default = mocks.anthropic_error(400, "invalid_request_error", "prompt is too long: 250000 tokens")
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client().chat.completions.create(model="sonnet", messages=MESSAGES)
    assert "prompt is too long" in caught.value.message
    assert len(upstream_a.requests) == 1


def test_parameter_the_dialect_cannot_honour_is_refused_naming_it(gateway, upstream_a):
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client().chat.completions.create(model="sonnet", messages=MESSAGES, n=2)
    assert caught.value.param == "n"
    assert upstream_a.requests == []


# --- Gemini ----------------------------------------------------------------------------------


def test_gemini_plain_chat_is_translated_both_ways(gateway, upstream_b):
    reply = gateway.client().chat.completions.create(model="flash", messages=MESSAGES, temperature=0.2)
    assert reply.choices[0].message.content == "Hello from Gemini"
    assert reply.usage.total_tokens == 14 and reply.model == "flash"
    sent = upstream_b.requests[0]
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "gem-key-1"
    assert sent.body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    assert sent.body["generationConfig"]["temperature"] == 0.2


def test_gemini_streamed_chat_and_tool_call(gateway, upstream_b):
    chunks = list(gateway.client().chat.completions.create(model="gemini/flash", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from Gemini"
    assert upstream_b.requests[0].url == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"

    upstream_b.default = mocks.gemini_tool_stream()
    arguments, finish = "", None
    for chunk in gateway.client().chat.completions.create(
        model="flash", messages=MESSAGES, tools=[WEATHER_TOOL], stream=True
    ):
        for call in chunk.choices[0].delta.tool_calls or []:
            arguments += call.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert json.loads(arguments) == {"location": "Paris, FR", "unit": "celsius"}
    assert finish == "tool_calls"


def test_gemini_image_input_reaches_the_upstream_as_inline_data(gateway, upstream_b):
    gateway.client().chat.completions.create(
        model="flash",
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "Describe"}, {"type": "image_url", "image_url": {"url": PIXEL}}],
            }
        ],
    )
    parts = upstream_b.requests[0].body["contents"][0]["parts"]
    inline = next(p["inlineData"] for p in parts if "inlineData" in p)
    assert inline == {"mimeType": "image/png", "data": PIXEL.split(",", 1)[1]}


def test_gemini_resource_exhausted_with_retry_info_rotates_to_the_other_key(gateway, upstream_b):
    upstream_b.behaviours["gem-key-1"] = mocks.gemini_error(
        429, "RESOURCE_EXHAUSTED", "Quota exceeded", retry_delay="40s"
    )
    for _ in range(2):
        gateway.client().chat.completions.create(model="flash", messages=MESSAGES)
    assert upstream_b.keys_seen() == ["gem-key-1", "gem-key-2", "gem-key-2"]


def test_gemini_error_surfaces_with_its_message(gateway, upstream_b):
    upstream_b.default = mocks.gemini_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name")
    with pytest.raises(openai.BadRequestError) as caught:
        gateway.client().chat.completions.create(model="flash", messages=MESSAGES)
    assert "Invalid JSON payload" in caught.value.message


def test_gemini_embeddings_through_embed_content(gateway, upstream_b):
    result = gateway.client().embeddings.create(
        model="gemini/text-embedding-004", input="hello", encoding_format="float"
    )
    assert result.data[0].embedding == [0.5, -0.5, 0.25]
    assert upstream_b.requests[0].path == "/v1beta/models/text-embedding-004:embedContent"
    # The SDK's default asks for base64; the gateway packs the floats as OpenAI does.
    default = gateway.client().embeddings.create(model="gemini/text-embedding-004", input=["a", "b"])
    assert [len(d.embedding) for d in default.data] == [1, 1]
    assert default.data[0].embedding[0] == pytest.approx(0.1, rel=1e-6)


def test_endpoint_a_dialect_does_not_have_answers_501_naming_it(gateway, upstream_a):
    with pytest.raises(openai.APIStatusError) as caught:
        gateway.client().embeddings.create(model="sonnet", input="hello")
    assert caught.value.status_code == 501
    assert "/v1/embeddings" in caught.value.message and "anthropic" in caught.value.message
    assert upstream_a.requests == []


def test_unknown_fields_are_dropped_for_a_translated_dialect_with_one_warning_per_field(
    gateway_factory, upstream_a, upstream_b
):
    upstream_a.default = mocks.anthropic_text()
    gateway = gateway_factory(config(upstream_a.root, upstream_b.root))
    for _ in range(3):
        gateway.client().chat.completions.create(model="sonnet", messages=MESSAGES, extra_body={"x_trace_id": "abc"})
    assert all("x_trace_id" not in request.body for request in upstream_a.requests)
    warnings = [line for line in gateway.log().splitlines() if "'x_trace_id' is not known to the anthropic" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0]


def test_a_parameter_one_dialect_refuses_is_served_by_another_target_of_the_pool(
    gateway_factory, upstream_a, upstream_b
):
    upstream_a.default = mocks.anthropic_text()
    gateway = gateway_factory(f"""
api-keys: [test-key]
routing: {{strategy: fill-first}}
claude-api-key:
  - {{api-key: ant-key, base-url: {upstream_a.root}, models: [{{name: claude-sonnet-4-5, alias: mixed, priority: 1}}]}}
openai-compatibility:
  - {{name: plain, base-url: {upstream_b.base_url}, models: [{{name: gpt-4o, alias: mixed}}]}}
""")
    reply = gateway.client().chat.completions.create(model="mixed", messages=MESSAGES, n=2)
    assert reply.choices[0].message.content == "hello from upstream"
    assert upstream_a.requests == [] and upstream_b.requests[0].body["n"] == 2
    only_claude = gateway.client().chat.completions.create(model="mixed", messages=MESSAGES)
    assert only_claude.choices[0].message.content == "Hello from Claude"
