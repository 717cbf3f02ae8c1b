"""A scriptable OpenAI-compatible upstream on a real loopback socket, for end-to-end tests.

Each request is recorded (path, key, JSON body); what it answers is chosen by the API key it
was sent with (`behaviours[key]`), else `default`. Behaviours are small async functions, so a
test states plainly what the upstream does: answer, stream, 429 with Retry-After, fail, hang.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass
class Received:
    path: str
    key: str | None
    body: Any
    headers: dict[str, str]
    query: str = ""

    @property
    def url(self) -> str:
        return self.path + ("?" + self.query if self.query else "")


Behaviour = Callable[[Received, Any, Any], Awaitable[None]]


async def request_body(receive: Any) -> bytes:
    """A whole ASGI request body."""
    raw = b""
    while True:
        message = await receive()
        raw += message.get("body", b"")
        if not message.get("more_body"):
            return raw


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _send_json(send: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    raw = json.dumps(body).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    head += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": raw})


def completion(model: str, content: str, *, usage: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": usage or {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def chunks(model: str, pieces: list[str]) -> list[dict[str, Any]]:
    """An OpenAI stream: role, content pieces, finish_reason, then the usage-only chunk."""
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1700000000, "model": model}
    out = [
        {
            **base,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
            "usage": None,
        }
    ]
    out += [
        {**base, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}], "usage": None}
        for p in pieces
    ]
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None})
    out.append(
        {
            **base,
            "choices": [],
            "usage": {"prompt_tokens": 5, "completion_tokens": len(pieces), "total_tokens": 5 + len(pieces)},
        }
    )
    return out


def answer(content: str = "hello from upstream") -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        model = body.get("model", "?")
        if request.path.endswith("/embeddings"):
            await _send_json(
                send,
                200,
                {
                    "object": "list",
                    "model": model,
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                },
            )
        elif request.path.endswith("/completions") and not request.path.endswith("/chat/completions"):
            await _send_json(
                send,
                200,
                {
                    "id": "cmpl-mock",
                    "object": "text_completion",
                    "created": 1700000000,
                    "model": model,
                    "choices": [{"index": 0, "text": content, "finish_reason": "stop", "logprobs": None}],
                },
            )
        elif body.get("stream"):
            await stream(content.split(" "))(request, receive, send)
        else:
            await _send_json(send, 200, completion(model, content))

    return behave


def stream(
    pieces: list[str], *, delay: float = 0.0, tracker: Tracker | None = None, cut_after: int | None = None
) -> Behaviour:
    """Streams `pieces` word by word; `cut_after` closes the connection after that many chunks."""

    async def behave(request: Received, receive: Any, send: Any) -> None:
        model = request.body.get("model", "?")
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        events = chunks(model, [p if i == 0 else " " + p for i, p in enumerate(pieces)])
        disconnected = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            disconnected.set()
            if tracker:
                tracker.disconnected_at = time.monotonic()

        watcher = asyncio.ensure_future(watch())
        try:
            for index, event in enumerate(events):
                if disconnected.is_set():
                    return
                if cut_after is not None and index >= cut_after:
                    raise RuntimeError("mock upstream cuts the stream")
                await send(
                    {"type": "http.response.body", "body": f"data: {json.dumps(event)}\n\n".encode(), "more_body": True}
                )
                if delay:
                    try:
                        await asyncio.wait_for(disconnected.wait(), delay)
                    except TimeoutError:
                        pass
            await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})
        finally:
            watcher.cancel()

    return behave


def status(
    code: int, message: str = "mock failure", *, headers: dict[str, str] | None = None, type: str = "server_error"
) -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        await _send_json(send, code, {"error": {"message": message, "type": type, "code": None}}, headers)

    return behave


def hang(seconds: float) -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        await asyncio.sleep(seconds)
        await _send_json(send, 200, completion("late", "too late"))

    return behave


@dataclass
class Tracker:
    disconnected_at: float | None = None


@dataclass
class MockUpstream:
    default: Behaviour = field(default_factory=answer)
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    tags: list[str] | None = None  # Ollama's /api/tags answer; None answers 404
    probe_status: int = 200  # what GET .../models (a health probe) answers
    probes: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.behaviours.clear()
        self.requests.clear()
        self.default = answer()
        self.tags = None
        self.probe_status = 200
        self.probes = 0

    def keys_seen(self) -> list[str | None]:
        return [r.key for r in self.requests]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = await request_body(receive)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        key = (
            auth[7:]
            if auth.startswith("Bearer ")
            else (headers.get("x-api-key") or headers.get("x-goog-api-key") or headers.get("api-key"))
        )
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        request = Received(scope["path"], key, body, headers, scope.get("query_string", b"").decode())
        if scope["method"] == "GET" and request.path.endswith("/models"):
            self.probes += 1
            await _send_json(send, self.probe_status, {"object": "list", "data": []})
            return
        if request.path == "/api/tags":
            if self.tags is None:
                await _send_json(send, 404, {"error": "not found"})
            else:
                await _send_json(send, 200, {"models": [{"name": t, "model": t} for t in self.tags]})
            return
        self.requests.append(request)
        behaviour = self.behaviours.get(key or "", self.default)
        await behaviour(request, receive, send)


class ServerThread:
    """Runs an ASGI app under uvicorn on a free loopback port in a background thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off", ws="none", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("mock upstream did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def delayed(seconds: float, then: Behaviour) -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        await asyncio.sleep(seconds)
        await then(request, receive, send)

    return behave


def raw_stream(*parts: bytes, pause_after: int | None = None, pause: float = 0.0) -> Behaviour:
    """Streams the given raw bytes as they are (for malformed SSE); may stall after a part."""

    async def behave(request: Received, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        for index, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            if pause_after is not None and index + 1 == pause_after:
                await asyncio.sleep(pause)
        await send({"type": "http.response.body", "body": b""})

    return behave


def sse(event: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(event)}\n\n".encode()


def tool_call_stream(name: str, fragments: list[str], *, call_id: str = "call_1", text: str = "") -> Behaviour:
    """An OpenAI stream that (after optional text) calls one tool, its arguments in fragments;
    a whole answer carries the same call."""

    async def behave(request: Received, receive: Any, send: Any) -> None:
        model = request.body.get("model", "?")
        call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": "".join(fragments)}}
        usage = {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42}
        if not request.body.get("stream"):
            body = completion(model, text, usage=usage)
            body["choices"][0]["message"] = {"role": "assistant", "content": text or None, "tool_calls": [call]}
            body["choices"][0]["finish_reason"] = "tool_calls"
            await _send_json(send, 200, body)
            return
        base = {"id": "chatcmpl-tools", "object": "chat.completion.chunk", "created": 1700000000, "model": model}

        def delta(content: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": content, "finish_reason": finish}]}

        events = [delta({"role": "assistant", "content": text or None})]
        first = {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
        events.append(delta({"tool_calls": [first]}))
        events += [delta({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}) for f in fragments]
        events.append(delta({}, "tool_calls"))
        events.append({**base, "choices": [], "usage": usage})
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        for event in events:
            await send({"type": "http.response.body", "body": sse(event), "more_body": True})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})

    return behave


def cut_after_first_chunk() -> Behaviour:
    """An OpenAI stream that sends one content chunk, then ends with no finish and no [DONE]."""
    first = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Partial"}, "finish_reason": None}],
    }
    return raw_stream(sse(first))
