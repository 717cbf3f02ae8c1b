"""Anthropic Messages SSE stream -> OpenAI `chat.completion.chunk` dicts.

Follows https://docs.anthropic.com/en/docs/build-with-claude/streaming: `message_start`, then
per content block `content_block_start` / `content_block_delta`s / `content_block_stop`, then
`message_delta` (stop reason, cumulative usage) and `message_stop`; `ping` may come anywhere,
unknown event and delta types are skipped as the versioning policy asks. `tool_use` blocks get
OpenAI tool-call indexes 0, 1, ... in order of appearance, whatever their block index.
Thinking text streams as `reasoning_content`; each thinking block's end (with the signature its
`signature_delta`s carried) and each redacted thinking block become a hub `thinking_blocks`
delta, indexed 0, 1, ... in order of appearance (the format is in translators/hub.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from translators import hub
from translators.anthropic.errors import error_info
from translators.anthropic.response import finish_reason, refusal, usage
from translators.common import Chunk
from translators.decoding import EventDecoder, event_type, load_event, stream_truncated
from translators.errors import StreamError, TranslationError
from translators.sse import SSEEvent

__all__ = ["StreamDecoder"]

# delta type -> the OpenAI delta field its text goes to (input_json_delta is handled apart).
TEXT_DELTAS: dict[str, tuple[str, str]] = {
    "text_delta": ("text", "content"),
    "thinking_delta": ("thinking", "reasoning_content"),
}

# block type -> (field holding its initial text, OpenAI delta field).
TEXT_BLOCKS: dict[str, tuple[str, str]] = {
    "text": ("text", "content"),
    "thinking": ("thinking", "reasoning_content"),
}


@dataclass(slots=True)
class _Block:
    """One open content block; `tool_index` is set for tool_use blocks only, `signature`
    gathers a thinking block's signature pieces."""

    kind: Any = None
    tool_index: int | None = None
    has_arguments: bool = False
    signature: list[str] = field(default_factory=list)


class StreamDecoder(EventDecoder):
    """Upstream SSE bytes in, OpenAI chunk dicts out; see the module docstring for the events."""

    TRUNCATED = stream_truncated("the upstream stream ended before message_stop")

    def __init__(self, *, model: str, created: int, id: str) -> None:
        super().__init__(model=model, created=created, id=id)
        self._blocks: dict[int, _Block] = {}
        self._next_tool = 0
        self._next_thinking = 0
        self._usage: dict[str, Any] | None = None
        self._stop_reason: Any = None
        self._stop_details: Any = None
        self._handlers: dict[str, Callable[[Mapping[str, Any]], list[Chunk]]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_delta,
            "content_block_stop": self._block_stop,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
        }

    def _event(self, event: SSEEvent) -> list[Chunk]:
        payload = load_event(event)
        kind = event_type(event, payload)
        if kind == "error":
            self._error = StreamError(error_info(payload.get("error")))
            return []
        handler = self._handlers.get(kind)
        if handler is None:
            return []  # ping, and event types newer than this translator
        if not self._started and kind != "message_start":
            raise TranslationError(f"upstream stream sent {kind!r} before message_start")
        return handler(payload)

    def _message_start(self, payload: Mapping[str, Any]) -> list[Chunk]:
        message = payload.get("message")
        if not isinstance(message, Mapping):
            raise TranslationError("upstream message_start carries no message")
        if isinstance(message.get("id"), str):
            self._id = message["id"]
        if isinstance(message.get("usage"), Mapping):
            self._usage = dict(message["usage"])
        self._started = True
        return [self._chunk({"role": "assistant", "content": ""})]

    def _index(self, payload: Mapping[str, Any]) -> int:
        index = payload.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            raise TranslationError(f"upstream {payload.get('type')} has no integer index")
        return index

    def _open_block(self, payload: Mapping[str, Any]) -> _Block:
        block = self._blocks.get(self._index(payload))
        if block is None:
            raise TranslationError(f"upstream {payload.get('type')} names a block that was never started")
        return block

    def _block_start(self, payload: Mapping[str, Any]) -> list[Chunk]:
        index = self._index(payload)
        content = payload.get("content_block")
        if not isinstance(content, Mapping):
            raise TranslationError("upstream content_block_start carries no content_block")
        kind = content.get("type")
        if kind == "tool_use":
            return self._tool_start(index, content)
        self._blocks[index] = block = _Block(kind=kind)
        if kind == "redacted_thinking":
            # It comes whole, with no deltas: announced now, in its place among the blocks.
            data = content.get("data")
            return [self._thinking_blocks({
                "index": self._next_thinking,
                "type": "redacted_thinking",
                "data": data if isinstance(data, str) else "",
            })]  # fmt: skip
        if kind == "thinking" and isinstance(content.get("signature"), str):
            block.signature.append(content["signature"])
        source, target = TEXT_BLOCKS.get(kind, ("", "")) if isinstance(kind, str) else ("", "")
        text = content.get(source) if source else None
        return [self._chunk({target: text})] if isinstance(text, str) and text else []

    def _tool_start(self, index: int, content: Mapping[str, Any]) -> list[Chunk]:
        if not isinstance(content.get("id"), str) or not isinstance(content.get("name"), str):
            raise TranslationError("upstream tool_use block lacks id or name")
        self._blocks[index] = block = _Block(kind="tool_use", tool_index=self._next_tool)
        self._next_tool += 1
        call = {
            "index": block.tool_index,
            "id": content["id"],
            "type": "function",
            "function": {"name": content["name"], "arguments": ""},
        }
        return [self._chunk({"tool_calls": [call]})]

    def _thinking_blocks(self, delta: hub.ThinkingBlockDelta) -> Chunk:
        """A `thinking_blocks` delta for the next thinking block (its index is `_next_thinking`)."""
        self._next_thinking += 1
        return self._chunk({"thinking_blocks": [delta]})

    def _arguments(self, block: _Block, fragment: str) -> Chunk:
        block.has_arguments = True
        return self._chunk({"tool_calls": [{"index": block.tool_index, "function": {"arguments": fragment}}]})

    def _block_delta(self, payload: Mapping[str, Any]) -> list[Chunk]:
        block = self._open_block(payload)
        delta = payload.get("delta")
        if not isinstance(delta, Mapping):
            raise TranslationError("upstream content_block_delta carries no delta")
        kind = delta.get("type")
        if kind == "input_json_delta":
            fragment = delta.get("partial_json")
            # Server tool blocks stream JSON too, but they are not the client's tool calls.
            if block.tool_index is None or not isinstance(fragment, str) or not fragment:
                return []
            return [self._arguments(block, fragment)]
        if kind == "signature_delta":
            signature = delta.get("signature")
            if block.kind == "thinking" and isinstance(signature, str):
                block.signature.append(signature)
            return []
        source, target = TEXT_DELTAS.get(kind, ("", "")) if isinstance(kind, str) else ("", "")
        text = delta.get(source) if source else None
        # citations_delta and newer kinds have no OpenAI field.
        return [self._chunk({target: text})] if isinstance(text, str) and text else []

    def _block_stop(self, payload: Mapping[str, Any]) -> list[Chunk]:
        block = self._open_block(payload)
        if block.kind == "thinking":
            # The text streamed since the last thinking block ends here, under this signature.
            signature = "".join(block.signature)
            return [self._thinking_blocks(
                {"index": self._next_thinking, "type": "thinking", "signature": signature}
            )]  # fmt: skip
        if block.tool_index is not None and not block.has_arguments:
            # A call without arguments streams no JSON; "" would not parse on the client.
            return [self._arguments(block, "{}")]
        return []

    def _message_delta(self, payload: Mapping[str, Any]) -> list[Chunk]:
        delta = payload.get("delta")
        if isinstance(delta, Mapping) and "stop_reason" in delta:
            self._stop_reason = delta["stop_reason"]
            self._stop_details = delta.get("stop_details")
        counts = payload.get("usage")
        if isinstance(counts, Mapping):
            # message_delta counts are cumulative: they replace, never add to, earlier ones.
            self._usage = {
                **(self._usage or {}),
                **{k: v for k, v in counts.items() if v is not None},
            }
        return []

    def _message_stop(self, payload: Mapping[str, Any]) -> list[Chunk]:
        self._done = True
        chunks: list[Chunk] = []
        explanation = refusal(self._stop_reason, self._stop_details)
        if explanation is not None:
            chunks.append(self._chunk({"refusal": explanation}))
        chunks.append(self._chunk({}, finish_reason(self._stop_reason)))
        if self._usage is not None:
            chunks.append(self._usage_chunk(usage(self._usage)))
        return chunks
