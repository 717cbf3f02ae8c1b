"""Realistic payloads for the totality properties (test_totality.py), mostly those of the other test modules.

Answers, error bodies and client requests as each dialect documents them, and recorded streams as
(event name, data) lists so that one event can be mutated and the stream written out again. Each
is accepted as it is (test_totality checks that), so a mutation starts from a valid payload.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from tests.translators import test_anthropic_stream as anthropic_streams
from tests.translators import test_gemini_stream as gemini_streams
from tests.translators import test_responses_stream as responses_streams
from tests.translators.responses_payloads import response_object, usage_fields
from tests.translators.test_anthropic_errors import envelope as anthropic_envelope
from tests.translators.test_anthropic_request import PNG_1PX, THINKING_TOOL_ANSWER
from tests.translators.test_anthropic_request import WEATHER_TOOL as ANTHROPIC_WEATHER_TOOL
from tests.translators.test_gemini_errors import envelope as gemini_envelope
from tests.translators.test_gemini_errors import quota_exhausted
from tests.translators.test_gemini_request import CLAUDE_TOOL_TURN
from tests.translators.test_gemini_request import WEATHER_TOOL as GEMINI_WEATHER_TOOL
from tests.translators.test_gemini_response import FUNCTION_CALL_ANSWER, THINKING_ANSWER
from tests.translators.test_openai_passthrough import STREAM as OPENAI_STREAM
from tests.translators.test_responses_errors import envelope as openai_envelope
from tests.translators.test_responses_request import WEATHER_TOOL as RESPONSES_WEATHER_TOOL
from translators import anthropic
from translators.sse import SSEDecoder

PDF = "JVBERi0xLjQK"  # "%PDF-1.4\n"


def _anthropic_message(content: list[Any], stop_reason: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-5-20250929", "content": content, "stop_reason": stop_reason,
        "stop_sequence": None, **fields,
    }  # fmt: skip


ANTHROPIC_ANSWERS: list[Any] = [
    THINKING_TOOL_ANSWER,
    _anthropic_message(
        [{"type": "server_tool_use", "id": "srvtoolu_014", "name": "web_search", "input": {"query": "news"}},
         {"type": "text", "text": "Here is the news."}],
        "end_turn",
        usage={"input_tokens": 21, "cache_creation_input_tokens": 188086, "cache_read_input_tokens": 1000,
               "output_tokens": 393, "output_tokens_details": {"thinking_tokens": 12}},
    ),
    _anthropic_message(
        [], "refusal", stop_details={"type": "refusal", "category": "cyber", "explanation": "This could enable malware."},
        usage={"input_tokens": 5, "output_tokens": 0},
    ),
]  # fmt: skip

GEMINI_ANSWERS: list[Any] = [
    THINKING_ANSWER,
    FUNCTION_CALL_ANSWER,
    {
        "candidates": [
            {"content": {"parts": [{"text": "Heads"}], "role": "model"}, "finishReason": "STOP"},
            {"content": {"parts": [{"text": "Tails, and then"}], "role": "model"}, "finishReason": "MAX_TOKENS",
             "index": 1},
        ],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 9, "totalTokenCount": 14,
                          "toolUsePromptTokenCount": 2},
        "modelVersion": "gemini-2.5-flash",
    },
    {
        "promptFeedback": {"blockReason": "SAFETY",
                           "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]},
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "blk-1",
    },
]  # fmt: skip

_LOGPROBS = [
    {"token": "Hi", "bytes": [72, 105], "logprob": -0.0012,
     "top_logprobs": [{"token": "Hi", "bytes": [72, 105], "logprob": -0.0012},
                      {"token": "Hello", "bytes": [72, 101, 108, 108, 111], "logprob": -6.75}]},
    {"token": "!", "bytes": [33], "logprob": -0.02, "top_logprobs": []},
]  # fmt: skip


def _responses_answer(output: list[Any], status: str = "completed", **fields: Any) -> dict[str, Any]:
    fields.setdefault("usage", usage_fields(310, 42, cached=256, reasoning=12))
    return response_object(
        id="resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41", created_at=1741476777, model="gpt-4o-2024-08-06",
        status=status, output=output, **fields,
    )  # fmt: skip


RESPONSES_ANSWERS: list[Any] = [
    _responses_answer([
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "**Greeting**"}],
         "content": [{"type": "reasoning_text", "text": "Say hi."}]},
        {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
         "content": [{"type": "output_text", "text": "Hi!", "annotations": [], "logprobs": _LOGPROBS},
                     {"type": "refusal", "refusal": "But not that."}]},
        {"type": "function_call", "id": "fc_1", "call_id": "call_2345abc", "name": "get_weather",
         "arguments": '{"location":"Paris, France"}', "status": "completed"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed",
         "action": {"type": "search", "query": "positive news today"}},
    ]),
    _responses_answer(
        [{"type": "message", "id": "msg_2", "status": "incomplete", "role": "assistant",
          "content": [{"type": "output_text", "text": "Once upon a", "annotations": []}]}],
        status="incomplete", incomplete_details={"reason": "max_output_tokens"},
    ),
    _responses_answer([], status="failed", error={"code": "server_error", "message": "The model failed."}),
]  # fmt: skip

OPENAI_ANSWERS: list[Any] = [
    {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion", "created": 1741569952,
        "model": "gpt-4.1-2025-04-14", "system_fingerprint": "fp_b376dfbbd5", "service_tier": "default",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": "Hello! How can I assist you today?",
                                 "refusal": None, "annotations": []}}],
        "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}},
    },
]  # fmt: skip

# Error bodies with the headers each upstream sends alongside.
ANTHROPIC_ERRORS: list[Any] = [
    orjson.loads(anthropic_envelope("rate_limit_error", "Number of request tokens exceeded."))
]
GEMINI_ERRORS: list[Any] = [
    orjson.loads(quota_exhausted("17s")),
    orjson.loads(gemini_envelope(400, "INVALID_ARGUMENT", "API key not valid.", {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
        "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}})),
    [orjson.loads(gemini_envelope(503, "UNAVAILABLE", "The model is overloaded."))],
]  # fmt: skip
OPENAI_ERRORS: list[Any] = [
    orjson.loads(openai_envelope("Rate limit reached for gpt-4.1 on tokens per min (TPM).", "tokens",
                                 "rate_limit_exceeded")),
    orjson.loads(openai_envelope("Invalid type for 'input': expected a string.", "invalid_request_error",
                                 "invalid_type", "input")),
]  # fmt: skip
ERROR_HEADERS: list[dict[str, str]] = [
    {},
    {"retry-after": "12"},
    {"retry-after-ms": "1500", "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-requests": "0",
     "x-ratelimit-reset-tokens": "250ms", "x-ratelimit-remaining-tokens": "1000"},
    {"anthropic-ratelimit-requests-reset": "2025-06-01T12:00:30Z", "anthropic-ratelimit-requests-remaining": "0",
     "anthropic-ratelimit-tokens-reset": "2025-06-01T12:01:00+00:00", "anthropic-ratelimit-tokens-remaining": "7"},
]  # fmt: skip

_PNG_URL = f"data:image/png;base64,{PNG_1PX}"
_TOOL_ANSWER_MESSAGE = anthropic.parse_response(THINKING_TOOL_ANSWER, model="claude", created=1, id="chatcmpl-1")[
    "choices"
][0]["message"]

ANTHROPIC_REQUESTS: list[Any] = [
    {
        "model": "claude", "stream": True, "max_completion_tokens": 16000, "reasoning_effort": "medium",
        "temperature": 1, "top_p": 0.9, "stop": ["END"], "user": "u-1", "seed": 7, "n": 1,
        "tools": [ANTHROPIC_WEATHER_TOOL], "tool_choice": "auto", "parallel_tool_calls": False,
        "response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": {"type": "object"}}},
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "name": "ann", "content": [
                {"type": "text", "text": "What is in this image and this file, and the weather in Paris?"},
                {"type": "image_url", "image_url": {"url": _PNG_URL, "detail": "low"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "a.pdf"}},
            ]},
            _TOOL_ANSWER_MESSAGE,
            {"role": "tool", "tool_call_id": "toolu_01CswdEQBMshySk6Y9DFKrfq",
             "content": [{"type": "text", "text": "18°C, cloudy"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "It is 18°C."},
                                              {"type": "refusal", "refusal": "No more."}]},
        ],
    },
    {"model": "claude", "max_tokens": 300, "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
     "tools": [ANTHROPIC_WEATHER_TOOL], "messages": [{"role": "user", "content": "Weather in Oslo?"}]},
]  # fmt: skip

GEMINI_REQUESTS: list[Any] = [
    {
        "model": "gpt-4o", "stream": True, "max_completion_tokens": 2048, "reasoning_effort": "low",
        "temperature": 0.7, "top_p": 0.9, "top_k": 40, "seed": 7, "n": 2, "presence_penalty": 0.1,
        "frequency_penalty": 0.2, "stop": ["END"], "user": "u-1", "stream_options": {"include_usage": True},
        "tools": [GEMINI_WEATHER_TOOL], "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": {"type": "object"}}},
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": [
                {"type": "text", "text": "What do you see and hear?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.webp?size=2"}},
                {"type": "image_url", "image_url": {"url": _PNG_URL}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}"}},
            ]},
            CLAUDE_TOOL_TURN,
            {"role": "tool", "tool_call_id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "content": '{"temp": 18}'},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""},
                 "extra_content": {"google": {"thought_signature": gemini_streams.SIGNATURE}}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "18 C"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "It is 18 C."}]},
        ],
    },
    {"model": "gpt-4o", "tool_choice": "required", "response_format": {"type": "json_object"},
     "messages": [{"role": "user", "content": "Hello"}]},
]  # fmt: skip

RESPONSES_REQUESTS: list[Any] = [
    {
        "model": "gpt-5", "stream": True, "max_completion_tokens": 1000, "reasoning_effort": "high",
        "verbosity": "low", "logprobs": True, "top_logprobs": 3, "store": False, "metadata": {"k": "v"},
        "temperature": 1, "seed": 1, "parallel_tool_calls": True, "user": "u-1",
        "tools": [RESPONSES_WEATHER_TOOL],
        "tool_choice": {"type": "allowed_tools",
                        "allowed_tools": {"mode": "auto", "tools": [{"type": "function", "function": {"name": "get_weather"}}]}},
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "w", "schema": {"type": "object"}, "strict": True}},
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": [
                {"type": "text", "text": "Look at these."},
                {"type": "image_url", "image_url": {"url": _PNG_URL, "detail": "high"}},
                {"type": "file", "file": {"file_id": "file-abc123", "filename": "a.pdf"}},
            ]},
            {**CLAUDE_TOOL_TURN, "refusal": None},
            {"role": "tool", "tool_call_id": "toolu_01CswdEQBMshySk6Y9DFKrfq",
             "content": [{"type": "text", "text": "18 C"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "It is 18 C."},
                                              {"type": "refusal", "refusal": "No more."}], "refusal": "No more."},
        ],
    },
    {"model": "gpt-5", "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
     "tools": [RESPONSES_WEATHER_TOOL], "response_format": {"type": "text"},
     "messages": [{"role": "user", "content": "Weather in Oslo?"}]},
]  # fmt: skip

OPENAI_REQUESTS: list[Any] = [
    RESPONSES_REQUESTS[1],
    {"model": "gpt-4.1", "stream": True, "stream_options": {"include_usage": False, "include_obfuscation": False},
     "seed": 123456789012345678901234567890, "messages": [{"role": "user", "content": "Hello"}]},
]  # fmt: skip

EMBEDDING_REQUESTS: list[Any] = [
    {"model": "text-embedding-3-small", "input": "The quick brown fox", "dimensions": 768, "user": "u-1"},
    {"model": "text-embedding-3-small", "input": ["first", "second"], "encoding_format": "base64"},
]
EMBEDDING_ANSWERS: list[Any] = [
    {"embeddings": [{"values": [0.013168523, -0.008711934, 0.046782676]}, {"values": [-0.0121, 0.0442, 0.0087]}]},
    {"embedding": {"values": [0.5, -0.25]}, "usageMetadata": {"promptTokenCount": 4}},
]

# --- stream fixtures, as (event name, data) lists --------------------------------------------------


class Raw(str):
    """Event data that is not JSON (`[DONE]`): sent as it is unless a mutation replaces it."""


def events_of(stream: bytes) -> list[tuple[str, Any]]:
    """A recorded stream as (event name, JSON data or `Raw`) pairs, read by the decoder under test's parser."""
    events: list[tuple[str, Any]] = []
    for event in SSEDecoder().feed(stream):
        try:
            events.append((event.event, json.loads(event.data)))
        except ValueError:
            events.append((event.event, Raw(event.data)))
    return events


def _responses_events(*events: dict[str, Any]) -> bytes:
    return responses_streams.sse(*events, validate=False)


ANTHROPIC_STREAMS: list[list[tuple[str, Any]]] = [
    events_of(anthropic_streams.TEXT_STREAM),
    events_of(anthropic_streams.TOOL_STREAM),
    events_of(anthropic_streams.THINKING_STREAM),
    events_of(anthropic_streams.THINKING_TOOL_STREAM),
    events_of(anthropic_streams.TEXT_STREAM.split(b"event: content_block_stop")[0] + anthropic_streams.OVERLOADED),
]
GEMINI_STREAMS: list[list[tuple[str, Any]]] = [
    events_of(gemini_streams.TEXT_STREAM),
    events_of(gemini_streams.TOOL_STREAM),
    events_of(gemini_streams.TEXT_STREAM.split(b"\r\n\r\n")[0] + b"\r\n\r\n" + gemini_streams.OVERLOADED),
    [("message", GEMINI_ANSWERS[2]), ("message", GEMINI_ANSWERS[3])],
]
RESPONSES_STREAMS: list[list[tuple[str, Any]]] = [
    events_of(responses_streams.TEXT_STREAM),
    events_of(responses_streams.TOOL_STREAM),
    events_of(responses_streams.REASONING_STREAM),
    events_of(_responses_events(
        responses_streams.created(),
        {"type": "response.incomplete", "response": responses_streams.response(
            "incomplete", usage=usage_fields(), incomplete_details={"reason": "content_filter"})},
    )),
    events_of(_responses_events(
        responses_streams.created(),
        {"type": "error", "code": "rate_limit_exceeded", "message": "Slow down.", "param": None},
    )),
    events_of(_responses_events(
        responses_streams.created(),
        {"type": "response.failed", "response": responses_streams.response(
            "failed", error={"code": "server_error", "message": "The model failed."})},
    )),
]  # fmt: skip
OPENAI_STREAMS: list[list[tuple[str, Any]]] = [
    events_of(OPENAI_STREAM),
    # An error object after the first chunk, as OpenAI sends one mid-stream.
    events_of(OPENAI_STREAM)[:1] + [("message", {"error": {
        "message": "The server had an error while processing your request.", "type": "server_error",
        "param": None, "code": None}})],
]  # fmt: skip
