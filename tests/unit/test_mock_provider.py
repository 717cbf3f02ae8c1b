"""The built-in mock provider: OpenAI-shaped answers (checked with the official SDK's models),
streams, injected failures, embeddings, refusals, and the transport's counter, delays and close."""

from __future__ import annotations

import base64
import random
import struct
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from gateway.config.entries import MockEntry
from gateway.upstream import mock
from gateway.upstream.mock import MockReply, MockTransport, mock_reply
from translators.openai import PassthroughStream, parse_error
from translators.sse import SSEDecoder

ENTRY = MockEntry()
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["city", "unit"],
        },
    },
}
SEARCH = {
    "type": "function",
    "function": {
        "name": "search",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
}


def chat_body(text: Any = "Hello there, mock!", **extra: Any) -> dict[str, Any]:
    return {"model": "mock-1", "messages": [{"role": "user", "content": text}], **extra}


def reply(body: Any, path: str = "/chat/completions", entry: MockEntry = ENTRY, number: int = 1) -> MockReply:
    return mock_reply(path, body, entry, request_number=number, created=1_700_000_000, id="chatcmpl-test")


def whole(body: Any, path: str = "/chat/completions", entry: MockEntry = ENTRY) -> dict[str, Any]:
    answer = reply(body, path, entry)
    assert answer.status == 200 and answer.chunks == ()
    assert dict(answer.headers)["content-type"] == "application/json"
    document: dict[str, Any] = orjson.loads(answer.body)
    return document


def events(body: Any, path: str = "/chat/completions", entry: MockEntry = ENTRY) -> list[dict[str, Any]]:
    """The stream's events as a client's SSE parser sees them; checks the `[DONE]` ending."""
    answer = reply({**body, "stream": True}, path, entry)
    assert answer.status == 200 and answer.body == b""
    assert dict(answer.headers)["content-type"].startswith("text/event-stream")
    assert all(chunk.startswith(b"data: ") and chunk.endswith(b"\n\n") for chunk in answer.chunks)
    decoder = SSEDecoder()
    data = [event.data for chunk in answer.chunks for event in decoder.feed(chunk)] + decoder.close()
    assert data[-1] == "[DONE]" and "[DONE]" not in data[:-1]
    return [orjson.loads(item) for item in data[:-1]]


def assemble(chunks: list[dict[str, Any]]) -> Any:
    """Runs the chunks through the official SDK's accumulator, as a client would.

    The snapshot, not `get_final_completion()`: that one refuses a finish_reason "length"."""
    state = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    return state.current_completion_snapshot


def error_of(answer: MockReply) -> dict[str, Any]:
    assert dict(answer.headers)["content-type"] == "application/json" and answer.chunks == ()
    error: dict[str, Any] = orjson.loads(answer.body)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


# -- whole chat answers ----------------------------------------------------------------------


def test_whole_chat_answer_has_the_openai_shape_and_parses_with_the_sdk():
    document = whole(chat_body())
    completion = ChatCompletion.model_validate(document)
    assert (completion.id, completion.object, completion.created, completion.model) == (
        "chatcmpl-test",
        "chat.completion",
        1_700_000_000,
        "mock-1",
    )
    assert document["system_fingerprint"] is None
    assert document["choices"] == [
        {
            "index": 0,
            "logprobs": None,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": document["choices"][0]["message"]["content"], "refusal": None},
        }
    ]
    usage = document["usage"]
    assert usage["prompt_tokens"] == 3 + 1  # three words, one message
    assert usage["completion_tokens"] == len(completion.choices[0].message.content.split())
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0}
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 0}


def test_same_request_gives_the_same_bytes():
    assert reply(chat_body()) == reply(chat_body())


def test_chat_answer_echoes_a_bounded_prefix_of_the_last_user_message():
    body = {
        "model": "mock-1",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": "second   question\nhere"},
        ],
    }
    assert "second question here" in whole(body)["choices"][0]["message"]["content"]
    long = "word " * 100
    content = whole(chat_body(long))["choices"][0]["message"]["content"]
    assert long[:60] in content and len(content) < 130


def test_non_text_parts_are_counted_not_echoed():
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    ]
    content = whole(chat_body(parts))["choices"][0]["message"]["content"]
    assert "What is this?" in content and "2 images" in content
    assert "base64" not in content and "example.com" not in content


def test_a_fixed_reply_replaces_the_echo():
    entry = MockEntry(reply="Always the same.")
    assert whole(chat_body("anything"), entry=entry)["choices"][0]["message"]["content"] == "Always the same."


def test_offered_tool_is_called_with_its_required_arguments_and_first_enum_value():
    document = whole(chat_body("weather in Paris?", tools=[WEATHER, SEARCH]))
    ChatCompletion.model_validate(document)
    choice = document["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    [call] = choice["message"]["tool_calls"]
    assert call["id"].startswith("call_") and call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    assert orjson.loads(call["function"]["arguments"]) == {"city": "mock", "unit": "celsius"}
    assert document["usage"]["completion_tokens"] == len(call["function"]["arguments"]) // 4
    assert whole(chat_body("weather in Paris?", tools=[WEATHER]))["choices"][0]["message"]["tool_calls"] == [call]


def test_without_required_properties_every_property_gets_a_placeholder_of_its_type():
    properties = {
        "s": {"type": "string"},
        "i": {"type": "integer"},
        "n": {"type": "number"},
        "b": {"type": "boolean"},
        "a": {"type": "array", "items": {"type": "string"}},
        "o": {"type": "object"},
        "maybe": {"type": ["null", "integer"]},
        "e": {"enum": [3, 4]},
        "nested": {"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]},
    }
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": properties}}}
    call = whole(chat_body(tools=[tool]))["choices"][0]["message"]["tool_calls"][0]
    assert orjson.loads(call["function"]["arguments"]) == {
        "s": "mock",
        "i": 1,
        "n": 1,
        "b": True,
        "a": [],
        "o": {},
        "maybe": 1,
        "e": 3,
        "nested": {"x": True},
    }


def test_tool_choice_names_the_function_or_turns_tools_off():
    named = {"type": "function", "function": {"name": "search"}}
    call = whole(chat_body(tools=[WEATHER, SEARCH], tool_choice=named))["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "search" and orjson.loads(call["function"]["arguments"]) == {"query": "mock"}
    text = whole(chat_body(tools=[WEATHER], tool_choice="none"))["choices"][0]
    assert text["finish_reason"] == "stop" and "tool_calls" not in text["message"]
    missing = reply(chat_body(tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "nope"}}))
    assert missing.status == 400 and error_of(missing)["param"] == "tool_choice"


def test_after_a_tool_result_the_answer_is_text_mentioning_the_result():
    body = {
        "model": "mock-1",
        "tools": [WEATHER],
        "messages": [
            {"role": "user", "content": "weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris", "unit": "celsius"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"temperature": 21, "sky": "clear"}' + " x" * 200},
        ],
    }
    choice = whole(body)["choices"][0]
    assert choice["finish_reason"] == "stop" and "tool_calls" not in choice["message"]
    assert '{"temperature": 21, "sky": "clear"}' in choice["message"]["content"]
    assert len(choice["message"]["content"]) < 130


def test_n_gives_that_many_identical_choices_and_counts_their_tokens():
    single = whole(chat_body())
    document = whole(chat_body(n=3))
    assert [choice["index"] for choice in document["choices"]] == [0, 1, 2]
    assert {orjson.dumps(choice["message"]) for choice in document["choices"]} == {
        orjson.dumps(single["choices"][0]["message"])
    }
    assert document["usage"]["completion_tokens"] == 3 * single["usage"]["completion_tokens"]


@pytest.mark.parametrize("limit", ["max_tokens", "max_completion_tokens"])
def test_token_limit_truncates_to_that_many_words_with_finish_reason_length(limit):
    choice = whole(chat_body(**{limit: 3}))["choices"][0]
    assert choice["message"]["content"] == "This is a" and choice["finish_reason"] == "length"
    assert whole(chat_body(**{limit: 1000}))["choices"][0]["finish_reason"] == "stop"


# -- streams ---------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [{}, {"n": 2}, {"max_tokens": 4}, {"stream_options": {"include_usage": True}}])
def test_stream_events_parse_and_join_to_the_whole_answers_text(extra):
    document = whole(chat_body(**extra))
    chunks = events(chat_body(**extra))
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(
        chunk["id"] == "chatcmpl-test"
        and chunk["object"] == "chat.completion.chunk"
        and chunk["created"] == 1_700_000_000
        and chunk["model"] == "mock-1"
        for chunk in chunks
    )
    content = [chunk for chunk in chunks if chunk["choices"] and chunk["choices"][0]["delta"].get("content")]
    assert len(content) >= 2  # split into pieces of a few words
    assembled = assemble(chunks)
    assert [choice.message.content for choice in assembled.choices] == [
        choice["message"]["content"] for choice in document["choices"]
    ]
    assert [choice.finish_reason for choice in assembled.choices] == [
        choice["finish_reason"] for choice in document["choices"]
    ]
    finish = [chunk for chunk in chunks if chunk["choices"] and chunk["choices"][0]["finish_reason"]]
    assert all(chunk["choices"][0]["delta"] == {} for chunk in finish)


def test_tool_call_stream_assembles_to_the_whole_answers_tool_call():
    body = chat_body(tools=[WEATHER])
    expected = whole(body)["choices"][0]["message"]["tool_calls"][0]
    chunks = events(body)
    header = chunks[1]["choices"][0]["delta"]["tool_calls"][0]
    assert header == {
        "index": 0,
        "id": expected["id"],
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    fragments = [chunk["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for chunk in chunks[2:-1]]
    assert len(fragments) >= 2 and all(fragments)
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}
    [call] = assemble(chunks).choices[0].message.tool_calls
    assert (call.id, call.function.name) == (expected["id"], "get_weather")
    assert orjson.loads(call.function.arguments) == {"city": "mock", "unit": "celsius"}


def test_usage_chunk_and_null_usage_fields_come_only_with_include_usage():
    plain = events(chat_body())
    assert all("usage" not in chunk and chunk["choices"] for chunk in plain)
    counted = events(chat_body(stream_options={"include_usage": True}))
    *rest, last = counted
    assert all(chunk["usage"] is None and chunk["choices"] for chunk in rest)
    assert last["choices"] == [] and last["usage"] == whole(chat_body())["usage"]
    assert ChatCompletionChunk.model_validate(last).usage.total_tokens == last["usage"]["total_tokens"]


def test_gateway_passthrough_stream_relays_the_mock_stream_and_meters_it():
    answer = reply(chat_body(stream=True, stream_options={"include_usage": True}))
    relay = PassthroughStream(model="client-model", keep_usage=False)
    out = [piece for chunk in answer.chunks for piece in relay.feed(chunk)] + relay.close()
    assert out[-1] == b"data: [DONE]\n\n"
    assert relay.usage == whole(chat_body())["usage"]


# -- failures and refusals -------------------------------------------------------------------


def test_every_fail_every_th_request_is_a_429_with_retry_after_rounded_up():
    entry = MockEntry(fail_every=3, fail_status=429, retry_after_seconds=1.2)
    statuses = [reply(chat_body(), entry=entry, number=number).status for number in range(1, 7)]
    assert statuses == [200, 200, 429, 200, 200, 429]
    failed = reply(chat_body(stream=True), entry=entry, number=3)
    assert dict(failed.headers)["retry-after"] == "2"
    error = error_of(failed)
    assert error["type"] == "rate_limit_error" and "mock failure" in error["message"]
    info = parse_error(429, dict(failed.headers), failed.body)
    assert (info.type, info.code) == ("rate_limit_error", "rate_limit_exceeded")


def test_fail_status_503_is_a_server_error_without_retry_after():
    entry = MockEntry(fail_every=1, fail_status=503, retry_after_seconds=5)
    failed = reply(chat_body(), entry=entry)
    assert failed.status == 503 and "retry-after" not in dict(failed.headers)
    assert error_of(failed)["type"] == "server_error"
    assert error_of(reply(chat_body(), entry=MockEntry(fail_every=1, fail_status=400)))["type"] == (
        "invalid_request_error"
    )


def test_unknown_path_is_a_404_in_the_error_envelope():
    answer = reply(chat_body(), path="/images/generations")
    assert answer.status == 404 and "/images/generations" in error_of(answer)["message"]


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/chat/completions", [1, 2], None),
        ("/chat/completions", "text", None),
        ("/chat/completions", {"model": "mock-1"}, "messages"),
        ("/chat/completions", {"model": "mock-1", "messages": []}, "messages"),
        ("/chat/completions", {"model": "mock-1", "messages": "hi"}, "messages"),
        ("/chat/completions", {"model": "mock-1", "messages": ["hi"]}, "messages[0]"),
        ("/chat/completions", {"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ("/chat/completions", chat_body(n=0), "n"),
        ("/chat/completions", chat_body(max_tokens="ten"), "max_tokens"),
        ("/chat/completions", chat_body(max_completion_tokens=True), "max_completion_tokens"),
        ("/chat/completions", chat_body(tools={"type": "function"}), "tools"),
        ("/completions", {"model": "mock-1", "prompt": [1, 2, 3]}, "prompt"),
        ("/embeddings", {"model": "mock-1", "input": []}, "input"),
        ("/embeddings", {"model": "mock-1", "input": "x", "dimensions": 10**9}, "dimensions"),
        ("/embeddings", {"model": "mock-1", "input": "x", "encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_malformed_requests_get_a_400_naming_what_is_wrong(path, body, param):
    answer = reply(body, path)
    assert answer.status == 400
    error = error_of(answer)
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]


ODD = [
    None,
    True,
    False,
    0,
    -1,
    2,
    1.5,
    "",
    "x",
    "none",
    "tool",
    [],
    {},
    [None],
    [1],
    ["x"],
    [{}],
    {"type": "text"},
    {"type": "text", "text": 5},
    {"type": "function"},
    {"type": "function", "function": {}},
    {"type": "function", "function": {"name": "f", "parameters": {"properties": [], "required": "x"}}},
    {
        "type": "function",
        "function": {
            "name": "f",
            "parameters": {
                "properties": {"a": {"type": 7}, "b": {"anyOf": []}, "c": {"enum": []}},
                "required": ["a", "b", "c", 1],
            },
        },
    },
    {"role": "tool"},
    {"role": "user", "content": [{"type": "image_url"}, "x", None]},
    {"include_usage": True},
    "\u2028\x00\ud7ff",
]


def odd_body(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return rng.choice(ODD)
    keys = [
        "model",
        "messages",
        "tools",
        "tool_choice",
        "n",
        "max_tokens",
        "max_completion_tokens",
        "stream",
        "stream_options",
        "prompt",
        "input",
        "dimensions",
        "encoding_format",
    ]
    # Valid for all three endpoints until some keys get odd values.
    body: dict[str, Any] = {
        "model": "mock-1",
        "messages": [{"role": "user", "content": "hi"}],
        "prompt": "hi",
        "input": "hi",
        "stream": rng.random() < 0.5,
    }
    for key in rng.sample(keys, rng.randint(1, 3)):
        body[key] = rng.choice(ODD)
    if rng.random() < 0.5:
        body["messages"] = [
            rng.choice(ODD)
            if rng.random() < 0.3
            else {"role": rng.choice(["user", "tool", "assistant", 5]), "content": rng.choice(ODD)}
            for _ in range(rng.randint(1, 3))
        ]
    return body


def test_odd_json_values_anywhere_never_raise_and_always_give_json_or_sse():
    rng = random.Random(20240611)
    statuses: dict[tuple[str, int, bool], int] = {}
    for _ in range(1500):
        body = odd_body(rng)
        for path in ("/chat/completions", "/completions", "/embeddings"):
            answer = reply(body, path)
            assert answer.status in (200, 400), (path, body)
            if answer.chunks:
                assert answer.chunks[-1] == b"data: [DONE]\n\n"
                chunks = [orjson.loads(chunk[len(b"data: ") :]) for chunk in answer.chunks[:-1]]
                if path == "/chat/completions":
                    assemble(chunks)
            elif answer.status == 200 and path == "/chat/completions":
                ChatCompletion.model_validate(orjson.loads(answer.body))
            else:
                orjson.loads(answer.body)
            statuses[path, answer.status, bool(answer.chunks)] = (
                statuses.get((path, answer.status, bool(answer.chunks)), 0) + 1
            )
    # The generator reaches every kind of answer, not only refusals.
    assert all(statuses.get((path, 200, False)) for path in ("/chat/completions", "/completions", "/embeddings"))
    assert statuses.get(("/chat/completions", 200, True)) and statuses.get(("/completions", 200, True))


# -- embeddings and legacy completions -------------------------------------------------------


def test_embeddings_are_deterministic_unit_vectors_honouring_dimensions():
    document = whole({"model": "embed-1", "input": ["alpha", "beta gamma"]}, "/embeddings")
    parsed = CreateEmbeddingResponse.model_validate(document)
    assert parsed.model == "embed-1" and [item.index for item in parsed.data] == [0, 1]
    first, second = (item.embedding for item in parsed.data)
    assert len(first) == 8 and first != second
    assert sum(value * value for value in first) == pytest.approx(1.0, abs=1e-5)
    assert whole({"model": "embed-1", "input": "alpha"}, "/embeddings")["data"][0]["embedding"] == first
    assert document["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    sized = whole({"model": "embed-1", "input": "alpha", "dimensions": 5}, "/embeddings")
    assert len(sized["data"][0]["embedding"]) == 5


def test_base64_embeddings_decode_to_the_float_embeddings():
    body = {"model": "embed-1", "input": ["alpha", "beta"], "dimensions": 16}
    floats = whole(body, "/embeddings")["data"]
    packed = whole({**body, "encoding_format": "base64"}, "/embeddings")["data"]
    for number, text in zip(floats, packed, strict=True):
        raw = base64.b64decode(text["embedding"])
        assert list(struct.unpack("<16f", raw)) == number["embedding"]


def test_legacy_completion_answers_each_prompt_and_streams_the_same_text():
    body = {"model": "davinci-mock", "prompt": ["Once upon a time", "Roses are red"], "n": 2}
    document = whole(body, "/completions")
    completion = Completion.model_validate(document)
    assert completion.object == "text_completion" and [c.index for c in completion.choices] == [0, 1, 2, 3]
    assert "Once upon a time" in completion.choices[1].text and "Roses are red" in completion.choices[2].text
    assert document["usage"]["prompt_tokens"] == 7
    chunks = events({**body, "stream_options": {"include_usage": True}}, "/completions")
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == document["usage"]
    texts: dict[int, str] = {}
    for chunk in chunks[:-1]:
        assert chunk["object"] == "text_completion" and chunk["usage"] is None
        [choice] = chunk["choices"]
        texts[choice["index"]] = texts.get(choice["index"], "") + choice["text"]
    assert [texts[index] for index in range(4)] == [choice.text for choice in completion.choices]
    limited = whole({"model": "m", "prompt": "one two three four five six seven", "max_tokens": 2}, "/completions")
    assert limited["choices"][0]["finish_reason"] == "length" and len(limited["choices"][0]["text"].split()) == 2


def test_module_exports_only_its_public_names():
    assert sorted(mock.__all__) == ["MockReply", "MockResponse", "MockTransport", "mock_reply"]


# -- the transport ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    name: str


@dataclass(frozen=True)
class Outgoing:
    url: str
    content: bytes


def outgoing(name: str, body: Any, path: str = "/chat/completions") -> Outgoing:
    return Outgoing(f"mock://{name}{path}", orjson.dumps(body))


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def transport(entries: dict[str, MockEntry], sleep: Sleeps | None = None) -> MockTransport:
    ids = iter(str(number) for number in range(1, 1000))
    return MockTransport(entries.get, clock=lambda: 1_234.9, new_id=lambda: next(ids), sleep=sleep or Sleeps())


async def test_transport_counts_requests_per_entry_across_requests():
    entries = {"a": MockEntry(name="a", fail_every=2), "b": MockEntry(name="b", fail_every=2)}
    mocks = transport(entries)
    statuses = [(await mocks.send(Provider(name), outgoing(name, chat_body()))).status for name in "aabaa"]
    assert statuses == [200, 503, 200, 200, 503]


async def test_transport_answers_with_injected_clock_and_ids_and_reads_the_current_entry():
    entries = {"m": MockEntry(name="m", reply="one")}
    mocks = transport(entries)
    first = orjson.loads(await (await mocks.send(Provider("m"), outgoing("m", chat_body()))).read())
    entries["m"] = MockEntry(name="m", reply="two")
    second = orjson.loads(await (await mocks.send(Provider("m"), outgoing("m", chat_body()))).read())
    assert (first["id"], first["created"], first["choices"][0]["message"]["content"]) == ("chatcmpl-1", 1234, "one")
    assert (second["id"], second["choices"][0]["message"]["content"]) == ("chatcmpl-2", "two")
    legacy = await mocks.send(Provider("m"), outgoing("m", {"model": "m", "prompt": "hi"}, "/completions"))
    assert orjson.loads(await legacy.read())["id"] == "cmpl-3"


async def test_transport_refuses_unknown_entries_bad_json_and_unknown_paths():
    mocks = transport({"m": MockEntry(name="m"), "off": MockEntry(name="off", disabled=True)})
    missing = await mocks.send(Provider("gone"), outgoing("gone", chat_body()))
    # 503: an entry a reload removed mid-request is the target's failure, so failover moves on.
    assert missing.status == 503
    assert "mock entry not configured" in orjson.loads(await missing.read())["error"]["message"]
    assert (await mocks.send(Provider("off"), outgoing("off", chat_body()))).status == 503
    broken = await mocks.send(Provider("m"), Outgoing("mock://m/chat/completions", b"{not json"))
    assert broken.status == 400 and broken.headers["content-type"] == "application/json"
    assert (await mocks.send(Provider("m"), outgoing("m", chat_body(), "/moderations"))).status == 404
    embedded = await mocks.send(Provider("m"), outgoing("m", {"model": "e", "input": "x"}, "/embeddings"))
    assert embedded.status == 200


def test_request_counters_are_bounded_forgetting_the_least_recently_used_entry():
    mocks = transport({})
    for number in range(mock.MAX_COUNTED_ENTRIES + 1):
        mocks.request_number(str(number))
    assert mocks.request_number("0") == 1
    assert mocks.request_number(str(mock.MAX_COUNTED_ENTRIES)) == 2


def test_text_json_cannot_encode_is_refused_not_raised():
    answer = reply(chat_body("half a pair: \ud800"))
    assert answer.status == 400 and error_of(answer)["type"] == "invalid_request_error"


async def test_chunk_delays_go_through_the_injected_sleep_between_chunks_only():
    sleeps = Sleeps()
    mocks = transport({"m": MockEntry(name="m", chunk_delay_ms=250)}, sleeps)
    response = await mocks.send(Provider("m"), outgoing("m", chat_body(stream=True)))
    assert response.headers["content-type"].startswith("text/event-stream") and sleeps.calls == []
    chunks = [chunk async for chunk in response.chunks()]
    response.release()
    assert chunks[-1] == b"data: [DONE]\n\n"
    assert sleeps.calls == [0.25] * (len(chunks) - 1)


async def test_whole_answers_come_at_once_without_sleeping():
    sleeps = Sleeps()
    mocks = transport({"m": MockEntry(name="m", chunk_delay_ms=1000)}, sleeps)
    response = await mocks.send(Provider("m"), outgoing("m", chat_body()))
    ChatCompletion.model_validate(orjson.loads(await response.read()))
    assert sleeps.calls == []


async def test_close_ends_a_stream_early():
    mocks = transport({"m": MockEntry(name="m", chunk_delay_ms=5)})
    response = await mocks.send(Provider("m"), outgoing("m", chat_body(stream=True)))
    received = []
    async for chunk in response.chunks():
        received.append(chunk)
        if len(received) == 2:
            response.close()
    assert len(received) == 2 and len(reply(chat_body(stream=True)).chunks) > 2


async def test_close_during_a_delay_ends_the_stream_before_the_next_chunk():
    async def close_while_waiting(seconds: float) -> None:
        response.close()

    mocks = MockTransport({"m": MockEntry(name="m")}.get, sleep=close_while_waiting)
    response = await mocks.send(Provider("m"), outgoing("m", chat_body(stream=True)))
    received = [chunk async for chunk in response.chunks()]
    assert len(received) == 1 and b'"role":"assistant"' in received[0]


def test_one_small_request_cannot_ask_for_a_huge_answer():
    entry = MockEntry(name="m")
    many_inputs = mock.mock_reply(
        "/embeddings", {"model": "e", "input": ["x"] * 2049}, entry, request_number=1, created=1, id="i"
    )
    assert many_inputs.status == 400 and b"at most 2048" in many_inputs.body
    many_choices = mock.mock_reply(
        "/completions", {"model": "c", "prompt": ["a"] * 10, "n": 128}, entry, request_number=1, created=1, id="i"
    )
    assert many_choices.status == 400 and b"prompts x n" in many_choices.body
