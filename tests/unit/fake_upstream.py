"""An in-process `Transport` playing upstreams, for tests of the failover loop without sockets.

Each base URL gets a list of scripted replies (taken in order, the last one repeating); every
request sent is recorded. A reply may wait on an event, so a test controls when it lands.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.core.targets import Provider
from gateway.upstream.adapters import Outgoing
from gateway.upstream.transport import ConnectError


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: tuple[bytes, ...] = ()
    # Raise this (after `gate`) instead of answering; or break the stream after `chunks`.
    error: BaseException | None = None
    break_stream: bool = False
    gate: asyncio.Event | None = None


def completion(text: str = "hi", *, prompt: int = 3, completion_tokens: int = 2) -> Reply:
    return Reply(
        body=orjson.dumps(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": "upstream-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt + completion_tokens,
                    "prompt_tokens_details": {"cached_tokens": 1},
                },
            }
        )
    )


def stream(*texts: str, finish: bool = True, usage: bool = True, cut: bool = False) -> Reply:
    def event(payload: dict[str, Any]) -> bytes:
        return b"data: " + orjson.dumps(payload) + b"\n\n"

    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "upstream-model"}
    chunks = [event({**base, "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}]}) for t in texts]
    if finish:
        chunks.append(event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    if usage:
        chunks.append(
            event(
                {
                    **base,
                    "choices": [],
                    "usage": {"prompt_tokens": 4, "completion_tokens": len(texts), "total_tokens": 4 + len(texts)},
                }
            )
        )
    if not cut:
        chunks.append(b"data: [DONE]\n\n")
    return Reply(chunks=tuple(chunks), headers={"content-type": "text/event-stream"}, break_stream=cut)


def error(status: int, message: str = "nope", **headers: str) -> Reply:
    return Reply(status=status, body=orjson.dumps({"error": {"message": message, "type": "x"}}), headers=headers)


class _Response:
    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.status = reply.status
        self.released = False
        self.closed = False

    @property
    def headers(self) -> Mapping[str, str]:
        return self.reply.headers

    @property
    def declared_length(self) -> int | None:
        return None if self.reply.chunks else len(self.reply.body)

    async def read(self) -> bytes:
        return self.reply.body

    async def _chunks(self) -> AsyncIterator[bytes]:
        if not self.reply.chunks:
            if self.reply.body:
                yield self.reply.body
            return
        for chunk in self.reply.chunks:
            yield chunk
        if self.reply.break_stream:
            raise ConnectionResetError("upstream went away")

    def chunks(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def release(self) -> None:
        self.released = True

    def close(self) -> None:
        self.closed = True


class FakeUpstreams:
    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply]] = {}
        self.sent: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def script(self, base_url: str, *replies: Reply) -> None:
        self.scripts[base_url] = list(replies)

    def urls(self) -> list[str]:
        return [url for url, _, _ in self.sent]

    async def send(self, provider: Provider, outgoing: Outgoing) -> _Response:
        self.sent.append((outgoing.url, orjson.loads(outgoing.content), outgoing.headers))
        replies = self.scripts.get(provider.base_url)
        if not replies:
            raise ConnectError("ClientConnectorError")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if reply.gate is not None:
            await reply.gate.wait()
        if reply.error is not None:
            raise reply.error
        return _Response(reply)
