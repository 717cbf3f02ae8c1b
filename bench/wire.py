"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for measuring, not for general use.

Requests are precomputed bytes; responses are read by Content-Length or chunked framing
(RFC 9112 sections 6 and 7.1). Streams are read chunk by chunk with CLOCK_MONOTONIC arrival
times, decoded as SSE events (WHATWG HTML "server-sent events": events end at a blank line,
`data:` lines carry the payload) in the OpenAI or the Anthropic shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["Connection", "Endpoint", "StreamSample", "read_response", "read_stream", "token_text"]

STAMP_DIGITS = 20


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One thing to load: where, what to POST, and how to read its stream events."""

    name: str
    port: int
    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    dialect: str = "openai"
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def request(self) -> bytes:
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"host: {self.host}:{self.port}",
            "content-type: application/json",
            f"content-length: {len(self.body)}",
        ]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass(slots=True)
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    @classmethod
    async def open(cls, endpoint: Endpoint) -> Connection:
        reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port, limit=1 << 20)
        return cls(reader, writer)

    def close(self) -> None:
        # abort(): no FIN handshake to wait for; the peer sees the connection reset at once.
        self.writer.transport.abort()


def _head(head: bytes) -> tuple[int, int | None, bool, bool]:
    """(status, content-length, chunked, connection-close) of a response head."""
    status = int(head[9:12])
    lower = head.lower()
    length = None
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        length = int(lower[at + 17 : lower.find(b"\r\n", at + 2)])
    chunked = b"\r\ntransfer-encoding: chunked" in lower
    close = b"\r\nconnection: close" in lower
    return status, length, chunked, close


async def _chunks(reader: asyncio.StreamReader) -> Any:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return
        yield (await reader.readexactly(size + 2))[:-2]


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one whole response."""
    status, length, chunked, close = _head(await reader.readuntil(b"\r\n\r\n"))
    if length is not None:
        body = await reader.readexactly(length)
    elif chunked:
        body = b"".join([chunk async for chunk in _chunks(reader)])
    else:
        body, close = await reader.read(), True
    return status, body, not close


def _openai_token(event: dict[str, Any]) -> str | None:
    choices = event.get("choices")
    if not choices or not isinstance(choices, list):
        return None
    delta = choices[0].get("delta") or {}
    content = delta.get("content")
    return content if isinstance(content, str) and content else None


def _anthropic_token(event: dict[str, Any]) -> str | None:
    if event.get("type") != "content_block_delta":
        return None
    text = (event.get("delta") or {}).get("text")
    return text if isinstance(text, str) and text else None


TOKEN_READERS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "openai": _openai_token,
    "anthropic": _anthropic_token,
}


def token_text(event: dict[str, Any], dialect: str) -> str | None:
    return TOKEN_READERS[dialect](event)


@dataclass(slots=True)
class StreamSample:
    """One stream as the client saw it; times in ns from the moment the request was written."""

    status: int = 0
    ttfb_ns: int = 0
    first_token_ns: int | None = None
    tokens: int = 0
    # arrival minus the mock's send stamp, for every stamped token
    chunk_delays_ns: list[int] = field(default_factory=list)
    error: str | None = None
    complete: bool = False
    keep_alive: bool = True


class _Events:
    """Splits SSE bytes into `data:` payloads; [DONE] and comments are reported as such."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data.replace(b"\r\n", b"\n")
        *events, self.buffer = self.buffer.split(b"\n\n")
        payloads = []
        for event in events:
            data_lines = [line[5:].lstrip(b" ") for line in event.split(b"\n") if line.startswith(b"data:")]
            if data_lines:
                payloads.append(b"\n".join(data_lines))
        return payloads


def _note(sample: StreamSample, payload: bytes, arrival: int, started: int, dialect: str) -> None:
    if payload == b"[DONE]":
        sample.complete = True
        return
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        sample.error = "event is not JSON"
        return
    if not isinstance(event, dict):
        return
    if "error" in event and dialect == "openai":
        sample.error = "error event"
        return
    if dialect == "anthropic" and event.get("type") == "message_stop":
        sample.complete = True
    text = token_text(event, dialect)
    if text is None:
        return
    sample.tokens += 1
    if sample.first_token_ns is None:
        sample.first_token_ns = arrival - started
    stamp = text.strip()
    if len(stamp) == STAMP_DIGITS and stamp.isdigit():
        sample.chunk_delays_ns.append(arrival - int(stamp))


async def read_stream(
    connection: Connection, request: bytes, *, dialect: str, stop_after_tokens: int | None = None
) -> StreamSample:
    """Sends `request` and reads the SSE answer, timing each chunk as it arrives."""
    sample = StreamSample()
    reader = connection.reader
    started = time.monotonic_ns()
    connection.writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    sample.ttfb_ns = time.monotonic_ns() - started
    sample.status, length, chunked, close = _head(head)
    sample.keep_alive = not close
    if sample.status != 200:
        sample.error = f"HTTP {sample.status}"
        if length is not None:
            await reader.readexactly(length)
        elif chunked:
            async for _ in _chunks(reader):
                pass
        else:
            sample.keep_alive = False
        return sample
    events = _Events()
    source = _chunks(reader) if chunked else _until_eof(reader, length)
    async with contextlib.aclosing(source):
        async for data in source:
            arrival = time.monotonic_ns()
            for payload in events.feed(data):
                _note(sample, payload, arrival, started, dialect)
            if stop_after_tokens is not None and sample.tokens >= stop_after_tokens:
                sample.keep_alive = False
                return sample
    if not chunked and length is None:
        sample.keep_alive = False
    return sample


async def _until_eof(reader: asyncio.StreamReader, length: int | None) -> Any:
    left = length
    while left is None or left > 0:
        data = await reader.read(65536 if left is None else min(left, 65536))
        if not data:
            return
        if left is not None:
            left -= len(data)
        yield data
