"""Upstreams that misbehave: every answer is bounded in size and time, and broken framing is
answered at once — through real sockets, with the gateway's memory measured."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.raw_upstream import RawUpstream, chunk, head

CLIENT = {"authorization": "Bearer test-key"}
CHAT = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
FIRST_EVENT = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
)


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


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_200_mb_answer_is_refused_with_502_naming_the_limit_and_memory_stays_bounded(gateway_factory, raw):
    async def huge(writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", transfer_encoding="chunked"))
        piece = b"x" * (1 << 20)
        for _ in range(200):
            writer.write(chunk(piece))
            await writer.drain()
        writer.write(b"0\r\n\r\n")

    raw.handler = huge
    gateway = gateway_factory(config(raw.base_url))
    before = rss_mib(gateway.process.pid)
    answer = httpx.post(gateway.url + "/v1/chat/completions", headers=CLIENT, json=CHAT, timeout=30)
    assert answer.status_code == 502 and "limits.max-answer-bytes" in answer.json()["error"]["message"]
    assert rss_mib(gateway.process.pid) - before < 40


def test_a_gzip_bomb_is_refused_while_it_inflates(gateway_factory, raw):
    bomb = gzip.compress(b"\0" * (200 << 20), compresslevel=9)
    assert len(bomb) < 300_000

    async def inflating(writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", content_encoding="gzip", content_length=str(len(bomb))))
        writer.write(bomb)

    raw.handler = inflating
    gateway = gateway_factory(config(raw.base_url))
    before = rss_mib(gateway.process.pid)
    answer = httpx.post(gateway.url + "/v1/chat/completions", headers=CLIENT, json=CHAT, timeout=30)
    assert answer.status_code == 502 and "limits.max-answer-bytes" in answer.text
    assert rss_mib(gateway.process.pid) - before < 40


@pytest.mark.parametrize("framing", [b"ZZZ\r\nhello\r\n", b"5\r\nhelloXX3\r\nabc\r\n"])
@pytest.mark.parametrize("pause", [0.0, 0.3])
def test_broken_chunked_framing_is_answered_at_once(gateway_factory, raw, framing, pause):
    async def broken(writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", transfer_encoding="chunked") + chunk(b'{"id": '))
        await writer.drain()
        await asyncio.sleep(pause)  # with a pause, the break comes after the body has begun
        writer.write(framing)
        await writer.drain()
        await asyncio.sleep(30)  # the connection stays open: only the framing tells

    raw.handler = broken
    gateway = gateway_factory(config(raw.base_url))
    started = time.monotonic()
    answer = httpx.post(gateway.url + "/v1/chat/completions", headers=CLIENT, json=CHAT, timeout=30)
    assert answer.status_code == 502 and time.monotonic() - started < 5


def test_a_stream_whose_framing_breaks_after_its_first_event_ends_with_an_error_event_at_once(gateway_factory, raw):
    async def breaks_later(writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="text/event-stream", transfer_encoding="chunked") + chunk(FIRST_EVENT))
        await writer.drain()
        await asyncio.sleep(0.3)
        writer.write(b"QQ\r\nnot a chunk\r\n")
        await writer.drain()
        await asyncio.sleep(30)

    raw.handler = breaks_later
    gateway = gateway_factory(config(raw.base_url))
    started = time.monotonic()
    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", headers=CLIENT, json={**CHAT, "stream": True}, timeout=30
    ) as answer:
        body = answer.read().decode()
    assert '"content":"hi"' in body and '"error"' in body and time.monotonic() - started < 5


def test_an_endless_stream_event_ends_the_stream_at_the_event_limit(gateway_factory, raw):
    async def endless(writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="text/event-stream", transfer_encoding="chunked") + chunk(FIRST_EVENT))
        writer.write(chunk(b"data: " + b"y" * 65536))
        for _ in range(200):
            writer.write(chunk(b"y" * 65536))
            await writer.drain()

    raw.handler = endless
    gateway = gateway_factory(config(raw.base_url))
    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", headers=CLIENT, json={**CHAT, "stream": True}, timeout=30
    ) as answer:
        body = answer.read().decode()
    assert "limits.max-event-bytes" in body
