"""OpenAI Responses SSE streams -> chat.completion.chunk dicts.

Streams are written in the wire format of platform.openai.com/docs/api-reference/responses-streaming;
every event is validated with the official SDK's `ResponseStreamEvent` union before use, and each
recorded stream is checked whole, split at every byte and byte by byte (the `every_split` fixture).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, get_args

import pytest
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import ResponseStreamEvent
from pydantic import Field, TypeAdapter

from tests.translators import streams
from tests.translators.responses_payloads import response_object, usage_fields
from tests.translators.streams import assemble
from translators.errors import StreamError, TranslationError
from translators.responses import StreamDecoder

CREATED = 1_741_290_958
RESPONSE_ID = "resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654"
MESSAGE_ID = "msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654"
# The SDK's event union, discriminated by `type` so a bad fixture names its one event type.
STREAM_EVENT = TypeAdapter(Annotated[get_args(ResponseStreamEvent)[0], Field(discriminator="type")])


def response(status: str, output: list[Any] | None = None, usage: Any = None, **fields: Any) -> dict[str, Any]:
    return response_object(
        id=RESPONSE_ID, created_at=CREATED, model="gpt-4.1-2025-04-14", status=status, output=output or [],
        usage=usage, **fields,
    )  # fmt: skip


def sse(*events: dict[str, Any], validate: bool = True) -> bytes:
    """Events as the API sends them: `event:` named after `type`, numbered from 0."""
    out = b""
    for number, event in enumerate(events):
        event = {**event, "sequence_number": number}
        if validate:
            STREAM_EVENT.validate_python(event)  # the fixture has the documented shape
        out += f"event: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n".encode()
    return out


def created() -> dict[str, Any]:
    return {"type": "response.created", "response": response("in_progress")}


def in_progress() -> dict[str, Any]:
    return {"type": "response.in_progress", "response": response("in_progress")}


def text_delta(delta: str, output_index: int = 0, item_id: str = MESSAGE_ID) -> dict[str, Any]:
    return {"type": "response.output_text.delta", "item_id": item_id, "output_index": output_index,
            "content_index": 0, "delta": delta, "logprobs": []}  # fmt: skip


def message_added(output_index: int = 0, item_id: str = MESSAGE_ID) -> list[dict[str, Any]]:
    return [
        {"type": "response.output_item.added", "output_index": output_index,
         "item": {"id": item_id, "type": "message", "status": "in_progress", "role": "assistant", "content": []}},
        {"type": "response.content_part.added", "item_id": item_id, "output_index": output_index,
         "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}},
    ]  # fmt: skip


def message_done(whole: str, output_index: int = 0, item_id: str = MESSAGE_ID) -> list[dict[str, Any]]:
    part = {"type": "output_text", "text": whole, "annotations": []}
    return [
        {"type": "response.output_text.done", "item_id": item_id, "output_index": output_index,
         "content_index": 0, "text": whole, "logprobs": []},
        {"type": "response.content_part.done", "item_id": item_id, "output_index": output_index,
         "content_index": 0, "part": part},
        {"type": "response.output_item.done", "output_index": output_index,
         "item": {"id": item_id, "type": "message", "status": "completed", "role": "assistant", "content": [part]}},
    ]  # fmt: skip


def call_item(call_id: str, name: str, arguments: str, item_id: str, status: str) -> dict[str, Any]:
    return {"type": "function_call", "id": item_id, "call_id": call_id, "name": name,
            "arguments": arguments, "status": status}  # fmt: skip


def completed(output: list[Any], usage: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "response.completed", "response": response("completed", output, usage)}


# The documented text stream, written out as bytes (with one multi-byte character).
TEXT_STREAM = (
    b'event: response.created\n'
    b'data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","created_at":1741290958,"status":"in_progress","error":null,"incomplete_details":null,"instructions":"You are a helpful assistant.","max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}}\n'
    b'\n'
    b'event: response.in_progress\n'
    b'data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","created_at":1741290958,"status":"in_progress","error":null,"incomplete_details":null,"instructions":"You are a helpful assistant.","max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}}\n'
    b'\n'
    b'event: response.output_item.added\n'
    b'data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","type":"message","status":"in_progress","role":"assistant","content":[]}}\n'
    b'\n'
    b'event: response.content_part.added\n'
    b'data: {"type":"response.content_part.added","sequence_number":3,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}\n'
    b'\n'
    b'event: response.output_text.delta\n'
    b'data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"delta":"Hi","logprobs":[]}\n'
    b'\n'
    b'event: response.output_text.delta\n'
    b'data: {"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"delta":" there, caf\xc3\xa9!","logprobs":[]}\n'
    b'\n'
    b'event: response.output_text.done\n'
    b'data: {"type":"response.output_text.done","sequence_number":6,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"text":"Hi there, caf\xc3\xa9!","logprobs":[]}\n'
    b'\n'
    b'event: response.content_part.done\n'
    b'data: {"type":"response.content_part.done","sequence_number":7,"item_id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","output_index":0,"content_index":0,"part":{"type":"output_text","text":"Hi there, caf\xc3\xa9!","annotations":[]}}\n'
    b'\n'
    b'event: response.output_item.done\n'
    b'data: {"type":"response.output_item.done","sequence_number":8,"output_index":0,"item":{"id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi there, caf\xc3\xa9!","annotations":[]}]}}\n'
    b'\n'
    b'event: response.completed\n'
    b'data: {"type":"response.completed","sequence_number":9,"response":{"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response","created_at":1741290958,"status":"completed","error":null,"incomplete_details":null,"instructions":"You are a helpful assistant.","max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[{"id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi there, caf\xc3\xa9!","annotations":[]}]}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"output_tokens":11,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48},"user":null,"metadata":{}}}\n'
    b'\n'
)  # fmt: skip

WEATHER_ARGS = '{"location":"Paris, France"}'
TOOL_STREAM = sse(
    created(),
    in_progress(),
    *message_added(),
    text_delta("Checking the weather."),
    *message_done("Checking the weather."),
    {"type": "response.output_item.added", "output_index": 1,
     "item": call_item("call_2345abc", "get_weather", "", "fc_67ca09c5efe0819096d0511c92b8c890", "in_progress")},
    *({"type": "response.function_call_arguments.delta", "item_id": "fc_67ca09c5efe0819096d0511c92b8c890",
       "output_index": 1, "delta": fragment} for fragment in ('{"', 'location', '":"', 'Paris, France', '"}')),
    {"type": "response.function_call_arguments.done", "item_id": "fc_67ca09c5efe0819096d0511c92b8c890",
     "output_index": 1, "name": "get_weather", "arguments": WEATHER_ARGS},
    {"type": "response.output_item.done", "output_index": 1,
     "item": call_item("call_2345abc", "get_weather", WEATHER_ARGS, "fc_67ca09c5efe0819096d0511c92b8c890", "completed")},
    {"type": "response.output_item.added", "output_index": 2,
     "item": call_item("call_9876zyx", "get_time", "", "fc_67ca09c5efe0819096d0511c92b8c891", "in_progress")},
    {"type": "response.output_item.done", "output_index": 2,
     "item": call_item("call_9876zyx", "get_time", "", "fc_67ca09c5efe0819096d0511c92b8c891", "completed")},
    completed(
        [call_item("call_2345abc", "get_weather", WEATHER_ARGS, "fc_67ca09c5efe0819096d0511c92b8c890", "completed"),
         call_item("call_9876zyx", "get_time", "", "fc_67ca09c5efe0819096d0511c92b8c891", "completed")],
        usage_fields(310, 42, cached=256),
    ),
)  # fmt: skip

REASONING_ID = "rs_6876cf02e0bc8192b74af0fb64b715ff06fa2fcced15a5ac"
REASONING_STREAM = sse(
    created(),
    {"type": "response.output_item.added", "output_index": 0,
     "item": {"id": REASONING_ID, "type": "reasoning", "summary": []}},
    {"type": "response.reasoning_summary_part.added", "item_id": REASONING_ID, "output_index": 0,
     "summary_index": 0, "part": {"type": "summary_text", "text": ""}},
    {"type": "response.reasoning_summary_text.delta", "item_id": REASONING_ID, "output_index": 0,
     "summary_index": 0, "delta": "**Computing the GCD**\n\n"},
    {"type": "response.reasoning_summary_text.delta", "item_id": REASONING_ID, "output_index": 0,
     "summary_index": 0, "delta": "1071 = 2 × 462 + 147"},
    {"type": "response.reasoning_summary_part.added", "item_id": REASONING_ID, "output_index": 0,
     "summary_index": 1, "part": {"type": "summary_text", "text": ""}},
    {"type": "response.reasoning_summary_text.delta", "item_id": REASONING_ID, "output_index": 0,
     "summary_index": 1, "delta": "**Checking**"},
    {"type": "response.output_item.done", "output_index": 0,
     "item": {"id": REASONING_ID, "type": "reasoning",
              "summary": [{"type": "summary_text", "text": "**Computing the GCD**\n\n1071 = 2 × 462 + 147"},
                          {"type": "summary_text", "text": "**Checking**"}]}},
    *message_added(1),
    text_delta("The GCD is 21.", 1),
    *message_done("The GCD is 21.", 1),
    completed([], usage_fields(40, 120, reasoning=98)),
)  # fmt: skip


def decoder() -> StreamDecoder:
    return StreamDecoder(model="gpt-4.1", created=CREATED, id="chatcmpl-fallback")


def chunk(delta: dict[str, Any], finish_reason: str | None = None, logprobs: Any = None) -> dict[str, Any]:
    return streams.choice_chunk(
        id=RESPONSE_ID, model="gpt-4.1", created=CREATED, delta=delta, finish_reason=finish_reason, logprobs=logprobs
    )


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item["choices"][0]["delta"] for item in chunks if item["choices"]]


def run_until_error(pieces: list[bytes]) -> tuple[list[dict[str, Any]], StreamError]:
    return streams.run_until_error(decoder(), pieces)


def test_recorded_text_stream_events_have_the_documented_shape():
    events = [block for block in TEXT_STREAM.decode().split("\n\n") if block]
    for block in events:
        STREAM_EVENT.validate_json(block.split("data: ", 1)[1])
    assert len(events) == 10


def test_text_stream_split_at_every_byte_gives_same_chunks(every_split):
    chunks = every_split(decoder, TEXT_STREAM)
    assert chunks == [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hi"}),
        chunk({"content": " there, café!"}),
        chunk({}, "stop"),
        {
            "id": RESPONSE_ID,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": "gpt-4.1",
            "choices": [],
            "usage": {
                "prompt_tokens": 37,
                "completion_tokens": 11,
                "total_tokens": 48,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        },
    ]
    assert assemble(chunks).choices[0].message.content == "Hi there, café!"


def test_tool_call_stream_split_at_every_byte_gives_same_events(every_split):
    chunks = every_split(decoder, TOOL_STREAM)
    assert chunks[:-1] == [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Checking the weather."}),
        chunk({"tool_calls": [{"index": 0, "id": "call_2345abc", "type": "function",
                               "function": {"name": "get_weather", "arguments": ""}}]}),
        *(chunk({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]})
          for fragment in ('{"', 'location', '":"', 'Paris, France', '"}')),
        chunk({"tool_calls": [{"index": 1, "id": "call_9876zyx", "type": "function",
                               "function": {"name": "get_time", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
        chunk({}, "tool_calls"),
    ]  # fmt: skip
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 310,
        "completion_tokens": 42,
        "total_tokens": 352,
        "prompt_tokens_details": {"cached_tokens": 256},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def test_tool_call_stream_assembles_in_the_openai_sdk_into_parsable_tool_calls():
    completion = assemble(decoder().feed(TOOL_STREAM))
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Checking the weather."
    calls = choice.message.tool_calls
    assert [(call.id, call.function.name) for call in calls] == [
        ("call_2345abc", "get_weather"),
        ("call_9876zyx", "get_time"),
    ]
    assert json.loads(calls[0].function.arguments) == {"location": "Paris, France"}
    assert json.loads(calls[1].function.arguments) == {}


def test_reasoning_summary_stream_fills_reasoning_content_one_paragraph_per_part(every_split):
    chunks = every_split(decoder, REASONING_STREAM)
    assert deltas(chunks) == [
        {"role": "assistant", "content": ""},
        {"reasoning_content": "**Computing the GCD**\n\n"},
        {"reasoning_content": "1071 = 2 × 462 + 147"},
        {"reasoning_content": "\n\n**Checking**"},
        {"content": "The GCD is 21."},
        {},
    ]
    assert chunks[-1]["usage"]["completion_tokens_details"] == {"reasoning_tokens": 98}
    for item in chunks:
        ChatCompletionChunk.model_validate(item)


def test_raw_reasoning_text_deltas_are_reasoning_content_too(every_split):
    stream = sse(
        created(),
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"id": "rs_1", "type": "reasoning", "summary": []}},
        {"type": "response.reasoning_text.delta", "item_id": "rs_1", "output_index": 0,
         "content_index": 0, "delta": "User asks 2+2. "},
        {"type": "response.reasoning_text.delta", "item_id": "rs_1", "output_index": 0,
         "content_index": 0, "delta": "Answer 4."},
        *message_added(1),
        text_delta("4", 1),
        completed([], usage_fields(12, 20, reasoning=15)),
    )  # fmt: skip
    assert deltas(every_split(decoder, stream))[1:3] == [
        {"reasoning_content": "User asks 2+2. "},
        {"reasoning_content": "Answer 4."},
    ]


def test_refusal_stream_sets_the_message_refusal(every_split):
    stream = sse(
        created(),
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"id": MESSAGE_ID, "type": "message", "status": "in_progress", "role": "assistant", "content": []}},
        {"type": "response.refusal.delta", "item_id": MESSAGE_ID, "output_index": 0, "content_index": 0,
         "delta": "I'm sorry, "},
        {"type": "response.refusal.delta", "item_id": MESSAGE_ID, "output_index": 0, "content_index": 0,
         "delta": "I cannot assist with that."},
        {"type": "response.refusal.done", "item_id": MESSAGE_ID, "output_index": 0, "content_index": 0,
         "refusal": "I'm sorry, I cannot assist with that."},
        completed([], usage_fields(20, 9)),
    )  # fmt: skip
    chunks = every_split(decoder, stream)
    assert deltas(chunks)[1:] == [{"refusal": "I'm sorry, "}, {"refusal": "I cannot assist with that."}, {}]
    assert assemble(chunks).choices[0].message.refusal == "I'm sorry, I cannot assist with that."


@pytest.mark.parametrize(
    ("reason", "finish"),
    [("max_output_tokens", "length"), ("content_filter", "content_filter")],
)
def test_incomplete_stream_finishes_by_its_reason_and_still_reports_usage(every_split, reason, finish):
    stream = sse(
        created(),
        *message_added(),
        text_delta("Once upon a"),
        {"type": "response.incomplete",
         "response": response("incomplete", usage=usage_fields(30, 16), incomplete_details={"reason": reason})},
    )  # fmt: skip
    chunks = every_split(decoder, stream)
    assert chunks[-2] == chunk({}, finish)
    assert chunks[-1]["usage"]["completion_tokens"] == 16


def test_text_delta_logprobs_become_chunk_logprobs():
    logprobs = [{"token": "Hi", "logprob": -0.0012, "top_logprobs": [{"token": "Hello", "logprob": -6.75}]}]
    stream = sse(created(), *message_added(), {**text_delta("Hi"), "logprobs": logprobs}, completed([], None))
    chunks = decoder().feed(stream)
    assert chunks[1]["choices"][0]["logprobs"] == {
        "content": [{"token": "Hi", "logprob": -0.0012, "bytes": None,
                     "top_logprobs": [{"token": "Hello", "logprob": -6.75, "bytes": None}]}],
        "refusal": None,
    }  # fmt: skip
    ChatCompletionChunk.model_validate(chunks[1])


def test_finish_reason_chunk_comes_after_all_content_and_before_usage():
    chunks = decoder().feed(TOOL_STREAM)
    reasons = [item["choices"][0]["finish_reason"] if item["choices"] else "usage" for item in chunks]
    assert reasons[-2:] == ["tool_calls", "usage"]
    assert all(reason is None for reason in reasons[:-2])


def test_a_call_announced_only_by_output_item_done_is_still_streamed_whole(every_split):
    stream = sse(
        created(),
        {"type": "response.output_item.done", "output_index": 0,
         "item": call_item("call_1", "get_weather", WEATHER_ARGS, "fc_1", "completed")},
        completed([], usage_fields(10, 5)),
    )  # fmt: skip
    assert deltas(every_split(decoder, stream))[1:] == [
        {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                         "function": {"name": "get_weather", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": WEATHER_ARGS}}]},
        {},
    ]  # fmt: skip


def test_a_stream_without_usage_ends_with_the_finish_chunk():
    chunks = decoder().feed(sse(created(), *message_added(), text_delta("ok"), completed([], None)))
    assert chunks[-1] == chunk({}, "stop")


def test_response_failed_raises_stream_error_with_the_upstreams_message_after_earlier_chunks(every_split):
    stream = sse(
        created(),
        *message_added(),
        text_delta("Partial"),
        {"type": "response.failed", "response": response(
            "failed", error={"code": "server_error", "message": "The model failed to generate a response."})},
    )  # fmt: skip
    outcomes = set()
    for cut in range(len(stream) + 1):
        chunks, error = run_until_error([stream[:cut], stream[cut:]])
        assert deltas(chunks) == [{"role": "assistant", "content": ""}, {"content": "Partial"}]
        outcomes.add((error.info.status, error.info.type, error.info.code, error.info.message))
    assert outcomes == {(500, "server_error", "server_error", "The model failed to generate a response.")}


def test_documented_error_event_raises_stream_error_with_its_code_and_message():
    stream = sse(
        created(),
        {
            "type": "error",
            "code": "rate_limit_exceeded",
            "message": "Rate limit reached for gpt-4.1 on tokens per min (TPM).",
            "param": None,
        },
    )
    chunks, error = run_until_error([stream])
    assert deltas(chunks) == [{"role": "assistant", "content": ""}]
    assert (error.info.status, error.info.type, error.info.code) == (429, "rate_limit_error", "rate_limit_exceeded")
    assert error.info.message == "Rate limit reached for gpt-4.1 on tokens per min (TPM)."


def test_nested_error_event_seen_from_the_api_is_read_too():
    stream = sse(
        {"type": "error", "error": {"type": "invalid_request_error", "code": "context_length_exceeded",
                                    "message": "Your input exceeds the context window of this model.",
                                    "param": "input"}},
        validate=False,
    )  # fmt: skip
    machine = decoder()
    with pytest.raises(StreamError) as caught:
        machine.feed(stream)
    info = caught.value.info
    assert (info.status, info.type, info.code) == (400, "invalid_request_error", "context_length_exceeded")
    assert info.message == "Your input exceeds the context window of this model."


def test_an_error_as_the_first_event_raises_from_feed_before_any_chunk():
    machine = decoder()
    with pytest.raises(StreamError) as caught:
        machine.feed(sse({"type": "error", "code": "server_error", "message": "Internal error", "param": None}))
    assert caught.value.info.message == "Internal error"
    with pytest.raises(StreamError):
        machine.close()


@pytest.mark.parametrize(
    "stream",
    [
        b"",
        TEXT_STREAM.split(b"event: response.output_item.done")[0],
        TEXT_STREAM.split(b"event: response.completed")[0],
        TEXT_STREAM[:-40],
        TEXT_STREAM[:-1],
    ],
    ids=["empty", "cut-before-item-done", "cut-before-completed", "cut-in-completed-data", "cut-before-blank-line"],
)
def test_stream_closed_without_a_terminal_event_raises_stream_truncated(stream):
    machine = decoder()
    machine.feed(stream)
    with pytest.raises(StreamError) as caught:
        machine.close()
    assert (caught.value.info.code, caught.value.info.type) == ("stream_truncated", "server_error")


def test_events_of_unknown_or_unused_types_are_skipped():
    extra = sse(
        {"type": "response.output_text.annotation.added", "item_id": MESSAGE_ID, "output_index": 0,
         "content_index": 0, "annotation_index": 0,
         "annotation": {"type": "url_citation", "url": "https://example.com", "title": "Example",
                        "start_index": 0, "end_index": 2}},
        {"type": "response.future_event", "x": 1},
        validate=False,
    )  # fmt: skip
    blocks = TEXT_STREAM.split(b"event: response.output_text.done")
    stream = blocks[0] + extra + b"event: response.output_text.done" + blocks[1]
    assert decoder().feed(stream) == decoder().feed(TEXT_STREAM)


def test_events_after_the_terminal_event_and_a_done_marker_are_ignored():
    assert decoder().feed(TEXT_STREAM + b"data: [DONE]\n\n" + sse(text_delta("late"))) == decoder().feed(TEXT_STREAM)


@pytest.mark.parametrize(
    "stream",
    [
        b"event: response.created\ndata: {not json\n\n",
        b"event: response.created\ndata: [1, 2]\n\n",
        sse(created(), {"type": "response.function_call_arguments.delta", "item_id": "fc_9",
                        "output_index": 3, "delta": "{}"}),
        sse(created(), {"type": "response.output_item.added", "output_index": 0,
                        "item": {"type": "function_call", "id": "fc_1", "arguments": ""}}, validate=False),
    ],
    ids=["non-json-data", "non-object-data", "arguments-for-unknown-item", "call-without-call-id"],
)  # fmt: skip
def test_streams_that_break_the_documented_format_raise_translation_error(stream):
    with pytest.raises(TranslationError):
        decoder().feed(stream)


def test_every_chunk_of_every_stream_is_a_valid_sdk_chunk():
    for stream in (TEXT_STREAM, TOOL_STREAM, REASONING_STREAM):
        for item in decoder().feed(stream):
            ChatCompletionChunk.model_validate(item)
