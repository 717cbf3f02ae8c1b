"""Clients that speak Anthropic Messages (Claude Code, the anthropic SDKs) <-> the hub.

`hub_request` turns the client's `/v1/messages` body into a hub chat request for a non-Anthropic
upstream; `client_answer` and `ClientStream` turn the hub answer back into Anthropic's `message`
object and SSE events; `error_body` writes Anthropic's error envelope. Every top-level request
field is mapped, refused with `TranslationError(param=...)`, or listed in `DROPPED_FIELDS` with
the reason it means nothing to another upstream; `ignored_fields` names the ones this module
does not know. Wire format: https://docs.anthropic.com/en/api/messages; thinking:
https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from translators import common
from translators.anthropic.inbound_answer import client_answer, error_body, error_type
from translators.anthropic.inbound_messages import KNOWN_MESSAGE_FIELDS, convert_messages, system_message
from translators.anthropic.inbound_stream import ClientStream
from translators.anthropic.request import THINKING_BUDGETS
from translators.common import Unsupported, shown
from translators.errors import TranslationError

__all__ = [
    "DROPPED_FIELDS",
    "KNOWN_FIELDS",
    "ClientStream",
    "client_answer",
    "error_body",
    "error_type",
    "estimate_tokens",
    "hub_request",
    "ignored_fields",
]

# Fields dropped, each with why: none changes what the model is asked.
DROPPED_FIELDS: dict[str, str] = {
    "service_tier": "Anthropic's capacity tiers; the upstream entry's credential decides its own",
    "cache_control": "prompt caching changes cost and latency, not the answer",
    "inference_geo": "the region Anthropic runs the model in",
    "speed": "Anthropic's fast output mode gives the same answer sooner",
    "diagnostics": "Anthropic's prompt-cache diagnostics",
    "container": "a code execution container, which only Anthropic's server tools use",
    "context_management": "Anthropic's server-side clearing of old tool results; the upstream reads them all",
    "workspace_id": "selects an Anthropic workspace",
    "user_profile_id": "attributes the request to an Anthropic user profile",
}

UNSUPPORTED: dict[str, Unsupported] = {
    "mcp_servers": Unsupported((None, []), "Anthropic's servers call MCP servers; other upstreams cannot"),
}

MAPPED_FIELDS: frozenset[str] = frozenset({
    "model", "messages", "max_tokens", "system", "stream", "temperature", "top_p", "top_k",
    "stop_sequences", "tools", "tool_choice", "thinking", "metadata", "output_config", "output_format",
})  # fmt: skip

KNOWN_FIELDS: frozenset[str] = frozenset({*MAPPED_FIELDS, *DROPPED_FIELDS, *UNSUPPORTED})

TOOL_CHOICES: dict[str, str] = {"auto": "auto", "any": "required", "none": "none"}

# Anthropic `output_config.effort` -> hub reasoning_effort; "max" has no hub level above xhigh.
EFFORTS: dict[str, str] = {"low": "low", "medium": "medium", "high": "high", "xhigh": "xhigh", "max": "xhigh"}

# Adaptive thinking without an effort: Anthropic's default effort is the middle one.
ADAPTIVE_EFFORT = "medium"

# Tool fields that change nothing another upstream is asked: cache breakpoints, how Anthropic
# streams or loads a tool, which of its code execution tools may call it.
DROPPED_TOOL_FIELDS: tuple[str, ...] = ("cache_control", "eager_input_streaming", "defer_loading", "allowed_callers")

# An image is about 1,600 tokens at Anthropic's full size (width x height / 750); counted
# apart, since its base64 length says little about its tokens.
IMAGE_TOKENS = 1600
CHARS_PER_TOKEN = 4


def ignored_fields(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The param paths `hub_request` ignores as unknown: top-level ones, then message ones."""
    return common.ignored_fields(body, known=KNOWN_FIELDS, known_message=KNOWN_MESSAGE_FIELDS)


def _fail(message: str, param: str) -> TranslationError:
    return TranslationError(message, param=param)


def _object(body: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    value = body.get(field)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(f"{field} must be an object", field)
    return value


def _unit_interval(body: Mapping[str, Any], field: str) -> dict[str, Any]:
    value = body.get(field)
    if value is None:
        return {}
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _fail(f"{field} must be a number between 0 and 1", field)
    return {field: value}


def _options(body: Mapping[str, Any]) -> dict[str, Any]:
    """Sampling, stop sequences and streaming, each checked as Anthropic types it."""
    options = {**_unit_interval(body, "temperature"), **_unit_interval(body, "top_p")}
    top_k = common.positive_int(body, "top_k")
    if top_k is not None:
        options["top_k"] = top_k
    stop = body.get("stop_sequences")
    if stop is not None and (not isinstance(stop, list) or not all(isinstance(item, str) for item in stop)):
        raise _fail("stop_sequences must be a list of strings", "stop_sequences")
    if stop:
        options["stop"] = list(stop)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _fail("stream must be true or false", "stream")
    if stream:
        options["stream"] = True
    return options


# --- tools ----------------------------------------------------------------------------------


def _server_tools(tools: list[Any]) -> None:
    """Refuses Anthropic's server tools (web search, bash, text editor, computer use, ...), naming all."""
    found = [
        (index, f"{shown(tool.get('name'))} ({shown(tool.get('type'))})")
        for index, tool in enumerate(tools)
        if isinstance(tool, Mapping) and tool.get("type") not in (None, "custom")
    ]
    if found:
        names = ", ".join(name for _, name in found)
        raise _fail(
            f"Anthropic server tools run only on Anthropic's servers, not for this model: {names}; "
            "remove them or pick an Anthropic model",
            f"tools[{found[0][0]}].type",
        )


def _tool(tool: Any, path: str) -> dict[str, Any]:
    if not isinstance(tool, Mapping):
        raise _fail("a tool must be an object", path)
    name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise _fail("a tool needs a name", f"{path}.name")
    schema = tool.get("input_schema")
    if not isinstance(schema, Mapping):
        raise _fail("a tool needs input_schema, a JSON Schema object", f"{path}.input_schema")
    if tool.get("input_examples") not in (None, []):
        raise _fail("input_examples is not supported for this model", f"{path}.input_examples")
    function: dict[str, Any] = {"name": name, "parameters": dict(schema)}
    description = tool.get("description")
    if description is not None and not isinstance(description, str):
        raise _fail("a tool's description must be a string", f"{path}.description")
    if description:
        function["description"] = description
    strict = tool.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise _fail("a tool's strict must be true or false", f"{path}.strict")
    if strict is not None:
        function["strict"] = strict
    return {"type": "function", "function": function}


def _tool_choice(choice: Any, has_tools: bool) -> dict[str, Any]:
    if choice is None:
        return {}
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    if kind == "tool":
        name = choice.get("name")
        if not isinstance(name, str):
            raise _fail("a tool_choice of type tool needs a name", "tool_choice.name")
        converted: Any = {"type": "function", "function": {"name": name}}
    elif isinstance(kind, str) and kind in TOOL_CHOICES:
        converted = TOOL_CHOICES[kind]
    else:
        raise _fail("tool_choice type must be auto, any, tool or none", "tool_choice.type")
    serial = choice.get("disable_parallel_tool_use")
    if serial is not None and not isinstance(serial, bool):
        raise _fail("disable_parallel_tool_use must be true or false", "tool_choice.disable_parallel_tool_use")
    if not has_tools:
        if kind in ("auto", "none"):
            return {}  # without tools, both mean: answer in text
        raise _fail("tool_choice requires tools", "tool_choice")
    if serial and kind != "none":
        return {"tool_choice": converted, "parallel_tool_calls": False}
    return {"tool_choice": converted}


def _tools(body: Mapping[str, Any]) -> dict[str, Any]:
    tools = body.get("tools")
    if tools is None:
        tools = []
    if not isinstance(tools, list):
        raise _fail("tools must be a list", "tools")
    _server_tools(tools)
    converted = [_tool(tool, f"tools[{index}]") for index, tool in enumerate(tools)]
    choice = _tool_choice(body.get("tool_choice"), bool(converted))
    return {"tools": converted, **choice} if converted else choice


# --- thinking, effort and output format -----------------------------------------------------


def nearest_effort(budget: int) -> str:
    """The hub effort whose Anthropic budget is nearest `budget` by ratio (the budgets double
    from level to level); a tie goes to the lower effort."""
    return min(THINKING_BUDGETS, key=lambda effort: abs(math.log(budget) - math.log(THINKING_BUDGETS[effort])))


def _effort(config: Mapping[str, Any]) -> str | None:
    effort = config.get("effort")
    if effort is None:
        return None
    if not isinstance(effort, str) or effort not in EFFORTS:
        raise _fail(f"output_config.effort must be one of {', '.join(EFFORTS)}", "output_config.effort")
    return EFFORTS[effort]


def _reasoning_effort(body: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, str]:
    """thinking -> reasoning_effort: a budget by its nearest level, adaptive by the client's
    effort (else medium), disabled as "none". Without thinking, an effort alone is the level."""
    effort = _effort(config)
    if body.get("thinking") is None:
        return {"reasoning_effort": effort} if effort else {}
    thinking = _object(body, "thinking")
    kind = thinking.get("type")
    if kind == "enabled":
        budget = common.positive_int(thinking, "budget_tokens")
        if budget is None:
            raise _fail("thinking.budget_tokens must be a positive integer", "thinking.budget_tokens")
        return {"reasoning_effort": nearest_effort(budget)}
    if kind == "adaptive":
        return {"reasoning_effort": effort or ADAPTIVE_EFFORT}
    if kind == "disabled":
        return {"reasoning_effort": "none"}
    raise _fail("thinking.type must be enabled, adaptive or disabled for this model", "thinking.type")


def _response_format(body: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """`output_config.format` (or the older top-level `output_format`) as a strict JSON schema:
    Anthropic's structured outputs always hold to the schema."""
    spec, path = config.get("format"), "output_config.format"
    if spec is None:
        spec, path = body.get("output_format"), "output_format"
    if spec is None:
        return {}
    if not isinstance(spec, Mapping) or spec.get("type") != "json_schema":
        raise _fail("the output format type must be json_schema", f"{path}.type")
    schema = spec.get("schema")
    if not isinstance(schema, Mapping):
        raise _fail("the output format needs schema, a JSON Schema object", f"{path}.schema")
    json_schema = {"name": "output", "schema": dict(schema), "strict": True}
    return {"response_format": {"type": "json_schema", "json_schema": json_schema}}


def _user(body: Mapping[str, Any]) -> dict[str, str]:
    user = _object(body, "metadata").get("user_id")
    if user is None:
        return {}
    if not isinstance(user, str):
        raise _fail("metadata.user_id must be a string", "metadata.user_id")
    return {"user": user}


def hub_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """An Anthropic Messages request body as a hub chat request."""
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _fail("model must be a non-empty string", "model")
    common.check_unsupported(body, UNSUPPORTED, scope="for this model")
    max_tokens = common.positive_int(body, "max_tokens")
    if max_tokens is None:
        raise _fail("max_tokens is required: the most tokens the answer may take", "max_tokens")
    system = system_message(body.get("system"), "system")
    messages = convert_messages(body.get("messages"))
    config = _object(body, "output_config")
    return {
        "model": model,
        "messages": [system, *messages] if system is not None else messages,
        "max_completion_tokens": max_tokens,
        **_options(body),
        **_tools(body),
        **_reasoning_effort(body, config),
        **_response_format(body, config),
        **_user(body),
    }


# --- token counting -------------------------------------------------------------------------


def estimate_tokens(body: Mapping[str, Any]) -> int:
    """An estimate of a request's input tokens, for count_tokens on a model without an Anthropic
    upstream: the characters of every key and string in system, messages and tools over 4,
    rounded up, plus 1,600 per image; other values count one token each; at least 1.
    """
    if not isinstance(body, Mapping):
        return 1
    chars, tokens = 0, 0
    pending: list[Any] = [body.get("system"), body.get("messages"), body.get("tools")]
    # A walk with a list of its own, not recursion: any nesting depth is counted.
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            chars += len(value)
        elif isinstance(value, Mapping):
            if value.get("type") == "image":
                tokens += IMAGE_TOKENS
                continue
            chars += sum(len(key) for key in value if isinstance(key, str))
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif value is not None:
            tokens += 1
    return max(1, tokens + -(-chars // CHARS_PER_TOKEN))
