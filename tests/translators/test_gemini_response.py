"""Gemini GenerateContentResponse -> OpenAI chat.completion (translators/gemini/response.py)."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types as genai
from openai.types.chat import ChatCompletion

from tests.translators.hub_check import assert_conforms
from translators import hub
from translators.errors import TranslationError
from translators.gemini import build_request, parse_response
from translators.gemini.response import FINISH_REASONS

CREATED = 1_760_000_000
ID = "chatcmpl-gw-7f3a"

THINKING_ANSWER = {
    "candidates": [
        {
            "content": {
                "parts": [
                    {
                        "text": "**Recalling the capital**\n\nThe user asks for France's capital.",
                        "thought": True,
                    },
                    {"text": "The capital of France is "},
                    {"text": "Paris."},
                ],
                "role": "model",
            },
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 12,
        "candidatesTokenCount": 7,
        "totalTokenCount": 131,
        "cachedContentTokenCount": 4,
        "thoughtsTokenCount": 112,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}],
    },
    "modelVersion": "gemini-2.5-flash",
    "responseId": "3Y_QaIaAN5ukqtsPz5-xgAk",
}

FUNCTION_CALL_ANSWER = {
    "candidates": [
        {
            "content": {
                "parts": [
                    {
                        "functionCall": {"name": "get_weather", "args": {"city": "Paris", "unit": "c"}},
                        "thoughtSignature": "CiQBVKhc7vBv2cx2ms0SOBXc9pPb1K1oqz0c8QyyJVpCr0s=",
                    },
                    {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
                ],
                "role": "model",
            },
            "finishReason": "STOP",
            "avgLogprobs": -0.0021,
        }
    ],
    "usageMetadata": {"promptTokenCount": 70, "candidatesTokenCount": 30, "totalTokenCount": 100},
    "modelVersion": "gemini-2.5-pro",
    "responseId": "Xx3QaO7vLI2bqtsP9uC7uAk",
}


def parse(payload: dict[str, Any]) -> dict[str, Any]:
    genai.GenerateContentResponse.model_validate(payload)  # the fixture is a real Gemini shape
    completion = parse_response(payload, model="gpt-4o", created=CREATED, id=ID)
    ChatCompletion.model_validate(completion)  # and the result is one the openai SDK takes
    assert_conforms(completion, hub.ChatCompletion)  # and it is what the hub contract says
    return completion


def test_text_answer_with_thoughts_gives_content_reasoning_and_usage():
    assert parse(THINKING_ANSWER) == {
        "id": "3Y_QaIaAN5ukqtsPz5-xgAk",
        "object": "chat.completion",
        "created": CREATED,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "The capital of France is Paris.",
                    "reasoning_content": "**Recalling the capital**\n\nThe user asks for France's capital.",
                },
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 119,
            "total_tokens": 131,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 112},
        },
    }


def test_function_calls_become_tool_calls_with_stable_ids_and_the_signature_alongside():
    completion = parse(FUNCTION_CALL_ANSWER)
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [call["function"] for call in calls] == [
        {"name": "get_weather", "arguments": '{"city":"Paris","unit":"c"}'},
        {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
    ]
    assert calls[0]["extra_content"] == {
        "google": {"thought_signature": "CiQBVKhc7vBv2cx2ms0SOBXc9pPb1K1oqz0c8QyyJVpCr0s="}
    }
    assert "extra_content" not in calls[1]
    ids = [call["id"] for call in calls]
    assert all(len(i) == 29 and i.startswith("call_") for i in ids) and ids[0] != ids[1]
    assert [c["id"] for c in parse(FUNCTION_CALL_ANSWER)["choices"][0]["message"]["tool_calls"]] == ids
    other = parse_response(FUNCTION_CALL_ANSWER, model="gpt-4o", created=CREATED, id="chatcmpl-other")
    assert other["choices"][0]["message"]["tool_calls"][0]["id"] != ids[0]


def test_tool_calls_answered_round_trip_into_the_next_request_with_their_signature():
    calls = parse(FUNCTION_CALL_ANSWER)["choices"][0]["message"]["tool_calls"]
    messages = [
        {"role": "user", "content": "Weather in Paris and Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": calls[0]["id"], "content": '{"temp_c": 18}'},
        {"role": "tool", "tool_call_id": calls[1]["id"], "content": '{"temp_c": 9}'},
    ]
    contents = build_request({"model": "gpt-4o", "messages": messages}, upstream_model="gemini-2.5-pro")["contents"]
    assert contents[1] == FUNCTION_CALL_ANSWER["candidates"][0]["content"]
    assert [part["functionResponse"]["name"] for part in contents[2]["parts"]] == [
        "get_weather",
        "get_weather",
    ]


def test_each_candidate_becomes_a_choice_with_its_own_index():
    payload = {
        "candidates": [
            {"content": {"parts": [{"text": "Heads"}], "role": "model"}, "finishReason": "STOP"},
            {
                "content": {"parts": [{"text": "Tails, and then"}], "role": "model"},
                "finishReason": "MAX_TOKENS",
                "index": 1,
            },
        ],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 6, "totalTokenCount": 11},
        "modelVersion": "gemini-2.5-flash",
    }
    completion = parse(payload)
    assert completion["id"] == ID  # no responseId: the gateway's id is used
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in completion["choices"]] == [
        (0, "Heads", "stop"),
        (1, "Tails, and then", "length"),
    ]


def test_blocked_prompt_gives_one_empty_content_filter_choice():
    payload = {
        "promptFeedback": {
            "blockReason": "SAFETY",
            "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}],
        },
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "blk-1",
    }
    completion = parse(payload)
    assert completion["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": ""},
            "finish_reason": "content_filter",
            "logprobs": None,
        }
    ]
    assert completion["usage"]["prompt_tokens"] == 8 and completion["usage"]["completion_tokens"] == 0


def test_candidate_stopped_by_safety_without_content_is_content_filter():
    payload = {
        "candidates": [
            {
                "finishReason": "SAFETY",
                "index": 0,
                "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": True}],
            }
        ],
        "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9},
    }
    choice = parse(payload)["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": ""}
    assert choice["finish_reason"] == "content_filter"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("IMAGE_SAFETY", "content_filter"),
        ("OTHER", "stop"),
        ("LANGUAGE", "stop"),
        ("MALFORMED_FUNCTION_CALL", "stop"),
        ("FINISH_REASON_UNSPECIFIED", "stop"),
    ],
)
def test_finish_reasons_follow_the_table(reason, expected):
    payload = {"candidates": [{"content": {"parts": [{"text": "x"}], "role": "model"}, "finishReason": reason}]}
    assert parse(payload)["choices"][0]["finish_reason"] == expected
    assert FINISH_REASONS.get(reason, "stop") == expected


def test_answer_without_candidates_or_block_reason_is_a_translation_error():
    with pytest.raises(TranslationError):
        parse_response({"usageMetadata": {"promptTokenCount": 1}}, model="m", created=CREATED, id=ID)


@pytest.mark.parametrize(
    "payload",
    [
        {"candidates": ["text"]},
        {"candidates": {"0": {}}},
        {"candidates": [{"content": {"parts": "hello", "role": "model"}}]},
        {
            "candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": "12"},
        },
    ],
)
def test_answers_breaking_the_documented_shape_are_translation_errors_not_crashes(payload):
    with pytest.raises(TranslationError):
        parse_response(payload, model="m", created=CREATED, id=ID)
