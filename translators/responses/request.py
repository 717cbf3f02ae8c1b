"""OpenAI chat request -> Responses request (platform.openai.com/docs/api-reference/responses).

Every known chat field is mapped, passed under the same name, refused with
`TranslationError(param=...)`, or listed in `DROPPED_FIELDS` with the reason it means nothing
upstream; a field this module does not know (top level or message level) is ignored, and
`ignored_fields` names it. `store` is sent as false unless the client set it: a gateway must
not have the upstream keep conversations the client never asked to store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from translators import common
from translators.common import Unsupported
from translators.errors import TranslationError
from translators.responses.messages import KNOWN_MESSAGE_FIELDS, convert_messages

__all__ = [
    "DROPPED_FIELDS",
    "KNOWN_FIELDS",
    "PASSED_FIELDS",
    "REASONING_EFFORTS",
    "build_request",
    "ignored_fields",
    "request_path",
]

# Fields dropped because they mean nothing to the Responses API and dropping them changes no answer:
DROPPED_FIELDS: tuple[str, ...] = (
    "seed",  # Responses has no seed; even Chat Completions only promises best-effort determinism
    "stream_options",  # usage always arrives with response.completed; obfuscation is per wire
    "prediction",  # predicted outputs only speed Chat Completions up; the answer is the same
)

# Fields Responses takes under the same name and with the same meaning.
PASSED_FIELDS: tuple[str, ...] = (
    "temperature",
    "top_p",
    "parallel_tool_calls",
    "user",
    "safety_identifier",
    "metadata",
    "service_tier",
    "prompt_cache_key",
    "prompt_cache_retention",
    "prompt_cache_options",
)


# Chat fields Responses cannot honour, accepted only at a value that asks nothing.
UNSUPPORTED: dict[str, Unsupported] = {
    "n": Unsupported((None, 1), "the Responses API returns one answer per request"),
    "stop": Unsupported((None, []), "the Responses API has no stop sequences"),
    "frequency_penalty": Unsupported((None, 0), "the Responses API has no frequency penalty"),
    "presence_penalty": Unsupported((None, 0), "the Responses API has no presence penalty"),
    "logit_bias": Unsupported((None, {}), "the Responses API has no logit bias"),
    "modalities": Unsupported((None, ["text"]), "only text answers are translated"),
    "audio": Unsupported((None,), "only text answers are translated"),
    "web_search_options": Unsupported((None,), "web search is not translated; use tools"),
    "moderation": Unsupported((None,), "moderation results are not translated"),
    "functions": Unsupported((None, []), "deprecated; send `tools` instead"),
    "function_call": Unsupported((None,), "deprecated; send `tool_choice` instead"),
}

MAPPED_FIELDS: frozenset[str] = frozenset({
    "model", "messages", "stream", "max_tokens", "max_completion_tokens", "tools", "tool_choice",
    "response_format", "reasoning_effort", "verbosity", "store", "logprobs", "top_logprobs",
})  # fmt: skip

# The one table of top-level fields this module knows; any other field is ignored.
KNOWN_FIELDS: frozenset[str] = frozenset({*MAPPED_FIELDS, *PASSED_FIELDS, *DROPPED_FIELDS, *UNSUPPORTED})

# The `reasoning.effort` values the Responses API documents.
REASONING_EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh", "max")

TOOL_CHOICES: frozenset[str] = frozenset({"auto", "none", "required"})
FUNCTION_FIELDS: frozenset[str] = frozenset({"name", "description", "parameters", "strict"})

# Chat Completions: "Omitting parameters defines a function with an empty parameter list."
EMPTY_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {},
    "additionalProperties": False,
}

LOGPROBS_INCLUDE = "message.output_text.logprobs"

# The API refuses smaller limits ("Invalid 'max_output_tokens': integer below minimum value.
# Expected a value >= 16"); refusing here names the client's own field; clamping would lie.
MIN_OUTPUT_TOKENS = 16


def request_path(*, upstream_model: str, stream: bool) -> str:
    """One path for both; the entry's base URL already ends in /v1."""
    return "/responses"


def ignored_fields(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The param paths `build_request` ignores as unknown: top-level ones, then message ones."""
    return common.ignored_fields(body, known=KNOWN_FIELDS, known_message=KNOWN_MESSAGE_FIELDS)


def _max_output_tokens(body: Mapping[str, Any]) -> dict[str, int]:
    requested = common.requested_max_tokens(body)
    if requested is None:
        return {}
    if requested.tokens < MIN_OUTPUT_TOKENS:
        raise TranslationError(
            f"{requested.field} must be at least {MIN_OUTPUT_TOKENS} for the Responses API",
            param=requested.field,
        )
    return {"max_output_tokens": requested.tokens}


def _function_tool(tool: Any, path: str) -> dict[str, Any]:
    function = common.function_of_tool(tool, path)
    for field in function:
        if field not in FUNCTION_FIELDS:
            raise TranslationError(f"function field {field!r} is not supported", param=f"{path}.function.{field}")
    strict = function.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise TranslationError("strict must be a boolean", param=f"{path}.function.strict")
    converted: dict[str, Any] = {
        "type": "function",
        "name": function["name"],
        "parameters": function.get("parameters") or EMPTY_PARAMETERS,
        # Sent explicitly: Chat Completions defaults to non-strict, Responses may not.
        "strict": bool(strict),
    }
    if function.get("description") is not None:
        converted["description"] = function["description"]
    return converted


def _function_name(choice: Any, path: str) -> str:
    function = choice.get("function") if isinstance(choice, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    if not isinstance(name, str):
        raise TranslationError("a named tool needs function.name", param=f"{path}.function.name")
    return name


def _allowed_tools(choice: Mapping[str, Any]) -> dict[str, Any]:
    allowed = choice.get("allowed_tools")
    mode = allowed.get("mode") if isinstance(allowed, Mapping) else None
    tools = allowed.get("tools") if isinstance(allowed, Mapping) else None
    if mode not in ("auto", "required") or not isinstance(tools, Sequence):
        raise TranslationError(
            "allowed_tools needs mode auto or required and a tools list",
            param="tool_choice.allowed_tools",
        )
    path = "tool_choice.allowed_tools.tools"
    names = [_function_name(tool, f"{path}[{index}]") for index, tool in enumerate(tools)]
    return {
        "type": "allowed_tools",
        "mode": mode,
        "tools": [{"type": "function", "name": name} for name in names],
    }


def _tool_choice(choice: Any) -> dict[str, Any]:
    if choice is None:
        return {}
    if isinstance(choice, str) and choice in TOOL_CHOICES:
        return {"tool_choice": choice}
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    if kind == "function":
        return {"tool_choice": {"type": "function", "name": _function_name(choice, "tool_choice")}}
    if kind == "allowed_tools":
        return {"tool_choice": _allowed_tools(choice)}
    raise TranslationError(
        "tool_choice must be auto, none, required, a named function or allowed_tools",
        param="tool_choice",
    )


def _tools(body: Mapping[str, Any]) -> dict[str, Any]:
    tools = body.get("tools")
    if tools is None:
        return _tool_choice(body.get("tool_choice"))
    if not isinstance(tools, Sequence) or isinstance(tools, str):
        raise TranslationError("tools must be a list", param="tools")
    converted = [_function_tool(tool, f"tools[{index}]") for index, tool in enumerate(tools)]
    return {"tools": converted, **_tool_choice(body.get("tool_choice"))}


def _json_schema_format(response_format: Mapping[str, Any]) -> dict[str, Any]:
    spec = response_format.get("json_schema")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
        raise TranslationError("json_schema needs a name", param="response_format.json_schema.name")
    schema = spec.get("schema")
    if not isinstance(schema, Mapping):
        raise TranslationError("json_schema.schema must be an object", param="response_format.json_schema.schema")
    converted: dict[str, Any] = {"type": "json_schema", "name": spec["name"], "schema": schema}
    for field in ("description", "strict"):
        if spec.get(field) is not None:
            converted[field] = spec[field]
    return converted


def _text(body: Mapping[str, Any]) -> dict[str, Any]:
    """`response_format` -> `text.format`, `verbosity` -> `text.verbosity`."""
    text: dict[str, Any] = {}
    response_format = body.get("response_format")
    if response_format is not None:
        kind = response_format.get("type") if isinstance(response_format, Mapping) else None
        if kind in ("text", "json_object"):
            text["format"] = {"type": kind}
        elif kind == "json_schema":
            text["format"] = _json_schema_format(response_format)
        else:
            raise TranslationError(
                "response_format type must be text, json_object or json_schema",
                param="response_format.type",
            )
    if body.get("verbosity") is not None:
        text["verbosity"] = body["verbosity"]
    return {"text": text} if text else {}


def _reasoning(effort: Any) -> dict[str, Any]:
    if effort is None:
        return {}
    if effort not in REASONING_EFFORTS:
        allowed = ", ".join(REASONING_EFFORTS)
        raise TranslationError(f"reasoning_effort must be one of {allowed}", param="reasoning_effort")
    if effort == "none":
        return {"reasoning": {"effort": effort}}
    # Summaries are off unless asked for; without one no reasoning text can reach the client.
    return {"reasoning": {"effort": effort, "summary": "auto"}}


def _logprobs(body: Mapping[str, Any]) -> dict[str, Any]:
    wanted = body.get("logprobs")
    if wanted not in (None, True, False):
        raise TranslationError("logprobs must be a boolean", param="logprobs")
    top = body.get("top_logprobs")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 0):
        raise TranslationError("top_logprobs must be a non-negative integer", param="top_logprobs")
    if not wanted:
        if top:
            raise TranslationError("top_logprobs requires logprobs: true", param="top_logprobs")
        return {}
    request: dict[str, Any] = {"include": [LOGPROBS_INCLUDE]}
    if top is not None:
        request["top_logprobs"] = top
    return request


def _store(body: Mapping[str, Any]) -> bool:
    store = body.get("store")
    if store is None:
        return False
    if not isinstance(store, bool):
        raise TranslationError("store must be a boolean", param="store")
    return store


def build_request(body: Mapping[str, Any], *, upstream_model: str) -> dict[str, Any]:
    """An OpenAI chat completion request as a Responses API request body."""
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    common.check_unsupported(body, UNSUPPORTED, scope="by this model")
    stream = body.get("stream")
    if stream not in (None, True, False):
        raise TranslationError("stream must be a boolean", param="stream")
    request: dict[str, Any] = {
        "model": upstream_model,
        "input": convert_messages(body.get("messages")),
        "store": _store(body),
    }
    request.update(_max_output_tokens(body))
    for field in PASSED_FIELDS:
        if body.get(field) is not None:
            request[field] = body[field]
    request.update(_tools(body))
    request.update(_text(body))
    request.update(_reasoning(body.get("reasoning_effort")))
    request.update(_logprobs(body))
    if stream:
        request["stream"] = True
    return request
