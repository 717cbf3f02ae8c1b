"""OpenAI chat requests -> Anthropic Messages requests (https://docs.anthropic.com/en/api/messages)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from anthropic.types import RedactedThinkingBlockParam, ThinkingBlockParam
from pydantic import TypeAdapter

from translators.anthropic import (
    build_request,
    ignored_fields,
    parse_response,
    request_path,
)
from translators.anthropic.request import (
    DEFAULT_MAX_TOKENS,
    DROPPED_FIELDS,
    MIN_THINKING_BUDGET,
    THINKING_BUDGETS,
)
from translators.errors import TranslationError

MODEL = "claude-sonnet-4-5-20250929"
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string", "description": "The city and state"}},
            "required": ["location"],
        },
    },
}


def build(**body: Any) -> dict[str, Any]:
    body.setdefault("model", "claude")
    body.setdefault("messages", [{"role": "user", "content": "Hello"}])
    return build_request(body, upstream_model=MODEL)


def refusal(**body: Any) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        build(**body)
    return caught.value


def test_plain_chat_becomes_a_minimal_messages_request_with_the_upstream_model():
    request = build(messages=[{"role": "user", "content": "Hello, Claude"}])
    assert request == {
        "model": MODEL,
        "max_tokens": DEFAULT_MAX_TOKENS,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello, Claude"}]}],
    }
    assert DEFAULT_MAX_TOKENS == 4096
    orjson.dumps(request)


def test_request_path_is_v1_messages_for_stream_and_non_stream():
    assert request_path(upstream_model=MODEL, stream=False) == "/v1/messages"
    assert request_path(upstream_model=MODEL, stream=True) == "/v1/messages"


def test_stream_flag_is_forwarded_only_when_true():
    assert build(stream=True)["stream"] is True
    assert "stream" not in build(stream=False)


def test_single_system_message_becomes_the_system_string():
    request = build(
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
        ]
    )
    assert request["system"] == "You are terse."
    assert request["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]


def test_system_and_developer_messages_anywhere_become_system_blocks_in_order():
    request = build(
        messages=[
            {"role": "system", "content": "Rule one."},
            {"role": "developer", "content": [{"type": "text", "text": "Rule two."}]},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "system", "content": "Rule three, added mid-conversation."},
            {"role": "user", "content": "Bye"},
        ]
    )
    assert request["system"] == [
        {"type": "text", "text": "Rule one."},
        {"type": "text", "text": "Rule two."},
        {"type": "text", "text": "Rule three, added mid-conversation."},
    ]
    assert [turn["role"] for turn in request["messages"]] == ["user", "assistant", "user"]


def test_consecutive_same_role_messages_merge_into_one_turn():
    request = build(
        messages=[
            {"role": "user", "content": "First"},
            {"role": "user", "content": [{"type": "text", "text": "Second"}]},
            {"role": "assistant", "content": "A"},
            {"role": "assistant", "content": "B"},
        ]
    )
    assert request["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "First"}, {"type": "text", "text": "Second"}],
        },
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}],
        },
    ]


def test_assistant_tool_calls_and_grouped_tool_results_round_trip_a_tool_turn():
    request = build(
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": "Checking both.",
                "tool_calls": [
                    {"id": "toolu_01A", "type": "function",
                     "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}},
                    {"id": "toolu_01B", "type": "function",
                     "function": {"name": "get_weather", "arguments": '{"location": "Rome"}'}},
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_01A", "content": "18°C, cloudy"},
            {"role": "tool", "tool_call_id": "toolu_01B", "content": [{"type": "text", "text": "24°C, sunny"}]},
            {"role": "user", "content": "Which is warmer?"},
        ],
    )  # fmt: skip
    assert request["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking both."},
                {
                    "type": "tool_use",
                    "id": "toolu_01A",
                    "name": "get_weather",
                    "input": {"location": "Paris"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_01B",
                    "name": "get_weather",
                    "input": {"location": "Rome"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "18°C, cloudy"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_01B",
                    "content": [{"type": "text", "text": "24°C, sunny"}],
                },
                {"type": "text", "text": "Which is warmer?"},
            ],
        },
    ]


def test_assistant_with_only_tool_calls_and_null_content_has_no_text_block():
    request = build(
        messages=[
            {"role": "user", "content": "Time?"},
            {"role": "assistant", "content": None,
             "tool_calls": [{"id": "toolu_9", "type": "function", "function": {"name": "now", "arguments": ""}}]},
            {"role": "tool", "tool_call_id": "toolu_9", "content": "12:00"},
        ]
    )  # fmt: skip
    assert request["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_9", "name": "now", "input": {}}],
    }


SIGNATURE = "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV"
REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7"

# An extended-thinking answer that called a tool, as the Messages API returns it
# (docs.anthropic.com/en/docs/build-with-claude/extended-thinking#extended-thinking-with-tool-use).
THINKING_TOOL_ANSWER: dict[str, Any] = {
    "id": "msg_01Aq9w938a90dw8q",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [
        {"type": "thinking", "thinking": "The user wants the weather in Paris. I should call get_weather.",
         "signature": SIGNATURE},
        {"type": "redacted_thinking", "data": REDACTED},
        {"type": "text", "text": "Let me check the weather in Paris."},
        {"type": "tool_use", "id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "name": "get_weather",
         "input": {"location": "Paris"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 512, "output_tokens": 180},
}  # fmt: skip


def next_turn(assistant: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "What's the weather in Paris?"},
        assistant,
        {"role": "tool", "tool_call_id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "content": "18°C, cloudy"},
    ]


def test_an_answers_thinking_blocks_go_back_unchanged_before_its_text_and_tool_use():
    answer = parse_response(THINKING_TOOL_ANSWER, model="claude", created=1, id="chatcmpl-1")
    message = answer["choices"][0]["message"]
    request = build(tools=[WEATHER_TOOL], reasoning_effort="medium", messages=next_turn(message))
    assert request["messages"][1] == {"role": "assistant", "content": THINKING_TOOL_ANSWER["content"]}
    TypeAdapter(ThinkingBlockParam).validate_python(request["messages"][1]["content"][0])
    TypeAdapter(RedactedThinkingBlockParam).validate_python(request["messages"][1]["content"][1])


def test_thinking_blocks_assembled_from_a_stream_replay_without_their_index():
    message = {
        "role": "assistant",
        "content": "Let me check the weather in Paris.",
        "reasoning_content": "The user wants the weather in Paris. I should call get_weather.",
        "thinking_blocks": [
            {"index": 0, "type": "thinking", "signature": SIGNATURE,
             "thinking": "The user wants the weather in Paris. I should call get_weather."},
            {"index": 1, "type": "redacted_thinking", "data": REDACTED},
        ],
        "tool_calls": [{"id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}}],
    }  # fmt: skip
    request = build(tools=[WEATHER_TOOL], messages=next_turn(message))
    assert request["messages"][1]["content"] == THINKING_TOOL_ANSWER["content"]


def test_reasoning_content_without_thinking_blocks_is_not_sent():
    message = {
        "role": "assistant",
        "content": None,
        "reasoning_content": "The user wants the weather in Paris.",
        "thinking_blocks": None,
        "tool_calls": [{"id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}}],
    }  # fmt: skip
    request = build(tools=[WEATHER_TOOL], messages=next_turn(message))
    assert [block["type"] for block in request["messages"][1]["content"]] == ["tool_use"]
    assert ignored_fields({"model": "claude", "messages": next_turn(message)}) == ()


@pytest.mark.parametrize(
    ("thinking_blocks", "param"),
    [
        ("signed thinking", "messages[1].thinking_blocks"),
        ({"type": "thinking"}, "messages[1].thinking_blocks"),
        (["thinking"], "messages[1].thinking_blocks[0].type"),
        ([{"type": "summary", "text": "..."}], "messages[1].thinking_blocks[0].type"),
        ([{"thinking": "x", "signature": SIGNATURE}], "messages[1].thinking_blocks[0].type"),
        ([{"type": "thinking", "thinking": "x"}], "messages[1].thinking_blocks[0].signature"),
        ([{"type": "thinking", "signature": SIGNATURE}], "messages[1].thinking_blocks[0].thinking"),
        ([{"type": "thinking", "thinking": "x", "signature": None}],
         "messages[1].thinking_blocks[0].signature"),
        ([{"type": "redacted_thinking", "data": REDACTED}, {"type": "redacted_thinking"}],
         "messages[1].thinking_blocks[1].data"),
    ],
)  # fmt: skip
def test_thinking_blocks_of_the_wrong_shape_are_refused_naming_the_entry(thinking_blocks, param):
    message = {"role": "assistant", "content": "Hi", "thinking_blocks": thinking_blocks}
    assert refusal(messages=[{"role": "user", "content": "Hello"}, message]).param == param


def test_thinking_blocks_on_a_user_message_are_refused():
    blocks = [{"type": "redacted_thinking", "data": REDACTED}]
    error = refusal(messages=[{"role": "user", "content": "Hello", "thinking_blocks": blocks}])
    assert error.param == "messages[0].thinking_blocks"


def test_data_url_image_becomes_a_base64_source_and_http_url_a_url_source():
    request = build(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Compare these."},
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:image/png;base64,{PNG_1PX}", "detail": "high"},
                    },
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://upload.wikimedia.org/ant.jpg"},
                    },
                ],
            }
        ]
    )
    assert request["messages"][0]["content"] == [
        {"type": "text", "text": "Compare these."},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_1PX}},
        {"type": "image", "source": {"type": "url", "url": "https://upload.wikimedia.org/ant.jpg"}},
    ]


def test_inline_pdf_file_part_becomes_a_document_block():
    pdf = "JVBERi0xLjQK"
    request = build(
        messages=[{"role": "user", "content": [
            {"type": "file", "file": {"filename": "a.pdf", "file_data": f"data:application/pdf;base64,{pdf}"}},
        ]}]
    )  # fmt: skip
    assert request["messages"][0]["content"] == [
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": pdf},
        }
    ]


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([{"content": "no role"}], "messages[0].role"),
        ([{"role": "function", "name": "f", "content": "x"}], "messages[0].role"),
        (
            [{"role": "user", "content": "x"},
             {"role": "assistant", "tool_calls": [
                 {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}],
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            [{"role": "user", "content": "x"},
             {"role": "assistant", "tool_calls": [
                 {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "[1, 2]"}}]}],
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            [{"role": "user", "content": [
                {"type": "text", "text": "listen"},
                {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}],
            "messages[0].content[1].type",
        ),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0="}}]}],
         "messages[0].content[0].image_url.url"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,raw"}}]}],
         "messages[0].content[0].image_url.url"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://host/a.png"}}]}],
         "messages[0].content[0].image_url.url"),
        ([{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-abc"}}]}],
         "messages[0].content[0].file.file_data"),
        ([{"role": "user", "content": "x"}, {"role": "assistant", "content": [{"type": "image_url"}]}],
         "messages[1].content[0].type"),
        ([{"role": "tool", "content": "orphan result"}], "messages[0].tool_call_id"),
        ([{"role": "user", "content": "x", "audio": {"id": "audio_1"}}], "messages[0].audio"),
        ([{"role": "user", "content": "x"},
          {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}}],
         "messages[1].function_call"),
        ([{"role": "system", "content": "only a system prompt"}], "messages"),
        ("not a list", "messages"),
    ],
)  # fmt: skip
def test_malformed_or_unexpressible_messages_are_refused_naming_the_path(messages, param):
    assert refusal(messages=messages).param == param


def test_tools_become_anthropic_tools_with_input_schema():
    no_args = {"type": "function", "function": {"name": "now", "strict": True}}
    request = build(tools=[WEATHER_TOOL, no_args])
    assert request["tools"] == [
        {
            "name": "get_weather",
            "description": "Get the current weather in a given location",
            "input_schema": WEATHER_TOOL["function"]["parameters"],
        },
        {"name": "now", "input_schema": {"type": "object", "properties": {}}, "strict": True},
    ]
    assert "tool_choice" not in request


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "tool", "name": "get_weather"},
        ),
    ],
)
def test_tool_choice_maps_to_the_anthropic_tool_choice_table(tool_choice, expected):
    assert build(tools=[WEATHER_TOOL], tool_choice=tool_choice)["tool_choice"] == expected


def test_parallel_tool_calls_false_sets_disable_parallel_tool_use():
    assert build(tools=[WEATHER_TOOL], parallel_tool_calls=False)["tool_choice"] == {
        "type": "auto",
        "disable_parallel_tool_use": True,
    }
    assert build(tools=[WEATHER_TOOL], tool_choice="required", parallel_tool_calls=False)["tool_choice"] == {
        "type": "any",
        "disable_parallel_tool_use": True,
    }
    assert build(tools=[WEATHER_TOOL], tool_choice="none", parallel_tool_calls=False)["tool_choice"] == {"type": "none"}
    assert "tool_choice" not in build(tools=[WEATHER_TOOL], parallel_tool_calls=True)


def test_tool_choice_that_forces_a_tool_without_tools_is_refused():
    assert refusal(tool_choice="required").param == "tool_choice"
    assert refusal(tool_choice={"type": "function", "function": {"name": "x"}}).param == "tool_choice"
    assert "tool_choice" not in build(tool_choice="auto")


def test_non_function_tools_are_refused_naming_the_tool():
    custom = {"type": "custom", "custom": {"name": "grammar"}}
    assert refusal(tools=[WEATHER_TOOL, custom]).param == "tools[1].type"


def test_stop_string_and_list_become_stop_sequences():
    assert build(stop="\n\nHuman:")["stop_sequences"] == ["\n\nHuman:"]
    assert build(stop=["END", "STOP"])["stop_sequences"] == ["END", "STOP"]
    assert "stop_sequences" not in build(stop=None)
    assert refusal(stop=[1, 2]).param == "stop"


def test_temperature_and_top_p_pass_through_and_out_of_range_temperature_is_refused():
    request = build(temperature=0.2, top_p=0.9)
    assert (request["temperature"], request["top_p"]) == (0.2, 0.9)
    assert refusal(temperature=1.5).param == "temperature"


def test_max_completion_tokens_and_max_tokens_set_max_tokens():
    assert build(max_completion_tokens=300)["max_tokens"] == 300
    assert build(max_tokens=200)["max_tokens"] == 200
    assert build(max_tokens=200, max_completion_tokens=200)["max_tokens"] == 200
    assert refusal(max_tokens=200, max_completion_tokens=300).param == "max_tokens"
    assert refusal(max_tokens=0).param == "max_tokens"


def test_seed_is_dropped_and_listed_with_the_dropped_fields():
    assert "seed" in DROPPED_FIELDS
    request = build(seed=42, stream_options={"include_usage": True})
    assert "seed" not in request and "stream_options" not in request


def test_user_becomes_metadata_user_id():
    assert build(user="user-7f3a")["metadata"] == {"user_id": "user-7f3a"}
    assert build(user="old", safety_identifier="hash-1")["metadata"] == {"user_id": "hash-1"}


def test_json_schema_response_format_becomes_output_config_format():
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    request = build(
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "strict": True, "schema": schema},
        }
    )
    assert request["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert "output_config" not in build(response_format={"type": "text"})


def test_json_object_response_format_is_refused_because_anthropic_needs_a_schema():
    error = refusal(response_format={"type": "json_object"})
    assert error.param == "response_format"
    assert "json_schema" in error.message
    assert refusal(response_format={"type": "json_schema", "json_schema": {"name": "x"}}).param == (
        "response_format.json_schema.schema"
    )


@pytest.mark.parametrize("effort", ["minimal", "low", "medium", "high", "xhigh"])
def test_reasoning_effort_enables_thinking_with_the_budget_table_and_room_to_answer(effort):
    request = build(reasoning_effort=effort)
    budget = THINKING_BUDGETS[effort]
    assert request["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert request["max_tokens"] == budget + DEFAULT_MAX_TOKENS
    assert budget >= 1024


def test_reasoning_effort_keeps_a_client_max_tokens_that_exceeds_the_budget():
    request = build(reasoning_effort="low", max_completion_tokens=10_000)
    assert request["max_tokens"] == 10_000
    assert request["thinking"]["budget_tokens"] == THINKING_BUDGETS["low"]


def test_high_effort_under_4000_max_completion_tokens_thinks_within_three_quarters_of_it():
    request = build(reasoning_effort="high", max_completion_tokens=4000)
    assert request["max_tokens"] == 4000
    assert request["thinking"] == {"type": "enabled", "budget_tokens": 3000}


@pytest.mark.parametrize(
    ("effort", "limit", "budget"),
    [
        ("medium", 10_000, 7500),  # 8192 would leave the answer 1808 tokens
        ("xhigh", 64_000, 32_768),  # the effort's budget fits: kept
        ("minimal", 1025, 1024),
        ("high", 1025, 1024),  # three quarters is 769, below Anthropic's minimum of 1024
        ("high", 1365, 1024),
        ("high", 1366, 1025),
    ],
)
def test_effort_budget_is_lowered_to_three_quarters_of_the_limit_but_not_below_1024(effort, limit, budget):
    request = build(reasoning_effort=effort, max_tokens=limit)
    assert (request["max_tokens"], request["thinking"]["budget_tokens"]) == (limit, budget)


@pytest.mark.parametrize("effort", list(THINKING_BUDGETS))
def test_every_budget_under_a_client_limit_is_one_anthropic_accepts(effort):
    for limit in [1025, 1100, 2048, 3000, 4000, 5461, 8192, 21_846, 50_000, 128_000]:
        budget = build(reasoning_effort=effort, max_tokens=limit)["thinking"]["budget_tokens"]
        assert MIN_THINKING_BUDGET <= budget < limit
        assert budget <= THINKING_BUDGETS[effort]


@pytest.mark.parametrize("limit", [1, 1000, 1024])
def test_reasoning_effort_with_a_limit_of_1024_or_less_is_refused_naming_the_field(limit):
    error = refusal(reasoning_effort="high", max_tokens=limit)
    assert error.param == "max_tokens"
    assert "1024" in error.message and 'reasoning_effort to "none"' in error.message
    assert refusal(reasoning_effort="minimal", max_completion_tokens=limit).param == "max_completion_tokens"
    assert build(reasoning_effort="none", max_tokens=limit)["max_tokens"] == limit


def test_reasoning_effort_none_disables_thinking_and_unknown_effort_is_refused():
    request = build(reasoning_effort="none")
    assert request["thinking"] == {"type": "disabled"}
    assert request["max_tokens"] == DEFAULT_MAX_TOKENS
    assert refusal(reasoning_effort="extreme").param == "reasoning_effort"


def test_n_above_one_is_refused_and_n_one_accepted():
    assert refusal(n=2).param == "n"
    assert "n" not in build(n=1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("frequency_penalty", 0.5),
        ("presence_penalty", -1),
        ("logit_bias", {"50256": -100}),
        ("logprobs", True),
        ("modalities", ["text", "audio"]),
        ("functions", [{"name": "f"}]),
    ],
)
def test_sampling_features_anthropic_lacks_are_refused_unless_neutral(field, value):
    assert refusal(**{field: value}).param == field


def test_neutral_values_of_unsupported_features_are_accepted():
    request = build(
        frequency_penalty=0,
        presence_penalty=0.0,
        logprobs=False,
        logit_bias={},
        modalities=["text"],
    )
    assert set(request) == {"model", "max_tokens", "messages"}


def test_unknown_request_and_message_fields_are_ignored_and_reported_by_path():
    known = {
        "model": "claude",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
        ],
    }
    body = {
        **known,
        "top_k": 5,
        "messages": [known["messages"][0], {**known["messages"][1], "x_client_note": "draft 2"}],
        "x_trace_id": "abc",
    }
    request = build_request(body, upstream_model=MODEL)
    assert request == build_request(known, upstream_model=MODEL)
    assert "top_k" not in request and "x_trace_id" not in request
    assert ignored_fields(body) == ("top_k", "x_trace_id", "messages[1].x_client_note")


def test_known_fields_are_never_reported_as_ignored():
    body = {
        "model": "claude",
        "messages": [
            {"role": "user", "name": "ana", "content": "Hi"},
            {"role": "assistant", "content": "Hello", "refusal": None, "audio": None},
        ],
        "seed": 1,
        "n": 1,
        "logprobs": False,
        "stream_options": {"include_usage": True},
    }
    assert ignored_fields(body) == ()
    assert build_request(body, upstream_model=MODEL)["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Hello"}],
    }


def test_ignored_fields_of_a_malformed_body_is_empty_rather_than_an_error():
    assert ignored_fields([]) == ()  # type: ignore[arg-type]
    assert ignored_fields({"messages": "not a list", "x": 1}) == ("x",)
    assert ignored_fields({"messages": ["not an object", {"role": "user", "y": 2}]}) == ("messages[1].y",)
