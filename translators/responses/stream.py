"""OpenAI Responses SSE stream -> OpenAI `chat.completion.chunk` dicts.

Follows platform.openai.com/docs/api-reference/responses-streaming: `response.created`, per output
item `response.output_item.added`, its `*.delta` events and `response.output_item.done`, then
`response.completed` / `response.incomplete` (finish reason, usage) or `response.failed` / `error`
(raised as `StreamError`). Function calls get tool-call indexes 0, 1, ... in order of appearance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from translators.common import Chunk
from translators.decoding import EventDecoder, event_type, load_event, stream_truncated
from translators.errors import StreamError, TranslationError
from translators.responses.errors import stream_error_info
from translators.responses.response import (
    REASONING_SEPARATOR,
    finish_reason,
    token_logprobs,
    usage,
)
from translators.sse import SSEEvent

__all__ = ["StreamDecoder"]

Payload = Mapping[str, Any]

# Events that report the response itself rather than content; any of them may open the stream.
LIFECYCLE_EVENTS: frozenset[str] = frozenset({"response.created", "response.queued", "response.in_progress"})

TERMINAL_STATUSES: dict[Any, str] = {
    "response.completed": "completed",
    "response.incomplete": "incomplete",
}

# Events that end the stream with an error: they must not open it first, so that an upstream
# failing at once can still be retried elsewhere before the client has seen a byte.
ERROR_EVENTS: frozenset[str] = frozenset({"response.failed", "error"})


@dataclass(slots=True)
class _Call:
    """One function_call output item; `tool_index` is its chat tool-call index."""

    tool_index: int
    has_arguments: bool = False


class StreamDecoder(EventDecoder):
    """Upstream SSE bytes in, chat chunk dicts out; see the module docstring for the events."""

    TRUNCATED = stream_truncated("the upstream stream ended before response.completed or response.incomplete")

    def __init__(self, *, model: str, created: int, id: str) -> None:
        super().__init__(model=model, created=created, id=id)
        self._calls: dict[int, _Call] = {}
        self._reasoning_key: tuple[Any, ...] | None = None
        self._handlers: dict[str, Callable[[Payload], list[Chunk]]] = {
            "response.output_item.added": self._item_added,
            "response.output_text.delta": self._text_delta,
            "response.refusal.delta": self._refusal_delta,
            "response.reasoning_summary_text.delta": self._summary_delta,
            "response.reasoning_text.delta": self._reasoning_text_delta,
            "response.function_call_arguments.delta": self._arguments_delta,
            "response.function_call_arguments.done": self._arguments_done,
            "response.output_item.done": self._item_done,
            "response.completed": self._finished,
            "response.incomplete": self._finished,
            "response.failed": self._failed,
            "error": self._error_event,
        }

    def _event(self, event: SSEEvent) -> list[Chunk]:
        if event.data == "[DONE]":
            return []  # a Chat Completions habit of some compatible servers; means nothing here
        payload = load_event(event)
        kind = event_type(event, payload)
        handler = self._handlers.get(kind)
        chunks: list[Chunk] = []
        if kind in LIFECYCLE_EVENTS or (handler is not None and kind not in ERROR_EVENTS):
            chunks.extend(self._start(payload))
        if handler is not None:
            chunks.extend(handler(payload))
        return chunks

    def _start(self, payload: Payload) -> list[Chunk]:
        if self._started:
            return []
        response = payload.get("response")
        if isinstance(response, Mapping) and isinstance(response.get("id"), str):
            self._id = response["id"]
        self._started = True
        return [self._chunk({"role": "assistant", "content": ""})]

    def _text_delta(self, payload: Payload) -> list[Chunk]:
        text = payload.get("delta")
        if not isinstance(text, str) or not text:
            return []
        entries = token_logprobs(payload.get("logprobs"))
        logprobs = {"content": entries, "refusal": None} if entries else None
        return [self._chunk({"content": text}, logprobs=logprobs)]

    def _refusal_delta(self, payload: Payload) -> list[Chunk]:
        text = payload.get("delta")
        return [self._chunk({"refusal": text})] if isinstance(text, str) and text else []

    def _reasoning(self, key: tuple[Any, ...], text: Any) -> list[Chunk]:
        if not isinstance(text, str) or not text:
            return []
        # A new summary part or reasoning item starts a new paragraph, as parse_response joins them.
        if self._reasoning_key is not None and key != self._reasoning_key:
            text = REASONING_SEPARATOR + text
        self._reasoning_key = key
        return [self._chunk({"reasoning_content": text})]

    def _summary_delta(self, payload: Payload) -> list[Chunk]:
        key = ("summary", payload.get("output_index"), payload.get("summary_index"))
        return self._reasoning(key, payload.get("delta"))

    def _reasoning_text_delta(self, payload: Payload) -> list[Chunk]:
        key = ("content", payload.get("output_index"), payload.get("content_index"))
        return self._reasoning(key, payload.get("delta"))

    def _open_call(self, index: int, item: Payload) -> list[Chunk]:
        call_id, name = item.get("call_id"), item.get("name")
        if not isinstance(call_id, str) or not isinstance(name, str):
            raise TranslationError("upstream function_call item lacks call_id or name")
        call = self._calls[index] = _Call(tool_index=len(self._calls))
        header = {
            "index": call.tool_index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        chunks = [self._chunk({"tool_calls": [header]})]
        arguments = item.get("arguments")
        if isinstance(arguments, str) and arguments:
            chunks.append(self._arguments(call, arguments))
        return chunks

    def _arguments(self, call: _Call, fragment: str) -> Chunk:
        call.has_arguments = True
        return self._chunk({"tool_calls": [{"index": call.tool_index, "function": {"arguments": fragment}}]})

    def _item_added(self, payload: Payload) -> list[Chunk]:
        index, item = _output_index(payload), payload.get("item")
        if not isinstance(item, Mapping) or item.get("type") != "function_call":
            return []  # messages and reasoning items speak through their deltas
        return self._open_call(index, item)

    def _arguments_delta(self, payload: Payload) -> list[Chunk]:
        call = self._calls.get(_output_index(payload))
        if call is None:
            raise TranslationError("upstream streamed arguments for a function_call never added")
        fragment = payload.get("delta")
        return [self._arguments(call, fragment)] if isinstance(fragment, str) and fragment else []

    def _complete_arguments(self, index: int, arguments: Any) -> list[Chunk]:
        """Arguments an upstream gave only whole; "{}" for a call without any."""
        call = self._calls.get(index)
        if call is None or call.has_arguments:
            return []
        whole = arguments if isinstance(arguments, str) and arguments else "{}"
        return [self._arguments(call, whole)]

    def _arguments_done(self, payload: Payload) -> list[Chunk]:
        return self._complete_arguments(_output_index(payload), payload.get("arguments"))

    def _item_done(self, payload: Payload) -> list[Chunk]:
        index, item = _output_index(payload), payload.get("item")
        if not isinstance(item, Mapping) or item.get("type") != "function_call":
            return []
        # An upstream that skipped output_item.added still announces the call here.
        chunks = [] if index in self._calls else self._open_call(index, item)
        return chunks + self._complete_arguments(index, item.get("arguments"))

    def _finished(self, payload: Payload) -> list[Chunk]:
        response = payload.get("response")
        if not isinstance(response, Mapping):
            raise TranslationError(f"upstream {payload.get('type')} carries no response")
        self._done = True
        # The event names the outcome too, for upstreams whose response object omits `status`.
        status = response.get("status") or TERMINAL_STATUSES.get(payload.get("type"))
        reason = finish_reason(status, response.get("incomplete_details"), called_tools=bool(self._calls))
        chunks = [self._chunk({}, reason)]
        if isinstance(response.get("usage"), Mapping):
            chunks.append(self._usage_chunk(usage(response["usage"])))
        return chunks

    def _failed(self, payload: Payload) -> list[Chunk]:
        response = payload.get("response")
        error = response.get("error") if isinstance(response, Mapping) else None
        self._error = StreamError(stream_error_info(error))
        return []

    def _error_event(self, payload: Payload) -> list[Chunk]:
        self._error = StreamError(stream_error_info(payload))
        return []


def _output_index(payload: Payload) -> int:
    index = payload.get("output_index")
    if not isinstance(index, int) or isinstance(index, bool):
        raise TranslationError(f"upstream {payload.get('type')} has no integer output_index")
    return index
