"""The Gemini client translators are total over JSON, as test_totality.py holds the others to.

Realistic client bodies, hub answers, hub chunk streams and Gemini upstream streams are changed at
one place (any key at any depth, any list item) to arbitrary JSON, deleted, wrapped or nested too
deep; then every place of every payload in turn. The outcome must be a valid result (a hub
request that holds to translators/hub.py, an answer google-genai reads, bytes in the client's
framing) or `TranslationError` / `StreamError`, never another exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.translators import gemini_inbound_payloads as payloads
from tests.translators.hub_check import assert_conforms
from tests.translators.test_gemini_inbound_stream import sdk_response
from tests.translators.test_gemini_response import FUNCTION_CALL_ANSWER, THINKING_ANSWER
from tests.translators.test_gemini_stream import OVERLOADED, TEXT_STREAM, TOOL_STREAM
from tests.translators.test_totality import (
    DEEP,
    DELETE,
    JSON,
    as_body,
    change,
    mutated,
    mutated_stream,
    outcome,
    run_stream,
    serializable,
    stream_sweep,
    sweep,
)
from tests.translators.totality_payloads import events_of
from translators import gemini, hub
from translators.gemini import inbound
from translators.gemini.passthrough import PassthroughStream, native_request, rewrite_response
from translators.openai import ChunkDecoder

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)
FEW = settings(SETTINGS, max_examples=40)
MODEL = payloads.MODEL


def hub_chunks(decoder: Any, stream: bytes) -> list[dict[str, Any]]:
    return decoder.feed(stream) + decoder.close()


HUB_STREAMS: list[list[dict[str, Any]]] = [
    hub_chunks(ChunkDecoder(model=MODEL), payloads.OPENAI_TEXT_STREAM),
    hub_chunks(ChunkDecoder(model=MODEL), payloads.OPENAI_TOOL_STREAM),
    hub_chunks(gemini.StreamDecoder(model=MODEL, created=1, id="chatcmpl-gw"), TOOL_STREAM),
]
GEMINI_STREAMS: list[list[tuple[str, Any]]] = [
    events_of(TEXT_STREAM),
    events_of(TOOL_STREAM),
    events_of(TEXT_STREAM.split(b"\r\n\r\n")[0] + b"\r\n\r\n" + OVERLOADED),
]
EMBED_REQUESTS: list[Any] = [
    {"model": "models/e5", "content": {"parts": [{"text": "hello"}, {"text": "world"}]}, "taskType": "RETRIEVAL_QUERY", "outputDimensionality": 64},
]  # fmt: skip
BATCH_EMBED_REQUESTS: list[Any] = [{"requests": [EMBED_REQUESTS[0], {**EMBED_REQUESTS[0], "title": "Doc"}]}]
EMBED_ANSWERS: list[Any] = [
    {"object": "list", "model": "e5", "usage": {"prompt_tokens": 2, "total_tokens": 2},
     "data": [{"object": "embedding", "index": 0, "embedding": [0.25, -1.5]}, {"object": "embedding", "index": 1, "embedding": "AACAPwAAAMA="}]},
]  # fmt: skip
COUNT_REQUESTS: list[Any] = [
    payloads.TOOL_CONVERSATION,
    {"generateContentRequest": {"model": "models/m", **payloads.SNAKE_CASE_REQUEST}},
]


# --- the checks of one outcome ---------------------------------------------------------------------


def check_request(body: Any) -> None:
    for stream in (False, True):
        request = outcome(lambda stream=stream: inbound.hub_request(body, model=MODEL, stream=stream))
        if request is not None:
            assert_conforms(request, hub.ChatRequest)
            assert serializable(request) or not serializable(body)
    paths = inbound.ignored_fields(body)
    assert isinstance(paths, tuple) and all(isinstance(path, str) for path in paths)


def check_answer(completion: Any) -> None:
    answer = outcome(lambda: inbound.client_answer(completion, model=MODEL))
    if answer is not None:
        assert serializable(answer)
        sdk_response(answer)


def check_client_stream(chunks: list[Any]) -> None:
    for sse in (True, False):
        machine = inbound.ClientStream(model=MODEL, sse=sse)
        out: list[bytes] = []

        def run(machine: inbound.ClientStream = machine, out: list[bytes] = out) -> bool:
            out.extend(machine.feed(chunks[:2]))
            out.extend(machine.feed(chunks[2:]))
            out.extend(machine.close())
            return True

        if outcome(run) is None:
            out.append(machine.error_event(502, "server_error", "The upstream answer broke off."))
        assert_framed(out, sse)
        assert machine.usage is None or isinstance(machine.usage, dict)


def assert_framed(events: list[bytes], sse: bool, *, readable: bool = True) -> None:
    """Every item is a JSON object in the client's framing; a GenerateContentResponse (or an
    error) google-genai reads, when `readable` (a passthrough hands on what the upstream wrote)."""
    if sse:
        documents = []
        for event in events:
            assert event.startswith(b"data: ") and event.endswith(b"\r\n\r\n")
            documents.append(json.loads(event[len(b"data: ") : -4]))
    elif events:
        documents = json.loads(b"".join(events) + (b"" if events[-1].endswith(b"]") else b"\n]"))
    else:
        documents = []
    for document in documents:
        assert isinstance(document, dict)
        if readable and "error" not in document:
            sdk_response(document)


def check_passthrough(stream: bytes, cut: int) -> None:
    for sse in (True, False):
        machine = PassthroughStream(model=MODEL, sse=sse)
        assert_framed(run_stream(machine, stream, cut), sse, readable=False)
        assert machine.usage is None or isinstance(machine.usage, dict)


def check_rewrite(payload: Any) -> None:
    result = outcome(lambda: rewrite_response(as_body(payload), model=MODEL))
    if result is not None:
        body, usage = result
        assert isinstance(json.loads(body), dict) and (usage is None or isinstance(usage, dict))


def check_native_request(body: Any) -> None:
    request = outcome(lambda: native_request(body, upstream_model="gemini-2.5-flash"))
    assert request is None or isinstance(request, dict)


def check_embed(build: Callable[..., dict[str, Any]], body: Any) -> None:
    request = outcome(lambda: build(body, model="e5"))
    if request is not None:
        assert request["model"] == "e5" and request["encoding_format"] == "float"
        text = request["input"]
        assert isinstance(text, str) or (isinstance(text, list) and all(isinstance(t, str) for t in text))


def check_embed_answer(payload: Any) -> None:
    for batch in (True, False):
        answer = outcome(lambda batch=batch: inbound.embed_answer(payload, batch=batch))
        if answer is not None:
            assert serializable(answer)
            vectors = answer["embeddings"] if batch else [answer["embedding"]]
            assert all(isinstance(v, float) for vector in vectors for v in vector["values"])


def check_count(body: Any) -> None:
    tokens = outcome(lambda: inbound.estimate_tokens(body))
    assert tokens is None or (isinstance(tokens, int) and tokens >= 0)


DOCUMENTS: dict[str, tuple[list[Any], Callable[[Any], None]]] = {
    "hub_request": (payloads.REQUESTS, check_request),
    "client_answer": (payloads.ANSWERS, check_answer),
    "rewrite_response": ([THINKING_ANSWER, FUNCTION_CALL_ANSWER], check_rewrite),
    "native_request": ([*payloads.REQUESTS, *BATCH_EMBED_REQUESTS, *COUNT_REQUESTS], check_native_request),
    "embed_request": (EMBED_REQUESTS, partial(check_embed, inbound.embed_request)),
    "batch_embed_request": (BATCH_EMBED_REQUESTS, partial(check_embed, inbound.batch_embed_request)),
    "embed_answer": (EMBED_ANSWERS, check_embed_answer),
    "estimate_tokens": (COUNT_REQUESTS, check_count),
}


# --- the properties ----------------------------------------------------------------------------------


@pytest.mark.parametrize("function", DOCUMENTS)
@SETTINGS
@given(data=st.data())
def test_a_realistic_payload_changed_at_one_place_gives_a_valid_result_or_the_translators_error(function, data):
    documents, check = DOCUMENTS[function]
    check(data.draw(mutated(documents), label="payload"))


@pytest.mark.parametrize("function", DOCUMENTS)
@FEW
@given(document=st.one_of(JSON, DEEP))
def test_any_json_in_place_of_the_payload_gives_a_valid_result_or_the_translators_error(function, document):
    DOCUMENTS[function][1](document)


@SETTINGS
@given(data=st.data())
def test_a_hub_stream_with_one_chunk_changed_gives_framed_output_or_the_translators_error(data):
    chunks = list(data.draw(st.sampled_from(HUB_STREAMS), label="stream"))
    index = data.draw(st.integers(0, len(chunks) - 1), label="chunk")
    chunks[index] = data.draw(change(chunks[index]), label="change")
    check_client_stream([chunk for chunk in chunks if chunk is not DELETE])


@FEW
@given(chunks=st.lists(JSON, max_size=5))
def test_a_hub_stream_of_any_json_gives_framed_output_or_the_translators_error(chunks):
    check_client_stream(chunks)


@SETTINGS
@given(data=st.data())
def test_a_gemini_stream_with_one_event_changed_split_anywhere_passes_on_framed_or_raises(data):
    check_passthrough(*data.draw(mutated_stream(GEMINI_STREAMS), label="stream, cut"))


# --- every place, in turn ------------------------------------------------------------------------------


@pytest.mark.parametrize("function", DOCUMENTS)
def test_every_place_of_every_payload_deleted_nulled_wrapped_or_nested_too_deep_gives_a_valid_outcome(function):
    documents, check = DOCUMENTS[function]
    before = json.dumps(documents)
    for document in documents:
        for mutant in sweep(document):
            check(mutant)
    assert json.dumps(documents) == before, "a translator changed its input"


def test_every_place_of_every_hub_chunk_changed_gives_framed_output_or_the_translators_error():
    for chunks in HUB_STREAMS:
        for index, chunk in enumerate(chunks):
            check_client_stream(chunks[:index] + chunks[index + 1 :])
            for mutant in sweep(chunk):
                check_client_stream([*chunks[:index], mutant, *chunks[index + 1 :]])


def test_every_place_of_every_gemini_stream_event_changed_passes_on_framed_or_raises():
    for events in GEMINI_STREAMS:
        for stream in stream_sweep(events):
            check_passthrough(stream, len(stream) // 2)
