"""The openai SDK's Responses API as the client: /v1/responses against an OpenAI-compatible
upstream and a Claude upstream (translated) and a Responses upstream (native), stream and not,
function calling and `previous_response_id`, over real sockets."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from tests.e2e import dialect_mocks as mocks
from tests.e2e.conftest import CLIENT_KEY
from tests.e2e.mock_upstream import answer, cut_after_first_chunk, tool_call_stream

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a place",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
}


def config(openai_url: str, anthropic_root: str, responses_url: str) -> str:
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
codex-api-key:
  - api-key: codex-key
    base-url: {responses_url}
    models: [{{name: gpt-5-codex, alias: codex}}]
"""


@pytest.fixture
def gateway(gateway_factory, upstream_a, upstream_b, upstream_c):
    upstream_b.default = mocks.anthropic_text()
    upstream_c.default = mocks.responses_text()
    return gateway_factory(config(upstream_a.base_url, upstream_b.root, upstream_c.base_url))


@pytest.fixture
def client(gateway) -> Iterator[openai.OpenAI]:
    with gateway.client() as client:
        yield client


# --- translated ----------------------------------------------------------------------------------


def test_a_response_from_an_openai_chat_model(client, upstream_a):
    upstream_a.default = answer("Hello from GPT")
    response = client.responses.create(model="gpt", instructions="Be brief.", input="Hi", max_output_tokens=100)
    assert response.output_text == "Hello from GPT" and response.status == "completed" and response.model == "gpt"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (5, 2)
    sent = upstream_a.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.body["model"] == "gpt-4o"
    assert sent.body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent.body["max_completion_tokens"] == 100


def test_a_streamed_response_has_the_typed_events_and_completes(client, upstream_a):
    upstream_a.default = answer("one two three")
    kinds, deltas = [], []
    with client.responses.stream(model="gpt", input="Count") as stream:
        for event in stream:
            kinds.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.output_item.added" in kinds and "response.output_item.done" in kinds
    assert "".join(deltas) == "one two three" and len(deltas) == 3
    assert final.output_text == "one two three" and final.usage.output_tokens == 3


def test_a_streamed_function_call_and_its_output_on_the_next_turn(client, upstream_a):
    upstream_a.default = tool_call_stream("get_weather", ['{"loca', 'tion": "Oslo"}'], call_id="call_5")
    argument_deltas = []
    with client.responses.stream(model="gpt", input="Weather in Oslo?", tools=[WEATHER]) as stream:
        for event in stream:
            if event.type == "response.function_call_arguments.delta":
                argument_deltas.append(event.delta)
        final = stream.get_final_response()
    call = [item for item in final.output if item.type == "function_call"][0]
    assert (call.call_id, call.name, json.loads(call.arguments)) == ("call_5", "get_weather", {"location": "Oslo"})
    assert len(argument_deltas) == 2, "the arguments were buffered instead of streamed"

    upstream_a.default = answer("Cold.")
    follow = client.responses.create(
        model="gpt",
        tools=[WEATHER],
        input=[
            {"role": "user", "content": "Weather in Oslo?"},
            {"type": "function_call", "call_id": "call_5", "name": "get_weather", "arguments": call.arguments},
            {"type": "function_call_output", "call_id": "call_5", "output": '{"temperature": -3}'},
        ],
    )
    assert follow.output_text == "Cold."
    history = upstream_a.requests[-1].body["messages"]
    assert history[1]["tool_calls"][0]["id"] == "call_5"
    assert history[2] == {"role": "tool", "tool_call_id": "call_5", "content": '{"temperature": -3}'}


def test_previous_response_id_continues_a_translated_conversation(client, upstream_a):
    upstream_a.default = answer("My name is GPT.")
    first = client.responses.create(model="gpt", instructions="Be brief.", input="What is your name?")
    upstream_a.default = answer("You asked my name.")
    second = client.responses.create(model="gpt", previous_response_id=first.id, input="What did I ask?")
    assert second.output_text == "You asked my name."
    messages = upstream_a.requests[-1].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == "My name is GPT." and messages[2]["content"] in (
        "What did I ask?",
        [{"type": "text", "text": "What did I ask?"}],
    )


def test_an_unknown_previous_response_id_is_a_clear_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt", previous_response_id="resp_never_made", input="Hi")
    assert caught.value.body["param"] == "previous_response_id"
    assert "resp_never_made" in caught.value.body["message"]


def test_a_response_from_a_claude_model(client, upstream_b):
    response = client.responses.create(model="sonnet", input="Hi")
    assert response.output_text == "Hello from Claude"
    assert upstream_b.requests[0].path == "/v1/messages" and upstream_b.requests[0].body["model"] == "claude-sonnet-4-5"


def test_a_streamed_tool_call_from_a_claude_model(client, upstream_b):
    upstream_b.default = mocks.anthropic_tool_stream()
    with client.responses.stream(model="sonnet", input="Weather?", tools=[WEATHER]) as stream:
        final = stream.get_final_response()
    call = [item for item in final.output if item.type == "function_call"][0]
    assert json.loads(call.arguments) == {"location": "Paris, FR", "unit": "celsius"}
    assert "Let me check." in final.output_text


def test_an_unknown_input_item_is_refused_by_name_for_a_translated_upstream(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="gpt", input=[{"type": "item_reference", "id": "msg_1"}, {"role": "user", "content": "Hi"}]
        )
    assert "item_reference" in caught.value.body["message"]


# --- native --------------------------------------------------------------------------------------


def test_a_responses_upstream_gets_the_body_as_the_client_sent_it(client, upstream_c):
    body = {
        "instructions": "Be brief.",
        "input": [
            {"type": "item_reference", "id": "msg_earlier"},
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        ],
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "previous_response_id": "resp_upstream_1",
    }
    response = client.responses.create(model="codex", **body)
    assert response.output_text == "Hello from Responses" and response.model == "codex"
    sent = upstream_c.requests[0]
    assert sent.path == "/v1/responses" and sent.key == "codex-key"
    assert sent.body == {**body, "model": "gpt-5-codex"}


def test_a_native_stream_passes_through_with_the_clients_model_id(client, upstream_c):
    with client.responses.stream(model="codex", input="Hi") as stream:
        final = stream.get_final_response()
    assert final.output_text == "Hello from Responses" and final.model == "codex"


# --- errors --------------------------------------------------------------------------------------


def test_an_unknown_model_is_a_404_in_openai_form(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="nope", input="Hi")
    assert "nope" in caught.value.body["message"]


def test_a_stream_cut_mid_way_ends_with_response_failed(client, upstream_a):
    upstream_a.default = cut_after_first_chunk()
    events = [event.type for event in client.responses.create(model="gpt", input="Hi", stream=True)]
    assert events[-1] == "response.failed" and "response.completed" not in events
