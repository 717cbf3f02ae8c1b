"""Scripted upstreams for coding agents: the first turn calls the agent's shell tool, the turn
after the tool ran answers with what the tool printed. One script per upstream dialect
(OpenAI Chat Completions, Anthropic Messages), streamed or not as the request asks; requests
an agent makes on the side (titles, quota checks) get a short text answer.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.mock_upstream import Behaviour, Received, _send_json, completion, sse

# The command prints MARKER only when a shell runs it: its text holds an expression instead.
COMMAND = "echo gateway-$((6*7))-ok"
MARKER = "gateway-42-ok"
SHELL_TOOLS = ("Bash", "shell", "exec_command", "local_shell")


def _shell_tool(names: list[str]) -> str | None:
    return next((name for name in names if name in SHELL_TOOLS), None)


def _command(tool: str) -> dict[str, Any]:
    if tool == "Bash":
        return {"command": COMMAND, "description": "Print the marker"}
    if tool == "exec_command":
        return {"cmd": COMMAND}
    return {"command": ["bash", "-lc", COMMAND]}


def _tool_output_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def openai_agent() -> Behaviour:
    """Chat Completions: a tool call to the shell tool, then the tool's output as the answer."""

    async def behave(request: Received, receive: Any, send: Any) -> None:
        body = request.body
        messages = body.get("messages", [])
        names = [t.get("function", {}).get("name", "") for t in body.get("tools", [])]
        results = [m for m in messages if m.get("role") == "tool"]
        tool = _shell_tool(names)
        if results:
            text, call = f"The command printed: {_tool_output_text(results[-1].get('content'))}", None
        elif tool:
            text, call = "", {"name": tool, "arguments": json.dumps(_command(tool))}
        else:
            text, call = "ok", None
        model = body.get("model", "?")
        usage = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        if not body.get("stream"):
            reply = completion(model, text, usage=usage)
            if call:
                reply["choices"][0]["message"] = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "call_agent_1", "type": "function", "function": call}],
                }
                reply["choices"][0]["finish_reason"] = "tool_calls"
            await _send_json(send, 200, reply)
            return
        base = {"id": "chatcmpl-agent", "object": "chat.completion.chunk", "created": 1700000000, "model": model}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        events = [chunk({"role": "assistant", "content": ""})]
        if call:
            events.append(
                chunk({"tool_calls": [{"index": 0, "id": "call_agent_1", "type": "function", "function": call}]})
            )
            events.append(chunk({}, "tool_calls"))
        else:
            events += [chunk({"content": text}), chunk({}, "stop")]
        events.append({**base, "choices": [], "usage": usage})
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        for event in events:
            await send({"type": "http.response.body", "body": sse(event), "more_body": True})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})

    return behave


def anthropic_agent() -> Behaviour:
    """Anthropic Messages: a tool_use block for the shell tool, then the tool's output."""

    async def behave(request: Received, receive: Any, send: Any) -> None:
        body = request.body
        if request.path.endswith("/count_tokens"):
            await _send_json(send, 200, {"input_tokens": 100})
            return
        names = [t.get("name", "") for t in body.get("tools", [])]
        results = [
            block
            for message in body.get("messages", [])
            if message.get("role") == "user" and isinstance(message.get("content"), list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        ]
        tool = _shell_tool(names)
        if results:
            block: dict[str, Any] = {"type": "text", "text": f"The command printed: {_result_text(results[-1])}"}
            stop = "end_turn"
        elif tool:
            block = {"type": "tool_use", "id": "toolu_agent_1", "name": tool, "input": _command(tool)}
            stop = "tool_use"
        else:
            block, stop = {"type": "text", "text": "ok"}, "end_turn"
        message = {
            "id": "msg_agent",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "?"),
            "content": [block],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 20},
        }
        if not body.get("stream"):
            await _send_json(send, 200, message)
            return
        start = {**message, "content": [], "stop_reason": None, "usage": {"input_tokens": 100, "output_tokens": 1}}
        if block["type"] == "text":
            opened, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
        else:
            opened = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        events = [
            ("message_start", {"type": "message_start", "message": start}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": opened}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": 20},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        for name, data in events:
            payload = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
            await send({"type": "http.response.body", "body": payload, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return behave


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return _tool_output_text(content)
