"""OpenAI chat request body -> Anthropic Messages request (docs.anthropic.com/en/api/messages).

Every known OpenAI field is mapped, refused with `TranslationError(param=...)`, or listed in
`DROPPED_FIELDS` with the reason it means nothing upstream. A field this module does not know
(top level or message level) is ignored, and `ignored_fields` names it so it can be logged.
Structured outputs follow
https://docs.anthropic.com/en/docs/build-with-claude/structured-outputs and thinking budgets
https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from translators import common
from translators.anthropic.messages import KNOWN_MESSAGE_FIELDS, convert_messages
from translators.common import Unsupported
from translators.errors import TranslationError

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "DROPPED_FIELDS",
    "KNOWN_FIELDS",
    "MIN_THINKING_BUDGET",
    "THINKING_BUDGETS",
    "build_request",
    "ignored_fields",
    "request_path",
]

# Anthropic requires `max_tokens`; OpenAI lets the model run to its limit. 4096 is below every
# current Claude model's output ceiling, so it is accepted everywhere.
DEFAULT_MAX_TOKENS = 4096

# `reasoning_effort` -> `thinking.budget_tokens`; the steps roughly double like OpenAI's effort
# levels. Under a client's max_tokens a budget takes at most three quarters of it
# (`common.fitted_thinking_budget`), since thinking tokens count toward max_tokens.
THINKING_BUDGETS: dict[str, int] = {
    "minimal": 1024,
    "low": 2048,
    "medium": 8192,
    "high": 16384,
    "xhigh": 32768,
}

# Anthropic's smallest `budget_tokens`; a budget must also stay below `max_tokens`
# (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking).
MIN_THINKING_BUDGET = 1024

# Fields dropped because they mean nothing to Anthropic and dropping them changes no answer:
DROPPED_FIELDS: tuple[str, ...] = (
    "seed",  # a best-effort determinism hint even at OpenAI; Anthropic has no seed
    "stream_options",  # the gateway, not the upstream, decides whether usage is sent on
    "store",  # OpenAI's stored-completions feature
    "metadata",  # tags for OpenAI's stored completions
    "service_tier",  # OpenAI processing tiers; the entry's credential decides Anthropic's tier
    "prediction",  # a latency optimisation; the answer is the same without it
    "prompt_cache_key",  # OpenAI cache routing hints; Anthropic caches by cache_control
    "prompt_cache_retention",
)


# OpenAI fields Anthropic cannot honour, accepted only at a value that asks nothing.
UNSUPPORTED: dict[str, Unsupported] = {
    "n": Unsupported((None, 1), "Anthropic returns one choice per request"),
    "frequency_penalty": Unsupported((None, 0), "Anthropic has no frequency penalty"),
    "presence_penalty": Unsupported((None, 0), "Anthropic has no presence penalty"),
    "logit_bias": Unsupported((None, {}), "Anthropic has no logit bias"),
    "logprobs": Unsupported((None, False), "Anthropic returns no log probabilities"),
    "top_logprobs": Unsupported((None, 0), "Anthropic returns no log probabilities"),
    "modalities": Unsupported((None, ["text"]), "Anthropic answers in text only"),
    "audio": Unsupported((None,), "Anthropic has no audio output"),
    "verbosity": Unsupported((None, "medium"), "Anthropic has no verbosity control"),
    "web_search_options": Unsupported((None,), "web search is not translated; use tools"),
    "functions": Unsupported((None, []), "deprecated; send `tools` instead"),
    "function_call": Unsupported((None,), "deprecated; send `tool_choice` instead"),
}

MAPPED_FIELDS: frozenset[str] = frozenset({
    "model", "messages", "stream", "max_tokens", "max_completion_tokens", "temperature", "top_p",
    "stop", "tools", "tool_choice", "parallel_tool_calls", "response_format", "reasoning_effort",
    "user", "safety_identifier",
})  # fmt: skip

# The one table of top-level fields this module knows; any other field is ignored.
KNOWN_FIELDS: frozenset[str] = frozenset({*MAPPED_FIELDS, *DROPPED_FIELDS, *UNSUPPORTED})

TOOL_CHOICES: dict[str, dict[str, str]] = {
    "auto": {"type": "auto"},
    "none": {"type": "none"},
    "required": {"type": "any"},
}


def request_path(*, upstream_model: str, stream: bool) -> str:
    """Anthropic serves streaming and non-streaming Messages at one path."""
    return "/v1/messages"


def ignored_fields(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The param paths `build_request` ignores as unknown: top-level ones, then message ones."""
    return common.ignored_fields(body, known=KNOWN_FIELDS, known_message=KNOWN_MESSAGE_FIELDS)


def _thinking(effort: Any, limit: common.OutputLimit | None) -> dict[str, Any] | None:
    if effort is None:
        return None
    if effort == "none":
        # Sent explicitly: when `thinking` is omitted some models decide to think on their own.
        return {"type": "disabled"}
    if not isinstance(effort, str) or effort not in THINKING_BUDGETS:
        allowed = ", ".join(["none", *THINKING_BUDGETS])
        raise TranslationError(f"reasoning_effort must be one of {allowed}", param="reasoning_effort")
    budget = THINKING_BUDGETS[effort]
    if limit is None:
        return {"type": "enabled", "budget_tokens": budget}
    budget = common.fitted_thinking_budget(budget, limit.tokens, minimum=MIN_THINKING_BUDGET)
    if budget >= limit.tokens:
        raise TranslationError(
            f"{limit.field} ({limit.tokens}) leaves no room for extended thinking: Anthropic's "
            f"smallest thinking budget is {MIN_THINKING_BUDGET} tokens and must stay below "
            f"max_tokens; raise {limit.field} above {MIN_THINKING_BUDGET} or set "
            f'reasoning_effort to "none"',
            param=limit.field,
        )
    return {"type": "enabled", "budget_tokens": budget}


def _max_tokens(limit: common.OutputLimit | None, budget: int | None) -> int:
    if limit is None:
        # Thinking tokens count toward max_tokens, so the answer keeps the default room.
        return DEFAULT_MAX_TOKENS + (budget or 0)
    return limit.tokens


def _unit_interval(body: Mapping[str, Any], field: str) -> dict[str, float]:
    value = body.get(field)
    if value is None:
        return {}
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        # OpenAI allows temperature up to 2; Anthropic's range is 0-1, and clamping would lie.
        raise TranslationError(f"{field} must be a number between 0 and 1 for this model", param=field)
    return {field: value}


def _stop_sequences(stop: Any) -> dict[str, list[str]]:
    if stop is None:
        return {}
    sequences = [stop] if isinstance(stop, str) else stop
    if not isinstance(sequences, Sequence) or not all(isinstance(item, str) for item in sequences):
        raise TranslationError("stop must be a string or a list of strings", param="stop")
    return {"stop_sequences": list(sequences)} if sequences else {}


def _tool(tool: Any, path: str) -> dict[str, Any]:
    function = common.function_of_tool(tool, path)
    # OpenAI allows omitting `parameters` for a function without arguments.
    converted = {
        "name": function["name"],
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        converted["description"] = function["description"]
    if function.get("strict"):
        converted["strict"] = True
    return converted


def _tool_choice(choice: Any, has_tools: bool) -> dict[str, Any] | None:
    if choice is None:
        return None
    if isinstance(choice, str) and choice in TOOL_CHOICES:
        converted = dict(TOOL_CHOICES[choice])
    elif isinstance(choice, Mapping) and choice.get("type") == "function":
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(name, str):
            raise TranslationError("a named tool_choice needs function.name", param="tool_choice.function.name")
        converted = {"type": "tool", "name": name}
    else:
        raise TranslationError("tool_choice must be auto, none, required or a named function", param="tool_choice")
    if has_tools:
        return converted
    if converted["type"] in ("auto", "none"):
        return None  # without tools, "auto" and "none" both mean: answer in text
    raise TranslationError("tool_choice requires tools", param="tool_choice")


def _tools(body: Mapping[str, Any]) -> dict[str, Any]:
    tools = body.get("tools") or []
    if not isinstance(tools, Sequence):
        raise TranslationError("tools must be a list", param="tools")
    converted = [_tool(tool, f"tools[{index}]") for index, tool in enumerate(tools)]
    choice = _tool_choice(body.get("tool_choice"), bool(converted))
    if not converted:
        return {}
    if body.get("parallel_tool_calls") is False:
        choice = choice or {"type": "auto"}
        if choice["type"] != "none":
            choice["disable_parallel_tool_use"] = True
    return {"tools": converted, "tool_choice": choice} if choice else {"tools": converted}


def _output_config(response_format: Any) -> dict[str, Any]:
    if response_format is None:
        return {}
    if not isinstance(response_format, Mapping):
        raise TranslationError("response_format must be an object", param="response_format")
    kind = response_format.get("type")
    if kind == "text":
        return {}
    if kind == "json_object":
        raise TranslationError(
            "response_format json_object has no Anthropic equivalent; send json_schema instead",
            param="response_format",
        )
    if kind != "json_schema":
        raise TranslationError("response_format type must be text or json_schema", param="response_format.type")
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if not isinstance(schema, Mapping):
        raise TranslationError("json_schema.schema must be an object", param="response_format.json_schema.schema")
    return {"output_config": {"format": {"type": "json_schema", "schema": schema}}}


def _metadata(body: Mapping[str, Any]) -> dict[str, Any]:
    # Both are OpenAI's opaque end-user id for abuse detection, as is Anthropic's
    # metadata.user_id; `safety_identifier` is the newer name, so it wins.
    user = body.get("safety_identifier") or body.get("user")
    if user is None:
        return {}
    if not isinstance(user, str):
        raise TranslationError("user must be a string", param="user")
    return {"metadata": {"user_id": user}}


def build_request(body: Mapping[str, Any], *, upstream_model: str) -> dict[str, Any]:
    """An OpenAI chat completion request as an Anthropic Messages request body."""
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    common.check_unsupported(body, UNSUPPORTED, scope="for this model")
    conversation = convert_messages(body.get("messages"))
    limit = common.requested_max_tokens(body)
    thinking = _thinking(body.get("reasoning_effort"), limit)
    budget = thinking.get("budget_tokens") if thinking else None
    request: dict[str, Any] = {
        "model": upstream_model,
        "max_tokens": _max_tokens(limit, budget),
        "messages": list(conversation.messages),
    }
    if conversation.system:
        system = conversation.system
        request["system"] = system[0]["text"] if len(system) == 1 else list(system)
    if thinking:
        request["thinking"] = thinking
    request.update(_unit_interval(body, "temperature"))
    request.update(_unit_interval(body, "top_p"))
    request.update(_stop_sequences(body.get("stop")))
    request.update(_tools(body))
    request.update(_output_config(body.get("response_format")))
    request.update(_metadata(body))
    if body.get("stream"):
        request["stream"] = True
    return request
