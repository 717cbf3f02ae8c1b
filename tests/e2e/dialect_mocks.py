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
        await send(
            {"type": "http.response.body", "body": f"{head}data: {json.dumps(data)}\n\n".encode(), "more_body": True}
        )
    await send({"type": "http.response.body", "body": b""})


def anthropic_text(text: str = "Hello from Claude") -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        model = request.body["model"]
        if not request.body.get("stream"):
            await _send_json(
                send,
                200,
                {
                    "id": "msg_01",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [{"type": "text", "text": text}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 12, "output_tokens": 4},
                },
            )
            return
        words = text.split(" ")
        events: list[tuple[str | None, dict[str, Any]]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_01",
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": 12, "output_tokens": 1},
                    },
                },
            ),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            ),
            ("ping", {"type": "ping"}),
        ]
        events += [
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": w if i == 0 else " " + w},
                },
            )
            for i, w in enumerate(words)
        ]
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": len(words)},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        await _sse(send, events)

    return behave


def anthropic_tool_stream() -> Behaviour:
    """A text block, then a tool_use block whose JSON input arrives in fragments."""

    async def behave(request: Received, receive: Any, send: Any) -> None:
        fragments = ['{"loc', 'ation": "Par', 'is, FR", "unit": ', '"celsius"}']
        events: list[tuple[str | None, dict[str, Any]]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_02",
                        "type": "message",
                        "role": "assistant",
                        "model": request.body["model"],
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": 50, "output_tokens": 1},
                    },
                },
            ),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            ),
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me check."}},
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 1,
                    "content_block": {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {}},
                },
            ),
        ]
        events += [
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": f}},
            )
            for f in fragments
        ]
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 1}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                    "usage": {"output_tokens": 30},
                },
            ),
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
        await _sse(
            send,
            [
                (None, {"candidates": [{"content": {"role": "model", "parts": [{"text": "Checking."}]}, "index": 0}]}),
                (
                    None,
                    {
                        "candidates": [
                            {"content": {"role": "model", "parts": [call]}, "finishReason": "STOP", "index": 0}
                        ],
                        "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 8, "totalTokenCount": 28},
                    },
                ),
            ],
        )

    return behave


def gemini_error(status: int, code_name: str, message: str, *, retry_delay: str | None = None) -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        error: dict[str, Any] = {"code": status, "message": message, "status": code_name}
        if retry_delay:
            error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}]
        await _send_json(send, status, {"error": error})

    return behave


def _response(model: str, output: list[dict[str, Any]], *, status: str = "completed") -> dict[str, Any]:
    return {
        "id": "resp_01",
        "object": "response",
        "created_at": 1700000000,
        "status": status,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "incomplete_details": None,
        "error": None,
        "usage": {
            "input_tokens": 11,
            "output_tokens": 6,
            "total_tokens": 17,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }


def _message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_01",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def responses_text(text: str = "Hello from Responses") -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        model = request.body["model"]
        if not request.body.get("stream"):
            await _send_json(send, 200, _response(model, [_message(text)]))
            return
        shell = _response(model, [], status="in_progress")
        events: list[tuple[str | None, dict[str, Any]]] = [
            ("response.created", {"type": "response.created", "sequence_number": 0, "response": shell}),
            (
                "response.output_item.added",
                {
                    "type": "response.output_item.added",
                    "sequence_number": 1,
                    "output_index": 0,
                    "item": {**_message(""), "content": [], "status": "in_progress"},
                },
            ),
            (
                "response.content_part.added",
                {
                    "type": "response.content_part.added",
                    "sequence_number": 2,
                    "item_id": "msg_01",
                    "output_index": 0,
                    "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []},
                },
            ),
        ]
        for i, word in enumerate(text.split(" ")):
            events.append(
                (
                    "response.output_text.delta",
                    {
                        "type": "response.output_text.delta",
                        "sequence_number": 3 + i,
                        "item_id": "msg_01",
                        "output_index": 0,
                        "content_index": 0,
                        "delta": word if i == 0 else " " + word,
                        "logprobs": [],
                    },
                )
            )
        events.append(
            (
                "response.output_item.done",
                {"type": "response.output_item.done", "sequence_number": 50, "output_index": 0, "item": _message(text)},
            )
        )
        events.append(
            (
                "response.completed",
                {"type": "response.completed", "sequence_number": 51, "response": _response(model, [_message(text)])},
            )
        )
        await _sse(send, events)

    return behave


def responses_tool_stream() -> Behaviour:
    async def behave(request: Received, receive: Any, send: Any) -> None:
        model = request.body["model"]
        call = {
            "type": "function_call",
            "id": "fc_01",
            "call_id": "call_abc",
            "name": "get_weather",
            "arguments": "",
            "status": "in_progress",
        }
        fragments = ['{"location":', ' "Paris, FR",', ' "unit": "celsius"}']
        events: list[tuple[str | None, dict[str, Any]]] = [
            (
                "response.created",
                {
                    "type": "response.created",
                    "sequence_number": 0,
                    "response": _response(model, [], status="in_progress"),
                },
            ),
            (
                "response.output_item.added",
                {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": call},
            ),
        ]
        events += [
            (
                "response.function_call_arguments.delta",
                {
                    "type": "response.function_call_arguments.delta",
                    "sequence_number": 2 + i,
                    "item_id": "fc_01",
                    "output_index": 0,
                    "delta": f,
                },
            )
            for i, f in enumerate(fragments)
        ]
        done = {**call, "arguments": "".join(fragments), "status": "completed"}
        events += [
            (
                "response.function_call_arguments.done",
                {
                    "type": "response.function_call_arguments.done",
                    "sequence_number": 10,
                    "item_id": "fc_01",
                    "output_index": 0,
                    "arguments": done["arguments"],
                },
            ),
            (
                "response.output_item.done",
                {"type": "response.output_item.done", "sequence_number": 11, "output_index": 0, "item": done},
            ),
            (
                "response.completed",
                {"type": "response.completed", "sequence_number": 12, "response": _response(model, [done])},
            ),
        ]
        await _sse(send, events)

    return behave


def anthropic_thinking_tool_stream(signature: str = "EqQBCkYIBRgCKkBsig") -> Behaviour:
    """Extended thinking with a tool call, as Anthropic streams it: a thinking block closed by a
    signature_delta, then a tool_use block."""

    async def behave(request: Received, receive: Any, send: Any) -> None:
        events: list[tuple[str | None, dict[str, Any]]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_03",
                        "type": "message",
                        "role": "assistant",
                        "model": request.body["model"],
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": 40, "output_tokens": 1},
                    },
                },
            ),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": "The user wants weather. "},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": "Call the tool."},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "signature_delta", "signature": signature},
                },
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 1,
                    "content_block": {"type": "tool_use", "id": "toolu_01B", "name": "get_weather", "input": {}},
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": '{"location": "Oslo"}'},
                },
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 1}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                    "usage": {"output_tokens": 25},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        await _sse(send, events)

    return behave
