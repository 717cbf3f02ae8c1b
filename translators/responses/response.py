"""Responses `response` object -> OpenAI `chat.completion` (api-reference/responses/object).

Output items are read in order: `message` items give `output_text` (joined into `content`) and
`refusal` parts; `reasoning` items give their summary and reasoning text (`reasoning_content`);
`function_call` items give `tool_calls` with `id` = `call_id`. Item types newer than this
translator are skipped. `status` and `incomplete_details.reason` give the finish reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from translators import common
from translators.errors import TranslationError

__all__ = [
    "INCOMPLETE_REASONS",
    "REASONING_SEPARATOR",
    "finish_reason",
    "parse_response",
    "token_logprobs",
    "usage",
]

# `incomplete_details.reason` -> finish reason. An answer cut short for a reason newer than this
# table is still cut short, which chat spells "length".
INCOMPLETE_REASONS: dict[str, str] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}

# Statuses of a response that has finished generating; `None` for upstreams that omit it.
FINISHED_STATUSES: frozenset[str | None] = frozenset({"completed", "incomplete", None})

# Separate summary parts and reasoning items are separate paragraphs of one reasoning text.
REASONING_SEPARATOR = "\n\n"


def finish_reason(status: Any, details: Any, *, called_tools: bool) -> str:
    if status == "incomplete":
        reason = details.get("reason") if isinstance(details, Mapping) else None
        return INCOMPLETE_REASONS.get(reason, "length") if isinstance(reason, str) else "length"
    return "tool_calls" if called_tools else "stop"


def usage(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Responses usage -> chat usage; input tokens include cached ones in both APIs."""
    return common.usage(
        prompt=common.count(fields, "input_tokens"),
        completion=common.count(fields, "output_tokens"),
        cached=common.count(fields.get("input_tokens_details"), "cached_tokens"),
        reasoning=common.count(fields.get("output_tokens_details"), "reasoning_tokens"),
        total=common.count(fields, "total_tokens"),
    )


def _token(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One token's logprob entry; a field of the wrong type reads as left out (logprobs are
    optional extras: a malformed one must not cost the client its answer)."""
    token, logprob, raw = entry.get("token"), entry.get("logprob"), entry.get("bytes")
    if not isinstance(raw, list) or not all(common.integer(byte) is not None for byte in raw):
        raw = None
    return {
        "token": token if isinstance(token, str) else "",
        "logprob": logprob if isinstance(logprob, int | float) and not isinstance(logprob, bool) else 0.0,
        "bytes": raw,
    }


def token_logprobs(entries: Any) -> list[dict[str, Any]]:
    """Responses token logprobs -> chat `logprobs.content` entries (the same fields)."""
    if not isinstance(entries, list):
        return []
    converted = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        tops = entry.get("top_logprobs")
        top_list = tops if isinstance(tops, list) else []
        converted.append({
            **_token(entry),
            "top_logprobs": [_token(top) for top in top_list if isinstance(top, Mapping)],
        })  # fmt: skip
    return converted


@dataclass(slots=True)
class _Answer:
    texts: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    logprobs: list[dict[str, Any]] = field(default_factory=list)


def _read_message(item: Mapping[str, Any], answer: _Answer) -> None:
    content = item.get("content")
    for part in content if isinstance(content, list) else []:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "output_text" and isinstance(part.get("text"), str):
            answer.texts.append(part["text"])
            answer.logprobs.extend(token_logprobs(part.get("logprobs")))
        elif kind == "refusal" and isinstance(part.get("refusal"), str):
            answer.refusals.append(part["refusal"])


def _read_reasoning(item: Mapping[str, Any], answer: _Answer) -> None:
    for key in ("summary", "content"):
        parts = item.get(key)
        for part in parts if isinstance(parts, list) else []:
            text = part.get("text") if isinstance(part, Mapping) else None
            if isinstance(text, str) and text:
                answer.reasoning.append(text)


def _read_call(item: Mapping[str, Any], answer: _Answer) -> None:
    call_id, name = item.get("call_id"), item.get("name")
    if not isinstance(call_id, str) or not isinstance(name, str):
        raise TranslationError("upstream function_call item lacks call_id or name")
    arguments = item.get("arguments")
    if not isinstance(arguments, str) or not arguments:
        arguments = "{}"  # a call without arguments must still parse as JSON on the client
    answer.calls.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}})


ITEM_READERS = {
    "message": _read_message,
    "reasoning": _read_reasoning,
    "function_call": _read_call,
}


def _answer(output: list[Any]) -> _Answer:
    answer = _Answer()
    for index, item in enumerate(output):
        kind = item.get("type") if isinstance(item, Mapping) else None
        if not isinstance(kind, str):
            raise TranslationError(f"upstream output item {index} has no type")
        reader = ITEM_READERS.get(kind)
        if reader is not None:
            reader(item, answer)
    return answer


def _message(answer: _Answer) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(answer.texts) if answer.texts else None,
        "refusal": "".join(answer.refusals) if answer.refusals else None,
    }
    if answer.reasoning:
        message["reasoning_content"] = REASONING_SEPARATOR.join(answer.reasoning)
    if answer.calls:
        message["tool_calls"] = answer.calls
    return message


def _check_status(payload: Mapping[str, Any]) -> None:
    status = payload.get("status")
    if status is None or (isinstance(status, str) and status in FINISHED_STATUSES):
        return
    error = payload.get("error")
    message = error.get("message") if isinstance(error, Mapping) else None
    detail = f": {message}" if isinstance(message, str) and message else ""
    raise TranslationError(f"upstream response has status {common.shown(status)}{detail}")


def parse_response(payload: Mapping[str, Any], *, model: str, created: int, id: str) -> dict[str, Any]:
    """A Responses `response` object as a chat completion; `model` is the client's."""
    if not isinstance(payload, Mapping) or payload.get("object", "response") != "response":
        raise TranslationError("upstream answer is not a Responses response object")
    _check_status(payload)
    output = payload.get("output")
    if not isinstance(output, list):
        raise TranslationError("upstream response has no output list")
    answer = _answer(output)
    reason = finish_reason(payload.get("status"), payload.get("incomplete_details"), called_tools=bool(answer.calls))
    logprobs = {"content": answer.logprobs, "refusal": None} if answer.logprobs else None
    counts = payload.get("usage")
    return common.completion(
        id=payload["id"] if isinstance(payload.get("id"), str) else id,
        created=created,
        model=model,
        choices=[common.message_choice(_message(answer), reason, logprobs=logprobs)],
        usage=usage(counts) if isinstance(counts, Mapping) else None,
    )
