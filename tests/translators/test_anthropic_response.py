"""Anthropic Messages responses -> OpenAI chat.completion (https://docs.anthropic.com/en/api/messages)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from tests.translators.hub_check import assert_conforms
from translators import hub
from translators.anthropic import parse_response
from translators.errors import TranslationError

CREATED = 1_735_000_000


def parse(payload: dict[str, Any]) -> dict[str, Any]:
    completion = parse_response(payload, model="claude-sonnet", created=CREATED, id="chatcmpl-fallback")
    ChatCompletion.model_validate(completion)  # the official SDK must accept every answer
    assert_conforms(completion, hub.ChatCompletion)  # and it is what the hub contract says
    return completion


def message(content: list[dict[str, Any]], stop_reason: str = "end_turn", **usage: int) -> dict[str, Any]:
    return {
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 2095, "output_tokens": 503, **usage},
    }


def test_text_message_becomes_a_completion_with_the_clients_model_and_anthropics_id():
    completion = parse(message([{"type": "text", "text": "Hi! My name is Claude."}]))
    assert completion == {
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "object": "chat.completion",
        "created": CREATED,
        "model": "claude-sonnet",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hi! My name is Claude.",
                    "refusal": None,
                },
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 2095,
            "completion_tokens": 503,
            "total_tokens": 2598,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def test_missing_message_id_falls_back_to_the_gateway_id():
    payload = message([{"type": "text", "text": "x"}])
    del payload["id"]
    assert parse(payload)["id"] == "chatcmpl-fallback"


def test_text_blocks_join_and_tool_use_becomes_tool_calls_with_json_string_arguments():
    completion = parse(
        message(
            [
                {"type": "text", "text": "I'll check the weather "},
                {"type": "text", "text": "in both cities."},
                {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
                 "input": {"location": "San Francisco, CA", "unit": "celsius"}},
                {"type": "tool_use", "id": "toolu_01B", "name": "now", "input": {}},
            ],
            stop_reason="tool_use",
        )
    )  # fmt: skip
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "I'll check the weather in both cities."
    calls = choice["message"]["tool_calls"]
    assert [(call["id"], call["type"], call["function"]["name"]) for call in calls] == [
        ("toolu_01A09q90qw90lq917835lq9", "function", "get_weather"),
        ("toolu_01B", "function", "now"),
    ]
    assert json.loads(calls[0]["function"]["arguments"]) == {
        "location": "San Francisco, CA",
        "unit": "celsius",
    }
    assert calls[1]["function"]["arguments"] == "{}"


def test_tool_use_only_answer_has_null_content():
    completion = parse(message([{"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}}], "tool_use"))
    assert completion["choices"][0]["message"]["content"] is None


SIGNATURE = "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL"
REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr"


def test_thinking_text_becomes_reasoning_content_and_every_thinking_block_a_thinking_blocks_entry():
    completion = parse(
        message(
            [
                {"type": "thinking", "thinking": "Let me analyze this step by step...",
                 "signature": SIGNATURE},
                {"type": "redacted_thinking", "data": REDACTED},
                {"type": "text", "text": "Based on my analysis..."},
            ],
            output_tokens_details={"thinking_tokens": 312},
        )
    )  # fmt: skip
    result = completion["choices"][0]["message"]
    assert result["reasoning_content"] == "Let me analyze this step by step..."
    assert result["thinking_blocks"] == [
        {"type": "thinking", "thinking": "Let me analyze this step by step...", "signature": SIGNATURE},
        {"type": "redacted_thinking", "data": REDACTED},
    ]
    assert result["content"] == "Based on my analysis..."
    assert completion["usage"]["completion_tokens_details"] == {"reasoning_tokens": 312}


def test_thinking_blocks_keep_upstream_order_around_tool_use_and_reasoning_joins_their_text():
    content = [
        {"type": "thinking", "thinking": "I need the weather. ", "signature": SIGNATURE},
        {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "redacted_thinking", "data": REDACTED},
        {"type": "thinking", "thinking": "And the time.", "signature": SIGNATURE[::-1]},
        {"type": "tool_use", "id": "toolu_01B", "name": "get_time", "input": {}},
    ]
    result = parse(message(content, "tool_use"))["choices"][0]["message"]
    assert result["reasoning_content"] == "I need the weather. And the time."
    assert result["thinking_blocks"] == [content[0], content[2], content[3]]
    assert [call["id"] for call in result["tool_calls"]] == ["toolu_01A", "toolu_01B"]


def test_an_answer_with_only_redacted_thinking_has_blocks_but_no_reasoning_text():
    result = parse(message([{"type": "redacted_thinking", "data": REDACTED}, {"type": "text", "text": "Hi"}]))[
        "choices"
    ][0]["message"]
    assert result["thinking_blocks"] == [{"type": "redacted_thinking", "data": REDACTED}]
    assert "reasoning_content" not in result


def test_an_answer_without_thinking_has_no_thinking_fields():
    result = parse(message([{"type": "text", "text": "Hi"}]))["choices"][0]["message"]
    assert "thinking_blocks" not in result and "reasoning_content" not in result


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
    ],
)
def test_stop_reasons_map_to_openai_finish_reasons(stop_reason, finish_reason):
    completion = parse(message([{"type": "text", "text": "x"}], stop_reason))
    assert completion["choices"][0]["finish_reason"] == finish_reason


def test_refusal_carries_the_stop_details_explanation_as_message_refusal():
    payload = message([], "refusal")
    payload["stop_details"] = {
        "type": "refusal",
        "category": "cyber",
        "explanation": "This could enable malware.",
    }
    result = parse(payload)["choices"][0]
    assert result["finish_reason"] == "content_filter"
    assert result["message"]["refusal"] == "This could enable malware."
    assert result["message"]["content"] is None


def test_cache_reads_and_writes_count_as_prompt_tokens_reads_as_cached_and_writes_apart():
    usage = parse(
        message([{"type": "text", "text": "x"}], input_tokens=21, cache_creation_input_tokens=188086,
                cache_read_input_tokens=1000, output_tokens=393)
    )["usage"]  # fmt: skip
    assert usage["prompt_tokens"] == 21 + 188086 + 1000
    assert usage["prompt_tokens_details"] == {"cached_tokens": 1000, "cache_write_tokens": 188086}
    assert usage["completion_tokens"] == 393
    assert usage["total_tokens"] == 21 + 188086 + 1000 + 393


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}},
        {"id": "msg_1", "type": "message", "role": "assistant"},
        {"id": "msg_1", "type": "message", "content": [{"text": "no type"}]},
        {"id": "msg_1", "type": "message", "content": [{"type": "tool_use", "input": {}}]},
    ],
)
def test_payloads_that_break_the_documented_shape_raise_translation_error(payload):
    with pytest.raises(TranslationError):
        parse_response(payload, model="m", created=CREATED, id="x")
