"""Chat completions through the real gateway process, driven by the official openai SDK."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from tests.e2e.configs import two_providers
from tests.e2e.mock_upstream import Tracker, raw_stream, stream

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def gateway(gateway_factory, upstream_a, upstream_b):
    return gateway_factory(two_providers(upstream_a.base_url, upstream_b.base_url))


def test_non_stream_alias_reaches_upstream_with_real_name_and_client_sees_its_id(gateway, upstream_a):
    reply = gateway.client().chat.completions.create(model="gpt", messages=MESSAGES)
    assert reply.choices[0].message.content == "hello from upstream"
    assert reply.model == "gpt"
    assert reply.usage.total_tokens == 7
    assert [r.body["model"] for r in upstream_a.requests] == ["upstream-gpt"]
    assert upstream_a.requests[0].body["messages"] == MESSAGES
    assert upstream_a.requests[0].key in ("a-key-1", "a-key-2")


def test_prefixed_name_and_prefixed_alias_resolve_to_the_same_upstream_model(gateway, upstream_a):
    client = gateway.client()
    assert client.chat.completions.create(model="a/upstream-gpt", messages=MESSAGES).model == "a/upstream-gpt"
    assert client.chat.completions.create(model="a/gpt", messages=MESSAGES).model == "a/gpt"
    assert [r.body["model"] for r in upstream_a.requests] == ["upstream-gpt", "upstream-gpt"]


def test_entry_without_models_passes_any_prefixed_model_through(gateway, upstream_a):
    reply = gateway.client().chat.completions.create(model="open/vendor/some-model:free", messages=MESSAGES)
    assert reply.model == "open/vendor/some-model:free"
    assert upstream_a.requests[-1].body["model"] == "vendor/some-model:free"
    assert upstream_a.requests[-1].key == "open-key"


def test_stream_arrives_chunk_by_chunk_with_model_rewritten_and_usage_dropped(gateway, upstream_a):
    upstream_a.default = stream(["one", "two", "three"])
    with httpx.stream(
        "POST",
        gateway.url + "/v1/chat/completions",
        headers={"authorization": "Bearer test-key"},
        json={"model": "gpt", "messages": MESSAGES, "stream": True},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert all('"model":"gpt"' in line for line in lines[:-1])
    assert not any("usage" in line for line in lines), "the client did not ask for usage"
    # The gateway always asks the upstream for usage so that it can meter the stream.
    assert upstream_a.requests[0].body["stream_options"] == {"include_usage": True}

    chunks = list(gateway.client().chat.completions.create(model="gpt", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "one two three"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_stream_keeps_usage_chunk_when_the_client_asks_for_it(gateway, upstream_a):
    upstream_a.default = stream(["a", "b"])
    chunks = list(
        gateway.client().chat.completions.create(
            model="gpt", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 2
    assert chunks[-1].model == "gpt"


def test_streamed_chunks_are_forwarded_as_they_arrive_not_buffered(gateway, upstream_a):
    upstream_a.default = stream(["w1", "w2", "w3", "w4"], delay=0.3)
    started = time.monotonic()
    arrivals = []
    for _chunk in gateway.client().chat.completions.create(model="gpt", messages=MESSAGES, stream=True):
        arrivals.append(time.monotonic() - started)
    # Six chunks, 0.3 s apart upstream: if the gateway buffered, they would arrive together.
    assert arrivals[-1] - arrivals[0] >= 0.9


def test_client_disconnect_mid_stream_closes_the_upstream_connection(gateway, upstream_a):
    tracker = Tracker()
    upstream_a.default = stream([f"w{i}" for i in range(50)], delay=0.2, tracker=tracker)
    with httpx.stream(
        "POST",
        gateway.url + "/v1/chat/completions",
        headers={"authorization": "Bearer test-key"},
        json={"model": "gpt", "messages": MESSAGES, "stream": True},
    ) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("data: ")
        closed_at = time.monotonic()
    deadline = time.monotonic() + 5
    while tracker.disconnected_at is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert tracker.disconnected_at is not None, "the upstream never saw the connection close"
    assert tracker.disconnected_at - closed_at < 2.0


def test_stream_cut_by_the_upstream_after_first_byte_ends_with_an_error_event(gateway, upstream_a):
    upstream_a.default = stream(["a", "b", "c"], cut_after=2)
    with pytest.raises(openai.APIError) as caught:
        list(gateway.client().chat.completions.create(model="gpt", messages=MESSAGES, stream=True))
    assert "broke the connection" in str(caught.value) or "ended before" in str(caught.value)


def test_legacy_completions_and_embeddings_pass_through(gateway, upstream_a):
    client = gateway.client()
    text = client.completions.create(model="gpt", prompt="Once upon")
    assert text.choices[0].text == "hello from upstream" and text.model == "gpt"
    vectors = client.embeddings.create(model="embedder", input="hello")
    assert vectors.data[0].embedding == [0.1, 0.2] and vectors.model == "embedder"
    assert [r.path for r in upstream_a.requests] == ["/v1/completions", "/v1/embeddings"]


def test_cookies_an_upstream_sets_are_not_sent_with_later_requests(gateway, upstream_a):
    from tests.e2e.mock_upstream import _send_json, completion

    async def sets_cookie(request, receive, send):
        await _send_json(send, 200, completion("m", "ok"), {"set-cookie": "session=abc123; Path=/"})

    upstream_a.default = sets_cookie
    client = gateway.client()
    client.chat.completions.create(model="gpt", messages=MESSAGES)
    client.chat.completions.create(model="gpt", messages=MESSAGES)
    assert [r.headers.get("cookie") for r in upstream_a.requests] == [None, None]


BIG = "123456789012345678901234567890"  # beyond 64 bits: a float if parsed naively


def test_integers_beyond_64_bits_pass_through_whole_answers_and_streams_unchanged(gateway, upstream_a):
    async def big_whole(request, receive, send):
        body = (
            '{"id":"c","object":"chat.completion","created":1,"model":"upstream-gpt","seed":' + BIG + ","
            '"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}'
        )
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body.encode()})

    upstream_a.default = big_whole
    whole = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": "Bearer test-key"},
        json={"model": "gpt", "messages": [{"role": "user", "content": "x"}]},
    )
    assert f'"seed":{BIG}' in whole.text and '"model":"gpt"' in whole.text
    chunk = (
        'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"upstream-gpt","seed":'
        + BIG
        + ',"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n'
    )
    upstream_a.default = raw_stream(chunk.encode(), b"data: [DONE]\n\n")
    with httpx.stream(
        "POST",
        gateway.url + "/v1/chat/completions",
        headers={"authorization": "Bearer test-key"},
        json={"model": "gpt", "stream": True, "messages": [{"role": "user", "content": "x"}]},
    ) as r:
        streamed = r.read().decode()
    assert f'"seed":{BIG}' in streamed and '"model":"gpt"' in streamed
