"""Upstreams that misbehave: every answer is bounded in size and time, and broken framing is
answered at once — through real sockets, with the gateway's memory measured."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import rss_mib
from tests.e2e.raw_upstream import FIRST_EVENT, RawUpstream, endless_event, framing_breaks, gzip_bomb, huge_answer

CLIENT = {"authorization": "Bearer test-key"}
CHAT = {"model": "m", "messages": [{"role": "user", "content": "x"}]}


@pytest.fixture
def raw() -> Iterator[RawUpstream]:
    with RawUpstream() as upstream:
        yield upstream


def config(url: str) -> str:
    return f"""
host: 127.0.0.1
api-keys: [test-key]
request-retry: 0
timeouts: {{first-byte-seconds: 60, idle-seconds: 60, total-seconds: 120}}
limits: {{max-answer-bytes: 4194304, max-event-bytes: 1048576}}
openai-compatibility:
  - name: hostile
    base-url: {url}
    api-key-entries: [{{api-key: upstream-key-1234}}]
    models: [{{name: m}}]
"""


def test_a_200_mb_answer_is_refused_with_502_naming_the_limit_and_memory_stays_bounded(gateway_factory, raw):
    raw.handler = huge_answer(200)
    gateway = gateway_factory(config(raw.base_url))
    before = rss_mib(gateway.process.pid)
    answer = httpx.post(gateway.url + "/v1/chat/completions", headers=CLIENT, json=CHAT, timeout=30)
    assert answer.status_code == 502 and "limits.max-answer-bytes" in answer.json()["error"]["message"]
    assert rss_mib(gateway.process.pid) - before < 40


def test_a_gzip_bomb_is_refused_while_it_inflates(gateway_factory, raw):
    raw.handler = gzip_bomb(200)
    assert raw.handler.size < 300_000
    gateway = gateway_factory(config(raw.base_url))
    before = rss_mib(gateway.process.pid)
    answer = httpx.post(gateway.url + "/v1/chat/completions", headers=CLIENT, json=CHAT, timeout=30)
    assert answer.status_code == 502 and "limits.max-answer-bytes" in answer.text
    assert rss_mib(gateway.process.pid) - before < 40


@pytest.mark.parametrize("framing", [b"ZZZ\r\nhello\r\n", b"5\r\nhelloXX3\r\nabc\r\n"])
@pytest.mark.parametrize("pause", [0.0, 0.3])
def test_broken_chunked_framing_is_answered_at_once(gateway_factory, raw, framing, pause):
    # With a pause, the break comes after the body has begun.
    raw.handler = framing_breaks(b'{"id": ', framing, pause=pause, content_type="application/json")
    gateway = gateway_factory(config(raw.base_url))
    started = time.monotonic()
    answer = httpx.post(gateway.url + "/v1/chat/completions", headers=CLIENT, json=CHAT, timeout=30)
    assert answer.status_code == 502 and time.monotonic() - started < 5


def test_a_stream_whose_framing_breaks_after_its_first_event_ends_with_an_error_event_at_once(gateway_factory, raw):
    raw.handler = framing_breaks(FIRST_EVENT, b"QQ\r\nnot a chunk\r\n", pause=0.3, content_type="text/event-stream")
    gateway = gateway_factory(config(raw.base_url))
    started = time.monotonic()
    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", headers=CLIENT, json={**CHAT, "stream": True}, timeout=30
    ) as answer:
        body = answer.read().decode()
    assert '"content":"hi"' in body and '"error"' in body and time.monotonic() - started < 5


def test_an_endless_stream_event_ends_the_stream_at_the_event_limit(gateway_factory, raw):
    raw.handler = endless_event(200)
    gateway = gateway_factory(config(raw.base_url))
    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", headers=CLIENT, json={**CHAT, "stream": True}, timeout=30
    ) as answer:
        body = answer.read().decode()
    assert "limits.max-event-bytes" in body
