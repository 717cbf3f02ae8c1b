"""Anthropic Messages SSE streams -> OpenAI chat.completion.chunk dicts.

Streams are written in the wire format of https://docs.anthropic.com/en/docs/build-with-claude/streaming;
each is checked whole, split at every byte and byte by byte (the `every_split` fixture).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.chat import ChatCompletionChunk

from tests.translators import streams
from tests.translators.streams import assemble
from translators.anthropic import StreamDecoder, parse_response
from translators.errors import StreamError, TranslationError

CREATED = 1_735_000_000

TEXT_STREAM = b"""event: message_start
data: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5-20250929", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}}}

event: content_block_start
data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": ", caf\xc3\xa9!"}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 0}

event: message_delta
data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 15}}

event: message_stop
data: {"type": "message_stop"}

"""

TOOL_STREAM = b"""event: message_start
data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":2},"content":[],"stop_reason":null}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay, let's check the weather"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\":"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \\"San Francisco, CA\\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02B","name":"get_time","input":{}}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

"""

THINKING_STREAM = b"""event: message_start
data: {"type": "message_start", "message": {"id": "msg_01AbCdEf", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5-20250929", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 40, "output_tokens": 3}}}

event: content_block_start
data: {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "I need to find the GCD of 1071 and 462.\\n\\n1071 = 2 \xc3\x97 462 + 147"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "\\n462 = 3 \xc3\x97 147 + 21"}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 0}

event: content_block_start
data: {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}

event: content_block_delta
data: {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "The GCD is 21."}}

event: content_block_stop
data: {"type": "content_block_stop", "index": 1}

event: message_delta
data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 120, "output_tokens_details": {"thinking_tokens": 98}}}

event: message_stop
data: {"type": "message_stop"}

"""

OVERLOADED = b"""event: error
data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

"""


def decoder() -> StreamDecoder:
    return StreamDecoder(model="claude-sonnet", created=CREATED, id="chatcmpl-fallback")


def chunk(message_id: str, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return streams.choice_chunk(
        id=message_id, model="claude-sonnet", created=CREATED, delta=delta, finish_reason=finish_reason
    )


def usage_chunk(message_id: str, **usage: Any) -> dict[str, Any]:
    return streams.usage_chunk(id=message_id, model="claude-sonnet", created=CREATED, usage=usage)


def run_until_error(pieces: list[bytes]) -> tuple[list[dict[str, Any]], StreamError]:
    return streams.run_until_error(decoder(), pieces)


def test_text_stream_split_at_every_byte_gives_same_chunks(every_split):
    message_id = "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY"
    chunks = every_split(decoder, TEXT_STREAM)
    assert assemble(chunks).choices[0].message.content == "Hello, café!"
    assert chunks == [
        chunk(message_id, {"role": "assistant", "content": ""}),
        chunk(message_id, {"content": "Hello"}),
        chunk(message_id, {"content": ", café!"}),
        chunk(message_id, {}, "stop"),
        usage_chunk(
            message_id,
            prompt_tokens=25,
            completion_tokens=15,
            total_tokens=40,
            prompt_tokens_details={"cached_tokens": 0},
            completion_tokens_details={"reasoning_tokens": 0},
        ),
    ]


def test_tool_use_stream_split_at_every_byte_gives_same_events(every_split):
    message_id = "msg_014p7gG3wDgGV9EUtLvnow3U"
    chunks = every_split(decoder, TOOL_STREAM)
    assert chunks[:-2] == [
        chunk(message_id, {"role": "assistant", "content": ""}),
        chunk(message_id, {"content": "Okay, let's check the weather"}),
        chunk(message_id, {"tool_calls": [{"index": 0, "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "type": "function",
                                           "function": {"name": "get_weather", "arguments": ""}}]}),
        chunk(message_id, {"tool_calls": [{"index": 0, "function": {"arguments": '{"location":'}}]}),
        chunk(message_id, {"tool_calls": [{"index": 0, "function": {"arguments": ' "San Francisco, CA"}'}}]}),
        chunk(message_id, {"tool_calls": [{"index": 1, "id": "toolu_02B", "type": "function",
                                           "function": {"name": "get_time", "arguments": ""}}]}),
        chunk(message_id, {"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
    ]  # fmt: skip
    assert chunks[-2] == chunk(message_id, {}, "tool_calls")
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 472 + 100 + 2000,
        "completion_tokens": 89,
        "total_tokens": 472 + 100 + 2000 + 89,
        "prompt_tokens_details": {"cached_tokens": 2000, "cache_write_tokens": 100},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def test_tool_use_stream_assembles_in_the_openai_sdk_into_parsable_tool_calls():
    completion = assemble(decoder().feed(TOOL_STREAM))
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Okay, let's check the weather"
    calls = choice.message.tool_calls
    assert [call.function.name for call in calls] == ["get_weather", "get_time"]
    assert json.loads(calls[0].function.arguments) == {"location": "San Francisco, CA"}
    assert json.loads(calls[1].function.arguments) == {}


def test_thinking_stream_gives_reasoning_content_then_the_blocks_signature_at_its_end(every_split):
    chunks = every_split(decoder, THINKING_STREAM)
    deltas = [item["choices"][0]["delta"] for item in chunks if item["choices"]]
    assert deltas == [
        {"role": "assistant", "content": ""},
        {"reasoning_content": "I need to find the GCD of 1071 and 462.\n\n1071 = 2 × 462 + 147"},
        {"reasoning_content": "\n462 = 3 × 147 + 21"},
        {"thinking_blocks": [{"index": 0, "type": "thinking",
                              "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}]},
        {"content": "The GCD is 21."},
        {},
    ]  # fmt: skip
    assert chunks[-1]["usage"]["completion_tokens_details"] == {"reasoning_tokens": 98}
    assert chunks[-1]["usage"]["completion_tokens"] == 120
    for item in chunks:
        ChatCompletionChunk.model_validate(item)


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(
        b"event: " + event["type"].encode() + b"\ndata: " + json.dumps(event).encode() + b"\n\n" for event in events
    )


SIGNATURE = "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV"
REDACTED = (
    "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7"
    "vB9URj2pLmN3kF8/dW5hR7xJ0aP1oLs9yTcMnKVf2wRpEGjH9XZaBt4UvDcPrQ"
)

# Extended thinking with tools, as the streaming docs show it: a thinking block whose signature
# comes in two signature_delta events, a redacted thinking block, then text and a tool call.
THINKING_TOOL_STREAM = sse(
    {"type": "message_start", "message": {
        "id": "msg_01Aq9w938a90dw8q", "type": "message", "role": "assistant", "content": [],
        "model": "claude-sonnet-4-5-20250929", "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 512, "output_tokens": 4}}},
    {"type": "content_block_start", "index": 0,
     "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "thinking_delta", "thinking": "The user wants the weather in Paris. "}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "thinking_delta", "thinking": "I should call get_weather."}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "signature_delta", "signature": SIGNATURE[:40]}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "signature_delta", "signature": SIGNATURE[40:]}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1,
     "content_block": {"type": "redacted_thinking", "data": REDACTED}},
    {"type": "content_block_stop", "index": 1},
    {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 2,
     "delta": {"type": "text_delta", "text": "Let me check the weather in Paris."}},
    {"type": "content_block_stop", "index": 2},
    {"type": "content_block_start", "index": 3, "content_block": {
        "type": "tool_use", "id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "name": "get_weather",
        "input": {}}},
    {"type": "content_block_delta", "index": 3,
     "delta": {"type": "input_json_delta", "partial_json": '{"location": "Paris"}'}},
    {"type": "content_block_stop", "index": 3},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
     "usage": {"output_tokens": 180}},
    {"type": "message_stop"},
)  # fmt: skip

THINKING_TOOL_CONTENT = [
    {"type": "thinking", "thinking": "The user wants the weather in Paris. I should call get_weather.",
     "signature": SIGNATURE},
    {"type": "redacted_thinking", "data": REDACTED},
    {"type": "text", "text": "Let me check the weather in Paris."},
    {"type": "tool_use", "id": "toolu_01CswdEQBMshySk6Y9DFKrfq", "name": "get_weather",
     "input": {"location": "Paris"}},
]  # fmt: skip


def thinking_entries(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        entry for item in chunks for choice in item["choices"] for entry in choice["delta"].get("thinking_blocks", [])
    ]


def test_thinking_and_redacted_thinking_stream_as_indexed_thinking_blocks(every_split):
    chunks = every_split(decoder, THINKING_TOOL_STREAM)
    assert thinking_entries(chunks) == [
        {"index": 0, "type": "thinking", "signature": SIGNATURE},
        {"index": 1, "type": "redacted_thinking", "data": REDACTED},
    ]
    assert streams.assemble_thinking_blocks(chunks) == THINKING_TOOL_CONTENT[:2]


def test_streamed_thinking_blocks_assemble_to_what_the_whole_answer_gives():
    whole = parse_response(
        {"id": "msg_01Aq9w938a90dw8q", "type": "message", "role": "assistant",
         "model": "claude-sonnet-4-5-20250929", "content": THINKING_TOOL_CONTENT,
         "stop_reason": "tool_use", "stop_sequence": None,
         "usage": {"input_tokens": 512, "output_tokens": 180}},
        model="claude-sonnet", created=CREATED, id="chatcmpl-fallback",
    )["choices"][0]["message"]  # fmt: skip
    chunks = decoder().feed(THINKING_TOOL_STREAM)
    assert streams.assemble_thinking_blocks(chunks) == whole["thinking_blocks"]
    streamed = assemble(chunks).choices[0].message  # the openai SDK's accumulator copes too
    assert streamed.reasoning_content == whole["reasoning_content"]
    assert [entry["index"] for entry in streamed.thinking_blocks] == [0, 1]
    assert streamed.tool_calls[0].function.arguments == '{"location": "Paris"}'


def test_a_thinking_block_without_signature_deltas_still_ends_with_an_entry():
    stream = THINKING_STREAM.replace(
        b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": '
        b'{"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}\n\n',
        b"",
    )
    assert stream != THINKING_STREAM
    assert thinking_entries(decoder().feed(stream)) == [{"index": 0, "type": "thinking", "signature": ""}]


def test_finish_reason_chunk_comes_after_all_content_and_before_usage():
    chunks = decoder().feed(TOOL_STREAM)
    reasons = [item["choices"][0]["finish_reason"] if item["choices"] else "usage" for item in chunks]
    assert reasons == [None] * 7 + ["tool_calls", "usage"]


def test_cumulative_message_delta_usage_replaces_earlier_counts():
    stream = TEXT_STREAM.replace(
        b'"usage": {"output_tokens": 15}',
        b'"usage": {"input_tokens": 30, "cache_read_input_tokens": 5, "output_tokens": 15}',
    )
    usage = decoder().feed(stream)[-1]["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (35, 15)
    assert usage["prompt_tokens_details"] == {"cached_tokens": 5}


def test_refusal_stream_ends_with_content_filter_and_the_explanation():
    stream = TEXT_STREAM.replace(
        b'{"stop_reason": "end_turn", "stop_sequence": null}',
        b'{"stop_reason": "refusal", "stop_sequence": null, "stop_details": '
        b'{"type": "refusal", "category": "bio", "explanation": "Declined."}}',
    )
    chunks = decoder().feed(stream)
    assert chunks[-3]["choices"][0]["delta"] == {"refusal": "Declined."}
    assert chunks[-2]["choices"][0]["finish_reason"] == "content_filter"


def test_error_event_after_content_delivers_the_content_then_raises_at_every_split():
    stream = TEXT_STREAM.split(b"event: content_block_stop")[0] + OVERLOADED
    expected_chunks, expected_error = run_until_error([stream])
    assert [item["choices"][0]["delta"] for item in expected_chunks] == [
        {"role": "assistant", "content": ""},
        {"content": "Hello"},
        {"content": ", café!"},
    ]
    assert (expected_error.info.status, expected_error.info.type) == (529, "server_error")
    assert (expected_error.info.code, expected_error.info.message) == (
        "overloaded_error",
        "Overloaded",
    )
    for cut in range(len(stream) + 1):
        chunks, error = run_until_error([stream[:cut], stream[cut:]])
        assert chunks == expected_chunks and error.info == expected_error.info, f"split at byte {cut} differs"
    chunks, error = run_until_error([stream[index : index + 1] for index in range(len(stream))])
    assert chunks == expected_chunks and error.info == expected_error.info


def test_error_event_alone_raises_stream_error_from_feed():
    machine = decoder()
    with pytest.raises(StreamError) as caught:
        machine.feed(OVERLOADED)
    assert caught.value.info.status == 529
    with pytest.raises(StreamError):
        machine.feed(b"event: ping\ndata: {}\n\n")


def test_rate_limit_error_event_keeps_its_status_and_type():
    _, error = run_until_error(
        [b'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}\n\n']
    )
    assert (error.info.status, error.info.type, error.info.message) == (
        429,
        "rate_limit_error",
        "Slow down",
    )


@pytest.mark.parametrize(
    "stream",
    [
        b"",
        TEXT_STREAM.split(b"event: message_delta")[0],
        TEXT_STREAM.split(b"event: message_stop")[0],
        TEXT_STREAM[:-40],
        TEXT_STREAM[:-10],
    ],
    ids=[
        "empty",
        "cut-before-message-delta",
        "cut-before-message-stop",
        "cut-in-event-name",
        "cut-in-data",
    ],
)
def test_stream_closed_without_message_stop_raises_stream_error(stream):
    machine = decoder()
    machine.feed(stream)
    with pytest.raises(StreamError) as caught:
        machine.close()
    assert caught.value.info.type == "server_error"


def test_events_of_unknown_types_are_skipped():
    stream = TEXT_STREAM.replace(
        b"event: ping\n",
        b'event: future_event\ndata: {"type": "future_event", "x": 1}\n\n'
        b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, '
        b'"delta": {"type": "citations_delta", "citation": {"type": "char_location"}}}\n\nevent: ping\n',
    )
    assert decoder().feed(stream) == decoder().feed(TEXT_STREAM)


@pytest.mark.parametrize(
    "stream",
    [
        b"event: message_start\ndata: {not json\n\n",
        (
            b'event: content_block_start\ndata: {"type": "content_block_start", "index": 0, '
            b'"content_block": {"type": "text", "text": ""}}\n\n'
        ),
        TEXT_STREAM.replace(
            b'"type": "content_block_delta", "index": 0',
            b'"type": "content_block_delta", "index": 7',
        ),
    ],
    ids=["non-json-data", "block-before-message-start", "delta-for-unknown-block"],
)
def test_streams_that_break_the_documented_format_raise_translation_error(stream):
    with pytest.raises(TranslationError):
        decoder().feed(stream)


def test_unterminated_final_event_at_close_still_ends_in_stream_error():
    for tail in (OVERLOADED.rstrip(b"\n"), b'event: message_stop\ndata: {"type": "messa'):
        machine = decoder()
        machine.feed(TEXT_STREAM.split(b"event: message_delta")[0])
        machine.feed(tail)
        with pytest.raises(StreamError) as caught:
            machine.close()
        assert caught.value.info.type == "server_error"


def test_server_tool_and_redacted_thinking_blocks_take_no_tool_index(every_split):
    stream = b"".join(
        b"event: " + name.encode() + b"\ndata: " + json.dumps(data).encode() + b"\n\n"
        for name, data in [
            ("message_start", {"type": "message_start", "message": {
                "id": "msg_01S", "type": "message", "role": "assistant", "content": [],
                "model": "claude-sonnet-4-5", "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
                "type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {
                "type": "server_tool_use", "id": "srvtoolu_014", "name": "web_search", "input": {}}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {
                "type": "input_json_delta", "partial_json": '{"query": "weather"}'}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 1}),
            ("content_block_start", {"type": "content_block_start", "index": 2, "content_block": {
                "type": "tool_use", "id": "toolu_01X", "name": "get_weather", "input": {}}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {
                "type": "input_json_delta", "partial_json": '{"location": "Oslo"}'}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 2}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
                               "usage": {"output_tokens": 30}}),
            ("message_stop", {"type": "message_stop"}),
        ]
    )  # fmt: skip
    chunks = every_split(decoder, stream)
    calls = [call for item in chunks if item["choices"] for call in item["choices"][0]["delta"].get("tool_calls", [])]
    assert calls == [
        {"index": 0, "id": "toolu_01X", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
        {"index": 0, "function": {"arguments": '{"location": "Oslo"}'}},
    ]  # fmt: skip
    assert assemble(chunks).choices[0].message.tool_calls[0].function.arguments == '{"location": "Oslo"}'
