"""A fast mock LLM upstream on plain asyncio: precomputed OpenAI and Anthropic answers.

POST .../chat/completions answers an OpenAI chat completion, or with `"stream": true` an SSE
stream of N content chunks a few ms apart, a finish chunk, a usage chunk and `[DONE]`
(https://platform.openai.com/docs/api-reference/chat-streaming). POST .../v1/messages answers
an Anthropic Message, or the documented event stream: message_start, content_block_start,
N x content_block_delta, content_block_stop, message_delta, message_stop
(https://docs.anthropic.com/en/api/messages-streaming).

Every streamed token's text is the 20-digit CLOCK_MONOTONIC time (ns) at which the mock
wrote it, so a client on this machine can tell how long each chunk took to reach it.
Responses are byte templates built once; a request costs one header scan and one JSON parse.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson

__all__ = ["MockResponses", "main", "serve"]

STAMP_DIGITS = 20
TEXT = "Hello from the bench mock upstream."
MODEL = "bench-model"
CLAUDE_MODEL = "claude-bench"


def _sse(data: object, event: str | None = None) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + orjson.dumps(data) + b"\n\n"


def _frame(payload: bytes) -> bytes:
    """One HTTP/1.1 chunk (RFC 9112 section 7.1)."""
    return f"{len(payload):x}\r\n".encode() + payload + b"\r\n"


def _json_response(document: object, status: str = "200 OK") -> bytes:
    body = orjson.dumps(document)
    return f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body


STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)
END = b"0\r\n\r\n"


@dataclass(frozen=True, slots=True)
class StreamPlan:
    """A stream as bytes: `opening` at once, then `chunks` tokens `delay` s apart, then `closing`.

    A token is `token_head + stamp + token_tail`; the stamp has a fixed width, so the chunk
    size line is part of `token_head`.
    """

    opening: bytes
    token_head: bytes
    token_tail: bytes
    closing: bytes


def _stamped(before: bytes, after: bytes) -> tuple[bytes, bytes]:
    size = len(before) + STAMP_DIGITS + len(after)
    return f"{size:x}\r\n".encode() + before, after + b"\r\n"


def _openai_plan(chunks: int) -> StreamPlan:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": MODEL}
    role = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    marker = "@@STAMP@@"
    token = _sse({**base, "choices": [{"index": 0, "delta": {"content": marker + " "}, "finish_reason": None}]})
    before, after = token.split(orjson.dumps(marker)[1:-1])
    finish = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    usage = {
        **base,
        "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": 12 + chunks},
    }
    head, tail = _stamped(before, after)
    closing = _frame(_sse(finish) + _sse(usage) + b"data: [DONE]\n\n") + END
    return StreamPlan(STREAM_HEAD + _frame(_sse(role)), head, tail, closing)


def _anthropic_plan(chunks: int) -> StreamPlan:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_bench",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": CLAUDE_MODEL,
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 1},
        },
    }
    block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    marker = "@@STAMP@@"
    token = _sse(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": marker + " "}},
        "content_block_delta",
    )
    before, after = token.split(orjson.dumps(marker)[1:-1])
    head, tail = _stamped(before, after)
    closing = (
        _frame(
            _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            + _sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": chunks},
                },
                "message_delta",
            )
            + _sse({"type": "message_stop"}, "message_stop")
        )
        + END
    )
    opening = STREAM_HEAD + _frame(_sse(start, "message_start") + _sse(block, "content_block_start"))
    return StreamPlan(opening, head, tail, closing)


@dataclass(frozen=True, slots=True)
class MockResponses:
    """Everything the mock can answer, built once from the stream shape."""

    chunks: int
    delay: float
    openai: bytes
    anthropic: bytes
    models: bytes
    not_found: bytes
    openai_stream: StreamPlan
    anthropic_stream: StreamPlan

    @classmethod
    def build(cls, *, chunks: int = 20, delay: float = 0.005) -> MockResponses:
        openai = {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1700000000,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": TEXT},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
        }
        anthropic = {
            "id": "msg_bench",
            "type": "message",
            "role": "assistant",
            "model": CLAUDE_MODEL,
            "content": [{"type": "text", "text": TEXT}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 8},
        }
        models = {
            "object": "list",
            "data": [{"id": MODEL, "object": "model", "created": 1700000000, "owned_by": "bench"}],
        }
        missing = {"error": {"message": "no such route on the bench mock", "type": "invalid_request_error"}}
        return cls(
            chunks,
            delay,
            _json_response(openai),
            _json_response(anthropic),
            _json_response(models),
            _json_response(missing, "404 Not Found"),
            _openai_plan(chunks),
            _anthropic_plan(chunks),
        )

    def route(self, method: bytes, path: bytes, body: bytes) -> bytes | StreamPlan:
        path = path.split(b"?", 1)[0]
        if method == b"GET" and path.endswith(b"/models"):
            return self.models
        if method != b"POST":
            return self.not_found
        if path.endswith(b"/chat/completions"):
            return self.openai_stream if _wants_stream(body) else self.openai
        if path.endswith(b"/messages"):
            return self.anthropic_stream if _wants_stream(body) else self.anthropic
        return self.not_found


def _wants_stream(body: bytes) -> bool:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(document, dict) and document.get("stream") is True


def _take_request(buffer: bytearray) -> tuple[bytes, bytes, bytes] | None:
    """(method, path, body) of the first complete request in `buffer`, removed from it."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    length = 0
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : stop if stop >= 0 else len(head)])
    if len(buffer) < end + 4 + length:
        return None
    method, path = bytes(buffer[:end]).split(b" ", 2)[:2]
    body = bytes(buffer[end + 4 : end + 4 + length])
    del buffer[: end + 4 + length]
    return method, path, body


class _Connection(asyncio.Protocol):
    """One keep-alive client connection; requests are answered in order, streams one at a time."""

    def __init__(self, responses: MockResponses, clock: Callable[[], int]) -> None:
        self.responses = responses
        self.clock = clock
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.streaming: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.streaming is None:
            self._serve()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.streaming is not None:
            self.streaming.cancel()

    def _serve(self) -> None:
        while self.transport is not None:
            request = _take_request(self.buffer)
            if request is None:
                return
            answer = self.responses.route(*request)
            if isinstance(answer, bytes):
                self.transport.write(answer)
                continue
            self.streaming = asyncio.get_running_loop().create_task(self._stream(answer))
            return

    async def _stream(self, plan: StreamPlan) -> None:
        transport = self.transport
        assert transport is not None
        transport.write(plan.opening)
        for _ in range(self.responses.chunks):
            if self.responses.delay > 0:
                await asyncio.sleep(self.responses.delay)
            if transport.is_closing():
                return
            stamp = str(self.clock()).zfill(STAMP_DIGITS).encode()
            transport.write(plan.token_head + stamp + plan.token_tail)
        transport.write(plan.closing)
        self.streaming = None
        self._serve()


async def serve(host: str, port: int, responses: MockResponses) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(responses, time.monotonic_ns), host, port, backlog=1024, reuse_address=True
    )
    async with server:
        await server.serve_forever()


def run(coroutine: object) -> None:
    """Runs on uvloop when it is installed (the gateway installs it), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)  # type: ignore[arg-type]
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coroutine)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description="Fast mock OpenAI / Anthropic upstream for the benchmark.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=20, help="content chunks per stream (default: %(default)s)")
    parser.add_argument(
        "--chunk-delay-ms", type=float, default=5.0, help="pause before each content chunk (default: %(default)s)"
    )
    args = parser.parse_args()
    responses = MockResponses.build(chunks=args.chunks, delay=args.chunk_delay_ms / 1000)
    try:
        run(serve(args.host, args.port, responses))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
