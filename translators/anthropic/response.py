"""Anthropic Messages response -> OpenAI `chat.completion` (docs.anthropic.com/en/api/messages).

Text blocks join into `content`, thinking text into `reasoning_content`, `tool_use` blocks
become `tool_calls` with JSON-string arguments. Thinking and redacted thinking blocks are also
kept whole, with their signatures, in the hub's `thinking_blocks` (translators/hub.py), because
Anthropic needs them back unchanged in the turn that made the tool calls. Block types that
carry nothing an OpenAI client can read (server tool traffic) are skipped. A payload that
breaks the documented shape raises `TranslationError` (the gateway answers 502).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translators import common, hub
from translators.errors import TranslationError

__all__ = [
    "FINISH_REASONS",
    "finish_reason",
    "parse_response",
    "refusal",
    "usage",
]

# https://docs.anthropic.com/en/api/handling-stop-reasons
FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    # The server paused a long server-tool turn; what came so far is a complete answer.
    "pause_turn": "stop",
}


def finish_reason(stop_reason: Any) -> str:
    """Unknown future stop reasons read as "stop": the message itself did complete."""
    return FINISH_REASONS.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"


def usage(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Anthropic usage -> OpenAI usage; cache reads and writes are prompt tokens too."""
    cached = common.count(fields, "cache_read_input_tokens")
    written = common.count(fields, "cache_creation_input_tokens")
    return common.usage(
        prompt=common.count(fields, "input_tokens") + cached + written,
        completion=common.count(fields, "output_tokens"),
        cached=cached,
        reasoning=common.count(fields.get("output_tokens_details"), "thinking_tokens"),
        written=written,
    )


def refusal(stop_reason: Any, details: Any) -> str | None:
    """The explanation Anthropic gives with a refusal, as OpenAI's `message.refusal`."""
    if stop_reason != "refusal" or not isinstance(details, Mapping):
        return None
    explanation = details.get("explanation")
    return explanation if isinstance(explanation, str) else None


def _tool_call(block: Mapping[str, Any], index: int) -> dict[str, Any]:
    if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
        raise TranslationError(f"upstream tool_use block {index} lacks id or name")
    arguments = block.get("input", {})
    if not isinstance(arguments, Mapping):
        # The client parses `arguments` as a JSON object; the docs make `input` one.
        raise TranslationError(f"upstream tool_use block {index} has an input that is not an object")
    return {
        "id": block["id"],
        "type": "function",
        "function": {
            "name": block["name"],
            "arguments": common.json_text(arguments, f"upstream tool_use block {index} input"),
        },
    }


def _text(block: Mapping[str, Any], field: str, index: int) -> str:
    """A text or thinking block's text; one left out reads as "", one of another type is refused."""
    text = block.get(field, "")
    if not isinstance(text, str):
        raise TranslationError(f"upstream {block['type']} block {index} has a {field} that is not a string")
    return text


def _thinking_entry(block: Mapping[str, Any], index: int) -> hub.ThinkingEntry | None:
    """A thinking or redacted_thinking block as a hub `thinking_blocks` entry; None for others.

    A missing signature reads as "": the entry keeps its place, so the blocks around it stay
    apart, and Anthropic, not the gateway, judges a replayed block.
    """
    kind = block.get("type")
    if kind == "thinking":
        signature = block.get("signature")
        return {
            "type": "thinking",
            "thinking": _text(block, "thinking", index),
            "signature": signature if isinstance(signature, str) else "",
        }
    if kind == "redacted_thinking":
        data = block.get("data")
        return {"type": "redacted_thinking", "data": data if isinstance(data, str) else ""}
    return None


def _message(content: list[Any]) -> dict[str, Any]:
    texts: list[str] = []
    thinking: list[hub.ThinkingEntry] = []
    calls: list[dict[str, Any]] = []
    for index, block in enumerate(content):
        kind = block.get("type") if isinstance(block, Mapping) else None
        if not isinstance(kind, str):
            raise TranslationError(f"upstream content block {index} has no type")
        if kind == "text":
            texts.append(_text(block, "text", index))
        elif kind == "tool_use":
            calls.append(_tool_call(block, index))
        else:
            entry = _thinking_entry(block, index)
            if entry is not None:
                thinking.append(entry)
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    reasoning = [entry["thinking"] for entry in thinking if entry["type"] == "thinking"]
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if thinking:
        message["thinking_blocks"] = thinking
    if calls:
        message["tool_calls"] = calls
    return message


def parse_response(payload: Mapping[str, Any], *, model: str, created: int, id: str) -> dict[str, Any]:
    """An Anthropic `message` object as an OpenAI `chat.completion`; `model` is the client's."""
    if not isinstance(payload, Mapping) or payload.get("type", "message") != "message":
        raise TranslationError("upstream answer is not an Anthropic message object")
    content = payload.get("content")
    if not isinstance(content, list):
        raise TranslationError("upstream message has no content list")
    message = _message(content)
    message["refusal"] = refusal(payload.get("stop_reason"), payload.get("stop_details"))
    counts = payload.get("usage")
    return common.completion(
        id=payload["id"] if isinstance(payload.get("id"), str) else id,
        created=created,
        model=model,
        choices=[common.message_choice(message, finish_reason(payload.get("stop_reason")))],
        usage=usage(counts) if isinstance(counts, Mapping) else None,
    )
