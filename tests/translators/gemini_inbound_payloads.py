"""Realistic payloads for the Gemini client translators: what google-genai and Gemini CLI send,
hub answers an upstream adapter gives back, and OpenAI upstream streams as they arrive.

Request bodies follow ai.google.dev/api/generate-content and the thought-signatures guide
(ai.google.dev/gemini-api/docs/thought-signatures): a function call replayed with the signature
the model gave it, only the first of parallel calls signed.
"""

from __future__ import annotations

from typing import Any

import orjson

from tests.translators.test_anthropic_request import PNG_1PX
from tests.translators.test_gemini_stream import SIGNATURE

MODEL = "gpt-4o"
PDF = "JVBERi0xLjQK"  # "%PDF-1.4\n"

WEATHER_DECLARATION = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parametersJsonSchema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city"],
    },
}
# As google-genai writes a `types.Schema`: OpenAPI's subset, uppercase types.
TIME_DECLARATION = {
    "name": "get_time",
    "description": "Local time in a timezone.",
    "parameters": {
        "type": "OBJECT",
        "properties": {"tz": {"type": "STRING", "nullable": True, "example": "Europe/Paris"}},
        "required": ["tz"],
        "propertyOrdering": ["tz"],
    },
}

# A Gemini CLI-like conversation: system instruction, thinking, an image, parallel calls (only
# the first signed), their responses, and the follow-up question.
TOOL_CONVERSATION: dict[str, Any] = {
    "systemInstruction": {"role": "user", "parts": [{"text": "You are a travel assistant."}]},
    "contents": [
        {
            "role": "user",
            "parts": [
                {"text": "Where is this, and what is the weather and time there?"},
                {"inlineData": {"mimeType": "image/png", "data": PNG_1PX}},
            ],
        },
        {
            "role": "model",
            "parts": [
                {"text": "**Locating the photo**\n\nThe skyline is Paris.", "thought": True},
                {"text": "This is Paris. Let me check."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": SIGNATURE},
                {"functionCall": {"name": "get_time", "args": {"tz": "Europe/Paris"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp": 18, "unit": "c"}}},
                {"functionResponse": {"name": "get_time", "response": {"time": "14:05"}}},
            ],
        },
        {"role": "model", "parts": [{"text": "It is 18 C and 14:05 in Paris."}]},
        {"role": "user", "parts": [{"text": "And tomorrow?"}]},
    ],
    "tools": [{"functionDeclarations": [WEATHER_DECLARATION, TIME_DECLARATION]}],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    "generationConfig": {
        "temperature": 0.4,
        "topP": 0.95,
        "topK": 40,
        "maxOutputTokens": 4096,
        "stopSequences": ["END"],
        "seed": 7,
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 8192},
    },
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}],
}

# As the REST examples of Google's docs write it: proto field names in snake_case.
SNAKE_CASE_REQUEST: dict[str, Any] = {
    "system_instruction": {"parts": [{"text": "Answer in JSON."}]},
    "contents": [
        {
            "parts": [
                {"text": "Summarise this document and this picture."},
                {"inline_data": {"mime_type": "application/pdf", "data": PDF}},
                {"file_data": {"mime_type": "image/jpeg", "file_uri": "https://example.com/cat.jpg"}},
            ]
        }
    ],
    "generation_config": {
        "response_mime_type": "application/json",
        "response_schema": {
            "type": "OBJECT",
            "properties": {"summary": {"type": "STRING"}, "pages": {"type": "INTEGER", "minimum": 1}},
        },
        "thinking_config": {"thinking_level": "LOW"},
        "candidate_count": 1,
    },
    "tool_config": {"function_calling_config": {"mode": "ANY", "allowed_function_names": ["get_weather"]}},
    "tools": [{"function_declarations": [WEATHER_DECLARATION]}],
}

# Calls with ids (as the SDK's automatic function calling sends them) and an audio prompt.
ID_REQUEST: dict[str, Any] = {
    "contents": [
        {"role": "user", "parts": [{"inlineData": {"mimeType": "audio/mp3", "data": "SUQzBA=="}}]},
        {
            "role": "model",
            "parts": [{"functionCall": {"id": "fc-1", "name": "get_weather", "args": {"city": "Oslo"}}}],
        },
        {
            "role": "user",
            "parts": [{"functionResponse": {"id": "fc-1", "name": "get_weather", "response": {"temp": -3}}}],
        },
    ],
    "generationConfig": {"responseMimeType": "application/json", "thinkingConfig": {"thinkingBudget": 0}},
}

REQUESTS: list[Any] = [TOOL_CONVERSATION, SNAKE_CASE_REQUEST, ID_REQUEST]


def usage(prompt: int, completion: int, *, reasoning: int = 0, cached: int = 0) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def completion(message: dict[str, Any], finish: str, usage: dict[str, Any] | None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": "chatcmpl-AbC123",
        "object": "chat.completion",
        "created": 1_760_000_000,
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
    }
    if usage is not None:
        answer["usage"] = usage
    return answer


TEXT_ANSWER = completion(
    {"role": "assistant", "content": "Tomorrow: 21 C and sunny.", "reasoning_content": "Forecast says sun."},
    "stop",
    usage(120, 40, reasoning=12, cached=64),
)
TOOL_ANSWER = completion(
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_Zx1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris","unit":"c"}'},
                "extra_content": {"google": {"thought_signature": SIGNATURE}},
            },
            {"id": "call_Zx2", "type": "function", "function": {"name": "get_time", "arguments": ""}},
        ],
    },
    "tool_calls",
    usage(80, 30),
)
REFUSAL_ANSWER = completion({"role": "assistant", "content": None, "refusal": "I can't help with that."}, "stop", None)
ANSWERS: list[Any] = [TEXT_ANSWER, TOOL_ANSWER, REFUSAL_ANSWER]


def openai_sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(chunk) + b"\n\n" for chunk in chunks) + b"data: [DONE]\n\n"


def _chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    return {
        "id": "chatcmpl-Str1",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": "gpt-4o-2024-08-06",
        "system_fingerprint": "fp_1",
        "choices": choices,
        "usage": None,
        **extra,
    }


# OpenAI streams as they arrive with stream_options.include_usage: `usage: null` on each chunk,
# then a choiceless usage chunk and [DONE].
OPENAI_TEXT_STREAM = openai_sse(
    _chunk({"role": "assistant", "content": "", "refusal": None}),
    _chunk({"content": "Tomorrow: "}),
    _chunk({"content": "21 C \u2014 sunny."}),
    _chunk({}, "stop"),
    _chunk(None, usage=usage(120, 9)),
)
OPENAI_TOOL_STREAM = openai_sse(
    _chunk({"role": "assistant", "content": None, "reasoning_content": "Two lookups."}),
    _chunk({"tool_calls": [{"index": 0, "id": "call_A", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
    _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
    _chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "Paris"}'}}]}),
    _chunk({"tool_calls": [{"index": 1, "id": "call_B", "type": "function", "function": {"name": "get_time", "arguments": ""}}]}),
    _chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"tz": "Europe/Paris"}'}}]}),
    _chunk({}, "tool_calls"),
    _chunk(None, usage=usage(80, 30, reasoning=10)),
)  # fmt: skip
