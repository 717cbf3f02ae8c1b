"""Gemini clients on a Gemini upstream (translators/gemini/passthrough.py): answers and streams
passed on with only `modelVersion` changed, in the framing the client asked for."""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson
import pytest

from tests.translators import streams
from tests.translators.test_gemini_inbound_stream import sdk_stream, sse_documents
from tests.translators.test_gemini_response import FUNCTION_CALL_ANSWER, THINKING_ANSWER
from tests.translators.test_gemini_stream import OVERLOADED, SIGNATURE, TEXT_STREAM, TOOL_STREAM
from translators.errors import StreamError, TranslationError
from translators.gemini.passthrough import PassthroughStream, native_path, native_request, rewrite_response
from translators.gemini.response import usage
from translators.sse import SSEDecoder

ALIAS = "team-gemini"


def upstream_documents(stream: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(event.data) for event in SSEDecoder().feed(stream)]


def renamed(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "modelVersion": ALIAS}


def machine(sse: bool = True) -> PassthroughStream:
    return PassthroughStream(model=ALIAS, sse=sse)


@pytest.mark.parametrize("answer", [THINKING_ANSWER, FUNCTION_CALL_ANSWER], ids=["thinking", "function-call"])
def test_rewrite_response_renames_the_model_keeps_the_rest_and_reads_usage(answer):
    body, hub_usage = rewrite_response(orjson.dumps(answer), model=ALIAS)
    assert json.loads(body) == renamed(answer)
    assert hub_usage == usage(answer["usageMetadata"])


def test_rewrite_response_adds_no_model_version_and_refuses_what_is_not_a_json_object():
    body, hub_usage = rewrite_response(b'{"candidates": []}', model=ALIAS)
    assert json.loads(body) == {"candidates": []} and hub_usage is None
    for raw in (b"not json", b"[1, 2]"):
        with pytest.raises(TranslationError):
            rewrite_response(raw, model=ALIAS)


def test_usage_the_gateway_cannot_read_does_not_stop_the_answer():
    body, hub_usage = rewrite_response(
        orjson.dumps({**THINKING_ANSWER, "usageMetadata": {"promptTokenCount": "12"}}), model=ALIAS
    )
    assert hub_usage is None and json.loads(body)["usageMetadata"] == {"promptTokenCount": "12"}


@pytest.mark.parametrize("stream", [TEXT_STREAM, TOOL_STREAM], ids=["text", "tool"])
def test_sse_stream_split_at_every_byte_gives_the_upstream_events_renamed(every_split, stream):
    events = every_split(machine, stream)
    assert sse_documents(events) == [renamed(document) for document in upstream_documents(stream)]
    finished = machine()
    finished.feed(stream)
    finished.close()
    assert finished.usage == usage(upstream_documents(stream)[-1]["usageMetadata"])


@pytest.mark.parametrize("stream", [TEXT_STREAM, TOOL_STREAM], ids=["text", "tool"])
def test_array_framing_split_at_every_byte_is_one_json_array_of_the_same_events(every_split, stream):
    array = b"".join(every_split(lambda: machine(sse=False), stream))
    assert json.loads(array) == [renamed(document) for document in upstream_documents(stream)]


def test_google_genai_reads_the_passed_on_stream_with_the_signature_intact():
    events = machine().feed(TOOL_STREAM)
    chunks = list(sdk_stream(iter(events)))
    assert chunks[0].candidates[0].content.parts[0].thought is True
    part = chunks[1].candidates[0].content.parts[0]
    assert part.function_call.name == "get_weather" and part.thought_signature == base64.b64decode(SIGNATURE)
    assert chunks[1].model_version == ALIAS and chunks[1].usage_metadata.thoughts_token_count == 41


def test_an_error_event_is_raised_after_the_events_before_it_at_every_split():
    stream = TEXT_STREAM.split(b"\r\n\r\n")[0] + b"\r\n\r\n" + OVERLOADED
    expected, error = streams.run_until_error(machine(), [stream])
    assert len(expected) == 1 and (error.info.status, error.info.code) == (503, "UNAVAILABLE")
    for cut in range(len(stream) + 1):
        out, again = streams.run_until_error(machine(), [stream[:cut], stream[cut:]])
        assert out == expected and again.info == error.info


def test_a_stream_cut_before_its_finish_reason_raises_instead_of_looking_complete():
    cut = b"\r\n\r\n".join(TEXT_STREAM.split(b"\r\n\r\n")[:2]) + b"\r\n\r\n"
    out, error = streams.run_until_error(machine(sse=False), [cut])
    assert len(out) == 2 and error.info.code == "stream_truncated"
    out, error = streams.run_until_error(machine(), [TEXT_STREAM[:-3]])
    assert len(out) == 2 and error.info.code == "stream_truncated"


def test_a_blocked_prompt_is_a_complete_stream():
    blocked = {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}, "modelVersion": "gemini-2.5-flash"}  # fmt: skip
    passthrough = machine()
    events = passthrough.feed(b"data: " + orjson.dumps(blocked) + b"\r\n\r\n") + passthrough.close()
    assert sse_documents(events) == [renamed(blocked)]
    assert passthrough.usage is not None and passthrough.usage["prompt_tokens"] == 9


def test_an_event_that_is_not_json_is_a_malformed_stream():
    with pytest.raises(StreamError) as caught:
        machine().feed(b"data: {oops\r\n\r\n")
    assert caught.value.info.code == "upstream_stream_malformed"


def test_error_event_closes_the_array_after_what_was_sent():
    passthrough = machine(sse=False)
    events = passthrough.feed(TEXT_STREAM.split(b"\r\n\r\n")[0] + b"\r\n\r\n")
    events.append(passthrough.error_event(503, "server_error", "Overloaded."))
    items = json.loads(b"".join(events))
    assert items[-1] == {"error": {"code": 503, "message": "Overloaded.", "status": "UNAVAILABLE"}}
    sse_error = machine().error_event(503, "server_error", "Overloaded.")
    assert sse_error == b'data: {"error":{"code":503,"message":"Overloaded.","status":"UNAVAILABLE"}}\r\n\r\n'


def test_native_paths_name_the_upstream_model_and_ask_streams_as_sse():
    assert native_path("streamGenerateContent", upstream_model="models/gemini-2.5-pro") == (
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert native_path("countTokens", upstream_model="a/b?c") == "/v1beta/models/a%2Fb%3Fc:countTokens"
    with pytest.raises(TranslationError):
        native_path("tunedModels.create", upstream_model="gemini-2.5-pro")


def test_native_requests_name_the_upstream_model_wherever_gemini_checks_it():
    body = {"contents": [{"parts": [{"text": "Hi"}]}]}
    assert native_request(body, upstream_model="gemini-2.5-flash") == body
    batch = {"requests": [{"model": f"models/{ALIAS}", "content": {"parts": [{"text": "a"}]}}, "odd"]}
    assert native_request(batch, upstream_model="gemini-embedding-001")["requests"] == [
        {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}},
        "odd",
    ]
    count = {"generateContentRequest": {"model": f"models/{ALIAS}", **body}}
    assert native_request(count, upstream_model="gemini-2.5-flash")["generateContentRequest"]["model"] == (
        "models/gemini-2.5-flash"
    )
    assert batch["requests"][0]["model"] == f"models/{ALIAS}"  # the client's body is left as it was
