"""Upstream behaviours in the Anthropic Messages and Gemini wire formats, for MockUpstream.

Payloads follow the providers' documented shapes: Anthropic's message object and its SSE
event sequence (message_start ... message_stop), Gemini's GenerateContentResponse and its
`alt=sse` stream, and each provider's error envelope with its own rate-limit signal.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.mock_upstream import Behaviour, Received, _send_json


async def _sse(send: Any, events: list[tuple[str | None, dict[str, Any]]]) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        await send({"type": "http.response.body", "body": f"{head}data: {json.dumps(data)}\n\n".encode(),
                    "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def anthropic_text(text: str = "Hello from Claude") -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        model = request.body["model"]
        if not request.body.get("stream"):
            await _send_json(send, 200, {
                "id": "msg_01", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 12, "output_tokens": 4}})
            return
        words = text.split(" ")
        events: list[tuple[str | None, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": {
                "id": "msg_01", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}}),
            ("ping", {"type": "ping"}),
        ]
        events += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "text_delta", "text": w if i == 0 else " " + w}})
                   for i, w in enumerate(words)]
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                               "usage": {"output_tokens": len(words)}}),
            ("message_stop", {"type": "message_stop"}),
        ]
        await _sse(send, events)
    return behave


def anthropic_tool_stream() -> Behaviour:
    """A text block, then a tool_use block whose JSON input arrives in fragments."""
    async def behave(request: Received, receive: Any, send: Any) -> None:
        fragments = ['{"loc', 'ation": "Par', 'is, FR", "unit": ', '"celsius"}']
        events: list[tuple[str | None, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": {
                "id": "msg_02", "type": "message", "role": "assistant", "model": request.body["model"],
                "content": [], "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": 50, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "text_delta", "text": "Let me check."}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {
                "type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {}}}),
        ]
        events += [("content_block_delta", {"type": "content_block_delta", "index": 1,
                                            "delta": {"type": "input_json_delta", "partial_json": f}})
                   for f in fragments]
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 1}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                               "usage": {"output_tokens": 30}}),
            ("message_stop", {"type": "message_stop"}),
        ]
        await _sse(send, events)
    return behave


def anthropic_error(status: int, type: str, message: str, headers: dict[str, str] | None = None) -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        await _send_json(send, status, {"type": "error", "error": {"type": type, "message": message}}, headers)
    return behave


def gemini_text(text: str = "Hello from Gemini") -> Behaviour:
    def response(parts: list[dict[str, Any]], finish: str | None, usage: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        body: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash", "responseId": "resp-1"}
        if usage:
            body["usageMetadata"] = {"promptTokenCount": 9, "candidatesTokenCount": 5, "totalTokenCount": 14}
        return body

    async def behave(request: Received, receive: Any, send: Any) -> None:
        if ":embedContent" in request.path:
            await _send_json(send, 200, {"embedding": {"values": [0.5, -0.5, 0.25]}})
        elif ":batchEmbedContents" in request.path:
            await _send_json(send, 200, {"embeddings": [{"values": [0.1]} for _ in request.body["requests"]]})
        elif ":streamGenerateContent" in request.path:
            words = text.split(" ")
            events = [(None, response([{"text": w if i == 0 else " " + w}], None, False)) for i, w in enumerate(words)]
            events.append((None, response([{"text": ""}], "STOP", True)))
            await _sse(send, events)
        else:
            await _send_json(send, 200, response([{"text": text}], "STOP", True))
    return behave


def gemini_tool_stream() -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        call = {"functionCall": {"name": "get_weather", "args": {"location": "Paris, FR", "unit": "celsius"}}}
        await _sse(send, [
            (None, {"candidates": [{"content": {"role": "model", "parts": [{"text": "Checking."}]}, "index": 0}]}),
            (None, {"candidates": [{"content": {"role": "model", "parts": [call]}, "finishReason": "STOP", "index": 0}],
                    "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 8, "totalTokenCount": 28}}),
        ])
    return behave


def gemini_error(status: int, code_name: str, message: str, *, retry_delay: str | None = None) -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        error: dict[str, Any] = {"code": status, "message": message, "status": code_name}
        if retry_delay:
            error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}]
        await _send_json(send, status, {"error": error})
    return behave
