"""Gemini `GenerateContentResponse` -> OpenAI `chat.completion`.

Field meanings from ai.google.dev/api/generate-content#v1beta.GenerateContentResponse: one
choice per candidate (`candidateCount` = OpenAI `n`), `thought: true` parts are reasoning,
`functionCall` parts are tool calls. Gemini gives calls no ids, so ids are derived from the
completion id and the call's position: the same answer always yields the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from translators import common
from translators.errors import TranslationError

__all__ = [
    "FINISH_REASONS",
    "block_reason",
    "candidate_finish_reason",
    "candidate_index",
    "candidate_parts",
    "candidates_of",
    "classify_part",
    "finish_reason",
    "parse_response",
    "tool_call",
    "usage",
]

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
}
# Any other reason (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, ...) has no OpenAI counterpart.
DEFAULT_FINISH_REASON = "stop"


def parse_response(payload: Mapping[str, Any], *, model: str, created: int, id: str) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise TranslationError("Gemini answered with something other than a JSON object")
    candidates = candidates_of(payload)
    if candidates:
        choices = [_choice(candidate, position, id) for position, candidate in enumerate(candidates)]
        choices.sort(key=lambda choice: choice["index"])
    elif block_reason(payload):
        choices = [common.message_choice({"role": "assistant", "content": ""}, "content_filter")]
    else:
        raise TranslationError("Gemini answered with neither candidates nor a block reason")
    meta = payload.get("usageMetadata")
    return common.completion(
        id=common.nonempty_string(payload.get("responseId")) or id,
        created=created,
        model=model,
        choices=choices,
        usage=usage(meta) if meta else None,
    )


def candidate_index(candidate: Mapping[str, Any], position: int) -> int:
    """The candidate's `index`; proto3 JSON leaves out a zero one, so the first often has none."""
    index = candidate.get("index", position)
    if isinstance(index, bool) or not isinstance(index, int):
        raise TranslationError("a Gemini candidate's `index` is not an integer")
    return index


def _choice(candidate: Mapping[str, Any], position: int, id: str) -> dict[str, Any]:
    index = candidate_index(candidate, position)
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in candidate_parts(candidate):
        kind, value = classify_part(part)
        if kind == "call":
            calls.append(tool_call(id, index, len(calls), part))
        elif kind == "reasoning":
            reasoning.append(value)
        elif kind == "text":
            text.append(value)
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) if text or not calls else None}
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    reason = finish_reason(candidate_finish_reason(candidate), called_tools=bool(calls))
    return common.message_choice(message, reason, index=index)


def candidates_of(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    candidates = payload.get("candidates") or []
    if not isinstance(candidates, list) or not all(isinstance(c, Mapping) for c in candidates):
        raise TranslationError("Gemini's `candidates` is not an array of objects")
    return candidates


def candidate_parts(candidate: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = candidate.get("content")
    # A candidate stopped by a safety filter may come without content at all.
    parts = (content.get("parts") or []) if isinstance(content, Mapping) else []
    if not isinstance(parts, list) or not all(isinstance(part, Mapping) for part in parts):
        raise TranslationError("a Gemini candidate's `parts` is not an array of objects")
    return parts


def classify_part(part: Mapping[str, Any]) -> tuple[str, Any]:
    """("text" | "reasoning", text), ("call", part) or ("other", None).

    Other parts (inline images, executable code) answer features this translator never
    requests, so they are not expected and are passed over.
    """
    if isinstance(part.get("functionCall"), Mapping):
        return "call", part
    text = part.get("text")
    if isinstance(text, str):
        return ("reasoning" if part.get("thought") else "text"), text
    return "other", None


def tool_call(id: str, choice: int, position: int, part: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAI tool call for a `functionCall` part; its thought signature rides along.

    `extra_content.google.thought_signature` is where Gemini's own OpenAI-compatible endpoint
    puts it; a client echoing the call back hands it to `contents.py`, which replays it.
    """
    function_call = part["functionCall"]
    name, args = function_call.get("name"), function_call.get("args") or {}
    if not isinstance(name, str):
        raise TranslationError("a Gemini functionCall has no name")
    if not isinstance(args, Mapping):
        # The client parses `arguments` as a JSON object; Gemini documents `args` as one.
        raise TranslationError("a Gemini functionCall's `args` is not an object")
    digest = hashlib.sha256(f"{id}:{choice}:{position}".encode()).hexdigest()
    call: dict[str, Any] = {
        "id": f"call_{digest[:24]}",
        "type": "function",
        "function": {"name": name, "arguments": common.json_text(args, "a Gemini functionCall's `args`")},
    }
    if isinstance(part.get("thoughtSignature"), str):
        call["extra_content"] = {"google": {"thought_signature": part["thoughtSignature"]}}
    return call


def candidate_finish_reason(candidate: Mapping[str, Any]) -> str | None:
    """The candidate's `finishReason`: a string, or None (left out or null) while it goes on."""
    reason = candidate.get("finishReason")
    if reason is not None and not isinstance(reason, str):
        raise TranslationError("a Gemini candidate's `finishReason` is not a string")
    return reason


def finish_reason(reason: str | None, *, called_tools: bool) -> str:
    mapped = FINISH_REASONS.get(reason, DEFAULT_FINISH_REASON) if reason else DEFAULT_FINISH_REASON
    # Gemini says STOP after a function call; OpenAI clients wait for "tool_calls".
    return "tool_calls" if mapped == "stop" and called_tools else mapped


def block_reason(payload: Mapping[str, Any]) -> str | None:
    feedback = payload.get("promptFeedback")
    reason = feedback.get("blockReason") if isinstance(feedback, Mapping) else None
    return reason if isinstance(reason, str) and reason else None


def usage(meta: Any) -> dict[str, Any]:
    """`usageMetadata` -> OpenAI usage; thoughts count as completion tokens, as OpenAI's reasoning does."""
    if not isinstance(meta, Mapping):
        raise TranslationError("Gemini's usageMetadata is not an object")
    # Tool-use prompt tokens are input the model read, and Gemini's total counts them.
    prompt = _count(meta, "promptTokenCount") + _count(meta, "toolUsePromptTokenCount")
    thoughts = _count(meta, "thoughtsTokenCount")
    completion = _count(meta, "candidatesTokenCount") + thoughts
    return common.usage(
        prompt=prompt,
        completion=completion,
        total=_count(meta, "totalTokenCount"),
        cached=_count(meta, "cachedContentTokenCount"),
        reasoning=thoughts,
    )


def _count(meta: Mapping[str, Any], name: str) -> int:
    value = meta.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TranslationError(f"Gemini's usageMetadata.{name} is not an integer")
    return value
