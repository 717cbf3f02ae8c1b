"""A Gemini client's `generateContent` body -> hub `ChatRequest` (ai.google.dev/api/generate-content).

Every known field is mapped, dropped for a reason written beside it, or refused with a
`TranslationError` naming its path. Unknown top-level and `generationConfig` fields are ignored
and named by `ignored_fields`. The model comes from the URL path, not the body. Turns are in
`inbound_contents.py`; Gemini's OpenAPI-subset `Schema` becomes JSON Schema in `_json_schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translators.common import Unsupported, shown
from translators.errors import TranslationError
from translators.gemini.inbound_contents import fail, get, messages_of, object_at, snake, string, system_message
from translators.gemini.request import THINKING_BUDGETS

__all__ = ["KNOWN_FIELDS", "KNOWN_GENERATION_FIELDS", "hub_request", "ignored_fields"]

# `model` is in the URL; `safetySettings` tune Google's own content filters, which sit on top of
# Gemini models only: other upstreams apply their own moderation and take no threshold.
DROPPED_FIELDS = ("model", "safetySettings")
_HANDLED_FIELDS = ("contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "cachedContent")

# generationConfig name -> (hub name, accepted types).
SAMPLING_FIELDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "temperature": ("temperature", (int, float)),
    "topP": ("top_p", (int, float)),
    "topK": ("top_k", (int,)),
    "seed": ("seed", (int,)),
    "presencePenalty": ("presence_penalty", (int, float)),
    "frequencyPenalty": ("frequency_penalty", (int, float)),
}
# Hints with no effect on what the answer says: the resolution Gemini reads media at, and
# Google's election-answer policy switch.
DROPPED_GENERATION_FIELDS = ("mediaResolution", "enableEnhancedCivicAnswers")
# Asks the hub cannot carry, accepted only at values that ask for nothing.
UNSUPPORTED_GENERATION_FIELDS: dict[str, Unsupported] = {
    "candidateCount": Unsupported((None, 1), "one candidate is generated per request"),
    "responseModalities": Unsupported((None, [], ["TEXT"], ["text"]), "only text answers are translated"),
    "responseLogprobs": Unsupported((None, False), "log probabilities are not translated"),
    "logprobs": Unsupported((None, 0), "log probabilities are not translated"),
    "speechConfig": Unsupported((None,), "only text answers are translated"),
    "imageConfig": Unsupported((None,), "only text answers are translated"),
    "audioTimestamp": Unsupported((None, False), "audio input timestamps are not translated"),
    "routingConfig": Unsupported((None,), "Vertex AI model routing is not translated"),
    "modelSelectionConfig": Unsupported((None,), "Vertex AI model routing is not translated"),
}
_HANDLED_GENERATION_FIELDS = (
    "maxOutputTokens", "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "thinkingConfig",
)  # fmt: skip


def _spellings(*names: str) -> frozenset[str]:
    return frozenset(spelling for name in names for spelling in (name, snake(name)))


KNOWN_FIELDS = _spellings(*DROPPED_FIELDS, *_HANDLED_FIELDS)
KNOWN_GENERATION_FIELDS = _spellings(
    *SAMPLING_FIELDS, *DROPPED_GENERATION_FIELDS, *UNSUPPORTED_GENERATION_FIELDS, *_HANDLED_GENERATION_FIELDS
)

TOOL_CHOICE_MODES = {None: "auto", "MODE_UNSPECIFIED": "auto", "AUTO": "auto", "ANY": "required", "NONE": "none"}
# Gemini's token budget -> the nearest hub effort, from the budgets translators.gemini.request
# sends for each effort; -1 is Gemini's "dynamic", which is the upstream's default.
EFFORT_BUDGETS = {effort: budget for effort, budget in THINKING_BUDGETS.items() if budget > 0}
DYNAMIC_BUDGET = -1
THINKING_LEVELS = {"MINIMAL": "minimal", "LOW": "low", "MEDIUM": "medium", "HIGH": "high"}
JSON_MIME_TYPE = "application/json"
TEXT_MIME_TYPE = "text/plain"
RESPONSE_SCHEMA_NAME = "response"
MAX_SCHEMA_DEPTH = 64


def hub_request(body: Mapping[str, Any], *, model: str, stream: bool) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    if get(body, "cachedContent") not in (None, ""):
        raise fail("cachedContent names a cache stored at Google, which other upstreams cannot read", "cachedContent")
    messages = messages_of(get(body, "contents"))
    system = system_message(get(body, "systemInstruction"))
    request: dict[str, Any] = {"model": model, "messages": [system, *messages] if system else messages}
    request["stream"] = stream
    if stream:
        request["stream_options"] = {"include_usage": True}
    tools = _tools(get(body, "tools"))
    if tools:
        request["tools"] = tools
        # A tool choice without tools is refused by OpenAI-style upstreams and asks nothing.
        choice = _tool_choice(get(body, "toolConfig"))
        if choice is not None:
            request["tool_choice"] = choice
    config = get(body, "generationConfig")
    if config is not None:
        request.update(_generation(object_at(config, "generationConfig")))
    return request


def ignored_fields(body: Any) -> tuple[str, ...]:
    """Param paths of the fields `hub_request` ignores as unknown: top-level, then generationConfig."""
    if not isinstance(body, Mapping):
        return ()
    unknown = tuple(key for key in body if key not in KNOWN_FIELDS)
    config = get(body, "generationConfig")
    if not isinstance(config, Mapping):
        return unknown
    return unknown + tuple(f"generationConfig.{key}" for key in config if key not in KNOWN_GENERATION_FIELDS)


# --- tools ------------------------------------------------------------------------------------


def _tools(tools: Any) -> list[dict[str, Any]]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise fail("tools must be an array", "tools")
    out: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        for key, value in object_at(tool, f"tools[{i}]").items():
            if key in ("functionDeclarations", "function_declarations"):
                out.extend(_declarations(value, f"tools[{i}].functionDeclarations"))
            elif value is not None:
                raise fail(
                    f"the built-in tool {key!r} is not supported: only functionDeclarations are translated",
                    f"tools[{i}].{key}",
                )
    return out


_DECLARATION_FIELDS = _spellings("name", "description", "parameters", "parametersJsonSchema", "behavior")
# The schema of a function's result: the model reads the result itself when it comes back.
_DROPPED_DECLARATION_FIELDS = _spellings("response", "responseJsonSchema")


def _declarations(declarations: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(declarations, list):
        raise fail("functionDeclarations must be an array", path)
    tools = []
    for k, declaration in enumerate(declarations):
        here = f"{path}[{k}]"
        declaration = object_at(declaration, here)
        for key in declaration:
            if key not in _DECLARATION_FIELDS and key not in _DROPPED_DECLARATION_FIELDS:
                raise fail(f"{key!r} is not supported on a function declaration", f"{here}.{key}")
        if get(declaration, "behavior") not in (None, "BLOCKING", "UNSPECIFIED"):
            raise fail("only blocking functions are supported", f"{here}.behavior")
        function: dict[str, Any] = {"name": string(get(declaration, "name"), f"{here}.name", empty=False)}
        description = get(declaration, "description")
        if description is not None:
            function["description"] = string(description, f"{here}.description")
        schema, json_schema = get(declaration, "parameters"), get(declaration, "parametersJsonSchema")
        if schema is not None and json_schema is not None:
            raise fail("send parameters or parametersJsonSchema, not both", f"{here}.parametersJsonSchema")
        if schema is not None:
            function["parameters"] = _json_schema(schema, f"{here}.parameters", 0)
        elif json_schema is not None:
            function["parameters"] = dict(object_at(json_schema, f"{here}.parametersJsonSchema"))
        tools.append({"type": "function", "function": function})
    return tools


def _tool_choice(config: Any) -> Any:
    if config is None:
        return None
    calling = get(object_at(config, "toolConfig"), "functionCallingConfig")
    if calling is None:
        return None
    path = "toolConfig.functionCallingConfig"
    calling = object_at(calling, path)
    mode = get(calling, "mode")
    choice = TOOL_CHOICE_MODES.get(mode) if isinstance(mode, str | None) else None
    if choice is None:
        raise fail(f"mode {shown(mode)} has no equivalent; use AUTO, ANY or NONE", f"{path}.mode")
    names = get(calling, "allowedFunctionNames")
    if not names:
        return choice if mode is not None else None
    if not isinstance(names, list) or not all(isinstance(name, str) and name for name in names):
        raise fail("allowedFunctionNames must be an array of function names", f"{path}.allowedFunctionNames")
    if choice == "none":
        raise fail("allowedFunctionNames cannot be set with mode NONE", f"{path}.allowedFunctionNames")
    named = [{"type": "function", "function": {"name": name}} for name in names]
    if choice == "required" and len(named) == 1:
        return named[0]
    return {"type": "allowed_tools", "allowed_tools": {"mode": choice, "tools": named}}


# --- generationConfig -------------------------------------------------------------------------


def _generation(config: Mapping[str, Any]) -> dict[str, Any]:
    for name, unsupported in UNSUPPORTED_GENERATION_FIELDS.items():
        value = get(config, name)
        if value not in unsupported.neutral:
            raise fail(f"{name} is not supported: {unsupported.reason}", f"generationConfig.{name}")
    out: dict[str, Any] = {}
    for name, (hub_name, types) in SAMPLING_FIELDS.items():
        value = get(config, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            kind = "an integer" if types == (int,) else "a number"
            raise fail(f"{name} must be {kind}", f"generationConfig.{name}")
        out[hub_name] = value
    limit = get(config, "maxOutputTokens")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise fail("maxOutputTokens must be a positive integer", "generationConfig.maxOutputTokens")
        out["max_completion_tokens"] = limit
    stop = get(config, "stopSequences")
    if stop is not None:
        if not isinstance(stop, list) or not all(isinstance(item, str) for item in stop):
            raise fail("stopSequences must be an array of strings", "generationConfig.stopSequences")
        if stop:
            out["stop"] = list(stop)
    response_format = _response_format(config)
    if response_format is not None:
        out["response_format"] = response_format
    thinking = get(config, "thinkingConfig")
    if thinking is not None:
        effort = _effort(object_at(thinking, "generationConfig.thinkingConfig"))
        if effort is not None:
            out["reasoning_effort"] = effort
    return out


def _response_format(config: Mapping[str, Any]) -> dict[str, Any] | None:
    mime_type = get(config, "responseMimeType")
    schema, json_schema = get(config, "responseSchema"), get(config, "responseJsonSchema")
    if mime_type in (None, "", TEXT_MIME_TYPE):
        if schema is not None or json_schema is not None:
            raise fail("a response schema needs responseMimeType application/json", "generationConfig.responseMimeType")
        return None
    if mime_type != JSON_MIME_TYPE:
        raise fail(
            f"responseMimeType {shown(mime_type)} is not supported; use application/json or text/plain",
            "generationConfig.responseMimeType",
        )
    if schema is not None and json_schema is not None:
        raise fail("send responseSchema or responseJsonSchema, not both", "generationConfig.responseJsonSchema")
    if schema is not None:
        converted = _json_schema(schema, "generationConfig.responseSchema", 0)
    elif json_schema is not None:
        converted = dict(object_at(json_schema, "generationConfig.responseJsonSchema"))
    else:
        return {"type": "json_object"}
    # Not `strict`: OpenAI's strict mode refuses schemas that leave properties optional, which
    # Gemini's schemas commonly do.
    return {"type": "json_schema", "json_schema": {"name": RESPONSE_SCHEMA_NAME, "schema": converted}}


def _effort(thinking: Mapping[str, Any]) -> str | None:
    """The hub effort nearest the client's budget or level; `includeThoughts` has no hub field
    (thoughts the upstream returns are always passed on, as thought parts)."""
    path = "generationConfig.thinkingConfig"
    budget, level = get(thinking, "thinkingBudget"), get(thinking, "thinkingLevel")
    if budget is not None and level is not None:
        raise fail("send thinkingBudget or thinkingLevel, not both", f"{path}.thinkingLevel")
    if level is not None:
        effort = THINKING_LEVELS.get(level.upper()) if isinstance(level, str) else None
        if effort is None and level != "THINKING_LEVEL_UNSPECIFIED":
            raise fail(f"thinkingLevel must be one of {', '.join(THINKING_LEVELS)}", f"{path}.thinkingLevel")
        return effort
    if budget is None or budget == DYNAMIC_BUDGET:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise fail("thinkingBudget must be -1 (dynamic), 0 (off) or a positive integer", f"{path}.thinkingBudget")
    if budget == 0:
        return "none"
    return min(EFFORT_BUDGETS, key=lambda effort: abs(EFFORT_BUDGETS[effort] - budget))


# --- Gemini Schema -> JSON Schema -------------------------------------------------------------

# Schema fields whose JSON Schema keyword has another name; `propertyOrdering` only orders
# Gemini's output and has no keyword.
SCHEMA_FIELDS = (
    "type", "format", "title", "description", "nullable", "enum", "items", "properties", "required", "anyOf",
    "default", "example", "pattern", "minimum", "maximum", "maxItems", "minItems", "minProperties",
    "maxProperties", "minLength", "maxLength", "propertyOrdering", "additionalProperties", "defs", "ref",
)  # fmt: skip
_CAMEL = {snake(name): name for name in SCHEMA_FIELDS}
_RENAMED = {"example": "examples", "defs": "$defs", "ref": "$ref"}
_DROPPED_SCHEMA_FIELDS = ("propertyOrdering", "nullable")
_SUBSCHEMA_MAPS = ("properties", "defs")
_SUBSCHEMAS = ("items", "additionalProperties")
# int64 fields, which proto3 JSON may write as strings.
_INT64_FIELDS = ("maxItems", "minItems", "minProperties", "maxProperties", "minLength", "maxLength")


def _json_schema(schema: Any, path: str, depth: int) -> dict[str, Any]:
    """A Gemini `Schema` (OpenAPI's subset: uppercase types, `nullable`) as JSON Schema.

    Fields it does not know are kept as they are: they may be JSON Schema keywords.
    """
    if depth > MAX_SCHEMA_DEPTH:
        raise fail(f"the schema nests deeper than {MAX_SCHEMA_DEPTH} levels", path)
    schema = object_at(schema, path)
    nullable = get(schema, "nullable") is True
    out: dict[str, Any] = {}
    for key, value in schema.items():
        name = _CAMEL.get(key, key)
        here = f"{path}.{name}"
        if name in _DROPPED_SCHEMA_FIELDS:
            continue
        if name == "type":
            value = _type(value, nullable, here)
            if value is None:
                continue
        elif name in _SUBSCHEMA_MAPS:
            value = {k: _json_schema(v, f"{here}.{k}", depth + 1) for k, v in object_at(value, here).items()}
        elif name == "anyOf":
            if not isinstance(value, list):
                raise fail("anyOf must be an array of schemas", here)
            value = [_json_schema(v, f"{here}[{i}]", depth + 1) for i, v in enumerate(value)]
        elif name in _SUBSCHEMAS and isinstance(value, Mapping):
            value = _json_schema(value, here, depth + 1)
        elif name in _INT64_FIELDS and isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        elif name == "example":
            value = [value]
        out[_RENAMED.get(name, name)] = value
    return out


def _type(value: Any, nullable: bool, path: str) -> Any:
    if not isinstance(value, str):
        raise fail("type must be a string", path)
    if value.upper() == "TYPE_UNSPECIFIED":
        return None
    return [value.lower(), "null"] if nullable else value.lower()
