"""OpenAI chat request -> Gemini `generateContent` request (ai.google.dev/api/generate-content).

Every known OpenAI field is mapped, refused with a `TranslationError` naming it, or listed in
`DROPPED_FIELDS` as meaningless upstream. A field this module does not know (top level or message
level) is ignored, and `ignored_fields` names it so it can be logged. Messages are in `contents.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from translators import common
from translators.errors import TranslationError
from translators.gemini.contents import KNOWN_MESSAGE_FIELDS, convert_messages

__all__ = [
    "KNOWN_FIELDS",
    "MIN_THINKING_BUDGET",
    "THINKING_BUDGETS",
    "build_request",
    "ignored_fields",
    "model_segment",
    "request_path",
]

# OpenAI-only fields with no meaning at Gemini: end-user ids and metadata for OpenAI's own
# dashboards and abuse tracking, OpenAI-side storage and prompt caching, OpenAI's service tiers,
# and `stream_options` (usage is always reported at the end of a Gemini stream).
# `parallel_tool_calls`: Gemini may call several functions in one turn and has no switch to
# stop it; a client that asked for one call at a time (Codex always does) still gets valid
# calls it can run in order, so the field is dropped rather than refused.
DROPPED_FIELDS = (
    "parallel_tool_calls",
    "user",
    "safety_identifier",
    "metadata",
    "store",
    "prompt_cache_key",
    "service_tier",
    "stream_options",
)

# OpenAI's `strict` on a function tool has no Gemini switch: the declaration is sent without it.
DROPPED_FUNCTION_FIELDS = ("strict",)
_FUNCTION_FIELDS = frozenset({"name", "description", "parameters"})

# Fields Gemini cannot honour, accepted only at values that ask for nothing.
DEFAULT_ONLY_FIELDS: dict[str, tuple[Any, ...]] = {
    "logprobs": (None, False),
    "top_logprobs": (None, 0),
    "logit_bias": (None, {}),
    "modalities": (None, ["text"]),
    "audio": (None,),
    "prediction": (None,),
    "web_search_options": (None,),
    "verbosity": (None,),
    "functions": (None,),
    "function_call": (None,),
}

# OpenAI name -> (generationConfig name, accepted Python types).
GENERATION_FIELDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "temperature": ("temperature", (int, float)),
    "top_p": ("topP", (int, float)),
    "top_k": ("topK", (int,)),
    "seed": ("seed", (int,)),
    "presence_penalty": ("presencePenalty", (int, float)),
    "frequency_penalty": ("frequencyPenalty", (int, float)),
    "n": ("candidateCount", (int,)),
}

_HANDLED_FIELDS = frozenset(
    {
        "model",
        "messages",
        "stream",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "response_format",
        "reasoning_effort",
        "tools",
        "tool_choice",
    }
)

# The one table of top-level fields this module knows; any other field is ignored.
KNOWN_FIELDS = frozenset({*_HANDLED_FIELDS, *GENERATION_FIELDS, *DROPPED_FIELDS, *DEFAULT_ONLY_FIELDS})

TOOL_CHOICE_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}

# The token budgets Gemini's own OpenAI-compatible endpoint uses for these efforts
# (ai.google.dev/gemini-api/docs/openai#thinking); 0 turns thinking off.
THINKING_BUDGETS = {"none": 0, "low": 1024, "medium": 8192, "high": 24576}

# Thinking tokens are generated within maxOutputTokens (an answer whose thoughts used up the
# limit ends with finishReason MAX_TOKENS and no text: github.com/googleapis/python-genai issues
# 782, 811 and 2062, on 2.5 and 3 models alike), so under a client's limit a budget takes
# at most three quarters of it (`common.fitted_thinking_budget`). It never goes below 512, the
# largest of the Gemini 2.5 models' smallest budgets (Flash-Lite's; Pro's is 128), so every
# thinking model accepts it. Gemini documents no rule tying the budget to maxOutputTokens, so a
# limit too small for that floor is sent as is, not refused: thinking then stops at the limit.
MIN_THINKING_BUDGET = 512

JSON_MIME_TYPE = "application/json"


def request_path(*, upstream_model: str, stream: bool) -> str:
    model = model_segment(upstream_model)
    if stream:
        return f"/v1beta/models/{model}:streamGenerateContent?alt=sse"
    return f"/v1beta/models/{model}:generateContent"


def model_segment(upstream_model: str) -> str:
    """The model id as one URL path segment: a `/` or `?` in it cannot reach another endpoint."""
    model = upstream_model.removeprefix("models/")
    if not model:
        raise TranslationError("the upstream model id is empty", param="model")
    return quote(model, safe="")


def build_request(body: Mapping[str, Any], *, upstream_model: str) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    _check_fields(body)
    converted = convert_messages(body.get("messages"))
    if not converted.contents:
        raise TranslationError("Gemini needs at least one user or assistant message", param="messages")
    request: dict[str, Any] = {"contents": converted.contents}
    if converted.system_parts:
        request["systemInstruction"] = {"parts": converted.system_parts}
    declarations = _function_declarations(body.get("tools"))
    if declarations:
        request["tools"] = [{"functionDeclarations": declarations}]
    tool_choice = body.get("tool_choice")
    if tool_choice is not None:
        request["toolConfig"] = {"functionCallingConfig": _function_calling_config(tool_choice)}
    generation = _generation_config(body)
    if generation:
        request["generationConfig"] = generation
    return request


def ignored_fields(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The param paths `build_request` ignores as unknown: top-level ones, then message ones."""
    return common.ignored_fields(body, known=KNOWN_FIELDS, known_message=KNOWN_MESSAGE_FIELDS)


def _check_fields(body: Mapping[str, Any]) -> None:
    for key, value in body.items():
        allowed = DEFAULT_ONLY_FIELDS.get(key)
        if allowed is not None and value not in allowed:
            raise TranslationError(f"{key!r} = {common.shown(value)} cannot be honoured by Gemini", param=key)
    if body.get("stream") not in (None, True, False):
        raise TranslationError("stream must be a boolean", param="stream")


def _generation_config(body: Mapping[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for name, (gemini_name, types) in GENERATION_FIELDS.items():
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            raise TranslationError(f"{name} must be a number", param=name)
        config[gemini_name] = value
    if config.get("candidateCount", 1) < 1:
        raise TranslationError("n must be at least 1", param="n")
    max_tokens = _max_tokens(body)
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    stop = _stop_sequences(body.get("stop"))
    if stop:
        config["stopSequences"] = stop
    config.update(_response_format(body.get("response_format")))
    effort = body.get("reasoning_effort")
    if effort is not None:
        config["thinkingConfig"] = _thinking_config(effort, max_tokens)
    return config


def _max_tokens(body: Mapping[str, Any]) -> int | None:
    # Checked first here, so max_completion_tokens is the field named when both are malformed.
    common.positive_int(body, "max_completion_tokens")
    requested = common.requested_max_tokens(body)
    return requested.tokens if requested is not None else None


def _stop_sequences(stop: Any) -> list[str]:
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(item, str) for item in stop):
        return list(stop)
    raise TranslationError("stop must be a string or an array of strings", param="stop")


def _response_format(response_format: Any) -> dict[str, Any]:
    if response_format is None:
        return {}
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    if kind == "text":
        return {}
    if kind == "json_object":
        return {"responseMimeType": JSON_MIME_TYPE}
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, Mapping):
            raise TranslationError("json_schema must be an object", param="response_format.json_schema")
        config: dict[str, Any] = {"responseMimeType": JSON_MIME_TYPE}
        if spec.get("schema") is not None:
            # `responseJsonSchema` takes JSON Schema as is (`responseSchema` is an OpenAPI subset).
            config["responseJsonSchema"] = spec["schema"]
        return config
    raise TranslationError(f"unsupported response_format type {common.shown(kind)}", param="response_format.type")


def _thinking_config(effort: Any, max_tokens: int | None) -> dict[str, Any]:
    budget = THINKING_BUDGETS.get(effort) if isinstance(effort, str) else None
    if budget is None:
        supported = ", ".join(THINKING_BUDGETS)
        raise TranslationError(
            f"reasoning_effort {common.shown(effort)} has no Gemini equivalent; use one of {supported}",
            param="reasoning_effort",
        )
    if budget == 0:
        return {"thinkingBudget": 0}
    if max_tokens is not None:
        budget = common.fitted_thinking_budget(budget, max_tokens, minimum=MIN_THINKING_BUDGET)
    # Thought summaries are off by default; asking for reasoning means wanting to see it.
    return {"thinkingBudget": budget, "includeThoughts": True}


def _function_declarations(tools: Any) -> list[dict[str, Any]]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise TranslationError("tools must be an array", param="tools")
    declarations = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            raise TranslationError("only function tools are supported", param=f"tools[{i}].type")
        function = tool.get("function")
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise TranslationError("a function tool needs a name", param=f"tools[{i}].function.name")
        for key in function:
            if key not in _FUNCTION_FIELDS and key not in DROPPED_FUNCTION_FIELDS:
                raise TranslationError(
                    f"{key!r} is not supported on a function tool", param=f"tools[{i}].function.{key}"
                )
        declaration: dict[str, Any] = {"name": function["name"]}
        if function.get("description") is not None:
            declaration["description"] = function["description"]
        if function.get("parameters") is not None:
            # JSON Schema as is; `parameters` would need OpenAPI's subset of it.
            declaration["parametersJsonSchema"] = function["parameters"]
        declarations.append(declaration)
    return declarations


def _function_calling_config(tool_choice: Any) -> dict[str, Any]:
    if isinstance(tool_choice, str):
        mode = TOOL_CHOICE_MODES.get(tool_choice)
        if mode is None:
            raise TranslationError(f"unsupported tool_choice {tool_choice!r}", param="tool_choice")
        return {"mode": mode}
    if isinstance(tool_choice, Mapping) and tool_choice.get("type") == "function":
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str):
            raise TranslationError("tool_choice needs a function name", param="tool_choice.function.name")
        return {"mode": "ANY", "allowedFunctionNames": [name]}
    raise TranslationError("tool_choice must be auto, none, required or a named function", param="tool_choice")
