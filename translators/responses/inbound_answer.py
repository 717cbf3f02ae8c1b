"""Hub answers -> Responses `response` objects (platform.openai.com/docs/api-reference/responses/object).

Output items come in the order a Responses model writes them: reasoning (the hub's
`reasoning_content` as one summary text), the assistant message (an `output_text` part, then a
`refusal` part), then one `function_call` item per tool call. Item ids derive from the response id
and the item's place, so no randomness is needed. The request fields a response object repeats
are echoed from the client's body, each checked to the type the openai SDK reads it as: a value
of another type (which `hub_request` would have refused) is echoed as the API's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from translators import common
from translators.errors import TranslationError
from translators.responses.response import token_logprobs

__all__ = [
    "LOGPROBS_INCLUDE",
    "REASONING_EFFORTS",
    "REASONING_SUMMARIES",
    "assistant_message",
    "client_answer",
    "delta_logprobs",
    "item_id",
    "output_logprobs",
    "response_object",
    "response_usage",
]

LOGPROBS_INCLUDE = "message.output_text.logprobs"

# The hub's reasoning efforts (translators/hub.py); the API's "max" has no hub counterpart.
REASONING_EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh")
REASONING_SUMMARIES: tuple[str, ...] = ("auto", "concise", "detailed")

# Hub finish reason -> `incomplete_details.reason`; any other finish completes the response.
INCOMPLETE_REASONS: dict[str, str] = {"length": "max_output_tokens", "content_filter": "content_filter"}

TOOL_CHOICES: frozenset[str] = frozenset({"auto", "none", "required"})

# orjson writes integers of at most 64 bits; a larger echoed number is echoed as the default.
_INT_LIMIT = 2**63


def item_id(prefix: str, response_id: str, output_index: int) -> str:
    """`msg_`, `rs_` or `fc_`, the response id's own part, and the item's place in `output`."""
    return f"{prefix}_{response_id.removeprefix('resp_')}_{output_index}"


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if not isinstance(value, int) or -_INT_LIMIT < value < _INT_LIMIT else None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _choice(value: Any, allowed: tuple[str, ...] | frozenset[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _writable(value: Any) -> bool:
    """Whether orjson can write `value`: no integer beyond 64 bits, no nesting beyond 254 levels."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return True


def _schema(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) and _writable(value) else None


def _tools(tools: Any) -> list[dict[str, Any]]:
    echoed = []
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, Mapping) and tool.get("type") == "function" and isinstance(tool.get("name"), str):
            strict = tool.get("strict")
            echoed.append({
                "type": "function",
                "name": tool["name"],
                "description": _string(tool.get("description")),
                "parameters": _schema(tool.get("parameters")),
                "strict": strict if isinstance(strict, bool) else None,
            })  # fmt: skip
    return echoed


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, str):
        return choice if choice in TOOL_CHOICES else "auto"
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    if kind == "function" and isinstance(choice, Mapping) and isinstance(choice.get("name"), str):
        return {"type": "function", "name": choice["name"]}
    if kind == "allowed_tools" and isinstance(choice, Mapping) and isinstance(choice.get("tools"), list):
        mode = _choice(choice.get("mode"), ("auto", "required")) or "auto"
        tools = [schema for schema in map(_schema, choice["tools"]) if schema is not None]
        return {"type": "allowed_tools", "mode": mode, "tools": tools}
    return "auto"


def _format(form: Any) -> dict[str, Any]:
    kind = form.get("type") if isinstance(form, Mapping) else None
    if kind in ("text", "json_object"):
        return {"type": kind}
    if kind == "json_schema" and isinstance(form, Mapping):
        name, schema = form.get("name"), _schema(form.get("schema"))
        if isinstance(name, str) and schema is not None:
            echoed: dict[str, Any] = {"type": "json_schema", "name": name, "schema": schema}
            if isinstance(form.get("description"), str):
                echoed["description"] = form["description"]
            if isinstance(form.get("strict"), bool):
                echoed["strict"] = form["strict"]
            return echoed
    return {"type": "text"}


def _text(text: Any) -> dict[str, Any]:
    fields = text if isinstance(text, Mapping) else {}
    echoed: dict[str, Any] = {"format": _format(fields.get("format"))}
    verbosity = _choice(fields.get("verbosity"), ("low", "medium", "high"))
    if verbosity is not None:
        echoed["verbosity"] = verbosity
    return echoed


def _metadata(metadata: Any) -> dict[str, str]:
    if not isinstance(metadata, Mapping):
        return {}
    return {key: value for key, value in metadata.items() if isinstance(key, str) and isinstance(value, str)}


def _positive(value: Any) -> int | None:
    number = _number(value)
    return number if isinstance(number, int) and number > 0 else None


def _echo(request: Any) -> dict[str, Any]:
    """The request fields a response object repeats, as the client sent them."""
    body = request if isinstance(request, Mapping) else {}
    reasoning = body.get("reasoning")
    reasoning = reasoning if isinstance(reasoning, Mapping) else {}
    parallel, store, top = body.get("parallel_tool_calls"), body.get("store"), _number(body.get("top_logprobs"))
    return {
        "instructions": _string(body.get("instructions")),
        "max_output_tokens": _positive(body.get("max_output_tokens")),
        "parallel_tool_calls": parallel if isinstance(parallel, bool) else True,
        "previous_response_id": _string(body.get("previous_response_id")),
        "prompt_cache_key": _string(body.get("prompt_cache_key")),
        "reasoning": {
            "effort": _choice(reasoning.get("effort"), REASONING_EFFORTS),
            "summary": _choice(reasoning.get("summary"), REASONING_SUMMARIES),
        },
        "safety_identifier": _string(body.get("safety_identifier")),
        "store": store if isinstance(store, bool) else True,
        "temperature": _number(body.get("temperature")),
        "text": _text(body.get("text")),
        "tool_choice": _tool_choice(body.get("tool_choice")),
        "tools": _tools(body.get("tools")),
        "top_logprobs": top if isinstance(top, int) else None,
        "top_p": _number(body.get("top_p")),
        "truncation": _choice(body.get("truncation"), ("auto", "disabled")) or "disabled",
        "user": _string(body.get("user")),
        "metadata": _metadata(body.get("metadata")),
    }


def response_usage(usage: Any) -> dict[str, Any] | None:
    """Hub usage -> Responses usage (cache writes are 0 unless an Anthropic upstream counted them)."""
    if not isinstance(usage, Mapping):
        return None
    prompt, completion = common.count(usage, "prompt_tokens"), common.count(usage, "completion_tokens")
    return {
        "input_tokens": prompt,
        "input_tokens_details": {
            "cached_tokens": common.count(usage.get("prompt_tokens_details"), "cached_tokens"),
            "cache_write_tokens": common.count(usage.get("prompt_tokens_details"), "cache_write_tokens"),
        },
        "output_tokens": completion,
        "output_tokens_details": {
            "reasoning_tokens": common.count(usage.get("completion_tokens_details"), "reasoning_tokens"),
        },
        "total_tokens": common.count(usage, "total_tokens") or prompt + completion,
    }


def response_object(
    *,
    id: str,
    created: int,
    model: str,
    request: Any,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None = None,
    incomplete_reason: str | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `response` object; `created` is its `created_at`, in seconds."""
    return {
        "id": id,
        "object": "response",
        "created_at": created,
        "status": status,
        "error": error,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "model": model,
        "output": output,
        "usage": usage,
        **_echo(request),
    }


def _token(entry: dict[str, Any]) -> dict[str, Any]:
    """One token's entry as a response carries it: `logprob` a float, `bytes` a list of bytes."""
    try:
        logprob = float(entry["logprob"])
    except OverflowError:
        logprob = 0.0  # an integer too large for a float is no probability
    raw = entry["bytes"] or []
    return {"token": entry["token"], "logprob": logprob, "bytes": raw if all(0 <= byte < 256 for byte in raw) else []}


def output_logprobs(entries: Any) -> list[dict[str, Any]]:
    """Hub token logprobs as an `output_text` part's: the same fields, `bytes` always a list."""
    return [
        {**_token(entry), "top_logprobs": [_token(top) for top in entry["top_logprobs"]]}
        for entry in token_logprobs(entries)
    ]


def delta_logprobs(entries: Any) -> list[dict[str, Any]]:
    """Hub token logprobs as an `output_text.delta` event's, which carry no bytes."""
    return [
        {
            "token": entry["token"],
            "logprob": entry["logprob"],
            "top_logprobs": [{"token": top["token"], "logprob": top["logprob"]} for top in entry["top_logprobs"]],
        }
        for entry in output_logprobs(entries)
    ]


def _message(completion: Any) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The first choice of a hub `chat.completion` and its message."""
    choices = completion.get("choices") if isinstance(completion, Mapping) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, Mapping) else None
    if not isinstance(choice, Mapping) or not isinstance(message, Mapping):
        raise TranslationError("the upstream's answer holds no message")
    return choice, message


def call_item(call: Any, output_index: int, response_id: str) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    if not isinstance(call, Mapping) or not isinstance(call.get("id"), str) or not isinstance(name, str):
        raise TranslationError("the upstream's answer holds a tool call without an id or a name")
    arguments = function.get("arguments") if isinstance(function, Mapping) else None
    return {
        "id": item_id("fc", response_id, output_index),
        "type": "function_call",
        "status": "completed",
        "call_id": call["id"],
        "name": name,
        "arguments": arguments if isinstance(arguments, str) and arguments else "{}",
    }


def _output(choice: Mapping[str, Any], message: Mapping[str, Any], response_id: str) -> list[dict[str, Any]]:
    output: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        output.append({
            "id": item_id("rs", response_id, 0),
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": reasoning}],
        })  # fmt: skip
    parts: list[dict[str, Any]] = []
    content, refusal = message.get("content"), message.get("refusal")
    if isinstance(content, str) and content:
        logprobs = choice.get("logprobs")
        entries = output_logprobs(logprobs.get("content") if isinstance(logprobs, Mapping) else None)
        parts.append({"type": "output_text", "text": content, "annotations": [], "logprobs": entries})
    if isinstance(refusal, str) and refusal:
        parts.append({"type": "refusal", "refusal": refusal})
    if parts:
        output.append({
            "id": item_id("msg", response_id, len(output)),
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": parts,
        })  # fmt: skip
    calls = message.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        output.append(call_item(call, len(output), response_id))
    return output


def client_answer(
    completion: Mapping[str, Any], *, model: str, id: str, created: int, request: Mapping[str, Any]
) -> dict[str, Any]:
    """A hub `chat.completion` as the Responses `response` object the client asked for."""
    choice, message = _message(completion)
    output = _output(choice, message, id)
    reason = choice.get("finish_reason")
    incomplete = INCOMPLETE_REASONS.get(reason) if isinstance(reason, str) else None
    if incomplete and output:
        output[-1]["status"] = "incomplete"  # the item the answer was cut short in
    return response_object(
        id=id,
        created=created,
        model=model,
        request=request,
        status="incomplete" if incomplete else "completed",
        output=output,
        usage=response_usage(completion.get("usage")),
        incomplete_reason=incomplete,
    )


# The hub assistant-message fields worth keeping for a later request, and the type of each.
ASSISTANT_FIELDS: dict[str, type] = {
    "refusal": str,
    "tool_calls": list,
    "reasoning_content": str,
    "thinking_blocks": list,
}


def assistant_message(completion: Mapping[str, Any]) -> dict[str, Any]:
    """The hub assistant message a whole answer produced, as `previous_response_id` replays it;
    Anthropic's `thinking_blocks` and Gemini's signatures on tool calls are kept for their replay."""
    _, message = _message(completion)
    content = message.get("content")
    kept: dict[str, Any] = {"role": "assistant", "content": content if isinstance(content, str) else None}
    for field, kind in ASSISTANT_FIELDS.items():
        value = message.get(field)
        if isinstance(value, kind) and value:
            kept[field] = value
    return kept
