"""What the dialects share: checks on the client's request, hub builders, error-body reading.

The request checks read OpenAI Chat Completions fields, whatever the target dialect, and raise
`TranslationError` naming the offending field. The builders return the dicts of
https://platform.openai.com/docs/api-reference/chat (`chat.completion`, `chat.completion.chunk`,
`usage`), keys always in the same order. The helpers for upstream error answers never raise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from translators.errors import TranslationError

__all__ = [
    "STATUS_ERROR_TYPES",
    "Chunk",
    "OutputLimit",
    "Unsupported",
    "check_unsupported",
    "chunk",
    "completion",
    "count",
    "delta_choice",
    "error_type_for_status",
    "fitted_thinking_budget",
    "function_of_tool",
    "ignored_fields",
    "integer",
    "json_text",
    "load_error_body",
    "message_choice",
    "nonempty_string",
    "parse_duration",
    "positive_int",
    "requested_max_tokens",
    "seconds",
    "shown",
    "usage",
]

# A `chat.completion.chunk` (`translators.hub.ChatCompletionChunk`), built as a plain dict.
Chunk = dict[str, Any]


# --- the client's request -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unsupported:
    """An OpenAI field a dialect cannot honour: accepted only at a value that asks nothing."""

    neutral: tuple[Any, ...]
    reason: str


def check_unsupported(body: Mapping[str, Any], table: Mapping[str, Unsupported], *, scope: str) -> None:
    """Refuses the first field of `table` set to a non-neutral value.

    The message reads "<field> is not supported <scope>: <reason>", `scope` being how the
    dialect words it ("for this model").
    """
    for field, value in body.items():
        unsupported = table.get(field)
        if unsupported is not None and value not in unsupported.neutral:
            raise TranslationError(f"{field} is not supported {scope}: {unsupported.reason}", param=field)


def positive_int(body: Mapping[str, Any], field: str) -> int | None:
    """`body[field]` when it is an integer >= 1 (booleans are not), None when absent or null."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TranslationError(f"{field} must be a positive integer", param=field)
    return value


@dataclass(frozen=True, slots=True)
class OutputLimit:
    """The output token limit a client asked for, and the field it used to ask."""

    tokens: int
    field: str


def requested_max_tokens(body: Mapping[str, Any]) -> OutputLimit | None:
    """`max_completion_tokens` or its deprecated alias `max_tokens`; both set must agree.

    `max_tokens` is checked first, so it is the field named when both are malformed.
    """
    legacy = positive_int(body, "max_tokens")
    current = positive_int(body, "max_completion_tokens")
    if legacy is not None and current is not None and legacy != current:
        raise TranslationError("max_tokens and max_completion_tokens disagree; send one", param="max_tokens")
    if current is not None:
        return OutputLimit(current, "max_completion_tokens")
    return OutputLimit(legacy, "max_tokens") if legacy is not None else None


def fitted_thinking_budget(effort_budget: int, limit: int, *, minimum: int) -> int:
    """The thinking budget for an effort level under a client's output `limit`.

    Thinking tokens count toward the output limit at Anthropic and Gemini, so a budget as large
    as the limit leaves no room to answer. The effort's budget is kept when it takes at most
    three quarters of the limit, lowered to that share otherwise, and never set below `minimum`
    (the smallest budget the upstream accepts); the caller decides what a minimum that does not
    fit under `limit` means. The client named an effort, not a number, so this is how that
    effort reads under its limit: the limit itself is never changed.
    """
    return max(minimum, min(effort_budget, limit - limit // 4))


def function_of_tool(tool: Any, path: str) -> Mapping[str, Any]:
    """The `function` of an OpenAI function tool at `path`, checked to carry a name."""
    if not isinstance(tool, Mapping) or tool.get("type") != "function":
        raise TranslationError("only function tools are supported", param=f"{path}.type")
    function = tool.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise TranslationError("a function tool needs function.name", param=f"{path}.function.name")
    return function


def ignored_fields(body: Any, *, known: frozenset[str], known_message: frozenset[str]) -> tuple[str, ...]:
    """Param paths of the fields outside the known tables: top-level ones, then message ones."""
    if not isinstance(body, Mapping):
        return ()
    unknown = tuple(field for field in body if field not in known)
    messages = body.get("messages")
    if not isinstance(messages, Sequence) or isinstance(messages, str | bytes):
        return unknown
    return unknown + tuple(
        f"messages[{index}].{field}"
        for index, message in enumerate(messages)
        if isinstance(message, Mapping)
        for field in message
        if field not in known_message
    )


# --- hub-format answers ---------------------------------------------------------------------


def integer(value: Any) -> int | None:
    """`value` when it is a JSON integer (booleans are not), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def json_text(value: Any, what: str) -> str:
    """`value` as compact JSON text, for a hub field that holds JSON as a string (tool arguments).

    orjson writes no integer beyond 64 bits and no nesting deeper than 254 levels, though it reads
    deeper; such a value raises `TranslationError` naming `what`.
    """
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        raise TranslationError(f"{what} cannot be written as JSON") from None


def count(fields: Any, name: str) -> int:
    """An integer token count; 0 where the upstream left it out or sent something else."""
    value = integer(fields.get(name)) if isinstance(fields, Mapping) else None
    return 0 if value is None else value


def usage(
    *, prompt: int, completion: int, cached: int = 0, reasoning: int = 0, total: int = 0, written: int = 0
) -> dict[str, Any]:
    """An OpenAI `usage` object; a `total` of 0 (not reported) is prompt plus completion.
    `written` (prompt tokens written to a cache, which Anthropic bills apart) appears as
    `prompt_tokens_details.cache_write_tokens` only when there are some."""
    details: dict[str, int] = {"cached_tokens": cached}
    if written:
        details["cache_write_tokens"] = written
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total or prompt + completion,
        "prompt_tokens_details": details,
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def message_choice(
    message: dict[str, Any], finish_reason: str, *, index: int = 0, logprobs: Any = None
) -> dict[str, Any]:
    """One choice of a `chat.completion`."""
    return {
        "index": index,
        "message": message,
        "finish_reason": finish_reason,
        "logprobs": logprobs,
    }


def delta_choice(
    delta: dict[str, Any], finish_reason: str | None = None, *, index: int = 0, logprobs: Any = None
) -> dict[str, Any]:
    """One choice of a `chat.completion.chunk`."""
    return {"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": logprobs}


def _answer(kind: str, id: str, created: int, model: str, choices: list[dict[str, Any]], usage: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": id,
        "object": kind,
        "created": created,
        "model": model,
        "choices": choices,
    }
    if usage is not None:
        answer["usage"] = usage
    return answer


def completion(
    *,
    id: str,
    created: int,
    model: str,
    choices: list[dict[str, Any]],
    usage: dict[str, Any] | None,
) -> dict[str, Any]:
    """A `chat.completion`; `usage` is left out when the upstream reported none."""
    return _answer("chat.completion", id, created, model, choices, usage)


def chunk(
    *,
    id: str,
    created: int,
    model: str,
    choices: list[dict[str, Any]],
    usage: dict[str, Any] | None = None,
) -> Chunk:
    """A `chat.completion.chunk`; the usage chunk that ends a stream has no choices."""
    return _answer("chat.completion.chunk", id, created, model, choices, usage)


# --- upstream error answers -----------------------------------------------------------------

# HTTP status -> OpenAI error type, for an answer whose body says nothing usable; any other
# status is "server_error" from 500 up and "invalid_request_error" below.
STATUS_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def error_type_for_status(status: int) -> str:
    fallback = "server_error" if status >= 500 else "invalid_request_error"
    return STATUS_ERROR_TYPES.get(status, fallback)


def load_error_body(body: bytes) -> Any:
    """The JSON of an error answer, or None for an empty body or one that is not JSON."""
    try:
        return orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return None


def shown(value: Any) -> str:
    """`value` as an error message quotes it: a scalar's repr, cut short, and a list or an object
    by kind only (its repr could be megabytes long, or nested deeper than repr() can go)."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def nonempty_string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def seconds(text: Any) -> float | None:
    """A finite, non-negative number of seconds ("12", "0.5"); None for anything else.

    An HTTP-date `retry-after` would need the current time, which a pure translator lacks.
    """
    if isinstance(text, bool):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) and value >= 0 else None


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_UNIT_SECONDS: dict[str, float] = {
    "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9,
}  # fmt: skip


def parse_duration(text: str | None) -> float | None:
    """A Go-style duration ("6m0s", "1s", "250ms", "1h2m3.5s") or bare seconds, as seconds."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    plain = seconds(text)
    if plain is not None:
        return plain
    total, position = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    # A run of digits too long for a double reads as infinity, which is no delay.
    return total if position == len(text) and math.isfinite(total) else None
