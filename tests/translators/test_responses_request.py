"""OpenAI chat requests -> OpenAI Responses requests (platform.openai.com/docs/api-reference/responses).

Every built request is checked against the official SDK's typed request params
(`openai.types.responses.response_create_params`): the SDK must accept it and keep every field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from openai.types.responses.response_create_params import (
    ResponseCreateParamsNonStreaming,
    ResponseCreateParamsStreaming,
)
from openai.types.responses.response_output_message_param import (
    Content as AssistantPart,
)
from pydantic import TypeAdapter

from translators.errors import TranslationError
from translators.responses import build_request, ignored_fields, request_path
from translators.responses.request import DROPPED_FIELDS

MODEL = "gpt-5-2025-08-07"
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"location": {"type": "string", "description": "City and country e.g. Bogotá, Colombia"}},
    "required": ["location"],
    "additionalProperties": False,
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get current temperature for a given location.",
        "parameters": WEATHER_PARAMETERS,
        "strict": True,
    },
}

NON_STREAMING = TypeAdapter(ResponseCreateParamsNonStreaming)
STREAMING = TypeAdapter(ResponseCreateParamsStreaming)
ASSISTANT_PARTS = TypeAdapter(list[AssistantPart])


def _materialize(value: Any) -> Any:
    """The SDK's params type `Iterable[...]` fields, which pydantic validates lazily: force them."""
    if isinstance(value, dict):
        return {key: _materialize(item) for key, item in value.items()}
    if isinstance(value, list | tuple | Iterator):
        return [_materialize(item) for item in value]
    return value


def assert_documented(request: dict[str, Any]) -> None:
    """The SDK's request types accept `request` and drop nothing (so no field is unknown).

    Assistant history is sent as `output_text` / `refusal` parts without an item id, as the
    conversation-state guide replays `response.output`; the SDK types such parts only on output
    messages (which require ids), so they are checked against that part type on their own.
    """
    body = orjson.loads(orjson.dumps(request))
    for item in body["input"]:
        if item.get("type") == "message" and item.get("role") == "assistant":
            assert set(item) == {"type", "role", "content"}
            assert _materialize(ASSISTANT_PARTS.validate_python(item["content"])) == item["content"]
            item["content"] = "assistant history checked above"
    adapter = STREAMING if body.get("stream") else NON_STREAMING
    assert _materialize(adapter.validate_python(body)) == body


def build(**body: Any) -> dict[str, Any]:
    body.setdefault("model", "gpt-5")
    body.setdefault("messages", [{"role": "user", "content": "Hello"}])
    request = build_request(body, upstream_model=MODEL)
    assert_documented(request)
    return request


def refusal(**body: Any) -> TranslationError:
    body.setdefault("model", "gpt-5")
    body.setdefault("messages", [{"role": "user", "content": "Hello"}])
    with pytest.raises(TranslationError) as caught:
        build_request(body, upstream_model=MODEL)
    return caught.value


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def test_plain_chat_becomes_a_minimal_responses_request_that_is_not_stored():
    request = build(messages=[{"role": "user", "content": "Tell me a three sentence bedtime story about a unicorn."}])
    assert request == {
        "model": MODEL,
        "input": [user("Tell me a three sentence bedtime story about a unicorn.")],
        "store": False,
    }


def test_request_path_is_responses_under_the_v1_base_url_for_stream_and_non_stream():
    assert request_path(upstream_model=MODEL, stream=False) == "/responses"
    assert request_path(upstream_model=MODEL, stream=True) == "/responses"


def test_stream_true_is_forwarded_and_false_is_left_to_the_default():
    assert build(stream=True)["stream"] is True
    assert "stream" not in build(stream=False)


def test_a_client_that_sets_store_keeps_its_choice():
    assert build(store=True)["store"] is True
    assert build(store=False)["store"] is False
    assert refusal(store="yes").param == "store"


def test_system_and_developer_messages_stay_input_items_with_their_role_and_place():
    request = build(
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Salut !"},
            {"role": "system", "content": "From now on, answer in German."},
            {"role": "user", "content": "Bye"},
        ]
    )
    assert "instructions" not in request
    assert request["input"] == [
        {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "You are terse."}]},
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Answer in French."}]},
        user("Hi"),
        {"type": "message", "role": "assistant",
         "content": [{"type": "output_text", "text": "Salut !", "annotations": []}]},
        {"type": "message", "role": "system",
         "content": [{"type": "input_text", "text": "From now on, answer in German."}]},
        user("Bye"),
    ]  # fmt: skip


def test_assistant_tool_calls_become_function_call_items_and_tool_results_function_call_outputs():
    request = build(
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "What's the weather like in Paris and Rome today?"},
            {
                "role": "assistant",
                "content": "Checking both.",
                "tool_calls": [
                    {"id": "call_12345xyz", "type": "function",
                     "function": {"name": "get_weather", "arguments": '{"location":"Paris, France"}'}},
                    {"id": "call_67890abc", "type": "function",
                     "function": {"name": "get_weather", "arguments": '{"location":"Rome, Italy"}'}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_12345xyz", "content": "18°C, cloudy"},
            {"role": "tool", "tool_call_id": "call_67890abc", "content": [{"type": "text", "text": "24°C, sunny"}]},
            {"role": "user", "content": "Which is warmer?"},
        ],
    )  # fmt: skip
    assert request["input"] == [
        user("What's the weather like in Paris and Rome today?"),
        {"type": "message", "role": "assistant",
         "content": [{"type": "output_text", "text": "Checking both.", "annotations": []}]},
        {"type": "function_call", "call_id": "call_12345xyz", "name": "get_weather",
         "arguments": '{"location":"Paris, France"}'},
        {"type": "function_call", "call_id": "call_67890abc", "name": "get_weather",
         "arguments": '{"location":"Rome, Italy"}'},
        {"type": "function_call_output", "call_id": "call_12345xyz", "output": "18°C, cloudy"},
        {"type": "function_call_output", "call_id": "call_67890abc",
         "output": [{"type": "input_text", "text": "24°C, sunny"}]},
        user("Which is warmer?"),
    ]  # fmt: skip


def test_assistant_with_only_tool_calls_sends_no_message_item_and_empty_arguments_as_an_object():
    request = build(
        messages=[
            {"role": "user", "content": "Time?"},
            {"role": "assistant", "content": "",
             "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "now", "arguments": ""}}]},
            {"role": "tool", "tool_call_id": "call_9", "content": "12:00"},
        ]
    )  # fmt: skip
    assert request["input"][1:] == [
        {"type": "function_call", "call_id": "call_9", "name": "now", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_9", "output": "12:00"},
    ]


def test_an_earlier_refusal_stays_in_the_history_as_a_refusal_part():
    request = build(
        messages=[
            {"role": "user", "content": "How do I pick a lock?"},
            {"role": "assistant", "content": None, "refusal": "I can't help with that."},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "Still no."}]},
            {"role": "user", "content": "Fine."},
        ]
    )
    assert request["input"][1:3] == [
        {"type": "message", "role": "assistant",
         "content": [{"type": "refusal", "refusal": "I can't help with that."}]},
        {"type": "message", "role": "assistant", "content": [{"type": "refusal", "refusal": "Still no."}]},
    ]  # fmt: skip


def test_data_url_and_http_url_images_become_input_image_parts_with_their_detail():
    data_url = f"data:image/png;base64,{PNG_1PX}"
    request = build(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in these images?"},
                    {"type": "image_url", "image_url": {"url": data_url, "detail": "high"}},
                    {"type": "image_url", "image_url": {"url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}},
                ],
            }
        ]
    )  # fmt: skip
    assert request["input"][0]["content"] == [
        {"type": "input_text", "text": "What is in these images?"},
        {"type": "input_image", "image_url": data_url, "detail": "high"},
        {"type": "input_image", "detail": "auto",
         "image_url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"},
    ]  # fmt: skip


def test_file_parts_become_input_file_parts():
    pdf = "data:application/pdf;base64,JVBERi0xLjQKJcfsj6IK"
    request = build(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "file", "file": {"filename": "draconomicon.pdf", "file_data": pdf}},
                    {"type": "file", "file": {"file_id": "file-6F2ksmvXxt4VdoqmHRw6kL"}},
                    {"type": "text", "text": "What is the first dragon in the book?"},
                ],
            }
        ]
    )
    assert request["input"][0]["content"][:2] == [
        {"type": "input_file", "file_data": pdf, "filename": "draconomicon.pdf"},
        {"type": "input_file", "file_id": "file-6F2ksmvXxt4VdoqmHRw6kL"},
    ]


def test_tools_are_flattened_with_strict_carried_and_chat_defaults_made_explicit():
    request = build(
        tools=[
            WEATHER_TOOL,
            {"type": "function", "function": {"name": "get_time", "description": "Current UTC time."}},
        ],
        tool_choice="auto",
        parallel_tool_calls=False,
    )
    assert request["tools"] == [
        {"type": "function", "name": "get_weather", "description": "Get current temperature for a given location.",
         "parameters": WEATHER_PARAMETERS, "strict": True},
        {"type": "function", "name": "get_time", "description": "Current UTC time.",
         "parameters": {"type": "object", "properties": {}, "additionalProperties": False}, "strict": False},
    ]  # fmt: skip
    assert request["tool_choice"] == "auto"
    assert request["parallel_tool_calls"] is False


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "function", "name": "get_weather"}),
        (
            {"type": "allowed_tools",
             "allowed_tools": {"mode": "required", "tools": [{"type": "function", "function": {"name": "get_weather"}}]}},
            {"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "get_weather"}]},
        ),
    ],
    ids=["auto", "none", "required", "named", "allowed-tools"],
)  # fmt: skip
def test_tool_choice_maps_to_the_responses_shape(choice, expected):
    assert build(tools=[WEATHER_TOOL], tool_choice=choice)["tool_choice"] == expected


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_either_token_limit_becomes_max_output_tokens(field):
    assert build(**{field: 1024})["max_output_tokens"] == 1024


def test_token_limits_that_disagree_or_are_not_positive_are_refused():
    assert refusal(max_tokens=100, max_completion_tokens=200).param == "max_tokens"
    assert refusal(max_completion_tokens=0).param == "max_completion_tokens"
    assert refusal(max_tokens="100").param == "max_tokens"
    assert build(max_tokens=300, max_completion_tokens=300)["max_output_tokens"] == 300


def test_token_limits_below_the_responses_minimum_of_16_are_refused_not_raised():
    error = refusal(max_tokens=5)
    assert (error.param, "16" in error.message) == ("max_tokens", True)
    assert refusal(max_completion_tokens=15).param == "max_completion_tokens"
    assert build(max_completion_tokens=16)["max_output_tokens"] == 16


def test_sampling_and_account_fields_pass_under_their_own_names():
    request = build(
        temperature=0.2, top_p=0.9, user="user-1234", safety_identifier="hashed-9f86d0",
        metadata={"session": "abc"}, service_tier="flex", prompt_cache_key="tenant-42",
        prompt_cache_retention="24h",
    )  # fmt: skip
    assert {key: request[key] for key in (
        "temperature", "top_p", "user", "safety_identifier", "metadata", "service_tier",
        "prompt_cache_key", "prompt_cache_retention",
    )} == {
        "temperature": 0.2, "top_p": 0.9, "user": "user-1234", "safety_identifier": "hashed-9f86d0",
        "metadata": {"session": "abc"}, "service_tier": "flex", "prompt_cache_key": "tenant-42",
        "prompt_cache_retention": "24h",
    }  # fmt: skip


@pytest.mark.parametrize("stop", ["\n\n", ["END", "STOP"]])
def test_stop_sequences_are_refused_because_responses_has_none(stop):
    error = refusal(stop=stop)
    assert error.param == "stop"
    assert "stop" in error.message


def test_seed_and_stream_options_are_dropped_as_listed():
    assert {"seed", "stream_options"} <= set(DROPPED_FIELDS)
    request = build(seed=42, stream=True, stream_options={"include_usage": True})
    assert "seed" not in request and "stream_options" not in request


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        ({"type": "text"}, {"type": "text"}),
        ({"type": "json_object"}, {"type": "json_object"}),
        (
            {"type": "json_schema", "json_schema": {"name": "weather", "description": "A forecast",
                                                    "schema": WEATHER_PARAMETERS, "strict": True}},
            {"type": "json_schema", "name": "weather", "description": "A forecast",
             "schema": WEATHER_PARAMETERS, "strict": True},
        ),
    ],
    ids=["text", "json-object", "json-schema"],
)  # fmt: skip
def test_response_format_becomes_text_format(response_format, expected):
    assert build(response_format=response_format)["text"] == {"format": expected}


def test_verbosity_joins_the_text_config():
    request = build(verbosity="low", response_format={"type": "json_object"})
    assert request["text"] == {"format": {"type": "json_object"}, "verbosity": "low"}


def test_json_schema_without_name_or_schema_is_refused_naming_the_field():
    no_name = refusal(response_format={"type": "json_schema", "json_schema": {"schema": {}}})
    assert no_name.param == "response_format.json_schema.name"
    no_schema = refusal(response_format={"type": "json_schema", "json_schema": {"name": "x"}})
    assert no_schema.param == "response_format.json_schema.schema"
    assert refusal(response_format={"type": "yaml"}).param == "response_format.type"


def test_reasoning_effort_becomes_reasoning_effort_with_auto_summaries():
    assert build(reasoning_effort="high")["reasoning"] == {"effort": "high", "summary": "auto"}
    assert build(reasoning_effort="minimal")["reasoning"] == {"effort": "minimal", "summary": "auto"}
    assert build(reasoning_effort="none")["reasoning"] == {"effort": "none"}
    assert refusal(reasoning_effort="extreme").param == "reasoning_effort"


def test_more_than_one_choice_is_refused_and_one_is_accepted():
    assert refusal(n=3).param == "n"
    assert "n" not in build(n=1)


def test_logprobs_ask_for_output_text_logprobs():
    request = build(logprobs=True, top_logprobs=3)
    assert (request["include"], request["top_logprobs"]) == (["message.output_text.logprobs"], 3)
    assert "include" not in build(logprobs=False)
    assert refusal(top_logprobs=2).param == "top_logprobs"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("frequency_penalty", 0.5),
        ("presence_penalty", -1),
        ("logit_bias", {"50256": -100}),
        ("modalities", ["text", "audio"]),
        ("audio", {"voice": "alloy", "format": "wav"}),
        ("web_search_options", {}),
        ("functions", [{"name": "f"}]),
    ],
)
def test_fields_responses_cannot_honour_are_refused_by_name(field, value):
    assert refusal(**{field: value}).param == field


def test_neutral_values_of_unsupported_fields_are_accepted():
    request = build(frequency_penalty=0, presence_penalty=0.0, logit_bias={}, modalities=["text"])
    assert set(request) == {"model", "input", "store"}


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([{"content": "no role"}], "messages[0].role"),
        ([{"role": "function", "name": "f", "content": "x"}], "messages[0].role"),
        ([{"role": "user", "content": [{"type": "text", "text": "hi"},
                                       {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}}]}],
         "messages[0].content[1].type"),
        ([{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}],
         "messages[0].content[0].type"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x.test/a.png"}}]}],
         "messages[0].content[0].image_url.url"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png",
                                                                          "detail": "ultra"}}]}],
         "messages[0].content[0].image_url.detail"),
        ([{"role": "user", "content": "Time?"},
          {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                                "function": {"name": "now", "arguments": "{not json"}}]}],
         "messages[1].tool_calls[0].function.arguments"),
        ([{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "now"}}]}],
         "messages[0].tool_calls[0].id"),
        ([{"role": "tool", "content": "12:00"}], "messages[0].tool_call_id"),
        ([{"role": "user", "content": "hi", "tool_call_id": "call_1"}], "messages[0].tool_call_id"),
        ([{"role": "user", "content": 42}], "messages[0].content"),
        ([{"role": "assistant", "content": None, "audio": {"id": "audio_abc"}}], "messages[0].audio"),
        ([], "messages"),
    ],
    ids=["no-role", "function-role", "audio-part", "system-image", "ftp-image", "bad-detail",
         "non-json-arguments", "call-without-id", "tool-without-call-id", "user-with-tool-call-id",
         "content-not-text", "assistant-audio", "no-messages"],
)  # fmt: skip
def test_malformed_messages_are_refused_naming_the_path(messages, param):
    assert refusal(messages=messages).param == param


@pytest.mark.parametrize(
    ("tools", "param"),
    [
        ([{"type": "custom", "custom": {"name": "code_exec"}}], "tools[0].type"),
        ([{"type": "function", "function": {"description": "no name"}}], "tools[0].function.name"),
        ([{"type": "function", "function": {"name": "f", "examples": []}}], "tools[0].function.examples"),
    ],
)
def test_unsupported_tools_are_refused_naming_the_path(tools, param):
    assert refusal(tools=tools).param == param


def test_unknown_tool_choice_is_refused():
    assert refusal(tools=[WEATHER_TOOL], tool_choice="any").param == "tool_choice"
    named = refusal(tools=[WEATHER_TOOL], tool_choice={"type": "function", "function": {}})
    assert named.param == "tool_choice.function.name"


def test_name_annotations_and_echoed_reasoning_content_on_messages_are_dropped():
    request = build(
        messages=[
            {"role": "user", "name": "alice", "content": "2+2?"},
            {
                "role": "assistant",
                "content": "4",
                "reasoning_content": "Simple arithmetic.",
                "annotations": [],
                "refusal": None,
                "tool_calls": None,
                "audio": None,
                "function_call": None,
            },
            {"role": "user", "content": "Thanks"},
        ]
    )
    assert request["input"] == [
        user("2+2?"),
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "4", "annotations": []}]},
        user("Thanks"),
    ]  # fmt: skip


# An assistant turn as the Anthropic translator hands it out: signed thinking in thinking_blocks.
CLAUDE_TOOL_TURN: dict[str, Any] = {
    "role": "assistant",
    "content": "Let me check the weather in Paris.",
    "reasoning_content": "The user wants the weather in Paris.",
    "thinking_blocks": [
        {"type": "thinking", "thinking": "The user wants the weather in Paris.",
         "signature": "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV"},
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr"},
    ],
    "tool_calls": [{"id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}],
}  # fmt: skip


def test_anthropic_thinking_blocks_on_an_earlier_turn_are_dropped_without_being_reported():
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        CLAUDE_TOOL_TURN,
        {"role": "tool", "tool_call_id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "content": "18 C"},
    ]
    request = build(tools=[WEATHER_TOOL], messages=messages)
    assert [item["type"] for item in request["input"]] == [
        "message",
        "message",
        "function_call",
        "function_call_output",
    ]
    assert "reasoning" not in {item["type"] for item in request["input"]}
    assert ignored_fields({"model": "gpt-5", "messages": messages}) == ()


def test_unknown_request_and_message_fields_are_ignored_and_reported_by_path():
    known = {
        "model": "gpt-5",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}],
    }
    body = {
        **known,
        "not_a_field": 1,
        "messages": [known["messages"][0], {**known["messages"][1], "cache_control": {"type": "ephemeral"}}],
        "x_trace_id": "abc",
    }
    request = build(**body)
    assert request == build(**known)
    assert "not_a_field" not in request and "x_trace_id" not in request
    assert ignored_fields(body) == ("not_a_field", "x_trace_id", "messages[1].cache_control")


def test_known_fields_are_never_reported_as_ignored():
    body = {
        "model": "gpt-5",
        "messages": [
            {"role": "user", "name": "alice", "content": "Hi"},
            {"role": "assistant", "content": "Hello", "annotations": [], "audio": None, "function_call": None},
        ],
        "seed": 1,
        "n": 1,
        "stop": None,
        "prediction": None,
        "metadata": {"k": "v"},
    }
    assert ignored_fields(body) == ()
    build(**body)


def test_ignored_fields_of_a_malformed_body_is_empty_rather_than_an_error():
    assert ignored_fields([]) == ()  # type: ignore[arg-type]
    assert ignored_fields({"messages": "not a list", "x": 1}) == ("x",)
    assert ignored_fields({"messages": ["not an object", {"role": "user", "y": 2}]}) == ("messages[1].y",)


def test_the_request_does_not_mutate_the_client_body():
    body = {"model": "gpt-5", "messages": [{"role": "user", "content": "Hello"}], "tools": [WEATHER_TOOL]}
    snapshot = orjson.dumps(body)
    build_request(body, upstream_model=MODEL)
    assert orjson.dumps(body) == snapshot
