"""The Anthropic client translators are total over JSON, as test_totality.py holds the others to.

Realistic client requests, hub answers and hub chunk streams are changed at one place (any key
at any depth, any list item) to arbitrary JSON, a value nested too deep, or nothing; then every
place is swept in turn. The outcome must be a valid result (a hub request that holds to
translators/hub.py, a message the anthropic SDK validates, a coherent event stream that is the
same however its chunks were grouped) or `TranslationError` / `StreamError`, never a crash.
"""

from __future__ import annotations

from typing import Any

import pytest
from anthropic.types import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.translators import anthropic_client as client
from tests.translators import test_anthropic_inbound as realistic
from tests.translators.hub_check import assert_conforms
from tests.translators.streams import feed_whole
from tests.translators.test_anthropic_stream import THINKING_TOOL_STREAM
from tests.translators.test_gemini_stream import TOOL_STREAM as GEMINI_TOOL_STREAM
from tests.translators.test_totality import (
    DEEP,
    DELETE,
    deep_recursion,
    dumps,
    outcome,
    places,
    replaced,
    serializable,
    sweep,
    value_at,
)
from translators import anthropic, gemini, hub
from translators.anthropic import inbound
from translators.errors import StreamError
from translators.openai import ChunkDecoder

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)

REQUESTS: list[Any] = [
    realistic.CLAUDE_CODE_REQUEST,
    realistic.request(
        system="Be brief.", top_k=40, top_p=0.5, stop_sequences=["END"], metadata={"user_id": "u-1"},
        thinking={"type": "adaptive"}, output_config={"effort": "high", "format": {"type": "json_schema",
                                                                                   "schema": {"type": "object"}}},
        tools=[{"type": "custom", "name": "f", "input_schema": {"type": "object"}, "strict": True}],
        tool_choice={"type": "tool", "name": "f"}, mcp_servers=[], unknown_field=1,
        messages=[
            {"role": "system", "content": [{"type": "text", "text": "Be kind."}]},
            {"role": "user", "content": [
                {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
                {"type": "document", "title": "a.pdf", "source": {"type": "base64", "media_type": "application/pdf",
                                                                 "data": realistic.PDF}},
                {"type": "text", "text": "Read these."}]},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "Hm.", "signature": ""},
                                              {"type": "text", "text": "Sure."}]},
            {"role": "assistant", "content": "Prefilled"},
        ],
    ),
]  # fmt: skip

_TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a": [1, 2]}'}}
COMPLETIONS: list[Any] = [
    realistic.completion(
        {"role": "assistant", "content": "x", "reasoning_content": "r",
         "thinking_blocks": realistic.THINKING_TOOL_CONTENT[:2], "tool_calls": [_TOOL_CALL]},
        "tool_calls", realistic.USAGE),
    realistic.completion({"role": "assistant", "content": [{"type": "text", "text": "a"}], "refusal": "No."},
                         "content_filter"),
    realistic.completion({"role": "assistant", "content": None, "reasoning_content": "think",
                          "tool_calls": [{**_TOOL_CALL, "function": {"name": "g", "arguments": ""}}]}, "length"),
]  # fmt: skip

CHUNK_STREAMS: list[list[Any]] = [
    feed_whole(ChunkDecoder(model="m"), realistic.OPENAI_STREAM),
    feed_whole(anthropic.StreamDecoder(model="m", created=1, id="chatcmpl-1"), THINKING_TOOL_STREAM),
    feed_whole(gemini.StreamDecoder(model="m", created=1, id="chatcmpl-1"), GEMINI_TOOL_STREAM),
    realistic.chunks({"refusal": "No."}, {"content": "x"}, finish="content_filter"),
]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *_strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


WORDS = sorted({text for text in _strings([REQUESTS, COMPLETIONS, CHUNK_STREAMS]) if len(text) <= 40})
_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)  # no lone surrogates: not JSON a client sends
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), _TEXT, st.sampled_from(WORDS),
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_TEXT | st.sampled_from(WORDS), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutation(draw: st.DrawFn, documents: list[Any]) -> Any:
    """A document with one place deleted, or set to arbitrary JSON, its old value wrapped, or a
    value nested too deep; None when the whole document was deleted."""
    document = draw(st.sampled_from(documents))
    path = draw(st.sampled_from(list(places(document))))
    old = value_at(document, path)
    value = draw(st.one_of(st.just(DELETE), JSON, st.just([old]), st.just({"value": old}), DEEP))
    if value is DELETE and not path:
        return None
    return replaced(document, path, value)


# --- the checks -----------------------------------------------------------------------------


def check_request(body: Any) -> None:
    converted = outcome(lambda: inbound.hub_request(body))
    if converted is not None:
        assert_conforms(converted, hub.ChatRequest)
        assert serializable(converted) or not serializable(body)
    ignored = inbound.ignored_fields(body)
    assert isinstance(ignored, tuple) and all(isinstance(path, str) for path in ignored)
    tokens = inbound.estimate_tokens(body)
    assert isinstance(tokens, int) and tokens >= 1


def check_answer(completion: Any) -> None:
    answer = outcome(lambda: inbound.client_answer(completion, model="claude-alias", id="msg_1"))
    if answer is not None:
        Message.model_validate(answer)
        assert serializable(answer)


def _run(stream: inbound.ClientStream, groups: list[list[Any]]) -> tuple[list[bytes], bool]:
    out: list[bytes] = []

    def run() -> bool:
        for group in groups:
            out.extend(stream.feed(group))
        out.extend(stream.close())
        return True

    return out, outcome(run) is True


def check_stream(chunks: Any, cut: int) -> None:
    listed = chunks if isinstance(chunks, list) else [chunks]
    split, ended = _run(inbound.ClientStream(model="m", id="msg_1"), [listed[:cut], listed[cut:]])
    client.assert_coherent(client.events_of(split), ended=ended)
    singly, _ = _run(inbound.ClientStream(model="m", id="msg_1"), [[item] for item in listed])
    assert singly == split, "the grouping of the chunks changed the events"


# --- the properties -------------------------------------------------------------------------


@SETTINGS
@given(body=mutation(REQUESTS))
def test_a_realistic_request_changed_at_one_place_gives_a_hub_request_or_the_translators_error(body):
    with deep_recursion():
        dumps(body)  # the value is one a client could send
    check_request(body)


@SETTINGS
@given(completion=mutation(COMPLETIONS))
def test_a_realistic_hub_answer_changed_at_one_place_gives_a_valid_message_or_the_translators_error(completion):
    check_answer(completion)


@SETTINGS
@given(data=st.data())
def test_a_realistic_hub_stream_changed_at_one_place_gives_coherent_events_or_a_stream_error(data):
    chunks = data.draw(mutation(CHUNK_STREAMS), label="chunks")
    size = len(chunks) if isinstance(chunks, list) else 1
    check_stream(chunks, data.draw(st.integers(0, size), label="cut"))


@settings(SETTINGS, max_examples=50)
@given(document=JSON)
def test_any_json_in_place_of_a_request_answer_or_chunk_gives_a_valid_outcome(document):
    check_request(document)
    check_answer(document)
    check_stream([document], 1)


@pytest.mark.parametrize(
    ("documents", "check"),
    [(REQUESTS, check_request), (COMPLETIONS, check_answer), (CHUNK_STREAMS, lambda chunks: check_stream(chunks, 1))],
    ids=["hub_request", "client_answer", "ClientStream"],
)
def test_every_place_deleted_nulled_wrapped_or_nested_too_deep_gives_a_valid_outcome(documents, check):
    before = dumps(documents)
    for document in documents:
        for mutant in sweep(document):
            check(mutant)
    assert dumps(documents) == before, "a translator changed its input"


def test_a_stream_error_from_the_encoder_is_raised_again_by_every_later_call():
    stream = inbound.ClientStream(model="m", id="msg_1")
    calls = [{"index": 0, "function": {"name": "f"}}, {"index": 1, "function": {"name": "g"}}]
    stream.feed(realistic.chunks({"tool_calls": calls}))
    with pytest.raises(StreamError):
        stream.feed(realistic.chunks({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}))
    with pytest.raises(StreamError):
        stream.close()
