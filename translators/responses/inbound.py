"""Clients of the OpenAI Responses API (Codex CLI, the openai SDK's `client.responses`) <-> the hub.

`hub_request` turns a Responses request into a hub `ChatRequest` for an upstream of another
dialect; `client_answer` and `ClientStream` turn the hub's answer or stream back into a Responses
`response` object or its SSE events (platform.openai.com/docs/api-reference/responses and
/responses-streaming). Every request field is mapped, passed, refused with
`TranslationError(param=...)`, or listed in `DROPPED_FIELDS` with the reason; `ignored_fields`
names the fields this module does not know. `previous_response_id` is the gateway's to resolve:
it hands the earlier exchange in as `history` and stores `next_history` for the next request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from translators import common
from translators.common import Unsupported
from translators.errors import TranslationError
from translators.responses.inbound_answer import (
    LOGPROBS_INCLUDE,
    REASONING_EFFORTS,
    REASONING_SUMMARIES,
    assistant_message,
    client_answer,
)
from translators.responses.inbound_items import convert_input
from translators.responses.inbound_stream import ClientStream

__all__ = [
    "DROPPED_FIELDS",
    "KNOWN_FIELDS",
    "ClientStream",
    "assistant_message",
    "client_answer",
    "error_body",
    "hub_request",
    "ignored_fields",
    "next_history",
]

# Fields dropped for a translated upstream, each with why dropping it changes no answer:
DROPPED_FIELDS: tuple[str, ...] = (
    "store",  # the gateway keeps the exchange for previous_response_id itself; echoed back
    "metadata",  # tags on the response object, echoed back; nothing the model reads
    "truncation",  # "disabled" is the hub's only behaviour; "auto" would drop old input on overflow
    "stream_options",  # only include_obfuscation, padding the gateway never adds
    "include",  # besides logprobs (mapped): encrypted reasoning and hosted-tool output, never produced
    "prompt_cache_options",  # cache hints for OpenAI's own prompt cache
    "max_tool_calls",  # limits built-in tool calls; built-in tools are refused, so none can exceed it
)

# The field the gateway resolves before translating: it becomes `history`.
GATEWAY_FIELDS: tuple[str, ...] = ("previous_response_id",)

# Fields accepted only at a value that asks nothing: what they ask, no translated upstream does.
UNSUPPORTED: dict[str, Unsupported] = {
    "background": Unsupported((None, False), "background responses are not translated"),
    "conversation": Unsupported((None,), "conversations are not stored; send previous_response_id or the input"),
    "prompt": Unsupported((None,), "stored prompt templates exist only at OpenAI"),
    "context_management": Unsupported((None, []), "context compaction exists only at OpenAI"),
    "moderation": Unsupported((None,), "moderation results are not translated"),
}

# Fields the hub takes under the same name, as strings.
STRING_FIELDS: tuple[str, ...] = (
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "service_tier",
)

MAPPED_FIELDS: frozenset[str] = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls",
    "max_output_tokens", "temperature", "top_p", "reasoning", "text", "stream", "top_logprobs",
})  # fmt: skip

# The one table of top-level fields this module knows; any other field is ignored.
KNOWN_FIELDS: frozenset[str] = frozenset(
    {*MAPPED_FIELDS, *STRING_FIELDS, *DROPPED_FIELDS, *GATEWAY_FIELDS, *UNSUPPORTED}
)

TOOL_CHOICES: frozenset[str] = frozenset({"auto", "none", "required"})
TEXT_FORMATS: frozenset[str] = frozenset({"text", "json_object"})
VERBOSITIES: frozenset[str] = frozenset({"low", "medium", "high"})
FUNCTION_FIELDS: frozenset[str] = frozenset({"type", "name", "description", "parameters", "strict"})
HUB_ROLES: tuple[str, ...] = ("system", "developer", "user", "assistant", "tool")


def ignored_fields(body: Any) -> tuple[str, ...]:
    """The top-level fields `hub_request` ignores because it does not know them, then the tools
    it leaves out (see `_tools`)."""
    if not isinstance(body, Mapping):
        return ()
    unknown = tuple(field for field in body if field not in KNOWN_FIELDS)
    tools = body.get("tools")
    if not isinstance(tools, list):
        return unknown
    return unknown + tuple(f"tools[{index}] ({tool['type']})" for index, tool in enumerate(tools) if _hosted(tool))


def _hosted(tool: Any) -> bool:
    """A tool another party runs or groups (web_search, namespace, mcp, custom, ...)."""
    return isinstance(tool, Mapping) and isinstance(tool.get("type"), str) and tool["type"] != "function"


def error_body(status: int, type: str, message: str, code: str | None, param: str | None) -> dict[str, Any]:
    """OpenAI's error envelope, which the Responses API answers with too; `status` is the HTTP one."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def _optional(body: Mapping[str, Any], field: str, kinds: tuple[type, ...], what: str) -> Any:
    """`body[field]` when it is null, absent, or of `kinds` (booleans are not numbers)."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        raise TranslationError(f"{field} must be {what}", param=field)
    return value


def _function_tool(tool: Mapping[str, Any], path: str) -> dict[str, Any]:
    for field, value in tool.items():
        if field not in FUNCTION_FIELDS and value not in (None, False):
            raise TranslationError(
                f"function tool field {field!r} cannot be sent to this model", param=f"{path}.{field}"
            )
    name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise TranslationError("a function tool needs a name", param=f"{path}.name")
    function: dict[str, Any] = {"name": name}
    description = tool.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise TranslationError("description must be a string", param=f"{path}.description")
        function["description"] = description
    parameters = tool.get("parameters")
    if parameters is not None:
        if not isinstance(parameters, Mapping):
            raise TranslationError("parameters must be a JSON Schema object", param=f"{path}.parameters")
        function["parameters"] = parameters
    strict = tool.get("strict")
    if strict is not None:
        if not isinstance(strict, bool):
            raise TranslationError("strict must be a boolean", param=f"{path}.strict")
        function["strict"] = strict
    return {"type": "function", "function": function}


def _tools(tools: Any) -> dict[str, Any]:
    """Function tools, converted; tools of any other type are left out rather than refused:
    agents such as Codex always offer hosted and grouped tools (web_search, namespace) beside
    their functions, and a model that cannot call them still serves the functions."""
    if tools is None:
        return {}
    if not isinstance(tools, list):
        raise TranslationError("tools must be a list", param="tools")
    converted = []
    for index, tool in enumerate(tools):
        path = f"tools[{index}]"
        if _hosted(tool):
            continue
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            raise TranslationError("a tool must be an object with a type, such as function", param=f"{path}.type")
        converted.append(_function_tool(tool, path))
    return {"tools": converted} if converted else {}


def _named(choice: Any, path: str) -> dict[str, Any]:
    """A `{"type": "function", "name"}` choice as the hub names a function."""
    name = choice.get("name") if isinstance(choice, Mapping) else None
    if not isinstance(choice, Mapping) or choice.get("type") != "function" or not isinstance(name, str):
        raise TranslationError("only function tools can be named here, as {type: function, name}", param=path)
    return {"type": "function", "function": {"name": name}}


def _tool_choice(choice: Any) -> dict[str, Any]:
    if choice is None:
        return {}
    if isinstance(choice, str) and choice in TOOL_CHOICES:
        return {"tool_choice": choice}
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    if kind == "function":
        return {"tool_choice": _named(choice, "tool_choice")}
    if kind == "allowed_tools" and isinstance(choice, Mapping):
        mode, tools = choice.get("mode"), choice.get("tools")
        if mode not in ("auto", "required") or not isinstance(tools, list):
            raise TranslationError("allowed_tools needs mode auto or required and a tools list", param="tool_choice")
        named = [_named(tool, f"tool_choice.tools[{index}]") for index, tool in enumerate(tools)]
        return {"tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": mode, "tools": named}}}
    raise TranslationError(
        "tool_choice must be auto, none, required, a function or allowed_tools; other tools cannot be "
        "sent to this model",
        param="tool_choice",
    )


def _json_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    name, schema = spec.get("name"), spec.get("schema")
    if not isinstance(name, str):
        raise TranslationError("a json_schema format needs a name", param="text.format.name")
    if not isinstance(schema, Mapping):
        raise TranslationError("a json_schema format needs a schema object", param="text.format.schema")
    converted: dict[str, Any] = {"name": name, "schema": schema}
    for field, kind in (("description", str), ("strict", bool)):
        value = spec.get(field)
        if value is not None:
            if not isinstance(value, kind):
                raise TranslationError(f"{field} must be a {kind.__name__}", param=f"text.format.{field}")
            converted[field] = value
    return {"type": "json_schema", "json_schema": converted}


def _text(text: Any) -> dict[str, Any]:
    """`text.format` -> `response_format`, `text.verbosity` -> `verbosity`."""
    if text is None:
        return {}
    if not isinstance(text, Mapping):
        raise TranslationError("text must be an object", param="text")
    converted: dict[str, Any] = {}
    form = text.get("format")
    if form is not None:
        kind = form.get("type") if isinstance(form, Mapping) else None
        if isinstance(kind, str) and kind in TEXT_FORMATS:
            converted["response_format"] = {"type": kind}
        elif kind == "json_schema" and isinstance(form, Mapping):
            converted["response_format"] = _json_schema(form)
        else:
            raise TranslationError(
                "text.format type must be text, json_object or json_schema", param="text.format.type"
            )
    verbosity = text.get("verbosity")
    if verbosity is not None:
        if not isinstance(verbosity, str) or verbosity not in VERBOSITIES:
            raise TranslationError("text.verbosity must be low, medium or high", param="text.verbosity")
        converted["verbosity"] = verbosity
    return converted


def _reasoning(reasoning: Any) -> dict[str, Any]:
    """`reasoning.effort` -> `reasoning_effort`; the summary setting asks for nothing the hub can
    withhold: whatever reasoning text the upstream gives comes back as a summary."""
    if reasoning is None:
        return {}
    if not isinstance(reasoning, Mapping):
        raise TranslationError("reasoning must be an object", param="reasoning")
    for field in ("summary", "generate_summary"):
        summary = reasoning.get(field)
        if summary is not None and (not isinstance(summary, str) or summary not in REASONING_SUMMARIES):
            raise TranslationError(f"reasoning.{field} must be auto, concise or detailed", param=f"reasoning.{field}")
    effort = reasoning.get("effort")
    if effort is None:
        return {}
    if not isinstance(effort, str) or effort not in REASONING_EFFORTS:
        allowed = ", ".join(REASONING_EFFORTS)
        raise TranslationError(f"reasoning.effort must be one of {allowed} for this model", param="reasoning.effort")
    return {"reasoning_effort": effort}


def _logprobs(body: Mapping[str, Any]) -> dict[str, Any]:
    """`include: ["message.output_text.logprobs"]` and `top_logprobs` -> `logprobs`, `top_logprobs`."""
    include = body.get("include")
    if include is not None and not (isinstance(include, list) and all(isinstance(name, str) for name in include)):
        raise TranslationError("include must be a list of strings", param="include")
    top = _optional(body, "top_logprobs", (int,), "an integer from 0 to 20")
    if top is not None and not 0 <= top <= 20:
        raise TranslationError("top_logprobs must be an integer from 0 to 20", param="top_logprobs")
    if not include or LOGPROBS_INCLUDE not in include:
        return {}
    return {"logprobs": True} if top is None else {"logprobs": True, "top_logprobs": top}


def _history(history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The gateway's stored hub messages, as they were stored: each upstream adapter checks them
    as it checks any hub message; only what is not a message at all is refused here."""
    if not all(isinstance(message, Mapping) and message.get("role") in HUB_ROLES for message in history):
        raise TranslationError("the earlier exchange holds something that is not a hub message")
    return [dict(message) for message in history]


def _instructions(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    instructions = _optional(body, "instructions", (str,), "a string")
    return [{"role": "system", "content": instructions}] if instructions else []


def hub_request(body: Mapping[str, Any], *, history: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """A Responses request as a hub `ChatRequest`; `history` (hub messages of the exchange
    `previous_response_id` names) goes between the instructions and this request's input."""
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    common.check_unsupported(body, UNSUPPORTED, scope="for this model")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise TranslationError("model must be a string naming the model", param="model")
    items = body.get("input")
    # The API makes input optional: a request may only continue `previous_response_id`.
    conversation = [*_history(history), *convert_input([] if items is None else items)]
    if not conversation:
        raise TranslationError("input must hold at least one item", param="input")
    request: dict[str, Any] = {"model": model, "messages": [*_instructions(body), *conversation]}
    limit = common.positive_int(body, "max_output_tokens")
    if limit is not None:
        request["max_completion_tokens"] = limit
    for field in ("temperature", "top_p"):
        value = _optional(body, field, (int, float), "a number")
        if value is not None:
            request[field] = value
    for field in STRING_FIELDS:
        value = _optional(body, field, (str,), "a string")
        if value is not None:
            request[field] = value
    parallel = _optional(body, "parallel_tool_calls", (bool,), "a boolean")
    request.update(_tools(body.get("tools")))
    request.update(_tool_choice(body.get("tool_choice")))
    if parallel is not None:
        request["parallel_tool_calls"] = parallel
    request.update(_reasoning(body.get("reasoning")))
    request.update(_text(body.get("text")))
    request.update(_logprobs(body))
    if _optional(body, "stream", (bool,), "a boolean"):
        request["stream"] = True
        request["stream_options"] = {"include_usage": True}  # response.completed carries usage
    return request


def next_history(
    body: Mapping[str, Any], request: Mapping[str, Any], assistant: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """What a later request's `previous_response_id` brings back: this request's hub messages
    without the instructions (the API does not carry them over), then the answer's message."""
    messages = request.get("messages")
    messages = list(messages) if isinstance(messages, list) else []
    if isinstance(body, Mapping) and isinstance(body.get("instructions"), str) and body["instructions"]:
        messages = messages[1:]
    return [*messages, dict(assistant)]
