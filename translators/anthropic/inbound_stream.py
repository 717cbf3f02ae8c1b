"""Hub `chat.completion.chunk`s -> the SSE stream an Anthropic client reads.

Writes https://docs.anthropic.com/en/docs/build-with-claude/streaming: `message_start` (and a
`ping`, as Anthropic sends), then per content block `content_block_start`, its deltas and
`content_block_stop`, blocks indexed from 0 in the order they open, then `message_delta` with
the stop reason and usage, and `message_stop`. Reasoning text streams as a thinking block, which
a hub `thinking_blocks` end entry closes with its signature (translators/hub.py); a redacted
block arrives whole. Tool call arguments stream as `input_json_delta` as their fragments arrive.
A different kind of content, or a new tool call, closes the open block. Hub usage comes in a
chunk after the finish, so `message_delta` waits for it, or for `close()`. Every event is a
pure function of the chunks fed so far, so how they were grouped never changes the bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from translators.anthropic.inbound_answer import (
    ANTHROPIC_ERROR_TYPES,
    client_usage,
    error_type,
    refusal_details,
    stop_reason,
    tool_use_id,
)
from translators.errors import StreamError, UpstreamErrorInfo

__all__ = ["ClientStream"]

# Block kind -> its empty `content_block_start` form and the delta type its text streams as.
TEXT_BLOCKS: dict[str, tuple[dict[str, str], str]] = {
    "text": ({"type": "text", "text": ""}, "text_delta"),
    "thinking": ({"type": "thinking", "thinking": "", "signature": ""}, "thinking_delta"),
}

INTERLEAVED = UpstreamErrorInfo(
    status=502,
    type="server_error",
    code="upstream_stream_interleaved",
    message="the upstream interleaved the arguments of two tool calls, which an Anthropic stream cannot carry",
)


def _json(payload: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(payload)
    except orjson.JSONEncodeError:
        # A lone surrogate in a string: escaped, it is still JSON a client can read.
        return json.dumps(payload, separators=(",", ":")).encode()


def event(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + _json(payload) + b"\n\n"


@dataclass(slots=True)
class _Block:
    index: int
    kind: str  # "text", "thinking" or "tool_use"
    tool: int | None = None  # the hub tool call index of a tool_use block


class ClientStream:
    """Hub chunks in, Anthropic SSE bytes out (one `bytes` per event); see the module docstring.

    `close()` ends the message whether or not a finish was seen: with none (the upstream's
    decoder raised instead, and the gateway closes anyway) the stop reason reads end_turn.
    """

    __slots__ = (
        "_blocks",
        "_ended",
        "_error",
        "_finish",
        "_id",
        "_model",
        "_open",
        "_refusal",
        "_sent_delta",
        "_started",
        "_tools",
        "usage",
    )

    def __init__(self, *, model: str, id: str) -> None:
        self._model = model
        self._id = id
        self._started = False
        self._ended = False
        self._error: StreamError | None = None
        self._sent_delta = False
        self._finish: Any = None
        self._open: _Block | None = None
        self._blocks = 0
        self._tools: set[int] = set()  # the hub tool call indexes seen
        self._refusal: list[str] = []
        self.usage: dict[str, Any] | None = None

    def feed(self, chunks: Sequence[Mapping[str, Any]]) -> list[bytes]:
        """Events for these chunks. A `StreamError` is raised once the events before it are
        handed out, so how the chunks were grouped never changes what the client receives."""
        if self._error is not None:
            raise self._error
        out: list[bytes] = []
        try:
            for chunk in chunks:
                if not self._ended and isinstance(chunk, Mapping):
                    self._start(out)
                    self._chunk(chunk, out)
        except StreamError as error:
            self._error = error
            if not out:
                raise
        return out

    def close(self) -> list[bytes]:
        """Ends the message; a second call, or one after `error_event`, returns []."""
        if self._error is not None:
            raise self._error
        if self._ended:
            return []
        out: list[bytes] = []
        self._start(out)
        self._close_block(out)
        if not self._sent_delta:
            out.append(self._message_delta())
        out.append(event("message_stop", {"type": "message_stop"}))
        self._ended = True
        return out

    def error_event(self, status: int, type: str, message: str) -> bytes:
        """An `error` event, after which the stream is over. `type` is kept when it is an
        Anthropic error type already (OpenAI shares several names); else the status decides."""
        self._ended = True
        self._error = None
        kind = type if type in ANTHROPIC_ERROR_TYPES else error_type(status)
        return event("error", {"type": "error", "error": {"type": kind, "message": message}})

    # --- the message ----------------------------------------------------------------------

    def _start(self, out: list[bytes]) -> None:
        if self._started:
            return
        self._started = True
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            # Hub usage arrives only at the end; message_delta carries it.
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        out.append(event("message_start", {"type": "message_start", "message": message}))
        out.append(event("ping", {"type": "ping"}))

    def _chunk(self, chunk: Mapping[str, Any], out: list[bytes]) -> None:
        choices = chunk.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices else None
        if isinstance(choice, Mapping) and self._finish is None:
            delta = choice.get("delta")
            if isinstance(delta, Mapping):
                self._delta(delta, out)
            finish = choice.get("finish_reason")
            if isinstance(finish, str) and finish:
                self._finish = finish
                self._close_block(out)
        usage = chunk.get("usage")
        if isinstance(usage, Mapping):
            self.usage = dict(usage)
        if self._finish is not None and self.usage is not None and not self._sent_delta:
            out.append(self._message_delta())

    def _message_delta(self) -> bytes:
        self._sent_delta = True
        refusal = "".join(self._refusal)
        reason = stop_reason(self._finish, tool_use=bool(self._tools), refusal=bool(refusal))
        delta: dict[str, Any] = {"stop_reason": reason, "stop_sequence": None}
        if refusal:
            delta["stop_details"] = refusal_details(refusal)
        usage = client_usage(self.usage) if self.usage is not None else {"output_tokens": 0}
        return event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})

    # --- content blocks -------------------------------------------------------------------

    def _delta(self, delta: Mapping[str, Any], out: list[bytes]) -> None:
        reasoning = delta.get("reasoning_content")
        if isinstance(reasoning, str) and reasoning:
            self._text("thinking", reasoning, out)
        entries = delta.get("thinking_blocks")
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping):
                self._thinking_entry(entry, out)
        content = delta.get("content")
        if isinstance(content, str) and content:
            self._text("text", content, out)
        refusal = delta.get("refusal")
        if isinstance(refusal, str):
            self._refusal.append(refusal)
        calls = delta.get("tool_calls")
        for call in calls if isinstance(calls, list) else []:
            if isinstance(call, Mapping):
                self._tool_call(call, out)

    def _open_block(self, kind: str, start: dict[str, Any], out: list[bytes], tool: int | None = None) -> _Block:
        self._close_block(out)
        self._open = block = _Block(self._blocks, kind, tool)
        self._blocks += 1
        out.append(
            event("content_block_start", {"type": "content_block_start", "index": block.index, "content_block": start})
        )
        return block

    def _close_block(self, out: list[bytes]) -> None:
        if self._open is not None:
            out.append(event("content_block_stop", {"type": "content_block_stop", "index": self._open.index}))
            self._open = None

    def _block_delta(self, block: _Block, delta: dict[str, Any], out: list[bytes]) -> None:
        out.append(event("content_block_delta", {"type": "content_block_delta", "index": block.index, "delta": delta}))

    def _text(self, kind: str, text: str, out: list[bytes]) -> None:
        start, delta_type = TEXT_BLOCKS[kind]
        block = self._open
        if block is None or block.kind != kind:
            block = self._open_block(kind, dict(start), out)
        self._block_delta(block, {"type": delta_type, kind: text}, out)

    def _thinking_entry(self, entry: Mapping[str, Any], out: list[bytes]) -> None:
        kind = entry.get("type")
        if kind == "thinking":
            # The reasoning streamed since the last entry is one block, closed by this signature.
            block = self._open
            if block is None or block.kind != "thinking":
                block = self._open_block("thinking", dict(TEXT_BLOCKS["thinking"][0]), out)
            signature = entry.get("signature")
            if isinstance(signature, str) and signature:
                self._block_delta(block, {"type": "signature_delta", "signature": signature}, out)
            self._close_block(out)
        elif kind == "redacted_thinking":
            data = entry.get("data")
            start = {"type": "redacted_thinking", "data": data if isinstance(data, str) else ""}
            self._open_block("redacted_thinking", start, out)
            self._close_block(out)

    def _tool_call(self, call: Mapping[str, Any], out: list[bytes]) -> None:
        index = call.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            # Without an index a fragment belongs to the call being streamed, if any.
            open_tool = self._open.tool if self._open is not None else None
            index = open_tool if open_tool is not None else len(self._tools)
        function = call.get("function")
        function = function if isinstance(function, Mapping) else {}
        block = self._open
        if index not in self._tools:
            call_id, name = call.get("id"), function.get("name")
            start = {
                "type": "tool_use",
                "id": call_id if isinstance(call_id, str) and call_id else tool_use_id(self._id, index),
                "name": name if isinstance(name, str) else "",
                "input": {},
            }
            block = self._open_block("tool_use", start, out, tool=index)
            self._tools.add(index)
        elif block is None or block.tool != index:
            # A block, once stopped, cannot take more input; arguments are never held back.
            raise StreamError(INTERLEAVED)
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            self._block_delta(block, {"type": "input_json_delta", "partial_json": arguments}, out)
