"""Responses API clients to a Responses API upstream, natively: only the model name changes.

Streams are written in the wire format of platform.openai.com/docs/api-reference/responses-streaming,
checked whole, split at every byte and byte by byte, and read back by the openai SDK.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.translators.responses_client import parse_events, sdk_answer, sdk_events, sdk_final_response
from tests.translators.responses_inbound_payloads import (
    CODEX_REQUEST,
    REASONING_ITEM,
    UPSTREAM_EVENTS,
    UPSTREAM_USAGE,
    responses_stream,
    upstream_response,
)
from tests.translators.streams import run_until_error
from translators.errors import StreamError, TranslationError
from translators.responses.passthrough import PassthroughStream, native_request, rewrite_response

UPSTREAM = responses_stream(UPSTREAM_EVENTS)
HUB_USAGE = {
    "prompt_tokens": 4012,
    "completion_tokens": 152,
    "total_tokens": 4164,
    "prompt_tokens_details": {"cached_tokens": 3968},
    "completion_tokens_details": {"reasoning_tokens": 64},
}


def passthrough() -> PassthroughStream:
    return PassthroughStream(model="codex")


def with_client_model(event: dict[str, Any]) -> dict[str, Any]:
    if "response" not in event:
        return event
    return {**event, "response": {**event["response"], "model": "codex"}}


def test_native_request_changes_only_the_model():
    request = native_request(CODEX_REQUEST, upstream_model="gpt-5-codex-2025-09-15")
    assert request == {**CODEX_REQUEST, "model": "gpt-5-codex-2025-09-15"}
    assert CODEX_REQUEST["model"] == "gpt-5-codex"
    with pytest.raises(TranslationError):
        native_request([], upstream_model="m")  # type: ignore[arg-type]


def test_rewrite_response_sets_the_clients_model_and_reports_hub_usage():
    upstream = upstream_response("completed", [REASONING_ITEM], UPSTREAM_USAGE)
    body, usage = rewrite_response(json.dumps(upstream).encode(), model="codex")
    assert json.loads(body) == {**upstream, "model": "codex"}
    assert usage == HUB_USAGE
    assert sdk_answer(body).model == "codex"


def test_rewrite_response_keeps_integers_beyond_64_bits():
    raw = (
        json.dumps(upstream_response("completed", [], None))
        .encode()
        .replace(b'"metadata": {}', b'"metadata": {}, "x": 123456789012345678901234567890')
    )
    body, usage = rewrite_response(raw, model="codex")
    assert b"123456789012345678901234567890" in body and usage is None


def test_stream_events_come_back_unchanged_but_for_the_model_at_every_split(every_split):
    stream = b"".join(every_split(passthrough, UPSTREAM))
    assert [with_client_model(event) for event in map(dict, UPSTREAM_EVENTS)] == [
        {key: value for key, value in event.items() if key != "sequence_number"} for event in parse_events(stream)
    ]
    final = sdk_final_response(stream)
    assert (final.model, final.output[1].arguments) == ("codex", '{"command":["ls"]}')
    assert [event.type for event in sdk_events(stream)][-1] == "response.completed"


def test_stream_usage_is_the_final_responses_usage_as_hub_usage():
    machine = passthrough()
    machine.feed(UPSTREAM)
    machine.close()
    assert machine.usage == HUB_USAGE


def test_a_stream_failing_before_its_answer_begins_hands_out_nothing_so_it_can_be_retried():
    failed = {
        "type": "response.failed",
        "response": {
            **upstream_response("failed", []),
            "error": {"code": "rate_limit_exceeded", "message": "Slow down"},
        },
    }
    stream = responses_stream([*UPSTREAM_EVENTS[:2], failed])
    out, error = run_until_error(passthrough(), [stream])
    assert out == []
    assert (error.info.status, error.info.type, error.info.message) == (429, "rate_limit_error", "Slow down")


def test_an_error_event_after_output_raises_after_the_output_at_every_split():
    error = {"type": "error", "code": "server_error", "message": "The server had an error", "param": None}
    stream = responses_stream([*UPSTREAM_EVENTS[:5], error])
    expected, _ = run_until_error(passthrough(), [stream])
    assert len(expected) == 5
    for cut in range(len(stream) + 1):
        out, raised = run_until_error(passthrough(), [stream[:cut], stream[cut:]])
        assert out == expected and raised.info.status == 500


def test_error_event_fails_the_upstreams_own_response_continuing_its_sequence():
    machine = passthrough()
    sent = machine.feed(responses_stream(UPSTREAM_EVENTS[:5]))
    stream = b"".join(sent) + machine.error_event(502, "server_error", "upstream went away")
    events = parse_events(stream)
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["id"] == events[0]["response"]["id"] and events[-1]["response"]["model"] == "codex"
    assert [event.type for event in sdk_events(stream)][-1] == "response.failed"


def test_error_event_before_any_response_is_a_bare_error_event():
    event = parse_events(passthrough().error_event(429, "rate_limit_error", "busy"))
    assert event == [
        {"type": "error", "code": "rate_limit_exceeded", "message": "busy", "param": None, "sequence_number": 0}
    ]


@pytest.mark.parametrize("cut", [0, 2, 9, 13])
def test_a_stream_ending_before_its_final_event_raises_truncated(cut):
    machine = passthrough()
    machine.feed(responses_stream(UPSTREAM_EVENTS[:cut]))
    with pytest.raises(StreamError) as caught:
        machine.close()
    assert caught.value.info.status == 502


def test_an_incomplete_response_ends_the_stream_too():
    incomplete = {
        "type": "response.incomplete",
        "response": {**upstream_response("incomplete", []), "incomplete_details": {"reason": "max_output_tokens"}},
    }
    machine = passthrough()
    out = machine.feed(responses_stream([*UPSTREAM_EVENTS[:2], incomplete])) + machine.close()
    assert len(out) == 3 and b'"model":"codex"' in out[-1]


def test_events_that_are_not_json_objects_raise_stream_errors():
    for data in (b"data: {oops\n\n", b"data: [1]\n\n"):
        with pytest.raises(StreamError):
            passthrough().feed(data)


def test_stream_keeps_integers_beyond_64_bits_in_the_response_object():
    created = {"type": "response.created", "response": {**upstream_response("in_progress", []), "top_logprobs": 2**70}}
    machine = passthrough()
    out = machine.feed(responses_stream([created, *UPSTREAM_EVENTS[2:]])) + machine.close()
    assert str(2**70).encode() in out[0]
