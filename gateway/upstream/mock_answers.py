"""What the built-in mock provider answers, as plain JSON values: no I/O, no clock, no randomness.

Every answer is a function of the request body, the entry and the `id`/`created` passed in, so the
same request gives the same bytes. Shapes follow the OpenAI API reference for Chat Completions,
Completions and Embeddings (https://platform.openai.com/docs/api-reference); a request OpenAI would
refuse raises `MockRequestError`, which the caller turns into OpenAI's error envelope.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.config.entries import MockEntry

__all__ = ["MockRequestError", "chat", "completions", "embeddings", "error_document"]

Json = dict[str, Any]

ECHO_CHARS = 80  # how much of the client's text an answer repeats
WORDS_PER_CHUNK = 3
MAX_CHOICES = 128  # OpenAI's limit for `n`, and here for prompts x n of a legacy completion
MAX_INPUTS = 2048  # OpenAI's limit on the inputs of one embeddings request
MAX_TOKENS = 2**31 - 1
DEFAULT_DIMENSIONS = 8
MAX_DIMENSIONS = 4096  # a bound on the vector the mock builds, above OpenAI's largest model (3072)
SCHEMA_DEPTH = 4  # nested objects filled with their required properties down to this depth

# Placeholder argument per JSON-Schema type. The values are serialised at once, never mutated.
PLACEHOLDERS: Mapping[str, Any] = {
    "string": "mock",
    "integer": 1,
    "number": 1,
    "boolean": True,
    "array": [],
    "object": {},
    "null": None,
}
# Non-text content parts are mentioned by count, never echoed.
PART_NOUNS: Mapping[str, str] = {"image_url": "image", "input_audio": "audio clip", "file": "file"}


class MockRequestError(Exception):
    """A request refused the way OpenAI refuses it: `status` (400/404), `param`, `code`."""

    def __init__(
        self, message: str, *, status: int = 400, param: str | None = None, code: str = "invalid_value"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param
        self.code = code


def error_document(status: int, message: str, *, code: str | None, param: str | None = None) -> Json:
    """OpenAI's error envelope; the type follows the status as OpenAI's does."""
    type_ = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


@dataclass(frozen=True, slots=True)
class _ToolCall:
    id: str
    name: str
    arguments: str  # a JSON object, as OpenAI sends it


@dataclass(frozen=True, slots=True)
class _Turn:
    """One assistant turn, the same in every choice."""

    text: str | None
    call: _ToolCall | None
    finish_reason: str
    tokens: int


# -- request fields ---------------------------------------------------------------------------


def _model(body: Mapping[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise MockRequestError(
            "'model' must be a non-empty string",
            param="model",
            code="missing_required_parameter" if model is None else "invalid_type",
        )
    return model


def _integer(body: Mapping[str, Any], name: str, *, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MockRequestError(f"'{name}' must be an integer from {low} to {high}", param=name)
    return value


def _token_limit(body: Mapping[str, Any]) -> int | None:
    limit = _integer(body, "max_completion_tokens", low=1, high=MAX_TOKENS)
    return limit if limit is not None else _integer(body, "max_tokens", low=1, high=MAX_TOKENS)


def _include_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _messages(body: Mapping[str, Any]) -> list[Json]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise MockRequestError(
            "'messages' must be a non-empty array of message objects",
            param="messages",
            code="missing_required_parameter" if messages is None else "invalid_type",
        )
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise MockRequestError(
                f"'messages[{index}]' must be an object", param=f"messages[{index}]", code="invalid_type"
            )
    return messages


# -- text ---------------------------------------------------------------------------------------


def _words(text: str) -> int:
    return len(text.split())


def _echo(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= ECHO_CHARS else flat[:ECHO_CHARS].rstrip() + "..."


def _content(message: Mapping[str, Any]) -> tuple[str, dict[str, int]]:
    """The text of a message's content and a count of its other parts by noun."""
    content = message.get("content")
    if isinstance(content, str):
        return content, {}
    texts: list[str] = []
    others: dict[str, int] = {}
    for part in content if isinstance(content, list) else ():
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        else:
            kind = part.get("type")
            noun = PART_NOUNS.get(kind, "part") if isinstance(kind, str) else "part"
            others[noun] = others.get(noun, 0) + 1
    return " ".join(texts), others


def _sentence(lead: str, text: str, others: Mapping[str, int]) -> str:
    mentions = [f"{count} {noun}{'' if count == 1 else 's'}" for noun, count in others.items()]
    quoted = f'"{_echo(text)}"' if text.strip() else ""
    if quoted and mentions:
        return f"{lead} {quoted} with {' and '.join(mentions)}."
    if quoted or mentions:
        return f"{lead} {quoted or ' and '.join(mentions)}."
    return f"{lead} an empty message."


def _chat_text(messages: list[Json], entry: MockEntry) -> str:
    if entry.reply is not None:
        return entry.reply
    if messages[-1].get("role") == "tool":
        text, others = _content(messages[-1])
        return _sentence("The tool returned", text, others)
    for message in reversed(messages):
        if message.get("role") == "user":
            text, others = _content(message)
            return _sentence("This is a mock reply to", text, others)
    return "This is a mock reply."


def _truncate(text: str, limit: int | None) -> tuple[str, str]:
    words = text.split()
    if limit is None or len(words) <= limit:
        return text, "stop"
    return " ".join(words[:limit]), "length"


def _pieces(text: str) -> list[str]:
    """`text` in pieces of a few words each, whitespace kept, so the pieces join back to `text`."""
    tokens = re.findall(r"\s*\S+\s*", text) or ([text] if text else [])
    return ["".join(tokens[i : i + WORDS_PER_CHUNK]) for i in range(0, len(tokens), WORDS_PER_CHUNK)]


def _prompt_tokens(messages: list[Json]) -> int:
    return max(1, sum(_words(_content(message)[0]) + 1 for message in messages))


def _usage(prompt: int, completion: int, *, details: bool = True) -> Json:
    usage: Json = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    if details:
        usage["prompt_tokens_details"] = {"cached_tokens": 0}
        usage["completion_tokens_details"] = {"reasoning_tokens": 0}
    return usage


# -- tools --------------------------------------------------------------------------------------


def _function_tools(body: Mapping[str, Any]) -> list[Json]:
    tools = body.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise MockRequestError("'tools' must be an array", param="tools", code="invalid_type")
    return [
        tool["function"]
        for tool in tools
        if isinstance(tool, dict)
        and tool.get("type") == "function"
        and isinstance(tool.get("function"), dict)
        and isinstance(tool["function"].get("name"), str)
        and tool["function"]["name"]
    ]


def _chosen_tool(body: Mapping[str, Any], messages: list[Json]) -> Json | None:
    """The function to call, or None for a text answer (no tools, choice "none", or a tool result)."""
    tools = _function_tools(body)
    choice = body.get("tool_choice")
    if not tools or choice == "none" or messages[-1].get("role") == "tool":
        return None
    function = choice.get("function") if isinstance(choice, dict) and choice.get("type") == "function" else None
    if not isinstance(function, dict):
        return tools[0]
    name = function.get("name")
    for tool in tools:
        if tool["name"] == name:
            return tool
    raise MockRequestError(f"'tool_choice' names function {name!r}, which is not in 'tools'", param="tool_choice")


def _placeholder(schema: Any, depth: int) -> Any:
    if not isinstance(schema, dict):
        return "mock"
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"]: the first type that is not null
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return _placeholder(schema[key][0], depth)
        kind = "object" if isinstance(schema.get("properties"), dict) else "string"
    if kind == "object" and depth < SCHEMA_DEPTH:
        return _object(schema, depth + 1, only_required=True)
    return PLACEHOLDERS.get(kind, "mock") if isinstance(kind, str) else "mock"


def _object(schema: Mapping[str, Any], depth: int, *, only_required: bool) -> Json:
    """Required properties filled in; at the top level, every property when none is required."""
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    names = [name for name in required if isinstance(name, str)] if isinstance(required, list) else []
    if not names and not only_required:
        names = [name for name in properties if isinstance(name, str)]
    return {name: _placeholder(properties.get(name), depth) for name in names}


def _tool_call(function: Mapping[str, Any], id: str) -> _ToolCall:
    name = str(function["name"])
    parameters = function.get("parameters")
    arguments = _object(parameters, 0, only_required=False) if isinstance(parameters, dict) else {}
    suffix = hashlib.blake2b(f"{id}:{name}".encode(), digest_size=12).hexdigest()
    return _ToolCall(id="call_" + suffix, name=name, arguments=orjson.dumps(arguments).decode())


def _fragments(arguments: str) -> list[str]:
    """The arguments in at least two pieces, as OpenAI streams them."""
    size = max(1, math.ceil(len(arguments) / 3))
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


# -- answers ------------------------------------------------------------------------------------


def chat(body: Mapping[str, Any], entry: MockEntry, *, id: str, created: int, stream: bool) -> Json | list[Json]:
    """A `chat.completion`, or the `chat.completion.chunk`s of its stream (without `[DONE]`)."""
    model = _model(body)
    messages = _messages(body)
    n = _integer(body, "n", low=1, high=MAX_CHOICES) or 1
    limit = _token_limit(body)
    tool = _chosen_tool(body, messages)
    if tool is not None:
        call = _tool_call(tool, id)
        turn = _Turn(text=None, call=call, finish_reason="tool_calls", tokens=max(1, len(call.arguments) // 4))
    else:
        text, finish_reason = _truncate(_chat_text(messages, entry), limit)
        turn = _Turn(text=text, call=None, finish_reason=finish_reason, tokens=_words(text))
    usage = _usage(_prompt_tokens(messages), turn.tokens * n)
    if stream:
        head = {
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": None,
        }
        return _chat_chunks(head, turn, n, usage, include_usage=_include_usage(body))
    message: Json = {"role": "assistant", "content": turn.text, "refusal": None}
    if turn.call is not None:
        message["tool_calls"] = [
            {
                "id": turn.call.id,
                "type": "function",
                "function": {"name": turn.call.name, "arguments": turn.call.arguments},
            }
        ]
    choices = [
        {"index": index, "message": message, "logprobs": None, "finish_reason": turn.finish_reason}
        for index in range(n)
    ]
    return {
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": choices,
        "usage": usage,
        "system_fingerprint": None,
    }


def _chat_chunks(head: Json, turn: _Turn, n: int, usage: Json, *, include_usage: bool) -> list[Json]:
    # https://platform.openai.com/docs/api-reference/chat-streaming: a role delta first, content or
    # tool-call deltas, an empty delta carrying finish_reason, then (include_usage) a choiceless
    # usage chunk; with include_usage every other chunk carries "usage": null.
    deltas: list[Json] = [{"role": "assistant", "content": ""}]
    if turn.call is not None:
        deltas.append(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": turn.call.id,
                        "type": "function",
                        "function": {"name": turn.call.name, "arguments": ""},
                    }
                ]
            }
        )
        deltas += [
            {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            for piece in _fragments(turn.call.arguments)
        ]
    else:
        deltas += [{"content": piece} for piece in _pieces(turn.text or "")]
    tail = {"usage": None} if include_usage else {}
    chunks = [
        {**head, "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": None}], **tail}
        for delta in deltas
        for index in range(n)
    ]
    chunks += [
        {
            **head,
            "choices": [{"index": index, "delta": {}, "logprobs": None, "finish_reason": turn.finish_reason}],
            **tail,
        }
        for index in range(n)
    ]
    if include_usage:
        chunks.append({**head, "choices": [], "usage": usage})
    return chunks


def _prompts(body: Mapping[str, Any]) -> list[str]:
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(item, str) for item in prompt):
        return prompt
    raise MockRequestError(
        "the mock provider takes 'prompt' as a string or a non-empty array of strings",
        param="prompt",
        code="missing_required_parameter" if prompt is None else "invalid_type",
    )


def completions(body: Mapping[str, Any], entry: MockEntry, *, id: str, created: int, stream: bool) -> Json | list[Json]:
    """A legacy `text_completion`, or its stream: one choice per prompt and `n`, in that order."""
    model = _model(body)
    prompts = _prompts(body)
    n = _integer(body, "n", low=1, high=MAX_CHOICES) or 1
    if len(prompts) * n > MAX_CHOICES:
        raise MockRequestError(
            f"the mock provider makes at most {MAX_CHOICES} choices per request (prompts x n)",
            param="n",
            code="invalid_value",
        )
    limit = _integer(body, "max_tokens", low=1, high=MAX_TOKENS)
    answers = [
        _truncate(entry.reply if entry.reply is not None else _sentence("Mock completion of", prompt, {}), limit)
        for prompt in prompts
        for _ in range(n)
    ]
    usage = _usage(
        max(1, sum(_words(prompt) for prompt in prompts)), sum(_words(text) for text, _ in answers), details=False
    )
    head = {"id": id, "object": "text_completion", "created": created, "model": model, "system_fingerprint": None}
    if not stream:
        choices = [
            {"text": text, "index": index, "logprobs": None, "finish_reason": finish_reason}
            for index, (text, finish_reason) in enumerate(answers)
        ]
        return {**head, "choices": choices, "usage": usage}
    include_usage = _include_usage(body)
    tail = {"usage": None} if include_usage else {}
    chunks: list[Json] = []
    for index, (text, finish_reason) in enumerate(answers):
        ends = [(piece, None) for piece in _pieces(text)] + [("", finish_reason)]
        chunks += [
            {**head, "choices": [{"text": piece, "index": index, "logprobs": None, "finish_reason": end}], **tail}
            for piece, end in ends
        ]
    if include_usage:
        chunks.append({**head, "choices": [], "usage": usage})
    return chunks


def embeddings(body: Mapping[str, Any], entry: MockEntry, *, id: str, created: int, stream: bool) -> Json:
    """One unit vector per input, derived from a hash of its text (base64: little-endian float32)."""
    model = _model(body)
    value = body.get("input")
    inputs = [value] if isinstance(value, str) else value
    if not isinstance(inputs, list) or not inputs or not all(isinstance(item, str) for item in inputs):
        raise MockRequestError(
            "the mock provider takes 'input' as a string or a non-empty array of strings",
            param="input",
            code="missing_required_parameter" if value is None else "invalid_type",
        )
    if len(inputs) > MAX_INPUTS:
        raise MockRequestError(f"'input' may hold at most {MAX_INPUTS} texts", param="input", code="invalid_value")
    dimensions = _integer(body, "dimensions", low=1, high=MAX_DIMENSIONS) or DEFAULT_DIMENSIONS
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise MockRequestError('\'encoding_format\' must be "float" or "base64"', param="encoding_format")
    data = []
    for index, text in enumerate(inputs):
        vector: Any = _vector(text, dimensions)
        if encoding == "base64":
            vector = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = sum(max(1, _words(text)) for text in inputs)
    return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def _vector(text: str, dimensions: int) -> list[float]:
    raw = hashlib.shake_256(text.encode("utf-8", "surrogatepass")).digest(4 * dimensions)
    values = [number / 2**31 - 1.0 for number in struct.unpack(f"<{dimensions}I", raw)]
    norm = math.sqrt(sum(value * value for value in values)) or 1.0
    # Rounded through float32 so the float and base64 encodings carry the same numbers.
    return list(struct.unpack(f"<{dimensions}f", struct.pack(f"<{dimensions}f", *(v / norm for v in values))))
