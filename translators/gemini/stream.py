"""Gemini `streamGenerateContent?alt=sse` bytes -> OpenAI `chat.completion.chunk` dicts.

Each SSE `data:` is a whole, untyped `GenerateContentResponse` (ai.google.dev/api/generate-content,
models.streamGenerateContent): text arrives in pieces, a `functionCall` part arrives whole,
`usageMetadata` is cumulative (the last one counts, reported at close). A stream is complete
once every candidate has a `finishReason` or the prompt was blocked; less raises `StreamError`.
An `{"error": ...}` event is raised after the chunks decoded before it (`EventDecoder`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from translators.common import Chunk, integer
from translators.decoding import EventDecoder, load_event, stream_truncated
from translators.errors import StreamError
from translators.gemini.errors import error_info
from translators.gemini.response import (
    block_reason,
    candidate_finish_reason,
    candidate_index,
    candidate_parts,
    candidates_of,
    classify_part,
    finish_reason,
    tool_call,
    usage,
)
from translators.sse import SSEEvent

__all__ = ["StreamDecoder"]

_DELTA_KINDS = {"text": "content", "reasoning": "reasoning_content"}


@dataclass(slots=True)
class _Candidate:
    calls: int = 0
    finished: bool = False


class StreamDecoder(EventDecoder):
    """Bytes in, chunk dicts out; `close()` checks the stream ended and reports usage."""

    TRUNCATED = stream_truncated("the Gemini stream ended before every candidate had a finishReason")

    def __init__(self, *, model: str, created: int, id: str) -> None:
        super().__init__(model=model, created=created, id=id)
        # Tool call ids derive from the gateway's id, whatever id the chunks carry.
        self._call_id_base = id
        self._candidates: dict[int, _Candidate] = {}
        self._usage: dict[str, Any] | None = None
        self._blocked = False

    def _complete(self) -> bool:
        finished = all(state.finished for state in self._candidates.values())
        return self._blocked or (bool(self._candidates) and finished)

    def _closing(self) -> list[Chunk]:
        return [] if self._usage is None else [self._usage_chunk(self._usage)]

    def _event(self, event: SSEEvent) -> list[Chunk]:
        payload = load_event(event)
        error = payload.get("error")
        if isinstance(error, Mapping):
            # `code` is the HTTP status the error would have had; anything else reads as a 500.
            code = integer(error.get("code"))
            status = code if code is not None and 400 <= code <= 599 else 500
            self._error = StreamError(error_info(status, error, {}))
            return []
        if not self._started:
            self._started = True
            response_id = payload.get("responseId")
            if isinstance(response_id, str) and response_id:
                self._id = response_id
        if payload.get("usageMetadata"):
            # Read as it arrives, so a malformed one fails the event that carried it.
            self._usage = usage(payload["usageMetadata"])
        candidates = candidates_of(payload)
        chunks: list[Chunk] = []
        for position, candidate in enumerate(candidates):
            chunks.extend(self._candidate(candidate, position))
        if not candidates and not self._candidates and not self._blocked and block_reason(payload):
            # The prompt itself was refused: one empty, filtered choice, as parse_response gives.
            self._blocked = True
            chunks.append(self._chunk({"role": "assistant", "content": ""}))
            chunks.append(self._chunk({}, "content_filter"))
        return chunks

    def _candidate(self, candidate: Mapping[str, Any], position: int) -> list[Chunk]:
        index = candidate_index(candidate, position)
        chunks: list[Chunk] = []
        state = self._candidates.get(index)
        if state is None:
            state = self._candidates[index] = _Candidate()
            chunks.append(self._chunk({"role": "assistant", "content": ""}, index=index))
        if state.finished:
            return chunks  # a finished choice takes no more content: OpenAI's order is final
        for part in candidate_parts(candidate):
            kind, value = classify_part(part)
            if kind == "call":
                chunks.extend(self._tool_call(index, state, part))
            elif kind in _DELTA_KINDS and value:
                chunks.append(self._chunk({_DELTA_KINDS[kind]: value}, index=index))
        reason = candidate_finish_reason(candidate)
        if reason:
            state.finished = True
            mapped = finish_reason(reason, called_tools=state.calls > 0)
            chunks.append(self._chunk({}, mapped, index=index))
        return chunks

    def _tool_call(self, index: int, state: _Candidate, part: Mapping[str, Any]) -> list[Chunk]:
        """A whole call as OpenAI streams one: a header with empty arguments, then the arguments."""
        call = tool_call(self._call_id_base, index, state.calls, part)
        header: dict[str, Any] = {
            "index": state.calls,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        if "extra_content" in call:
            header["extra_content"] = call["extra_content"]
        arguments = {"index": state.calls, "function": {"arguments": call["function"]["arguments"]}}
        state.calls += 1
        return [
            self._chunk({"tool_calls": [header]}, index=index),
            self._chunk({"tool_calls": [arguments]}, index=index),
        ]
