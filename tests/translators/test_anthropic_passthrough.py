"""Anthropic client to Anthropic upstream: bodies, answers and streams pass with only `model` changed.

Streams are the recorded ones of test_anthropic_stream.py (the wire format of
https://docs.anthropic.com/en/docs/build-with-claude/streaming), fed whole, split at every byte
and byte by byte; the output is read back by the anthropic SDK. Totality as test_totality.py
holds the other translators to: mutated streams and answers give output or the translator's error.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.translators import anthropic_client as client
from tests.translators import totality_payloads as payloads
from tests.translators.hub_check import assert_conforms
from tests.translators.streams import run_until_error
from tests.translators.test_anthropic_stream import OVERLOADED, TEXT_STREAM, THINKING_TOOL_STREAM, TOOL_STREAM
from tests.translators.test_totality import (
    arbitrary_stream,
    as_body,
    assert_valid_info,
    mutated,
    mutated_stream,
    outcome,
    run_stream,
    stream_sweep,
    sweep,
)
from translators import hub
from translators.anthropic import passthrough
from translators.errors import StreamError, TranslationError
from translators.sse import SSEDecoder

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def machine() -> passthrough.PassthroughStream:
    return passthrough.PassthroughStream(model="claude-alias")


def events(data: bytes) -> list[tuple[str, Any]]:
    return [(event.event, json.loads(event.data)) for event in SSEDecoder().feed(data)]


def test_native_request_changes_the_model_only_and_leaves_the_clients_body_alone():
    body = {"model": "claude-alias", "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}],
            "thinking": {"type": "enabled", "budget_tokens": 2048}, "future_field": {"x": 1}}  # fmt: skip
    assert passthrough.native_request(body, upstream_model="claude-sonnet-4-5-20250929") == {
        **body, "model": "claude-sonnet-4-5-20250929"}  # fmt: skip
    assert body["model"] == "claude-alias"
    with pytest.raises(TranslationError):
        passthrough.native_request([body], upstream_model="x")  # type: ignore[arg-type]


BIG = 123456789012345678901234567890


def test_a_whole_answer_gets_the_clients_model_keeps_big_integers_and_reports_hub_usage():
    raw = (
        b'{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",'
        b'"content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,'
        b'"usage":{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,'
        b'"output_tokens":7},"future":' + str(BIG).encode() + b"}"
    )
    body, usage = passthrough.rewrite_response(raw, model="claude-alias")
    assert json.loads(body) == {**json.loads(raw), "model": "claude-alias"}
    assert usage == {"prompt_tokens": 115, "completion_tokens": 7, "total_tokens": 122,
                     "prompt_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 5},
                     "completion_tokens_details": {"reasoning_tokens": 0}}  # fmt: skip
    assert_conforms(usage, hub.Usage)
    with pytest.raises(TranslationError):
        passthrough.rewrite_response(b"<html>", model="m")


@pytest.mark.parametrize("stream", [TEXT_STREAM, TOOL_STREAM, THINKING_TOOL_STREAM], ids=["text", "tool", "thinking"])
def test_a_stream_split_anywhere_passes_every_event_with_only_the_model_rewritten(every_split, stream):
    out = every_split(machine, stream)
    upstream = [event for event in events(stream)]
    passed = events(b"".join(out))
    assert len(out) == len(passed) == len(upstream)
    upstream[0][1]["message"]["model"] = "claude-alias"
    assert passed == upstream
    _, message = client.read_stream(b"".join(out))
    assert message.model == "claude-alias"


def test_events_not_rewritten_go_out_as_their_data_came_in():
    out = machine().feed(TEXT_STREAM)
    raw = TEXT_STREAM.decode()
    for event in out[1:]:
        assert event.decode() in raw


def test_usage_is_read_from_message_start_and_message_delta_as_hub_usage():
    stream = machine()
    stream.feed(TOOL_STREAM)
    stream.close()
    # message_start: 472 input, 100 cache writes, 2000 cache reads; message_delta: 89 output.
    assert stream.usage is not None and stream.usage["prompt_tokens"] == 2572
    assert stream.usage["prompt_tokens_details"] == {"cached_tokens": 2000, "cache_write_tokens": 100}
    assert_conforms(stream.usage, hub.Usage)


def test_big_integers_and_unknown_fields_in_message_start_are_kept():
    start = (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message",'
        b'"role":"assistant","content":[],"model":"real","usage":{"input_tokens":' + str(BIG).encode() + b","
        b'"output_tokens":1},"new_field":{"nested":[1.5,"\\u00e9"]}}}\n\n'
    )
    stop = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    out = machine().feed(start + stop)
    data = json.loads(out[0].split(b"data: ", 1)[1])
    assert data["message"]["usage"]["input_tokens"] == BIG and data["message"]["model"] == "claude-alias"
    assert data["message"]["new_field"] == {"nested": [1.5, "é"]}


def test_an_upstream_error_event_is_raised_after_the_events_before_it():
    cut = TEXT_STREAM.split(b"event: content_block_stop")[0]
    out, error = run_until_error(machine(), [cut + OVERLOADED])
    assert len(out) == len(events(cut))
    assert (error.info.status, error.info.code) == (529, "overloaded_error")
    assert_valid_info(error.info)


def test_a_stream_cut_before_message_stop_is_truncated_not_complete():
    out, error = run_until_error(machine(), [TEXT_STREAM.split(b"event: message_stop")[0]])
    assert error.info.code == "stream_truncated" and len(out) == len(events(TEXT_STREAM)) - 1


def test_events_after_message_stop_are_not_passed_on():
    out = machine().feed(TEXT_STREAM + b'event: ping\ndata: {"type":"ping"}\n\n')
    assert len(out) == len(events(TEXT_STREAM))


def test_an_event_that_is_not_json_is_malformed():
    with pytest.raises(StreamError) as caught:
        machine().feed(b"event: message_delta\ndata: {not json\n\n")
    assert caught.value.info.code == "upstream_stream_malformed"


# --- totality -------------------------------------------------------------------------------


def check_stream(stream: bytes, cut: int) -> None:
    passing = machine()
    for event in run_stream(passing, stream, cut):
        assert isinstance(event, bytes) and event.endswith(b"\n\n")
        assert len(SSEDecoder().feed(event)) == 1
    if passing.usage is not None:
        assert_conforms(passing.usage, hub.Usage)


def check_answer(payload: Any) -> None:
    result = outcome(lambda: passthrough.rewrite_response(as_body(payload), model="claude-alias"))
    if result is not None:
        body, usage = result
        assert isinstance(orjson.loads(body), dict)
        if usage is not None:
            assert_conforms(usage, hub.Usage)


@SETTINGS
@given(data=st.data())
def test_a_recorded_stream_with_one_event_changed_split_anywhere_gives_events_or_a_stream_error(data):
    check_stream(*data.draw(mutated_stream(payloads.ANTHROPIC_STREAMS), label="stream, cut"))


@settings(SETTINGS, max_examples=50)
@given(data=st.data())
def test_a_stream_of_any_json_events_split_anywhere_gives_events_or_a_stream_error(data):
    names = ["message_start", "content_block_delta", "message_delta", "message_stop", "error", "ping"]
    check_stream(*data.draw(arbitrary_stream(names), label="stream, cut"))


@SETTINGS
@given(payload=mutated(payloads.ANTHROPIC_ANSWERS))
def test_a_realistic_answer_changed_at_one_place_gives_a_body_or_the_translators_error(payload):
    check_answer(payload)


def test_every_place_of_every_stream_event_and_answer_swept_gives_a_valid_outcome():
    for recorded in payloads.ANTHROPIC_STREAMS:
        for stream in stream_sweep(recorded):
            check_stream(stream, len(stream))
    for answer in payloads.ANTHROPIC_ANSWERS:
        for mutant in sweep(answer):
            check_answer(mutant)
