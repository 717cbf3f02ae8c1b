"""Gemini `streamGenerateContent?alt=sse` bytes -> OpenAI `chat.completion.chunk` dicts.

Each SSE `data:` is a whole `GenerateContentResponse` (ai.google.dev/api/generate-content,
models.streamGenerateContent): text arrives in pieces, a `functionCall` part arrives whole,
`usageMetadata` is cumulative (the last one counts, reported at close). A stream is complete
once every candidate has a `finishReason` or the prompt was blocked; less raises `StreamError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from translators.common import chunk, delta_choice
from translators.decoding import stream_truncated
from translators.errors import StreamError, TranslationError
from translators.gemini.errors import error_info
from translators.gemini.response import (
    block_reason,
    candidate_parts,
    candidates_of,
    classify_part,
    finish_reason,
    tool_call,
    usage,
)
from translators.sse import SSEDecoder, SSEEvent

__all__ = ["StreamDecoder"]

TRUNCATED = stream_truncated("the Gemini stream ended before every candidate had a finishReason")

_DELTA_KINDS = {"text": "content", "reasoning": "reasoning_content"}


@dataclass(slots=True)
class _Candidate:
    calls: int = 0
    finished: bool = False


class StreamDecoder:
    """Bytes in, chunk dicts out; `close()` checks the stream ended and reports usage."""

    __slots__ = ("_blocked", "_candidates", "_chunk_id", "_created", "_id", "_model", "_sse", "_usage")

    def __init__(self, *, model: str, created: int, id: str) -> None:
        self._id = id
        self._created = created
        self._model = model
        self._sse = SSEDecoder()
        self._chunk_id: str | None = None
        self._candidates: dict[int, _Candidate] = {}
        self._usage: Mapping[str, Any] | None = None
        self._blocked = False

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        return self._events(self._sse.feed(data))

    def close(self) -> list[dict[str, Any]]:
        chunks = self._events(self._sse.close())
        done = self._candidates and all(state.finished for state in self._candidates.values())
        if not (done or self._blocked):
            raise StreamError(TRUNCATED)
        if self._usage is not None:
            chunks.append(self._chunk([], usage=usage(self._usage)))
        return chunks

    def _events(self, events: list[SSEEvent]) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = []
        for event in events:
            chunks.extend(self._payload(_load(event.data)))
        return chunks

    def _payload(self, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        error = payload.get("error")
        if isinstance(error, Mapping):
            code = error.get("code")
            raise StreamError(error_info(code if isinstance(code, int) else 500, error, {}))
        if self._chunk_id is None:
            self._chunk_id = payload.get("responseId") or self._id
        if payload.get("usageMetadata"):
            self._usage = payload["usageMetadata"]
        candidates = candidates_of(payload)
        chunks: list[dict[str, Any]] = []
        for position, candidate in enumerate(candidates):
            chunks.extend(self._candidate(candidate, position))
        if not candidates and not self._candidates and not self._blocked and block_reason(payload):
            # The prompt itself was refused: one empty, filtered choice, as parse_response gives.
            self._blocked = True
            chunks.append(self._delta(0, {"role": "assistant", "content": ""}))
            chunks.append(self._chunk([delta_choice({}, "content_filter")]))
        return chunks

    def _candidate(self, candidate: Mapping[str, Any], position: int) -> list[dict[str, Any]]:
        index = candidate.get("index", position)
        chunks: list[dict[str, Any]] = []
        state = self._candidates.get(index)
        if state is None:
            state = self._candidates[index] = _Candidate()
            chunks.append(self._delta(index, {"role": "assistant", "content": ""}))
        if state.finished:
            return chunks  # a finished choice takes no more content: OpenAI's order is final
        for part in candidate_parts(candidate):
            kind, value = classify_part(part)
            if kind == "call":
                chunks.extend(self._tool_call(index, state, part))
            elif kind in _DELTA_KINDS and value:
                chunks.append(self._delta(index, {_DELTA_KINDS[kind]: value}))
        reason = candidate.get("finishReason")
        if reason:
            state.finished = True
            mapped = finish_reason(reason, called_tools=state.calls > 0)
            chunks.append(self._chunk([delta_choice({}, mapped, index=index)]))
        return chunks

    def _tool_call(self, index: int, state: _Candidate, part: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A whole call as OpenAI streams one: a header with empty arguments, then the arguments."""
        call = tool_call(self._id, index, state.calls, part)
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
        return [self._delta(index, {"tool_calls": [header]}), self._delta(index, {"tool_calls": [arguments]})]

    def _delta(self, index: int, delta: dict[str, Any]) -> dict[str, Any]:
        return self._chunk([delta_choice(delta, index=index)])

    def _chunk(self, choices: list[dict[str, Any]], *, usage: dict[str, Any] | None = None) -> dict[str, Any]:
        return chunk(
            id=self._chunk_id or self._id,
            created=self._created,
            model=self._model,
            choices=choices,
            usage=usage,
        )


def _load(data: str) -> Mapping[str, Any]:
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise TranslationError(f"Gemini sent a stream event that is not JSON: {error}") from None
    if not isinstance(payload, Mapping):
        raise TranslationError("Gemini sent a stream event that is not a JSON object")
    return payload
