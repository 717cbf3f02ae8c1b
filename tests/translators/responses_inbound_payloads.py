"""Realistic payloads for the Responses client translators: requests as Codex CLI and the openai
SDK send them, hub answers, and upstream streams in each upstream dialect's wire format.

Codex's request shape: instructions, developer and user message items, the replayed reasoning
item (with `encrypted_content`, as `include: ["reasoning.encrypted_content"]` returns it),
assistant message, function_call and function_call_output items, function tools, `store: false`.
"""

from __future__ import annotations

import json
from typing import Any

from translators import common

CREATED = 1_760_000_000
RESPONSE_ID = "resp_gw0c0ffee"

INSTRUCTIONS = "You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI on a user's computer."

SHELL_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "shell",
    "description": "Runs a shell command and returns its output.",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {
            "command": {"type": "array", "items": {"type": "string"}, "description": "The command to execute"},
            "workdir": {"type": "string", "description": "The working directory to execute the command in"},
            "timeout_ms": {"type": "number", "description": "The timeout for the command in milliseconds"},
        },
        "required": ["command"],
        "additionalProperties": False,
    },
}

PLAN_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "update_plan",
    "description": "Updates the task plan.",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {
            "explanation": {"type": "string"},
            "plan": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"step": {"type": "string"}, "status": {"type": "string"}},
                    "required": ["step", "status"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["plan"],
        "additionalProperties": False,
    },
}

ENVIRONMENT = "<environment_context>\n  <cwd>/home/dev/project</cwd>\n  <sandbox_mode>workspace-write</sandbox_mode>\n</environment_context>"
LS_ARGUMENTS = '{"command":["ls","-la"],"workdir":"/home/dev/project"}'
CAT_ARGUMENTS = '{"command":["cat","README.md"]}'

CODEX_INPUT: list[dict[str, Any]] = [
    {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<permissions instructions>"}]},
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": ENVIRONMENT}]},
    {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "List the files, then read the README."}],
    },
    {
        "type": "reasoning",
        "id": "rs_68f0a1b2c3d4",
        "summary": [{"type": "summary_text", "text": "**Listing files**\n\nI'll run ls, then cat the README."}],
        "encrypted_content": "gAAAAABo8KGy1dmNq0p3x-Jq6Y2b...",
    },
    {
        "type": "message",
        "role": "assistant",
        "id": "msg_68f0a1b2c3d5",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Let me look around.", "annotations": []}],
    },
    {
        "type": "function_call",
        "id": "fc_68f0a1b2c3d6",
        "name": "shell",
        "arguments": LS_ARGUMENTS,
        "call_id": "call_Q1",
    },
    {"type": "function_call", "name": "shell", "arguments": CAT_ARGUMENTS, "call_id": "call_Q2"},
    {"type": "function_call_output", "call_id": "call_Q1", "output": "total 8\n-rw-r--r-- 1 dev dev 42 README.md"},
    {"type": "function_call_output", "call_id": "call_Q2", "output": "# Project\nA demo."},
]

CODEX_REQUEST: dict[str, Any] = {
    "model": "gpt-5-codex",
    "instructions": INSTRUCTIONS,
    "input": CODEX_INPUT,
    "tools": [SHELL_TOOL, PLAN_TOOL],
    "tool_choice": "auto",
    "parallel_tool_calls": False,
    "reasoning": {"effort": "medium", "summary": "auto"},
    "store": False,
    "stream": True,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "0199a3c2-7f0e-7a51-9d0b-0c8f6f2b9e11",
    "text": {"verbosity": "medium"},
}

# The openai SDK's `client.responses.create(...)` as an application calls it.
SDK_REQUEST: dict[str, Any] = {
    "model": "gpt-4.1",
    "instructions": "Answer in one sentence.",
    "input": [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is in this image?"},
                {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "low"},
            ],
        }
    ],
    "max_output_tokens": 256,
    "temperature": 0.2,
    "top_p": 0.9,
    "text": {
        "format": {
            "type": "json_schema",
            "name": "caption",
            "schema": {"type": "object", "properties": {"caption": {"type": "string"}}, "required": ["caption"]},
            "strict": True,
        }
    },
    "metadata": {"team": "vision"},
    "user": "user-1234",
    "safety_identifier": "sid-1234",
    "store": True,
}

# --- hub answers ---------------------------------------------------------------------------------

HUB_USAGE = common.usage(prompt=1200, completion=340, cached=1024, reasoning=128)

SHELL_CALL = {"id": "call_X1", "type": "function", "function": {"name": "shell", "arguments": '{"command":["ls"]}'}}


def hub_completion(message: dict[str, Any], finish: str = "stop", usage: Any = HUB_USAGE) -> dict[str, Any]:
    return common.completion(
        id="chatcmpl-gw1",
        created=CREATED,
        model="codex",
        choices=[common.message_choice({"role": "assistant", **message}, finish)],
        usage=usage,
    )


TEXT_COMPLETION = hub_completion({"content": "The README describes a demo project."})
TOOL_COMPLETION = hub_completion(
    {"content": "Listing files.", "reasoning_content": "I should list the files first.", "tool_calls": [SHELL_CALL]},
    "tool_calls",
)

# --- upstream streams ----------------------------------------------------------------------------


def chat_stream(*deltas: tuple[dict[str, Any], str | None], usage: dict[str, Any] | None = HUB_USAGE) -> bytes:
    """An OpenAI Chat Completions stream as OpenAI writes it, usage requested."""
    head = {"id": "chatcmpl-CXm1", "object": "chat.completion.chunk", "created": CREATED, "model": "gpt-4.1-2025-04-14"}
    head |= {"service_tier": "default", "system_fingerprint": "fp_4c2851f862"}
    events = [
        {**head, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], "usage": None}
        for delta, finish in deltas
    ]
    if usage is not None:
        events.append({**head, "choices": [], "usage": usage})
    return b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events) + b"data: [DONE]\n\n"


CHAT_TEXT_STREAM = chat_stream(
    ({"role": "assistant", "content": "", "refusal": None}, None),
    ({"content": "Hello"}, None),
    ({"content": ", caf\u00e9!"}, None),
    ({}, "stop"),
)

# Two calls in one turn, after a sentence of text, from an upstream that streams reasoning
# (DeepSeek and vLLM write `reasoning_content` deltas).
CHAT_TOOL_STREAM = chat_stream(
    ({"role": "assistant", "content": None, "reasoning_content": ""}, None),
    ({"reasoning_content": "List first,"}, None),
    ({"reasoning_content": " then read."}, None),
    ({"content": "Looking."}, None),
    (
        {
            "tool_calls": [
                {"index": 0, "id": "call_A", "type": "function", "function": {"name": "shell", "arguments": ""}}
            ]
        },
        None,
    ),
    ({"tool_calls": [{"index": 0, "function": {"arguments": '{"command":'}}]}, None),
    ({"tool_calls": [{"index": 0, "function": {"arguments": ' ["ls"]}'}}]}, None),
    (
        {
            "tool_calls": [
                {"index": 1, "id": "call_B", "type": "function", "function": {"name": "update_plan", "arguments": ""}}
            ]
        },
        None,
    ),
    ({"tool_calls": [{"index": 1, "function": {"arguments": '{"plan": []}'}}]}, None),
    ({}, "tool_calls"),
)

CHAT_LENGTH_STREAM = chat_stream(
    ({"role": "assistant", "content": ""}, None),
    ({"content": "The answer is cut"}, None),
    ({}, "length"),
)

THINKING_SIGNATURE = "EqQBCkYIBRgCIkB3n0m9c0kq4Zq2S9M0yJtA=="

ANTHROPIC_THINKING_TOOL_STREAM = b"""event: message_start
data: {"type":"message_start","message":{"id":"msg_01Xk","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":512,"cache_creation_input_tokens":0,"cache_read_input_tokens":256,"output_tokens":3}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants the files."}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCkYIBRgCIkB3n0m9c0kq4Zq2S9M0yJtA=="}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"I'll list them."}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01A","name":"shell","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\\"command\\": [\\"ls\\"]}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

"""

GEMINI_SIGNATURE = "CiQBVKhc7vBv2cx2ms0SOBXc9pPb1K1oqz0c8QyyJVpCr0s="


def _gemini_event(parts: list[dict[str, Any]], usage: dict[str, Any], finish: str | None = None) -> bytes:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    event = {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "gemini-2.5-pro", "responseId": "g-1"}
    return b"data: " + json.dumps(event).encode() + b"\r\n\r\n"


GEMINI_TOOL_STREAM = _gemini_event(
    [{"text": "**Planning**\n\nI need the shell.", "thought": True}],
    {"promptTokenCount": 70, "totalTokenCount": 70},
) + _gemini_event(
    [{"functionCall": {"name": "shell", "args": {"command": ["ls"]}}, "thoughtSignature": GEMINI_SIGNATURE}],
    {"promptTokenCount": 70, "candidatesTokenCount": 25, "thoughtsTokenCount": 41, "totalTokenCount": 136},
    finish="STOP",
)

# --- Responses upstream streams (for the passthrough) --------------------------------------------


def responses_stream(events: list[dict[str, Any]]) -> bytes:
    """Events as the API sends them: `event:` named after `type`, numbered from 0."""
    out = b""
    for number, event in enumerate(events):
        event = {**event, "sequence_number": number}
        out += f"event: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n".encode()
    return out


def upstream_response(status: str, output: list[Any], usage: Any = None) -> dict[str, Any]:
    return {
        "id": "resp_68f0ffee", "object": "response", "created_at": CREATED, "status": status, "background": False,
        "error": None, "incomplete_details": None, "instructions": INSTRUCTIONS, "max_output_tokens": None,
        "model": "gpt-5-codex-2025-09-15", "output": output, "parallel_tool_calls": False,
        "previous_response_id": None, "prompt_cache_key": "0199a3c2", "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False, "temperature": 1.0, "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto", "tools": [SHELL_TOOL], "top_p": 1.0, "truncation": "disabled", "usage": usage,
        "user": None, "metadata": {},
    }  # fmt: skip


UPSTREAM_USAGE = {
    "input_tokens": 4012, "input_tokens_details": {"cached_tokens": 3968, "cache_write_tokens": 0},
    "output_tokens": 152, "output_tokens_details": {"reasoning_tokens": 64}, "total_tokens": 4164,
}  # fmt: skip

REASONING_ITEM = {
    "id": "rs_68f0a", "type": "reasoning", "encrypted_content": "gAAAAABo8Ky...",
    "summary": [{"type": "summary_text", "text": "**Checking files**"}],
}  # fmt: skip
CALL_ITEM = {
    "id": "fc_68f0b", "type": "function_call", "status": "completed", "arguments": '{"command":["ls"]}',
    "call_id": "call_Z9", "name": "shell",
}  # fmt: skip


def _place(index: int, item_id: str, **fields: Any) -> dict[str, Any]:
    return {"item_id": item_id, "output_index": index, **fields}


UPSTREAM_EVENTS: list[dict[str, Any]] = [
    {"type": "response.created", "response": upstream_response("in_progress", [])},
    {"type": "response.in_progress", "response": upstream_response("in_progress", [])},
    {"type": "response.output_item.added", "output_index": 0, "item": {**REASONING_ITEM, "summary": []}},
    {"type": "response.reasoning_summary_part.added", **_place(0, "rs_68f0a", summary_index=0),
     "part": {"type": "summary_text", "text": ""}},
    {"type": "response.reasoning_summary_text.delta", **_place(0, "rs_68f0a", summary_index=0),
     "delta": "**Checking files**"},
    {"type": "response.reasoning_summary_text.done", **_place(0, "rs_68f0a", summary_index=0),
     "text": "**Checking files**"},
    {"type": "response.reasoning_summary_part.done", **_place(0, "rs_68f0a", summary_index=0),
     "part": {"type": "summary_text", "text": "**Checking files**"}},
    {"type": "response.output_item.done", "output_index": 0, "item": REASONING_ITEM},
    {"type": "response.output_item.added", "output_index": 1,
     "item": {**CALL_ITEM, "status": "in_progress", "arguments": ""}},
    {"type": "response.function_call_arguments.delta", **_place(1, "fc_68f0b"), "delta": '{"command":'},
    {"type": "response.function_call_arguments.delta", **_place(1, "fc_68f0b"), "delta": '["ls"]}'},
    {"type": "response.function_call_arguments.done", **_place(1, "fc_68f0b"), "arguments": '{"command":["ls"]}'},
    {"type": "response.output_item.done", "output_index": 1, "item": CALL_ITEM},
    {"type": "response.completed", "response": upstream_response("completed", [REASONING_ITEM, CALL_ITEM], UPSTREAM_USAGE)},
]  # fmt: skip
