"""Gemini streamGenerateContent?alt=sse -> OpenAI chat.completion.chunk (translators/gemini/stream.py)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from google.genai import types as genai
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from tests.translators import streams
from translators.errors import StreamError, TranslationError
from translators.gemini import StreamDecoder, parse_response

CREATED = 1_760_000_000
ID = "chatcmpl-gw-7f3a"

# As Gemini sends it: one GenerateContentResponse per event, CRLF line ends, cumulative usage.
TEXT_STREAM = (
    b'data: {"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}],'
    b'"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9,'
    b'"promptTokensDetails": [{"modality": "TEXT","tokenCount": 9}]},'
    b'"modelVersion": "gemini-2.5-flash","responseId": "mVq_aPq0Ibay1e8P1e2L4A0"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": " sky is blue because air scatters"}],'
    b'"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 7,'
    b'"totalTokenCount": 16},"modelVersion": "gemini-2.5-flash",'
    b'"responseId": "mVq_aPq0Ibay1e8P1e2L4A0"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": " short (blue) light \xe2\x80\x94 Rayleigh."}],'
    b'"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 9,'
    b'"candidatesTokenCount": 19,"totalTokenCount": 28,"promptTokensDetails": [{"modality": "TEXT",'
    b'"tokenCount": 9}]},"modelVersion": "gemini-2.5-flash","responseId": "mVq_aPq0Ibay1e8P1e2L4A0"}\r\n\r\n'
)

SIGNATURE = "CiQBVKhc7vBv2cx2ms0SOBXc9pPb1K1oqz0c8QyyJVpCr0s="


def sse(*payloads: dict[str, Any]) -> bytes:
    for payload in payloads:
        genai.GenerateContentResponse.model_validate(payload)  # each event is a real Gemini shape
    return b"".join(b"data: " + orjson.dumps(payload) + b"\r\n\r\n" for payload in payloads)


def candidate(*parts: dict[str, Any], finish: str | None = None, index: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}}
    if finish:
        body["finishReason"] = finish
    if index is not None:
        body["index"] = index
    return body


TOOL_STREAM = sse(
    {
        "candidates": [
            candidate({"text": "**Planning the lookup**\n\nI need the weather tool.", "thought": True}, index=0)
        ],
        "usageMetadata": {"promptTokenCount": 70, "totalTokenCount": 70},
        "modelVersion": "gemini-2.5-pro",
        "responseId": "tool-resp-1",
    },
    {
        "candidates": [
            candidate(
                {
                    "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                    "thoughtSignature": SIGNATURE,
                },
                {"functionCall": {"name": "get_time", "args": {}}},
                finish="STOP",
                index=0,
            )
        ],
        "usageMetadata": {
            "promptTokenCount": 70,
            "candidatesTokenCount": 25,
            "thoughtsTokenCount": 41,
            "totalTokenCount": 136,
        },
        "modelVersion": "gemini-2.5-pro",
        "responseId": "tool-resp-1",
    },
)


def decoder() -> StreamDecoder:
    return StreamDecoder(model="gpt-4o", created=CREATED, id=ID)


def decode(every_split: Any, data: bytes) -> list[dict[str, Any]]:
    chunks = every_split(decoder, data)
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    return chunks


def accumulate(chunks: list[dict[str, Any]]) -> Any:
    """What the openai SDK's own stream helper makes of the chunks."""
    state = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    return state.current_completion_snapshot


def choice_chunk(id: str, delta: dict[str, Any], finish: str | None = None, index: int = 0) -> dict[str, Any]:
    return streams.choice_chunk(id=id, model="gpt-4o", created=CREATED, delta=delta, finish_reason=finish, index=index)


def test_text_stream_split_at_every_byte_gives_same_chunks_and_last_usage(every_split):
    rid = "mVq_aPq0Ibay1e8P1e2L4A0"
    assert decode(every_split, TEXT_STREAM) == [
        choice_chunk(rid, {"role": "assistant", "content": ""}),
        choice_chunk(rid, {"content": "The"}),
        choice_chunk(rid, {"content": " sky is blue because air scatters"}),
        choice_chunk(rid, {"content": " short (blue) light \u2014 Rayleigh."}),
        choice_chunk(rid, {}, "stop"),
        {
            "id": rid,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": "gpt-4o",
            "choices": [],
            "usage": {
                "prompt_tokens": 9,
                "completion_tokens": 19,
                "total_tokens": 28,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        },
    ]


def test_tool_use_stream_split_at_every_byte_gives_same_events(every_split):
    chunks = decode(every_split, TOOL_STREAM)
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks if chunk["choices"]]
    assert deltas[1] == {"reasoning_content": "**Planning the lookup**\n\nI need the weather tool."}
    header, arguments = deltas[2]["tool_calls"][0], deltas[3]["tool_calls"][0]
    assert header["index"] == 0 and header["type"] == "function" and header["id"].startswith("call_")
    assert header["function"] == {"name": "get_weather", "arguments": ""}
    assert header["extra_content"] == {"google": {"thought_signature": SIGNATURE}}
    assert arguments == {"index": 0, "function": {"arguments": '{"city":"Paris"}'}}
    assert deltas[4]["tool_calls"][0]["function"] == {"name": "get_time", "arguments": ""}
    assert deltas[5]["tool_calls"][0] == {"index": 1, "function": {"arguments": "{}"}}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens"] == 66
    assert chunks[-1]["usage"]["completion_tokens_details"] == {"reasoning_tokens": 41}


def test_tool_use_stream_accumulates_to_what_the_non_stream_answer_gives(every_split):
    streamed = accumulate(decode(every_split, TOOL_STREAM))
    whole = parse_response(
        {
            "candidates": [
                candidate(
                    {
                        "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                        "thoughtSignature": SIGNATURE,
                    },
                    {"functionCall": {"name": "get_time", "args": {}}},
                    finish="STOP",
                )
            ]
        },
        model="gpt-4o",
        created=CREATED,
        id=ID,
    )
    expected = whole["choices"][0]["message"]["tool_calls"]
    got = streamed.choices[0].message.tool_calls
    assert [(c.id, c.function.name, c.function.arguments) for c in got] == [
        (c["id"], c["function"]["name"], c["function"]["arguments"]) for c in expected
    ]
    assert streamed.choices[0].finish_reason == "tool_calls"
    assert streamed.usage.total_tokens == 136


def test_several_candidates_stream_as_separate_choices(every_split):
    data = sse(
        {"candidates": [candidate({"text": "Heads"}), candidate({"text": "Tails"}, index=1)]},
        {
            "candidates": [
                candidate({"text": "!"}, finish="STOP"),
                candidate({"text": " again"}, finish="MAX_TOKENS", index=1),
            ],
            "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 8, "totalTokenCount": 13},
        },
    )
    streamed = accumulate(decode(every_split, data))
    assert [(c.index, c.message.content, c.finish_reason) for c in streamed.choices] == [
        (0, "Heads!", "stop"),
        (1, "Tails again", "length"),
    ]


def test_blocked_prompt_streams_one_empty_content_filter_choice(every_split):
    data = sse(
        {
            "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
            "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
            "responseId": "blk",
        }
    )
    chunks = decode(every_split, data)
    assert chunks[:2] == [
        choice_chunk("blk", {"role": "assistant", "content": ""}),
        choice_chunk("blk", {}, "content_filter"),
    ]
    assert chunks[2]["usage"]["prompt_tokens"] == 8


def test_safety_stop_mid_stream_ends_the_choice_with_content_filter(every_split):
    data = sse(
        {"candidates": [candidate({"text": "Here is how"}, index=0)]},
        {
            "candidates": [
                {
                    "finishReason": "SAFETY",
                    "index": 0,
                    "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}],
                }
            ]
        },
    )
    chunks = decode(every_split, data)
    assert [chunk["choices"][0]["finish_reason"] for chunk in chunks] == [None, None, "content_filter"]
    assert all("usage" not in chunk for chunk in chunks)  # none reported, none invented


def test_error_event_inside_the_stream_raises_stream_error_with_the_upstream_info():
    data = (
        TEXT_STREAM.split(b"\r\n\r\n")[0]
        + b"\r\n\r\n"
        + (
            b'data: {"error": {"code": 503, "message": "The model is overloaded. Please try again later.",'
            b' "status": "UNAVAILABLE"}}\r\n\r\n'
        )
    )
    machine = decoder()
    with pytest.raises(StreamError) as caught:
        for index in range(len(data)):
            machine.feed(data[index : index + 1])
    info = caught.value.info
    assert (info.status, info.type, info.code) == (503, "server_error", "UNAVAILABLE")
    assert info.message == "The model is overloaded. Please try again later."


OVERLOADED = (
    b'data: {"error": {"code": 503, "message": "The model is overloaded. Please try again later.",'
    b' "status": "UNAVAILABLE"}}\r\n\r\n'
)


def test_content_then_error_gives_the_same_chunks_then_the_same_error_at_every_split():
    stream = TEXT_STREAM.split(b"\r\n\r\n")[0] + b"\r\n\r\n" + OVERLOADED
    expected_chunks, expected_error = streams.run_until_error(decoder(), [stream])
    rid = "mVq_aPq0Ibay1e8P1e2L4A0"
    assert expected_chunks == [
        choice_chunk(rid, {"role": "assistant", "content": ""}),
        choice_chunk(rid, {"content": "The"}),
    ]
    assert (expected_error.info.status, expected_error.info.code) == (503, "UNAVAILABLE")
    for cut in range(len(stream) + 1):
        chunks, error = streams.run_until_error(decoder(), [stream[:cut], stream[cut:]])
        assert chunks == expected_chunks and error.info == expected_error.info, f"split at byte {cut} differs"
    bytewise = [stream[index : index + 1] for index in range(len(stream))]
    chunks, error = streams.run_until_error(decoder(), bytewise)
    assert chunks == expected_chunks and error.info == expected_error.info


def test_a_decoder_that_raised_an_upstream_error_raises_it_again_on_every_call():
    machine = decoder()
    with pytest.raises(StreamError):
        machine.feed(OVERLOADED)
    with pytest.raises(StreamError):
        machine.feed(TEXT_STREAM)
    with pytest.raises(StreamError):
        machine.close()


def test_usage_reported_after_the_finish_reason_still_counts():
    data = sse(
        {"candidates": [candidate({"text": "Hi"}, finish="STOP")], "responseId": "late"},
        {"usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 1, "totalTokenCount": 5},
         "responseId": "late"},
    )  # fmt: skip
    chunks = decode(streams.assert_same_events_at_every_split, data)
    assert chunks[-2] == choice_chunk("late", {}, "stop")
    assert chunks[-1]["usage"]["total_tokens"] == 5


@pytest.mark.parametrize("cut", [0, 1, TEXT_STREAM.rindex(b"data: ")])
def test_stream_ending_before_a_finish_reason_raises_on_close(cut):
    machine = decoder()
    chunks = machine.feed(TEXT_STREAM[:cut])
    with pytest.raises(StreamError) as caught:
        machine.close()
    assert caught.value.info.code == "stream_truncated" and caught.value.info.type == "server_error"
    assert all(chunk["choices"] and chunk["choices"][0]["finish_reason"] is None for chunk in chunks)


def test_one_candidate_finished_of_two_is_still_truncated():
    machine = decoder()
    machine.feed(sse({"candidates": [candidate({"text": "a"}, finish="STOP"), candidate({"text": "b"}, index=1)]}))
    with pytest.raises(StreamError):
        machine.close()


def test_stream_event_that_is_not_json_is_a_translation_error():
    with pytest.raises(TranslationError):
        decoder().feed(b"data: [DONE]\r\n\r\n")
