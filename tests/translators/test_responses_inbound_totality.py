"""The Responses client translators are total over JSON: any well-formed JSON in any place of a
client body, a hub answer, a hub stream or an upstream Responses stream gives a valid result or
the translator's own error (`TranslationError`, `StreamError`), never TypeError, KeyError,
AttributeError or RecursionError.

As tests/translators/test_totality.py does for the upstream translators: realistic payloads have
one place (any key at any depth, any list item) replaced by arbitrary JSON, a value in the wrong
shape or one nested too deep, or deleted; a sweep then changes every place in turn. A valid
result is held to its contract: hub requests to translators/hub.py, response objects and stream
events to the openai SDK's strict models and its stream accumulator. Hypothesis runs
derandomized and without an example database, so every run checks the same examples.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.responses import Response

from tests.translators import responses_inbound_payloads as payloads
from tests.translators.hub_check import assert_conforms
from tests.translators.responses_client import accumulate, parse_events
from tests.translators.test_totality import (
    DEEP,
    DELETE,
    JSON,
    arbitrary_stream,
    as_body,
    change,
    deep_recursion,
    mutated,
    mutated_stream,
    outcome,
    run_stream,
    serializable,
    stream_sweep,
    sweep,
)
from translators import anthropic, gemini, hub
from translators.openai import ChunkDecoder
from translators.responses.inbound import (
    ClientStream,
    assistant_message,
    client_answer,
    hub_request,
    ignored_fields,
    next_history,
)
from translators.responses.passthrough import PassthroughStream, native_request, rewrite_response

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)
FEW = settings(SETTINGS, max_examples=40)

REQUESTS: list[Any] = [payloads.CODEX_REQUEST, payloads.SDK_REQUEST]
HISTORY: list[Any] = [
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "tool_calls": [payloads.SHELL_CALL]}]
]
COMPLETIONS: list[Any] = [payloads.TEXT_COMPLETION, payloads.TOOL_COMPLETION]


def _decoded(decoder: Any, data: bytes) -> list[dict[str, Any]]:
    return decoder.feed(data) + decoder.close()


# Hub streams as the upstream decoders hand them over.
HUB_STREAMS: list[Any] = [
    _decoded(ChunkDecoder(model="codex"), payloads.CHAT_TOOL_STREAM),
    _decoded(ChunkDecoder(model="codex"), payloads.CHAT_TEXT_STREAM),
    _decoded(anthropic.StreamDecoder(model="codex", created=1, id="c"), payloads.ANTHROPIC_THINKING_TOOL_STREAM),
    _decoded(gemini.StreamDecoder(model="codex", created=1, id="c"), payloads.GEMINI_TOOL_STREAM),
]
UPSTREAM_STREAMS: list[list[tuple[str, Any]]] = [[(event["type"], event) for event in payloads.UPSTREAM_EVENTS]]
ANSWERS: list[Any] = [payloads.upstream_response("completed", [payloads.REASONING_ITEM], payloads.UPSTREAM_USAGE)]


# --- what a valid outcome is ---------------------------------------------------------------------


def check_request(body: Any, history: Any = ()) -> None:
    request = outcome(lambda: hub_request(body, history=history))
    if request is not None:
        # Stored history goes on as stored: each upstream adapter checks hub messages itself.
        stored = len(history) if isinstance(history, list) else 0
        messages = request["messages"]
        first = 1 if messages[:1] and messages[0].get("role") == "system" and stored else 0
        assert messages[first : first + stored] == list(history)
        assert_conforms({**request, "messages": messages[:first] + messages[first + stored :]}, hub.ChatRequest)
        assert serializable(request) or not (serializable(body) and serializable(history))
        assert isinstance(next_history(body, request, {"role": "assistant", "content": "x"}), list)
    fields = ignored_fields(body)
    assert isinstance(fields, tuple) and all(isinstance(field, str) for field in fields)
    native = outcome(lambda: native_request(body, upstream_model="up"))
    assert native is None or native["model"] == "up"


def check_answer(completion: Any, request: Any) -> None:
    response = outcome(lambda: client_answer(completion, model="codex", id="resp_1", created=1, request=request))
    if response is not None:
        with deep_recursion():
            Response.model_validate(response)
        assert serializable(response) or not (serializable(completion) and serializable(request))
    message = outcome(lambda: assistant_message(completion))
    assert message is None or message["role"] == "assistant"


def check_client_stream(chunks: Any, cut: int, request: Any = payloads.CODEX_REQUEST) -> None:
    """Chunks fed in two lists split at `cut`, then closed; or failed with `error_event`."""
    stream = ClientStream(model="codex", id="resp_1", created=1, request=request)
    items = chunks if isinstance(chunks, list) else [chunks]
    out: list[bytes] = []

    def run() -> None:
        out.extend(stream.feed(items[:cut]))
        out.extend(stream.feed(items[cut:]))
        out.extend(stream.close())

    outcome(run)
    finished = stream.assistant_message is not None
    if not finished:
        out.append(stream.error_event(502, "server_error", "upstream failed"))
    events = parse_events(b"".join(out))
    final = accumulate(events)
    assert (final is not None) == finished
    if finished:
        assert_conforms(stream.assistant_message, hub.AssistantMessage)
        assert stream.usage is None or isinstance(stream.usage, dict)


def check_passthrough(data: bytes, cut: int) -> None:
    machine = PassthroughStream(model="codex")
    out = run_stream(machine, data, cut)
    failure = machine.error_event(502, "server_error", "upstream failed")
    with deep_recursion():
        for event in parse_sse(b"".join(out) + failure):
            assert isinstance(json.loads(event), dict)
    assert machine.usage is None or isinstance(machine.usage, dict)


def parse_sse(data: bytes) -> list[str]:
    from translators.sse import SSEDecoder

    decoder = SSEDecoder()
    return [event.data for event in decoder.feed(data) + decoder.close()]


def check_rewrite(answer: Any) -> None:
    result = outcome(lambda: rewrite_response(as_body(answer), model="codex"))
    if result is not None:
        body, usage = result
        assert isinstance(json.loads(body), dict)
        if usage is not None:
            assert_conforms(usage, hub.Usage)


# --- the properties ------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_a_realistic_request_changed_at_one_place_gives_a_hub_request_or_a_translation_error(data):
    check_request(data.draw(mutated(REQUESTS), label="body"))


@FEW
@given(data=st.data())
def test_a_changed_history_gives_a_hub_request_or_a_translation_error(data):
    history = data.draw(mutated(HISTORY), label="history")
    check_request(payloads.CODEX_REQUEST, history if isinstance(history, list) else [history])


@FEW
@given(body=JSON)
def test_any_json_as_the_request_gives_a_hub_request_or_a_translation_error(body):
    check_request(body)


@SETTINGS
@given(data=st.data())
def test_a_hub_answer_or_the_request_changed_at_one_place_gives_a_valid_response_or_a_translation_error(data):
    completion = data.draw(mutated(COMPLETIONS), label="completion")
    request = data.draw(st.one_of(st.sampled_from(REQUESTS), mutated(REQUESTS)), label="request")
    check_answer(completion, request)


@FEW
@given(completion=JSON, request=st.one_of(JSON, DEEP))
def test_any_json_as_the_answer_and_request_gives_a_valid_response_or_a_translation_error(completion, request):
    check_answer(completion, request)


@SETTINGS
@given(data=st.data())
def test_a_hub_stream_changed_at_one_place_gives_events_the_sdk_accepts(data):
    chunks = data.draw(st.sampled_from(HUB_STREAMS).flatmap(change), label="chunks")
    chunks = [] if chunks is DELETE else chunks
    length = len(chunks) if isinstance(chunks, list) else 1
    check_client_stream(chunks, data.draw(st.integers(0, length), label="cut"))


@FEW
@given(chunks=st.lists(JSON, max_size=6), request=JSON, cut=st.integers(0, 6))
def test_a_stream_of_any_json_chunks_gives_events_the_sdk_accepts(chunks, request, cut):
    check_client_stream(chunks, cut, request)


@SETTINGS
@given(data=st.data())
def test_an_upstream_responses_stream_changed_at_one_place_passes_through_or_raises_stream_error(data):
    check_passthrough(*data.draw(mutated_stream(UPSTREAM_STREAMS), label="stream, cut"))


@FEW
@given(data=st.data())
def test_a_stream_of_any_json_events_passes_through_or_raises_stream_error(data):
    names = sorted({name for events in UPSTREAM_STREAMS for name, _ in events})
    check_passthrough(*data.draw(arbitrary_stream(names), label="stream, cut"))


@FEW
@given(data=st.data())
def test_an_upstream_answer_changed_at_one_place_is_rewritten_or_refused(data):
    check_rewrite(data.draw(mutated(ANSWERS), label="answer"))


# --- every place, in turn ------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(REQUESTS)))
def test_every_place_of_each_request_swept(index):
    for body in sweep(REQUESTS[index]):
        check_request(body)


@pytest.mark.parametrize("index", range(len(COMPLETIONS)))
def test_every_place_of_each_answer_swept(index):
    for completion in sweep(COMPLETIONS[index]):
        check_answer(completion, payloads.CODEX_REQUEST)


def test_every_place_of_the_echoed_request_swept():
    for request in sweep(payloads.CODEX_REQUEST):
        check_answer(payloads.TOOL_COMPLETION, request)


# The chunk fields ClientStream reads; sweeping the rest (ids, fingerprints) would only add time.
READ_FIELDS = ("choices", "usage")


@pytest.mark.parametrize("index", [0, 2, 3])
def test_every_place_of_each_hub_stream_swept(index):
    chunks = [{key: chunk[key] for key in READ_FIELDS if key in chunk} for chunk in HUB_STREAMS[index]]
    for mutant in sweep(chunks):
        check_client_stream(mutant, 1)


def test_every_place_of_the_upstream_stream_swept():
    for data in stream_sweep(UPSTREAM_STREAMS[0]):
        check_passthrough(data, len(data) // 2)
