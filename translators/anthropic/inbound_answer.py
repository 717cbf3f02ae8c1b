"""Hub answers -> what an Anthropic client reads: the `message` object, its usage and errors.

The inverse of translators/anthropic/response.py, for clients that call the gateway in
Anthropic form (https://docs.anthropic.com/en/api/messages). Content is ordered as Anthropic
orders it: thinking, then text, then `tool_use`. Anthropic's `input_tokens` leaves out cached
tokens, which the hub's `prompt_tokens` includes (`prompt_tokens_details.cached_tokens` says how
many), so they are subtracted, and so are cache writes (`cache_write_tokens`, which the hub
carries when an Anthropic upstream reported `cache_creation_input_tokens`). Error types follow
https://docs.anthropic.com/en/api/errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from translators import common
from translators.errors import TranslationError

__all__ = [
    "ANTHROPIC_ERROR_TYPES",
    "ERROR_TYPES",
    "STOP_REASONS",
    "client_answer",
    "client_usage",
    "error_body",
    "error_type",
    "refusal_details",
    "stop_reason",
    "tool_use_id",
]

# hub finish_reason -> Anthropic stop_reason. A hub answer cannot tell a stop sequence from a
# natural end, so "stop" reads as end_turn, and stop_sequence is always null.
STOP_REASONS: dict[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}

# HTTP status -> Anthropic error type. Other 4xx are invalid_request_error, as the docs say;
# other statuses api_error. 503 reads as overloaded_error: the gateway answers 503 when no
# upstream can take the request now, which is what a client should wait out and retry.
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
ANTHROPIC_ERROR_TYPES: frozenset[str] = frozenset(ERROR_TYPES.values())

# The largest count written: a token count beyond a signed 64-bit integer is not one.
MAX_COUNT = 2**63 - 1


def error_type(status: int) -> str:
    """The Anthropic error type for an HTTP status."""
    known = ERROR_TYPES.get(status)
    if known is not None:
        return known
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


def error_body(status: int, message: str) -> dict[str, Any]:
    """Anthropic's error envelope for an answer with this status."""
    return {"type": "error", "error": {"type": error_type(status), "message": message}}


def _count(fields: Any, name: str) -> int:
    value = common.count(fields, name)
    return value if 0 <= value <= MAX_COUNT else 0


def client_usage(usage: Any) -> dict[str, Any]:
    """Hub usage as Anthropic's: cached tokens move from input_tokens to cache_read_input_tokens."""
    prompt = _count(usage, "prompt_tokens")
    details = usage.get("prompt_tokens_details") if isinstance(usage, Mapping) else None
    cached = _count(details, "cached_tokens")
    written = min(_count(details, "cache_write_tokens"), max(0, prompt - cached))
    thinking = _count(
        usage.get("completion_tokens_details") if isinstance(usage, Mapping) else None, "reasoning_tokens"
    )
    counts: dict[str, Any] = {
        "input_tokens": max(0, prompt - cached - written),
        "output_tokens": _count(usage, "completion_tokens"),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
    }
    if thinking:
        counts["output_tokens_details"] = {"thinking_tokens": thinking}
    return counts


def stop_reason(finish_reason: Any, *, tool_use: bool, refusal: bool) -> str:
    """The stop reason for a hub finish; an answer that ends in tool calls is `tool_use`
    whatever the upstream said, since an Anthropic client runs tools only on that reason."""
    if refusal:
        return "refusal"
    reason = STOP_REASONS.get(finish_reason, "end_turn") if isinstance(finish_reason, str) else "end_turn"
    return "tool_use" if tool_use and reason == "end_turn" else reason


def refusal_details(explanation: str) -> dict[str, Any]:
    """A hub refusal as Anthropic's `stop_details`; the hub does not know the category."""
    return {"type": "refusal", "category": None, "explanation": explanation}


def tool_use_id(message_id: str, index: int) -> str:
    """An id for a tool call the upstream gave none: unique within the message, stable per call."""
    return f"toolu_{message_id.removeprefix('msg_')}_{index}"


def _thinking_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The hub's signed `thinking_blocks`, else `reasoning_content` as one unsigned block.

    An unsigned block has signature "": the anthropic SDKs require the field, and a client that
    replays it to the gateway has it read back as reasoning text (inbound_messages).
    """
    blocks: list[dict[str, Any]] = []
    entries = message.get("thinking_blocks")
    for entry in entries if isinstance(entries, list) else []:
        kind = entry.get("type") if isinstance(entry, Mapping) else None
        if kind == "thinking" and isinstance(entry.get("thinking"), str):
            signature = entry.get("signature")
            blocks.append({
                "type": "thinking",
                "thinking": entry["thinking"],
                "signature": signature if isinstance(signature, str) else "",
            })  # fmt: skip
        elif kind == "redacted_thinking" and isinstance(entry.get("data"), str):
            blocks.append({"type": "redacted_thinking", "data": entry["data"]})
    reasoning = message.get("reasoning_content")
    if not blocks and isinstance(reasoning, str) and reasoning:
        blocks.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    return blocks


def _text(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list) and all(
        isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str)
        for part in content
    ):
        return "".join(part["text"] for part in content)
    raise TranslationError("the upstream answer's content is neither text nor text parts")


def _input(arguments: Any, what: str) -> Any:
    """A tool call's arguments as the JSON object Anthropic's `input` must be.

    Arguments that are not a JSON object are the upstream's broken output: refused (the
    gateway answers 502, which the anthropic SDKs retry) rather than handed to a client as a
    call the model did not make. "" is how some upstreams spell "no arguments".
    """
    if isinstance(arguments, Mapping):
        parsed: Any = arguments
    elif arguments is None or arguments == "":
        return {}
    else:
        try:
            parsed = orjson.loads(arguments) if isinstance(arguments, str) else None
        except orjson.JSONDecodeError:
            parsed = None
    if not isinstance(parsed, Mapping):
        raise TranslationError(f"{what} arguments are not a JSON object")
    common.json_text(parsed, f"{what} arguments")  # an object the gateway could not write is refused here
    return parsed


def _tool_blocks(message: Mapping[str, Any], message_id: str) -> list[dict[str, Any]]:
    calls = message.get("tool_calls")
    if calls is None:
        return []
    if not isinstance(calls, list):
        raise TranslationError("the upstream answer's tool_calls is not a list")
    blocks = []
    for index, call in enumerate(calls):
        what = f"the upstream's tool call {index}"
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise TranslationError(f"{what} has no function name")
        call_id = call.get("id")
        blocks.append({
            "type": "tool_use",
            "id": call_id if isinstance(call_id, str) and call_id else tool_use_id(message_id, index),
            "name": function["name"],
            "input": _input(function.get("arguments"), what),
        })  # fmt: skip
    return blocks


def client_answer(completion: Mapping[str, Any], *, model: str, id: str) -> dict[str, Any]:
    """A hub `chat.completion` as an Anthropic `message` object; `model` is the client's, `id` new."""
    choices = completion.get("choices") if isinstance(completion, Mapping) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, Mapping) else None
    if not isinstance(choice, Mapping) or not isinstance(message, Mapping):
        raise TranslationError("the upstream answer has no message")
    text = _text(message.get("content"))
    tools = _tool_blocks(message, id)
    refusal = message.get("refusal")
    refusal = refusal if isinstance(refusal, str) and refusal else None
    answer: dict[str, Any] = {
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _thinking_blocks(message) + ([{"type": "text", "text": text}] if text else []) + tools,
        "stop_reason": stop_reason(choice.get("finish_reason"), tool_use=bool(tools), refusal=refusal is not None),
        "stop_sequence": None,
    }
    if refusal is not None:
        answer["stop_details"] = refusal_details(refusal)
    answer["usage"] = client_usage(completion.get("usage"))
    return answer
