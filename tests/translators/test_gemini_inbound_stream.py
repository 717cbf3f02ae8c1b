"""Hub answers and streams -> Gemini clients (translators/gemini/inbound_answer.py), read back by
google-genai the way it reads Gemini: whole answers, `alt=sse` streams, errors mid-stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from google import genai
from google.genai import types
from google.genai.models import _GenerateContentResponse_from_mldev

from tests.translators import gemini_inbound_payloads as payloads
from tests.translators import test_gemini_stream as gemini_streams
from tests.translators.streams import feed_bytewise
from tests.translators.test_gemini_inbound import sdk_client
from translators import gemini
from translators.errors import TranslationError
from translators.gemini import inbound
from translators.gemini.inbound_answer import FINISH_REASONS
from translators.openai import ChunkDecoder

MODEL = payloads.MODEL
SIGNATURE = gemini_streams.SIGNATURE


def sdk_response(document: dict[str, Any]) -> types.GenerateContentResponse:
    """A response as google-genai builds one from Gemini's JSON."""
    return types.GenerateContentResponse._from_response(
        response=_GenerateContentResponse_from_mldev(document), kwargs={}
    )


class Chain:
    """Upstream bytes -> an upstream decoder -> ClientStream, as the gateway runs them."""

    def __init__(self, decoder: Any, *, sse: bool) -> None:
        self.decoder = decoder
        self.client = inbound.ClientStream(model=MODEL, sse=sse)

    def feed(self, data: bytes) -> list[bytes]:
        return self.client.feed(self.decoder.feed(data))

    def close(self) -> list[bytes]:
        return self.client.feed(self.decoder.close()) + self.client.close()


def openai_chain(sse: bool = True) -> Chain:
    return Chain(ChunkDecoder(model=MODEL), sse=sse)


def gemini_chain(sse: bool = True) -> Chain:
    return Chain(gemini.StreamDecoder(model=MODEL, created=1, id="chatcmpl-gw"), sse=sse)


def sse_documents(events: list[bytes]) -> list[dict[str, Any]]:
    documents = []
    for event in events:
        assert event.startswith(b"data: ") and event.endswith(b"\r\n\r\n")
        documents.append(orjson.loads(event[len(b"data: ") : -4]))
    return documents


def sdk_stream(body: Iterator[bytes]) -> Iterator[types.GenerateContentResponse]:
    """What google-genai's generate_content_stream yields for these bytes (its own SSE reader)."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params.get("alt") == "sse"
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    return sdk_client(handler).models.generate_content_stream(model=MODEL, contents="Hi")


def bytewise(events: list[bytes]) -> Iterator[bytes]:
    data = b"".join(events)
    return (data[i : i + 1] for i in range(len(data)))


# --- whole answers ------------------------------------------------------------------------------


def test_text_answer_becomes_thought_and_text_parts_with_gemini_usage():
    answer = inbound.client_answer(payloads.TEXT_ANSWER, model=MODEL)
    assert answer == {
        "candidates": [
            {
                "content": {
                    "parts": [{"text": "Forecast says sun.", "thought": True}, {"text": "Tomorrow: 21 C and sunny."}],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 120,
            "candidatesTokenCount": 28,
            "totalTokenCount": 160,
            "cachedContentTokenCount": 64,
            "thoughtsTokenCount": 12,
        },
        "modelVersion": MODEL,
        "responseId": "chatcmpl-AbC123",
    }
    read = sdk_response(answer)
    assert read.text == "Tomorrow: 21 C and sunny." and read.usage_metadata.thoughts_token_count == 12


def test_tool_answer_becomes_function_call_parts_with_ids_args_and_the_signature():
    answer = inbound.client_answer(payloads.TOOL_ANSWER, model=MODEL)
    parts = answer["candidates"][0]["content"]["parts"]
    assert parts == [
        {"functionCall": {"id": "call_Zx1", "name": "get_weather", "args": {"city": "Paris", "unit": "c"}}, "thoughtSignature": SIGNATURE},
        {"functionCall": {"id": "call_Zx2", "name": "get_time", "args": {}}},
    ]  # fmt: skip
    assert answer["candidates"][0]["finishReason"] == "STOP"
    calls = sdk_response(answer).function_calls or []
    assert [(c.id, c.name, c.args) for c in calls] == [
        ("call_Zx1", "get_weather", {"city": "Paris", "unit": "c"}),
        ("call_Zx2", "get_time", {}),
    ]


def test_the_calls_a_client_sends_back_find_their_ids_and_signature_again():
    parts = inbound.client_answer(payloads.TOOL_ANSWER, model=MODEL)["candidates"][0]["content"]["parts"]
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather and time?"}]},
            {"role": "model", "parts": parts},
            {"role": "user", "parts": [
                {"functionResponse": {"id": "call_Zx1", "name": "get_weather", "response": {"temp": 18}}},
                {"functionResponse": {"id": "call_Zx2", "name": "get_time", "response": {"time": "9:00"}}},
            ]},
        ]
    }  # fmt: skip
    messages = inbound.hub_request(body, model=MODEL, stream=False)["messages"]
    assert messages[1]["tool_calls"] == payloads.TOOL_ANSWER["choices"][0]["message"]["tool_calls"][:1] + [
        {"id": "call_Zx2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
    ]
    assert [m["tool_call_id"] for m in messages[2:]] == ["call_Zx1", "call_Zx2"]


def test_a_refusal_reads_as_text_and_an_answer_without_usage_has_no_usage_metadata():
    answer = inbound.client_answer(payloads.REFUSAL_ANSWER, model=MODEL)
    assert answer["candidates"][0]["content"]["parts"] == [{"text": "I can't help with that."}]
    assert "usageMetadata" not in answer


def test_an_empty_answer_still_has_a_part_to_read():
    empty = payloads.completion({"role": "assistant", "content": ""}, "length", None)
    candidate = inbound.client_answer(empty, model=MODEL)["candidates"][0]
    assert candidate["content"] == {"parts": [{"text": ""}], "role": "model"}
    assert candidate["finishReason"] == "MAX_TOKENS"


def test_a_call_whose_arguments_are_no_json_object_ends_malformed_as_gemini_does():
    broken = payloads.completion(
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Par'}}]},
        "tool_calls", None,
    )  # fmt: skip
    candidate = inbound.client_answer(broken, model=MODEL)["candidates"][0]
    assert candidate["finishReason"] == "MALFORMED_FUNCTION_CALL"
    assert "get_weather" in candidate["finishMessage"]
    assert candidate["content"]["parts"] == [{"text": ""}]
    assert (
        sdk_response(inbound.client_answer(broken, model=MODEL)).candidates[0].finish_reason
        == "MALFORMED_FUNCTION_CALL"
    )


@pytest.mark.parametrize(("reason", "gemini_reason"), [*FINISH_REASONS.items(), ("something_new", "OTHER")])
def test_every_hub_finish_reason_has_a_gemini_finish_reason_the_sdk_knows(reason, gemini_reason):
    answer = inbound.client_answer(
        payloads.completion({"role": "assistant", "content": "x"}, reason, None), model=MODEL
    )
    assert answer["candidates"][0]["finishReason"] == gemini_reason
    assert sdk_response(answer).candidates[0].finish_reason == gemini_reason


def test_an_answer_that_is_no_chat_completion_is_the_translators_error():
    for broken in ({}, {"choices": []}, {"choices": [{"message": "hi"}]}, {"choices": [{"message": {"content": 3}}]}):
        with pytest.raises(TranslationError):
            inbound.client_answer(broken, model=MODEL)


def test_whole_answers_reach_google_genai_generate_content():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=inbound.client_answer(payloads.TEXT_ANSWER, model=MODEL))

    read = sdk_client(handler).models.generate_content(model=MODEL, contents="Weather tomorrow?")
    assert read.text == "Tomorrow: 21 C and sunny." and read.response_id == "chatcmpl-AbC123"


# --- streams ------------------------------------------------------------------------------------


def test_openai_text_stream_split_at_every_byte_gives_the_same_gemini_events(every_split):
    events = every_split(openai_chain, payloads.OPENAI_TEXT_STREAM)
    documents = sse_documents(events)
    common = {"modelVersion": MODEL, "responseId": "chatcmpl-Str1"}
    assert documents == [
        {"candidates": [{"content": {"parts": [{"text": "Tomorrow: "}], "role": "model"}, "index": 0}], **common},
        {"candidates": [{"content": {"parts": [{"text": "21 C \u2014 sunny."}], "role": "model"}, "index": 0}], **common},
        {
            "candidates": [{"content": {"parts": [{"text": ""}], "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 9, "totalTokenCount": 129},
            **common,
        },
    ]  # fmt: skip


def test_openai_tool_stream_sends_each_call_whole_once_it_is_complete(every_split):
    documents = sse_documents(every_split(openai_chain, payloads.OPENAI_TOOL_STREAM))
    parts = [document["candidates"][0]["content"]["parts"] for document in documents]
    assert parts == [
        [{"text": "Two lookups.", "thought": True}],
        [{"functionCall": {"id": "call_A", "name": "get_weather", "args": {"city": "Paris"}}}],
        [{"functionCall": {"id": "call_B", "name": "get_time", "args": {"tz": "Europe/Paris"}}}],
    ]
    assert documents[-1]["candidates"][0]["finishReason"] == "STOP"
    assert documents[-1]["usageMetadata"]["thoughtsTokenCount"] == 10


@pytest.mark.parametrize("stream", [payloads.OPENAI_TEXT_STREAM, payloads.OPENAI_TOOL_STREAM], ids=["text", "tool"])
def test_the_json_array_framing_holds_the_same_responses_at_every_split(every_split, stream):
    array = b"".join(every_split(lambda: openai_chain(sse=False), stream))
    assert array.startswith(b"[{") and array.endswith(b"}\n]")
    assert json.loads(array) == sse_documents(feed_bytewise(openai_chain(), stream))
    for document in json.loads(array):
        sdk_response(document)


def test_google_genai_reads_every_chunk_of_the_sse_stream_even_byte_by_byte():
    events = feed_bytewise(openai_chain(), payloads.OPENAI_TOOL_STREAM)
    for body in (iter(events), bytewise(events)):
        chunks = list(sdk_stream(body))
        assert len(chunks) == len(events) == 3
        assert chunks[0].candidates[0].content.parts[0].thought is True
        calls = [call for chunk in chunks for call in chunk.function_calls or []]
        assert [(c.id, c.name, c.args) for c in calls] == [
            ("call_A", "get_weather", {"city": "Paris"}),
            ("call_B", "get_time", {"tz": "Europe/Paris"}),
        ]
        assert chunks[-1].candidates[0].finish_reason == "STOP"
        assert chunks[-1].usage_metadata.total_token_count == 110


def test_a_gemini_upstream_through_the_hub_keeps_the_signature_on_its_call(every_split):
    documents = sse_documents(every_split(gemini_chain, gemini_streams.TOOL_STREAM))
    calls = [part for d in documents for part in d["candidates"][0]["content"]["parts"] if "functionCall" in part]
    assert calls[0]["thoughtSignature"] == SIGNATURE and "thoughtSignature" not in calls[1]
    assert [call["functionCall"]["name"] for call in calls] == ["get_weather", "get_time"]
    assert documents[-1]["usageMetadata"] == {
        "promptTokenCount": 70,
        "candidatesTokenCount": 25,
        "totalTokenCount": 136,
        "thoughtsTokenCount": 41,
    }


def test_an_error_mid_stream_reaches_google_genai_as_an_api_error_after_the_chunks_before_it():
    chain = openai_chain()
    first_three = b"".join(event + b"\n\n" for event in payloads.OPENAI_TEXT_STREAM.split(b"\n\n")[:3])
    events = chain.feed(first_three)
    events.append(chain.client.error_event(503, "server_error", "The upstream is overloaded."))
    assert chain.client.close() == []
    seen: list[str | None] = []
    with pytest.raises(genai.errors.ServerError) as caught:
        for chunk in sdk_stream(iter(events)):
            seen.append(chunk.text)
    assert seen == ["Tomorrow: ", "21 C \u2014 sunny."]
    assert caught.value.code == 503 and caught.value.status == "UNAVAILABLE"
    assert caught.value.message == "The upstream is overloaded."


def test_an_error_in_the_array_framing_is_its_last_item_and_closes_it():
    stream = inbound.ClientStream(model=MODEL, sse=False)
    events = stream.feed([{"id": "c", "choices": [{"index": 0, "delta": {"content": "Hi"}}]}])
    events.append(stream.error_event(429, "rate_limit_error", "Slow down."))
    assert stream.close() == []
    items = json.loads(b"".join(events))
    assert items[-1] == {"error": {"code": 429, "message": "Slow down.", "status": "RESOURCE_EXHAUSTED"}}
    first = inbound.ClientStream(model=MODEL, sse=False).error_event(500, "server_error", "Boom.")
    assert json.loads(first) == [{"error": {"code": 500, "message": "Boom.", "status": "INTERNAL"}}]


def test_a_call_with_broken_arguments_is_left_out_of_the_stream_which_ends_malformed():
    stream = inbound.ClientStream(model=MODEL, sse=True)
    events = stream.feed([
        {"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{oops"}}]}}]},
        {"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": "{}"}}]}}]},
        {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]) + stream.close()  # fmt: skip
    documents = sse_documents(events)
    assert documents[-1]["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"id": "b", "name": "g", "args": {}}}
    ]
    assert documents[-1]["candidates"][0]["finishReason"] == "MALFORMED_FUNCTION_CALL"


def test_a_stream_that_gave_nothing_still_ends_with_a_finished_candidate():
    decoder = ChunkDecoder(model=MODEL)
    stream = inbound.ClientStream(model=MODEL, sse=False)
    events = stream.feed(decoder.feed(b"data: [DONE]\n\n") + decoder.close()) + stream.close()
    assert json.loads(b"".join(events)) == [
        {"candidates": [{"content": {"parts": [{"text": ""}], "role": "model"}, "finishReason": "STOP", "index": 0}],
         "modelVersion": MODEL}
    ]  # fmt: skip


def test_chunks_that_are_no_hub_chunks_are_the_translators_error():
    for chunk in ("text", {"choices": {"0": {}}}, {"choices": [3]}, {"choices": [{"delta": ["hi"]}]}):
        with pytest.raises(TranslationError):
            inbound.ClientStream(model=MODEL, sse=True).feed([chunk])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("status", "name"),
    [(400, "INVALID_ARGUMENT"), (401, "UNAUTHENTICATED"), (403, "PERMISSION_DENIED"), (404, "NOT_FOUND"),
     (429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"), (502, "UNAVAILABLE"), (503, "UNAVAILABLE"),
     (504, "DEADLINE_EXCEEDED"), (418, "INVALID_ARGUMENT"), (599, "INTERNAL")],
)  # fmt: skip
def test_error_body_is_googles_envelope_with_the_canonical_status(status, name):
    body = inbound.error_body(status, "Something went wrong.")
    assert body == {"error": {"code": status, "message": "Something went wrong.", "status": name}}
    assert gemini.parse_error(status, {}, orjson.dumps(body)).code == name


def test_google_genai_raises_an_error_body_as_the_api_error_of_its_status():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json=inbound.error_body(429, "Quota exceeded."))

    with pytest.raises(genai.errors.ClientError) as caught:
        sdk_client(handler).models.generate_content(model=MODEL, contents="Hi")
    assert (caught.value.code, caught.value.status, caught.value.message) == (
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded.",
    )
