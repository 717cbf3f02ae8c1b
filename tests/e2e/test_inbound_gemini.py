"""The google-genai SDK as the client: generate, stream, function calling, count tokens and
embeddings against an OpenAI-compatible upstream and a Claude upstream (translated) and a
Gemini upstream (native), over real sockets."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import errors, types

from tests.e2e import dialect_mocks as mocks
from tests.e2e.conftest import CLIENT_KEY
from tests.e2e.mock_upstream import (
    Received,
    _send_json,
    answer,
    cut_after_first_chunk,
    raw_stream,
    sse,
    tool_call_stream,
)

WEATHER = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="get_weather",
            description="Current weather for a place",
            parameters=types.Schema(
                type="OBJECT", properties={"location": types.Schema(type="STRING")}, required=["location"]
            ),
        )
    ]
)


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
    models: [{{name: gpt-4o, alias: gpt}}, {{name: text-embedding-3-small, alias: embedder}}]
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


@pytest.fixture(params=["v1", "v1beta"])
def client(gateway, request) -> genai.Client:
    """google-genai calls /v1/models/... by default; Gemini CLI and older SDKs /v1beta/."""
    return genai.Client(
        api_key=CLIENT_KEY, http_options=types.HttpOptions(base_url=gateway.url, api_version=request.param)
    )


# --- translated: an OpenAI-compatible upstream ---------------------------------------------------


def test_generate_content_on_an_openai_model(client, upstream_a):
    upstream_a.default = answer("Hello from GPT")
    reply = client.models.generate_content(
        model="gpt", contents="Hi", config=types.GenerateContentConfig(system_instruction="Be brief.")
    )
    assert reply.text == "Hello from GPT"
    assert reply.candidates[0].finish_reason == types.FinishReason.STOP
    assert (reply.usage_metadata.prompt_token_count, reply.usage_metadata.candidates_token_count) == (5, 2)
    sent = upstream_a.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.body["model"] == "gpt-4o"
    assert sent.body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_a_stream_from_an_openai_model(client, upstream_a):
    upstream_a.default = answer("one two three")
    pieces = [chunk.text or "" for chunk in client.models.generate_content_stream(model="gpt", contents="Count")]
    assert "".join(pieces) == "one two three" and len(pieces) >= 3


def test_function_calling_round_trip_on_an_openai_model(client, upstream_a):
    upstream_a.default = tool_call_stream("get_weather", ['{"loca', 'tion": "Oslo"}'], call_id="call_7")
    reply = client.models.generate_content(
        model="gpt",
        contents="Weather in Oslo?",
        config=types.GenerateContentConfig(
            tools=[WEATHER], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)
        ),
    )
    call = reply.function_calls[0]
    assert (call.name, call.args) == ("get_weather", {"location": "Oslo"})
    assert upstream_a.requests[0].body["tools"][0]["function"]["name"] == "get_weather"

    upstream_a.default = answer("Cold in Oslo.")
    history = [
        types.Content(role="user", parts=[types.Part(text="Weather in Oslo?")]),
        reply.candidates[0].content,
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name="get_weather", response={"temperature": -3})],
        ),
    ]
    final = client.models.generate_content(
        model="gpt", contents=history, config=types.GenerateContentConfig(tools=[WEATHER])
    )
    assert final.text == "Cold in Oslo."
    messages = upstream_a.requests[-1].body["messages"]
    assert messages[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert messages[2]["role"] == "tool" and messages[2]["tool_call_id"] == messages[1]["tool_calls"][0]["id"]
    assert json.loads(messages[2]["content"]) == {"temperature": -3}


def test_embeddings_through_an_openai_embeddings_model(client, upstream_a):
    reply = client.models.embed_content(model="embedder", contents=["first", "second"])
    assert len(reply.embeddings) >= 1 and reply.embeddings[0].values == [0.1, 0.2]
    assert upstream_a.requests[0].path == "/v1/embeddings"


def test_count_tokens_is_estimated_for_an_openai_model(client, gateway):
    reply = client.models.count_tokens(model="gpt", contents="Hello there, how are you today?")
    assert reply.total_tokens > 0
    raw = httpx.post(
        gateway.url + "/v1beta/models/gpt:countTokens",
        headers={"x-goog-api-key": CLIENT_KEY},
        json={"contents": [{"parts": [{"text": "Hello"}]}]},
    )
    assert raw.headers["x-gateway-token-count"] == "estimate"


# --- translated: a Claude upstream ---------------------------------------------------------------


def test_generate_content_on_a_claude_model(client, upstream_b):
    reply = client.models.generate_content(model="sonnet", contents="Hi")
    assert reply.text == "Hello from Claude"
    assert upstream_b.requests[0].path == "/v1/messages"
    assert upstream_b.requests[0].body["model"] == "claude-sonnet-4-5"


def test_a_streamed_tool_call_from_a_claude_model(client, upstream_b):
    upstream_b.default = mocks.anthropic_tool_stream()
    chunks = list(
        client.models.generate_content_stream(
            model="sonnet",
            contents="Weather in Paris?",
            config=types.GenerateContentConfig(
                tools=[WEATHER], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)
            ),
        )
    )
    calls = [call for chunk in chunks for call in (chunk.function_calls or [])]
    assert [(c.name, c.args) for c in calls] == [("get_weather", {"location": "Paris, FR", "unit": "celsius"})]
    assert "Let me check." in "".join(chunk.text or "" for chunk in chunks if chunk.candidates)


# --- native: a Gemini upstream -------------------------------------------------------------------


def test_a_gemini_model_gets_the_body_as_the_client_sent_it(client, upstream_c):
    reply = client.models.generate_content(
        model="flash",
        contents="Hi",
        config=types.GenerateContentConfig(temperature=0.2, thinking_config=types.ThinkingConfig(thinking_budget=64)),
    )
    assert reply.text == "Hello from Gemini"
    sent = upstream_c.requests[0]
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent" and sent.key == "gem-key"
    assert sent.body["contents"] == [{"parts": [{"text": "Hi"}], "role": "user"}]
    assert sent.body["generationConfig"]["temperature"] == 0.2
    # The SDK writes this one field in snake case; it arrives as the SDK wrote it.
    assert sent.body["generationConfig"]["thinkingConfig"] in ({"thinkingBudget": 64}, {"thinking_budget": 64})


def test_a_native_stream_and_thought_signatures_pass_through(client, upstream_c):
    signed = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {
                            "functionCall": {"name": "get_weather", "args": {"location": "Rome"}},
                            "thoughtSignature": "c2ln",
                        }
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 3, "totalTokenCount": 7},
    }
    upstream_c.default = raw_stream(sse(signed))
    chunks = list(client.models.generate_content_stream(model="flash", contents="Weather in Rome?"))
    part = chunks[-1].candidates[0].content.parts[0]
    assert part.function_call.name == "get_weather" and part.thought_signature == b"sig"
    assert upstream_c.requests[0].url.endswith(":streamGenerateContent?alt=sse")


def test_native_count_tokens(client, upstream_c):
    async def counted(request: Received, receive: Any, send: Any) -> None:
        await _send_json(send, 200, {"totalTokens": 77})

    upstream_c.default = counted
    assert client.models.count_tokens(model="flash", contents="Hello").total_tokens == 77
    assert upstream_c.requests[0].path == "/v1beta/models/gemini-2.5-flash:countTokens"


# --- errors and models ---------------------------------------------------------------------------


def test_a_wrong_key_is_a_google_error(gateway):
    client = genai.Client(api_key="wrong", http_options=types.HttpOptions(base_url=gateway.url))
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model="gpt", contents="Hi")
    assert caught.value.code == 401 and caught.value.status == "UNAUTHENTICATED"


def test_an_unknown_model_is_a_google_not_found(client):
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model="nope", contents="Hi")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"


def test_a_stream_cut_mid_way_raises_in_the_sdk(client, upstream_a):
    upstream_a.default = cut_after_first_chunk()
    with pytest.raises(errors.APIError):
        list(client.models.generate_content_stream(model="gpt", contents="Hi"))


def test_the_sdk_lists_models_in_gemini_form(client):
    names = [model.name for model in client.models.list()]
    assert {"models/gpt", "models/sonnet", "models/flash"} <= set(names)
