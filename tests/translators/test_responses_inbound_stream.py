"""Hub streams -> Responses SSE events, from real upstream bytes to what the openai SDK reads.

Each stream runs the whole chain a gateway runs: upstream bytes (OpenAI Chat Completions,
Anthropic Messages, Gemini) through that upstream's decoder into `ClientStream`, fed whole, split
at every byte and byte by byte, with identical client output. The output is then read by the
openai SDK as a client reads a live stream: `client.responses.create(stream=True)` with strict
validation, and `client.responses.stream()`'s accumulator for the final response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.translators import responses_inbound_payloads as payloads
from tests.translators.hub_check import assert_conforms
from tests.translators.responses_client import parse_events, sdk_events, sdk_final_response
from tests.translators.responses_inbound_payloads import CODEX_REQUEST, CREATED, RESPONSE_ID
from translators import anthropic, gemini, hub
from translators.errors import StreamError, TranslationError
from translators.openai import ChunkDecoder
from translators.responses.inbound import ClientStream


class Chain:
    """An upstream decoder feeding a `ClientStream`: upstream bytes in, client bytes out."""

    def __init__(self, decoder: Any, request: dict[str, Any] = CODEX_REQUEST) -> None:
        self.decoder = decoder
        self.client = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request=request)

    def feed(self, data: bytes) -> list[bytes]:
        return self.client.feed(self.decoder.feed(data))

    def close(self) -> list[bytes]:
        return self.client.feed(self.decoder.close()) + self.client.close()


def openai_chain() -> Chain:
    return Chain(ChunkDecoder(model="codex"))


def anthropic_chain() -> Chain:
    return Chain(anthropic.StreamDecoder(model="codex", created=CREATED, id="chatcmpl-gw1"))


def gemini_chain() -> Chain:
    return Chain(gemini.StreamDecoder(model="codex", created=CREATED, id="chatcmpl-gw1"))


def client_stream(every_split: Callable[..., list[bytes]], factory: Callable[[], Chain], data: bytes) -> bytes:
    """The client's bytes, the same at every split; checked event by event and by the SDK."""
    stream = b"".join(every_split(factory, data))
    parse_events(stream)
    sdk_events(stream)
    return stream


def test_text_from_an_openai_upstream_is_one_message_item_then_completed_with_usage(every_split):
    stream = client_stream(every_split, openai_chain, payloads.CHAT_TEXT_STREAM)
    kinds = [event["type"] for event in parse_events(stream)]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    final = sdk_final_response(stream)
    assert (final.output_text, final.status, final.model, final.id) == (
        "Hello, caf\u00e9!",
        "completed",
        "codex",
        RESPONSE_ID,
    )
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.input_tokens_details.cached_tokens) == (
        1200,
        340,
        1024,
    )


def test_reasoning_text_and_two_calls_become_four_items_with_arguments_streamed(every_split):
    stream = client_stream(every_split, openai_chain, payloads.CHAT_TOOL_STREAM)
    events = parse_events(stream)
    deltas = [event["delta"] for event in events if event["type"] == "response.function_call_arguments.delta"]
    assert deltas == ['{"command":', ' ["ls"]}', '{"plan": []}']
    final = sdk_final_response(stream)
    reasoning, message, shell, plan = final.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].text == "List first, then read."
    assert message.content[0].text == "Looking."
    assert (shell.call_id, shell.name, shell.arguments, shell.id) == (
        "call_A",
        "shell",
        '{"command": ["ls"]}',
        "fc_gw0c0ffee_2",
    )
    assert (plan.call_id, plan.arguments) == ("call_B", '{"plan": []}')
    assert [tool.name for tool in final.tools] == ["shell", "update_plan"]


def test_the_stored_assistant_message_is_the_hub_message_of_the_answer(every_split):
    chain = openai_chain()
    chain.feed(payloads.CHAT_TOOL_STREAM)
    assert chain.client.assistant_message is None
    chain.close()
    message = chain.client.assistant_message
    assert message == {
        "role": "assistant",
        "content": "Looking.",
        "tool_calls": [
            {"id": "call_A", "type": "function", "function": {"name": "shell", "arguments": '{"command": ["ls"]}'}},
            {"id": "call_B", "type": "function", "function": {"name": "update_plan", "arguments": '{"plan": []}'}},
        ],
        "reasoning_content": "List first, then read.",
    }
    assert_conforms(message, hub.AssistantMessage)
    assert chain.client.usage == payloads.HUB_USAGE


def test_an_answer_cut_at_the_length_limit_ends_with_response_incomplete(every_split):
    stream = client_stream(every_split, openai_chain, payloads.CHAT_LENGTH_STREAM)
    last = parse_events(stream)[-1]
    assert last["type"] == "response.incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert last["response"]["output"][0]["status"] == "incomplete"


def test_anthropic_thinking_and_tool_use_keep_the_signed_block_for_replay(every_split):
    stream = client_stream(every_split, anthropic_chain, payloads.ANTHROPIC_THINKING_TOOL_STREAM)
    final = sdk_final_response(stream)
    assert [item.type for item in final.output] == ["reasoning", "message", "function_call"]
    assert final.output[2].arguments == '{"command": ["ls"]}' and final.output[2].call_id == "toolu_01A"
    chain = anthropic_chain()
    chain.feed(payloads.ANTHROPIC_THINKING_TOOL_STREAM)
    chain.close()
    message = chain.client.assistant_message
    assert message is not None
    assert message["thinking_blocks"] == [
        {"type": "thinking", "thinking": "The user wants the files.", "signature": payloads.THINKING_SIGNATURE}
    ]
    assert_conforms(message, hub.AssistantMessage)


def test_gemini_thought_and_signed_call_keep_the_signature_for_replay(every_split):
    stream = client_stream(every_split, gemini_chain, payloads.GEMINI_TOOL_STREAM)
    final = sdk_final_response(stream)
    assert [item.type for item in final.output] == ["reasoning", "function_call"]
    assert final.usage.output_tokens_details.reasoning_tokens == 41
    chain = gemini_chain()
    chain.feed(payloads.GEMINI_TOOL_STREAM)
    chain.close()
    message = chain.client.assistant_message
    assert message is not None
    assert message["tool_calls"][0]["extra_content"] == {"google": {"thought_signature": payloads.GEMINI_SIGNATURE}}


def test_an_upstream_failure_mid_stream_becomes_response_failed_for_the_same_response():
    chain = openai_chain()
    sent = chain.feed(b"\n\n".join(payloads.CHAT_TEXT_STREAM.split(b"\n\n")[:2]) + b"\n\n")
    assert sent
    failure = chain.client.error_event(429, "rate_limit_error", "Rate limit reached")
    stream = b"".join(sent) + failure
    events = parse_events(stream)
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"] == {
        "code": "rate_limit_exceeded",
        "message": "Rate limit reached",
        "type": "rate_limit_error",
    }
    assert events[-1]["response"]["id"] == events[0]["response"]["id"] == RESPONSE_ID
    assert [event.type for event in sdk_events(stream)][-1] == "response.failed"
    assert chain.client.close() == [] and chain.client.assistant_message is None


def test_a_failure_before_any_chunk_opens_the_response_first():
    client = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request={})
    events = parse_events(client.error_event(502, "server_error", "upstream down"))
    assert [event["type"] for event in events] == ["response.created", "response.in_progress", "response.failed"]
    assert events[-1]["response"]["error"]["code"] == "server_error"


def test_close_is_once_and_an_empty_stream_still_completes():
    client = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request={})
    assert client.feed([]) == []
    stream = b"".join(client.close())
    assert [event["type"] for event in parse_events(stream)] == [
        "response.created",
        "response.in_progress",
        "response.completed",
    ]
    assert client.close() == [] and client.feed([{"choices": []}]) == []
    assert client.assistant_message == {"role": "assistant", "content": None}


def chunk(delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk", "created": CREATED, "model": "codex",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": logprobs}]}  # fmt: skip


def test_text_then_refusal_are_two_parts_of_one_message_and_logprobs_stream_with_the_text():
    entry = {"token": "Hi", "logprob": -0.5, "bytes": [72, 105], "top_logprobs": []}
    client = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request={})
    out = client.feed(
        [
            chunk({"content": "Hi"}, logprobs={"content": [entry], "refusal": None}),
            chunk({"refusal": "No."}),
            chunk({}, "stop"),
        ]
    )
    stream = b"".join(out + client.close())
    events = parse_events(stream)
    delta = next(event for event in events if event["type"] == "response.output_text.delta")
    assert delta["logprobs"] == [{"token": "Hi", "logprob": -0.5, "top_logprobs": []}]
    content = events[-1]["response"]["output"][0]["content"]
    assert content == [
        {"type": "output_text", "text": "Hi", "annotations": [], "logprobs": [entry]},
        {"type": "refusal", "refusal": "No."},
    ]
    sdk_final_response(stream)


def test_a_call_without_arguments_streams_an_empty_object():
    client = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request={})
    header = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "now", "arguments": ""}}
    stream = b"".join(client.feed([chunk({"tool_calls": [header]}), chunk({}, "tool_calls")]) + client.close())
    assert sdk_final_response(stream).output[0].arguments == "{}"


def test_a_malformed_chunk_raises_after_the_events_before_it_are_handed_out():
    client = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request={})
    nameless = {"index": 0, "id": "call_1", "function": {"arguments": "{}"}}
    out = client.feed([chunk({"content": "Hi"}), chunk({"tool_calls": [nameless]})])
    assert any(b"response.output_text.delta" in event for event in out)
    with pytest.raises(TranslationError):
        client.close()
    fresh = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request={})
    fresh.feed([chunk({"content": "Hi"})])
    with pytest.raises(TranslationError):
        fresh.feed([chunk({"tool_calls": [nameless]})])


def test_a_fragment_for_a_finished_call_is_a_translation_error():
    client = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request={})
    first = {"index": 0, "id": "a", "function": {"name": "f", "arguments": ""}}
    second = {"index": 1, "id": "b", "function": {"name": "g", "arguments": ""}}
    client.feed([chunk({"tool_calls": [first]}), chunk({"tool_calls": [second]})])
    with pytest.raises(TranslationError):
        client.feed([chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]})])


def test_a_truncated_upstream_raises_in_its_decoder_and_the_client_gets_response_failed():
    chain = openai_chain()
    before_finish = b"\n\n".join(payloads.CHAT_TEXT_STREAM.split(b"\n\n")[:3]) + b"\n\n"
    sent = chain.feed(before_finish)
    with pytest.raises(StreamError) as caught:
        chain.close()
    info = caught.value.info
    stream = b"".join(sent) + chain.client.error_event(info.status, info.type, info.message)
    assert parse_events(stream)[-1]["type"] == "response.failed"


def test_values_orjson_cannot_write_are_left_out_of_the_echo_and_logprobs_are_floats():
    huge = {**payloads.SHELL_TOOL, "parameters": {"type": "object", "maximum": 2**70}}
    client = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request={"tools": [huge]})
    entry = {"token": "a", "logprob": -(2**70), "bytes": [2**70], "top_logprobs": []}
    out = client.feed([chunk({"content": "a"}, logprobs={"content": [entry], "refusal": None}), chunk({}, "stop")])
    events = parse_events(b"".join(out + client.close()))
    assert events[0]["response"]["tools"][0]["parameters"] is None
    assert events[-1]["response"]["output"][0]["content"][0]["logprobs"] == [
        {"token": "a", "logprob": float(-(2**70)), "bytes": [], "top_logprobs": []}
    ]


def test_text_no_json_writer_accepts_still_ends_in_response_failed_without_a_gap():
    client = ClientStream(model="codex", id=RESPONSE_ID, created=CREATED, request={})
    sent = client.feed([chunk({"content": "a"}), chunk({"content": "\ud800"})])  # a lone surrogate
    with pytest.raises(TranslationError):
        client.close()
    events = parse_events(b"".join(sent) + client.error_event(500, "server_error", "broken"))
    assert events[-1]["type"] == "response.failed" and events[-1]["response"]["output"] == []


def test_an_upstream_failing_after_its_first_event_has_sent_the_client_nothing():
    failing = b"""event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":1}}}

event: error
data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}

"""
    chain = anthropic_chain()
    assert chain.feed(failing) == []
    with pytest.raises(StreamError) as caught:
        chain.feed(b"")
    assert (
        caught.value.info.status == 529
        or caught.value.info.type == "overloaded_error"
        or caught.value.info.status >= 500
    )
