"""Translators are total over JSON: any well-formed JSON gives a valid result or the translator's own error.

Every function that reads upstream or client JSON is fed (a) arbitrary JSON in place of the whole
payload and (b) the realistic payloads of totality_payloads.py with the value at one place (any
key at any depth, any list item) replaced by arbitrary JSON or deleted; a stream has one event
mutated and is fed split at a random byte, then closed. A sweep then changes every place of
every payload in turn, so no place is left to chance. The outcome must be a result, holding to
the hub contract of translators/hub.py where it is a hub dict, or `TranslationError` /
`StreamError`: a TypeError, KeyError or RecursionError escaping a translator is a crash.
Hypothesis runs derandomized and without an example database, so every run checks the same examples.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.translators import totality_payloads as payloads
from tests.translators.hub_check import assert_conforms
from tests.translators.totality_payloads import ERROR_HEADERS, Raw
from translators import anthropic, gemini, hub, responses
from translators import openai as passthrough
from translators.errors import StreamError, TranslationError, UpstreamErrorInfo
from translators.gemini.embeddings import build_embeddings_request, parse_embeddings_response
from translators.sse import SSEDecoder, SSEEvent

# Modest example counts keep the module to seconds; derandomized with no database, CI is repeatable.
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)
FEW = settings(SETTINGS, max_examples=50)

CREATED = 1_760_000_000
NOW = 1_748_779_200.0  # 2025-06-01T12:00:00Z, when the Anthropic reset headers of ERROR_HEADERS are read

# --- arbitrary JSON -------------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


# Keys and short values of the payloads: drawn as arbitrary strings, they reach the branches a
# random string never would ("tool_use", "STOP", "message_start").
WORDS: list[str] = sorted(
    {text for name in dir(payloads) if name.isupper() for text in _strings(getattr(payloads, name)) if len(text) <= 40}
)

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**63, -(2**63) - 1, 2**64, 123456789012345678901234567890]),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
    st.sampled_from(WORDS),
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_TEXT | st.sampled_from(WORDS), children, max_size=4)
    ),
    max_leaves=12,
)


def nested(depth: int, wrap: Callable[[Any], Any]) -> Any:
    value: Any = []
    for _ in range(depth):
        value = wrap(value)
    return value


# Nested about as deep as orjson reads (1024 levels) and deeper than Python can repr() or str()
# at its default recursion limit: a translator that formats a value it did not check into a
# message raises RecursionError on these; orjson writes only 254 levels.
DEEP_LIST = nested(1000, lambda value: [value])
DEEP_OBJECT = nested(1000, lambda value: {"a": value})
DEEP = st.sampled_from([DEEP_LIST, DEEP_OBJECT])


@contextlib.contextmanager
def deep_recursion() -> Iterator[None]:
    """Room for the test itself to copy and write `DEEP` values; translators run at the usual limit."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 5000)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def dumps(value: Any) -> str:
    with deep_recursion():
        return json.dumps(value, ensure_ascii=False)


def as_body(value: Any) -> bytes:
    return dumps(value).encode()


def encode_event(name: str, data: Any) -> bytes:
    """One event as SSE bytes; a "message" event is written without a name."""
    text = data if isinstance(data, Raw) else dumps(data)
    head = "" if name == "message" else f"event: {name}\n"
    return f"{head}data: {text}\n\n".encode()


def encode_events(events: list[tuple[str, Any]]) -> bytes:
    return b"".join(encode_event(name, data) for name, data in events)


# --- one place changed ----------------------------------------------------------------------------

DELETE = object()


def places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document: the root, then each key's value and list item, at every depth."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from places(item, (*path, index))


def value_at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    """`document` with the value at `path` replaced by `value`, or removed for DELETE; copied along `path` only."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    out = list(document) if isinstance(document, list) else dict(document)
    if rest:
        out[head] = replaced(document[head], rest, value)
    elif value is DELETE:
        del out[head]
    else:
        out[head] = value
    return out


@st.composite
def change(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one place deleted or replaced: by arbitrary JSON, by its old value wrapped in
    a list or an object (the right value in the wrong shape), or by a value nested too deep.
    DELETE itself when the place is the root and it is deleted."""
    path = draw(st.sampled_from(list(places(document))))
    old = value_at(document, path)
    value = draw(st.one_of(st.just(DELETE), JSON, st.just([old]), st.just({"value": old}), DEEP))
    # Not copied beyond `path`: the sweeps below check that no translator changes its input.
    return DELETE if value is DELETE and not path else replaced(document, path, value)


@st.composite
def mutation(draw: st.DrawFn, document: Any) -> Any:
    mutant = draw(change(document))
    return None if mutant is DELETE else mutant


def mutated(documents: list[Any]) -> st.SearchStrategy[Any]:
    return st.sampled_from(documents).flatmap(mutation)


@st.composite
def mutated_stream(draw: st.DrawFn, streams: list[list[tuple[str, Any]]]) -> tuple[bytes, int]:
    """A recorded stream with one event's data mutated (deleted at its root: the event dropped),
    and a byte to split it at."""
    events = list(draw(st.sampled_from(streams)))
    index = draw(st.integers(0, len(events) - 1))
    name, data = events[index]
    mutant = draw(change(data))
    if mutant is DELETE:
        del events[index]
    else:
        events[index] = (name, mutant)
    stream = encode_events(events)
    return stream, draw(st.integers(0, len(stream)))


@st.composite
def arbitrary_stream(draw: st.DrawFn, names: list[str]) -> tuple[bytes, int]:
    """A few events of arbitrary JSON under the stream's event names, and a byte to split it at."""
    events = draw(st.lists(st.tuples(st.sampled_from(["message", *names]), JSON), max_size=5))
    stream = encode_events(events)
    return stream, draw(st.integers(0, len(stream)))


def sweep(document: Any) -> Iterator[Any]:
    """`document` with each place in turn deleted, set to null, wrapped in a list, or nested too deep."""
    for path in places(document):
        old = value_at(document, path)
        for value in (DELETE, None, [old], DEEP_LIST):
            if path or value is not DELETE:
                yield replaced(document, path, value)


def stream_sweep(events: list[tuple[str, Any]]) -> Iterator[bytes]:
    """The stream with each event in turn dropped, or swept as `sweep` does."""
    encoded = [encode_event(name, data) for name, data in events]
    for index, (name, data) in enumerate(events):
        before, after = b"".join(encoded[:index]), b"".join(encoded[index + 1 :])
        yield before + after
        for mutant in sweep(data):
            yield before + encode_event(name, mutant) + after


# --- what a valid outcome is ----------------------------------------------------------------------


def serializable(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return True


def assert_valid_info(info: Any) -> None:
    assert isinstance(info, UpstreamErrorInfo)
    assert isinstance(info.status, int) and not isinstance(info.status, bool) and 100 <= info.status <= 599
    assert isinstance(info.type, str) and info.type
    assert isinstance(info.message, str) and info.message
    assert info.code is None or isinstance(info.code, str)
    retry = info.retry_after
    assert retry is None or (isinstance(retry, float | int) and math.isfinite(retry) and retry >= 0)


def outcome(call: Callable[[], Any]) -> Any:
    """What `call` returns, or None when it raised the translator's own error."""
    try:
        return call()
    except StreamError as error:
        assert_valid_info(error.info)
        return None
    except TranslationError as error:
        assert isinstance(error.message, str)
        return None


def run_stream(machine: Any, stream: bytes, cut: int) -> list[Any]:
    """What the machine hands out for `stream` split at `cut` and closed, up to its error if it raises one."""
    out: list[Any] = []

    def feed() -> None:
        out.extend(machine.feed(stream[:cut]))
        out.extend(machine.feed(stream[cut:]))
        out.extend(machine.close())

    outcome(feed)
    return out


def answer_checker(module: Any) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        answer = outcome(lambda: module.parse_response(payload, model="m", created=CREATED, id="chatcmpl-gw"))
        if answer is not None:
            assert_conforms(answer, hub.ChatCompletion)
            assert serializable(answer) or not serializable(payload)

    return check


def request_checker(module: Any) -> Callable[[Any], None]:
    """A dialect's `build_request`, and its `ignored_fields`, which reads the same body."""

    def check(body: Any) -> None:
        request = outcome(lambda: module.build_request(body, upstream_model="upstream-model"))
        assert request is None or isinstance(request, dict)
        assert request is None or serializable(request) or not serializable(body)
        paths = module.ignored_fields(body)
        assert isinstance(paths, tuple) and all(isinstance(path, str) for path in paths)

    return check


def check_embeddings_request(body: Any) -> None:
    request = outcome(lambda: build_embeddings_request(body, upstream_model="gemini-embedding-001"))
    if request is not None:
        path, upstream = request
        assert isinstance(path, str) and isinstance(upstream, dict)
        assert serializable(upstream) or not serializable(body)


def check_openai_request(body: Any) -> None:
    request = outcome(lambda: passthrough.build_request(body, upstream_model="upstream-model", stream=True))
    assert request is None or isinstance(request, dict)
    assert isinstance(passthrough.client_wants_usage(body), bool)


def error_checker(parse: Callable[..., UpstreamErrorInfo]) -> Callable[[Any], None]:
    """parse_error never raises: every body, with each set of realistic headers, gives info."""

    def check(body: Any) -> None:
        raw = as_body(body)
        # Mostly 429s: only those read the rate-limit reset headers.
        for status, headers in zip([429, 503, 429, 400], ERROR_HEADERS, strict=True):
            assert_valid_info(parse(status, headers, raw))

    return check


def check_embeddings(payload: Any) -> None:
    for encoding in ("float", "base64"):
        answer = outcome(partial(parse_embeddings_response, payload, model="m", encoding_format=encoding))
        if answer is None:
            continue
        assert answer["object"] == "list" and answer["model"] == "m"
        for index, item in enumerate(answer["data"]):
            assert item["object"] == "embedding" and item["index"] == index
            vector = item["embedding"]
            numbers = all(isinstance(value, int | float) and not isinstance(value, bool) for value in vector)
            assert isinstance(vector, str) if encoding == "base64" else numbers
        assert all(isinstance(count, int) and not isinstance(count, bool) for count in answer["usage"].values())
        assert serializable(answer) or not serializable(payload)


def check_rewrite(payload: Any) -> None:
    result = outcome(lambda: passthrough.rewrite_response(as_body(payload), model="m"))
    if result is not None:
        body, usage = result
        assert isinstance(json.loads(body), dict)
        assert usage is None or isinstance(usage, dict)


def decoder_checker(machine: Callable[[], Any]) -> Callable[[bytes, int], None]:
    def check(stream: bytes, cut: int) -> None:
        for item in run_stream(machine(), stream, cut):
            assert_conforms(item, hub.ChatCompletionChunk)
            assert serializable(item)

    return check


def check_passthrough_stream(stream: bytes, cut: int) -> None:
    for keep_usage in (False, True):
        machine = passthrough.PassthroughStream(model="m", keep_usage=keep_usage)
        for event in run_stream(machine, stream, cut):
            assert event.startswith(b"data: ") and event.endswith(b"\n\n")
            data = event[len(b"data: ") : -2]
            assert data == b"[DONE]" or isinstance(json.loads(data), dict)
        assert machine.usage is None or isinstance(machine.usage, dict)


def check_chunk_decoder(stream: bytes, cut: int) -> None:
    # Chunks are the upstream's own, extra fields and all: they are objects, not hub-checked.
    assert all(isinstance(item, dict) for item in run_stream(passthrough.ChunkDecoder(model="m"), stream, cut))


# --- the functions under test ---------------------------------------------------------------------


PARSE_ERRORS: dict[str, Callable[..., UpstreamErrorInfo]] = {
    # With the clock, as the gateway calls it: the reset timestamps count only then.
    "anthropic": partial(anthropic.parse_error, now=NOW),
    "gemini": gemini.parse_error,
    "responses": responses.parse_error,
    "openai": passthrough.parse_error,
}

# Functions of one JSON document: its realistic values, and the check of one outcome.
DOCUMENTS: dict[str, tuple[list[Any], Callable[[Any], None]]] = {
    "anthropic.parse_response": (payloads.ANTHROPIC_ANSWERS, answer_checker(anthropic)),
    "anthropic.build_request": (payloads.ANTHROPIC_REQUESTS, request_checker(anthropic)),
    "anthropic.parse_error": (payloads.ANTHROPIC_ERRORS, error_checker(PARSE_ERRORS["anthropic"])),
    "gemini.parse_response": (payloads.GEMINI_ANSWERS, answer_checker(gemini)),
    "gemini.build_request": (payloads.GEMINI_REQUESTS, request_checker(gemini)),
    "gemini.parse_error": (payloads.GEMINI_ERRORS, error_checker(PARSE_ERRORS["gemini"])),
    "gemini.parse_embeddings_response": (payloads.EMBEDDING_ANSWERS, check_embeddings),
    "gemini.build_embeddings_request": (payloads.EMBEDDING_REQUESTS, check_embeddings_request),
    "responses.parse_response": (payloads.RESPONSES_ANSWERS, answer_checker(responses)),
    "responses.build_request": (payloads.RESPONSES_REQUESTS, request_checker(responses)),
    "responses.parse_error": (payloads.OPENAI_ERRORS, error_checker(PARSE_ERRORS["responses"])),
    "openai.rewrite_response": (payloads.OPENAI_ANSWERS, check_rewrite),
    "openai.build_request": (payloads.OPENAI_REQUESTS, check_openai_request),
    "openai.parse_error": (payloads.OPENAI_ERRORS, error_checker(PARSE_ERRORS["openai"])),
}


def _decoder(module: Any) -> Callable[[bytes, int], None]:
    return decoder_checker(lambda: module.StreamDecoder(model="m", created=CREATED, id="chatcmpl-gw"))


# Stream machines: recorded streams as (event name, data) lists, and the check of one run.
STREAMS: dict[str, tuple[list[list[tuple[str, Any]]], Callable[[bytes, int], None]]] = {
    "anthropic.StreamDecoder": (payloads.ANTHROPIC_STREAMS, _decoder(anthropic)),
    "gemini.StreamDecoder": (payloads.GEMINI_STREAMS, _decoder(gemini)),
    "responses.StreamDecoder": (payloads.RESPONSES_STREAMS, _decoder(responses)),
    "openai.PassthroughStream": (payloads.OPENAI_STREAMS, check_passthrough_stream),
    "openai.ChunkDecoder": (payloads.OPENAI_STREAMS, check_chunk_decoder),
}


# --- the properties -------------------------------------------------------------------------------


@pytest.mark.parametrize("function", DOCUMENTS)
@SETTINGS
@given(data=st.data())
def test_a_realistic_payload_changed_at_one_place_gives_a_valid_result_or_the_translators_error(function, data):
    documents, check = DOCUMENTS[function]
    check(data.draw(mutated(documents), label="payload"))


@pytest.mark.parametrize("function", DOCUMENTS)
@FEW
@given(document=JSON)
def test_any_json_in_place_of_the_payload_gives_a_valid_result_or_the_translators_error(function, document):
    DOCUMENTS[function][1](document)


@pytest.mark.parametrize("machine", STREAMS)
@SETTINGS
@given(data=st.data())
def test_a_recorded_stream_with_one_event_changed_split_anywhere_gives_valid_output_or_the_translators_error(
    machine, data
):
    streams, check = STREAMS[machine]
    check(*data.draw(mutated_stream(streams), label="stream, cut"))


@pytest.mark.parametrize("machine", STREAMS)
@FEW
@given(data=st.data())
def test_a_stream_of_any_json_events_split_anywhere_gives_valid_output_or_the_translators_error(machine, data):
    streams, check = STREAMS[machine]
    names = sorted({name for events in streams for name, _ in events})
    check(*data.draw(arbitrary_stream(names), label="stream, cut"))


# Header values at the edges of the retry hints: numbers and durations too long for a double,
# non-numbers, dates at the ends of the calendar, digits of other scripts.
EDGE_HEADER_VALUES: list[str] = [
    "", " 0 ", "-1", "nan", "inf", "1e400", "9" * 400, "9" * 400 + "s", "1" * 30 + "ms", "1h2m3.5s", "1_0",
    "\u0661\u0662", "2025-06-01T12:00:30Z", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
]  # fmt: skip
HEADER_NAMES: list[str] = sorted({name for headers in ERROR_HEADERS for name in headers})
HEADER_VALUES = st.one_of(_TEXT, st.sampled_from(EDGE_HEADER_VALUES))


@pytest.mark.parametrize("dialect", PARSE_ERRORS)
@FEW
@given(
    body=JSON,
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_VALUES),
    status=st.sampled_from([400, 401, 403, 404, 413, 429, 500, 503, 529]),
)
def test_parse_error_of_any_json_and_any_header_values_gives_error_info(dialect, body, headers, status):
    assert_valid_info(PARSE_ERRORS[dialect](status, headers, as_body(body)))


# Bytes that make SSE structure: field names, separators, line ends in all three spellings, and
# bytes that are not UTF-8.
SSE_PIECES = st.sampled_from(
    [b"data", b"event", b"id", b"retry", b":", b": ", b" ", b"\r", b"\n", b"\r\n", b"\x00", b"\xff", b"\xc3", b"x"]
)


@SETTINGS
@given(
    stream=st.one_of(st.binary(max_size=200), st.lists(SSE_PIECES, max_size=40).map(b"".join)),
    cuts=st.lists(st.integers(0, 200), max_size=4),
)
def test_sse_decoder_reads_any_bytes_split_anywhere_into_the_same_events(stream, cuts):
    whole = SSEDecoder()
    expected = whole.feed(stream) + whole.close()
    pieces, start = [], 0
    for cut in sorted({min(cut, len(stream)) for cut in cuts}):
        pieces.append(stream[start:cut])
        start = cut
    pieces.append(stream[start:])
    split = SSEDecoder()
    assert [event for piece in pieces for event in split.feed(piece)] + split.close() == expected
    for event in expected:
        assert isinstance(event, SSEEvent) and isinstance(event.data, str) and isinstance(event.event, str)


# --- shapes that crashed translators before they were total -----------------------------------------


def _gemini_text(**candidate: Any) -> dict[str, Any]:
    return {"candidates": [{"content": {"parts": [{"text": "Hi"}], "role": "model"}, **candidate}]}


def _first_event_type(value: Any) -> bytes:
    return b"event: message_start\ndata: " + orjson.dumps({"type": value, "message": {"id": "msg_1"}}) + b"\n\n"


def _decode(module: Any, stream: bytes) -> list[Any]:
    machine = module.StreamDecoder(model="m", created=CREATED, id="x")
    return machine.feed(stream) + machine.close()


@pytest.mark.parametrize(
    "call",
    [
        partial(gemini.parse_response, _gemini_text(finishReason=["STOP"]), model="m", created=CREATED, id="x"),
        partial(gemini.parse_response, {**_gemini_text(), "usageMetadata": [1]}, model="m", created=CREATED, id="x"),
        partial(_decode, gemini, b"data: " + orjson.dumps(_gemini_text(index={"n": 0})) + b"\n\n"),
        partial(_decode, anthropic, _first_event_type(["message_start"])),
        partial(anthropic.build_request, {"messages": [{"role": ["user"], "content": "Hi"}]}, upstream_model="u"),
        partial(responses.build_request, {"messages": [{"role": "user", "content": "Hi"}], "reasoning_effort": DEEP_LIST},
                upstream_model="u"),
        partial(responses.parse_response, {"status": ["completed"], "output": []}, model="m", created=CREATED, id="x"),
        partial(parse_embeddings_response, {"embedding": {"values": ["0.5"]}}, model="m", encoding_format="base64"),
    ],
    ids=["gemini-finish-reason-list", "gemini-usage-list", "gemini-index-object", "anthropic-type-list",
         "anthropic-role-list", "responses-effort-too-deep", "responses-status-list", "embedding-value-string"],
)  # fmt: skip
def test_json_of_an_unexpected_shape_is_the_translators_error_not_a_crash(call):
    with pytest.raises(TranslationError):
        call()


def test_values_nested_deeper_than_orjson_writes_or_python_prints_give_an_answer_or_the_translators_error():
    deep = nested(300, lambda value: [value])
    answer = {"id": "chatcmpl-1", "model": "real", "choices": [], "extra": deep}
    body, _ = passthrough.rewrite_response(as_body(answer), model="alias")
    assert json.loads(body) == {**answer, "model": "alias"}
    assert passthrough.parse_error(500, {}, as_body({"error": {"message": DEEP_LIST}})).message == (
        "upstream answered HTTP 500"
    )
    call = {"functionCall": {"name": "get_weather", "args": {"city": deep}}}
    with pytest.raises(TranslationError):
        gemini.parse_response({"candidates": [{"content": {"parts": [call]}}]}, model="m", created=CREATED, id="x")


# --- every place, in turn -------------------------------------------------------------------------


@pytest.mark.parametrize("function", DOCUMENTS)
def test_every_place_of_every_payload_deleted_nulled_wrapped_or_nested_too_deep_gives_a_valid_outcome(function):
    documents, check = DOCUMENTS[function]
    before = dumps(documents)
    for document in documents:
        for mutant in sweep(document):
            check(mutant)
    assert dumps(documents) == before, "a translator changed its input"


@pytest.mark.parametrize("machine", STREAMS)
def test_every_place_of_every_stream_event_dropped_nulled_wrapped_or_nested_too_deep_gives_a_valid_outcome(machine):
    streams, check = STREAMS[machine]
    for events in streams:
        for stream in stream_sweep(events):
            check(stream, len(stream))


@pytest.mark.parametrize("dialect", PARSE_ERRORS)
def test_every_retry_header_at_every_edge_value_gives_error_info_with_a_finite_delay(dialect):
    body = as_body(payloads.OPENAI_ERRORS[0])
    for name in HEADER_NAMES:
        for value in EDGE_HEADER_VALUES:
            # Alone, and with its limit exhausted: each is the only hint the answer gives.
            remaining = name.replace("-reset", "-remaining")
            for headers in ({name: value}, {name: value, remaining: "0"}):
                assert_valid_info(PARSE_ERRORS[dialect](429, headers, body))


# --- the payloads themselves ----------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["anthropic", "gemini", "responses"])
def test_every_realistic_answer_stream_and_request_translates_before_it_is_changed(dialect):
    module = {"anthropic": anthropic, "gemini": gemini, "responses": responses}[dialect]
    for payload in getattr(payloads, f"{dialect.upper()}_ANSWERS"):
        if payload.get("status") == "failed":
            with pytest.raises(TranslationError):
                module.parse_response(payload, model="m", created=CREATED, id="x")
        else:
            assert_conforms(module.parse_response(payload, model="m", created=CREATED, id="x"), hub.ChatCompletion)
    for events in getattr(payloads, f"{dialect.upper()}_STREAMS"):
        machine = module.StreamDecoder(model="m", created=CREATED, id="x")
        stream = encode_events(events)
        if any(name in ("error", "response.failed") or "error" in data for name, data in events):
            with pytest.raises(StreamError):
                machine.feed(stream) + machine.close()
        else:
            assert machine.feed(stream) + machine.close()
    for body in getattr(payloads, f"{dialect.upper()}_REQUESTS"):
        assert isinstance(module.build_request(body, upstream_model="upstream-model"), dict)
        assert module.ignored_fields(body) == ()


def test_every_realistic_embedding_and_passthrough_payload_translates_before_it_is_changed():
    for body in payloads.EMBEDDING_REQUESTS:
        build_embeddings_request(body, upstream_model="gemini-embedding-001")
    for payload in payloads.EMBEDDING_ANSWERS:
        parse_embeddings_response(payload, model="m")
    for answer in payloads.OPENAI_ANSWERS:
        passthrough.rewrite_response(as_body(answer), model="m")
    for body in payloads.OPENAI_REQUESTS:
        passthrough.build_request(body, upstream_model="u", stream=True)
    whole, failing = payloads.OPENAI_STREAMS
    machine = passthrough.PassthroughStream(model="m", keep_usage=True)
    assert len(machine.feed(encode_events(whole)) + machine.close()) == len(whole)
    failing_stream = passthrough.PassthroughStream(model="m", keep_usage=True)
    with pytest.raises(StreamError):
        # The events before the error are handed out first; the error comes with the next call.
        failing_stream.feed(encode_events(failing))
        failing_stream.close()
