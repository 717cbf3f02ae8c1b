import orjson
import pytest

from translators import openai as passthrough
from translators.errors import StreamError, TranslationError

CHUNK = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "upstream-name"}
STREAM = b"".join(
    [
        b"data: "
        + orjson.dumps(
            {**CHUNK, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}], "usage": None}
        )
        + b"\n\n",
        # The upstream's model name appearing inside content must survive untouched.
        b"data: "
        + orjson.dumps(
            {**CHUNK, "choices": [{"index": 0, "delta": {"content": 'I am "model": "upstream-name" é'}}], "usage": None}
        )
        + b"\r\n\r\n",
        b": keep-alive comment\n\n",
        b"data: "
        + orjson.dumps({**CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None})
        + b"\n\n",
        b"data: "
        + orjson.dumps(
            {**CHUNK, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}
        )
        + b"\n\n",
        b"data: [DONE]\n\n",
    ]
)


def decode(events):
    return [e if e.startswith(b"data: [DONE]") else orjson.loads(e[len(b"data: ") :]) for e in events]


def test_stream_split_at_every_byte_gives_same_events_without_usage(every_split):
    events = decode(every_split(lambda: passthrough.PassthroughStream(model="client-id", keep_usage=False), STREAM))
    assert len(events) == 4 and events[-1] == b"data: [DONE]\n\n"
    assert all(e["model"] == "client-id" and "usage" not in e for e in events[:-1])
    assert events[1]["choices"][0]["delta"]["content"] == 'I am "model": "upstream-name" é'


def test_stream_keeps_usage_chunk_when_asked_and_records_usage_either_way():
    machine = passthrough.PassthroughStream(model="client-id", keep_usage=True)
    events = decode(machine.feed(STREAM) + machine.close())
    assert events[-2]["usage"]["total_tokens"] == 5 and events[-2]["choices"] == []
    assert machine.usage == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def test_stream_ending_without_done_but_finished_gets_done_appended():
    machine = passthrough.PassthroughStream(model="m", keep_usage=False)
    cut = STREAM[: STREAM.index(b"data: [DONE]")]
    assert machine.feed(cut)[-1].startswith(b"data: {")
    assert machine.close() == [b"data: [DONE]\n\n"]


def test_stream_cut_before_any_finish_reason_raises_instead_of_looking_complete():
    machine = passthrough.PassthroughStream(model="m", keep_usage=False)
    machine.feed(STREAM[:150])
    with pytest.raises(StreamError) as caught:
        machine.close()
    assert caught.value.info.code == "upstream_stream_truncated"


def test_error_object_and_non_json_inside_the_stream_raise_stream_error():
    with pytest.raises(StreamError) as caught:
        passthrough.PassthroughStream(model="m", keep_usage=False).feed(
            b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
        )
    assert caught.value.info.message == "overloaded"
    with pytest.raises(StreamError):
        passthrough.PassthroughStream(model="m", keep_usage=False).feed(b"data: {oops\n\n")


def test_build_request_sets_upstream_model_and_always_asks_for_stream_usage():
    body = {"model": "alias", "messages": [], "stream": True, "stream_options": {"include_obfuscation": False}}
    request = passthrough.build_request(body, upstream_model="real", stream=True)
    assert request["model"] == "real"
    assert request["stream_options"] == {"include_obfuscation": False, "include_usage": True}
    assert body["model"] == "alias", "the client's body is not mutated"
    assert "stream_options" not in passthrough.build_request({"model": "a"}, upstream_model="r", stream=False)


def test_rewrite_response_changes_only_the_top_level_model():
    raw = orjson.dumps(
        {"model": "real", "choices": [{"message": {"content": '"model":"real"'}}], "usage": {"total_tokens": 3}}
    )
    body, usage = passthrough.rewrite_response(raw, model="alias")
    document = orjson.loads(body)
    assert document["model"] == "alias"
    assert document["choices"][0]["message"]["content"] == '"model":"real"'
    assert usage == {"total_tokens": 3}
    with pytest.raises(TranslationError):
        passthrough.rewrite_response(b"<html>", model="alias")


def test_parse_error_reads_openai_envelopes_and_falls_back_to_status():
    info = passthrough.parse_error(
        400, {}, b'{"error": {"message": "bad", "type": "invalid_request_error", "code": "x"}}'
    )
    assert (info.type, info.message, info.code) == ("invalid_request_error", "bad", "x")
    assert passthrough.parse_error(503, {}, b"<html>down</html>").type == "server_error"
    assert passthrough.parse_error(429, {}, b"").message == "upstream answered HTTP 429"


BIG = b"123456789012345678901234567890"


def test_rewrite_response_gives_back_an_integer_beyond_64_bits_as_the_upstream_wrote_it():
    raw = (
        b'{"id":"chatcmpl-1","object":"chat.completion","model":"real","seed":' + BIG + b","
        b'"choices":[{"index":0,"message":{"role":"assistant","content":"caf\xc3\xa9 \xe2\x80\x94 \\"x\\""},'
        b'"finish_reason":"stop","logprobs":{"content":[{"token":"a","logprob":-1e-06,"bytes":[97]}]}}],'
        b'"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}'
    )
    body, usage = passthrough.rewrite_response(raw, model="alias")
    assert b'"seed":' + BIG + b"," in body
    assert body == raw.replace(b'"model":"real"', b'"model":"alias"')  # compact, UTF-8, nothing else changed
    assert usage == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def test_passthrough_stream_gives_back_an_integer_beyond_64_bits_as_the_upstream_wrote_it():
    chunk = b'{"id":"c1","object":"chat.completion.chunk","model":"upstream-name","system_fingerprint":' + BIG
    chunk += b',"choices":[{"index":0,"delta":{"content":"\xc3\xa9"},"finish_reason":"stop"}]}'
    machine = passthrough.PassthroughStream(model="client-id", keep_usage=False)
    events = machine.feed(b"data: " + chunk + b"\n\n") + machine.close()
    assert events == [b"data: " + chunk.replace(b"upstream-name", b"client-id") + b"\n\n", b"data: [DONE]\n\n"]


def test_ordinary_answers_and_chunks_go_through_orjson_alone(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the standard library's json was used")

    monkeypatch.setattr(passthrough.json, "loads", refuse)
    monkeypatch.setattr(passthrough.json, "dumps", refuse)
    body, _ = passthrough.rewrite_response(orjson.dumps({"model": "real", "created": 1741569952}), model="alias")
    assert orjson.loads(body) == {"model": "alias", "created": 1741569952}
    events = passthrough.PassthroughStream(model="client-id", keep_usage=False).feed(STREAM)
    assert len(events) == 4


def test_a_number_json_cannot_write_back_is_refused_like_any_body_that_is_not_json():
    # 19 digits send the document to `json`, but orjson still decides what is JSON.
    with pytest.raises(TranslationError):
        passthrough.rewrite_response(b'{"seed": 1234567890123456789012, "x": NaN}', model="alias")
    with pytest.raises(StreamError) as caught:
        passthrough.PassthroughStream(model="m", keep_usage=False).feed(
            b'data: {"seed": 1234567890123456789012, "x": 1e400}\n\n'
        )
    assert caught.value.info.code == "upstream_stream_malformed"


def test_passthrough_stream_hands_out_the_chunks_before_an_error_event_whatever_the_split():
    from translators.errors import StreamError
    from translators.openai import PassthroughStream

    data = (
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,'
        b'"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
        b'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n'
    )
    outcomes = set()
    for cut in range(len(data) + 1):
        stream, out = PassthroughStream(model="m", keep_usage=False), []
        try:
            for part in (data[:cut], data[cut:]):
                out += stream.feed(part)
            stream.close()
        except StreamError as error:
            outcomes.add((b"".join(out), error.info.message))
    assert len(outcomes) == 1
    chunks, message = outcomes.pop()
    assert b'"content":"hi"' in chunks and message == "overloaded"
