"""OpenAI chat `messages` -> Responses `input` items (api-reference/responses/create).

Order is kept. System, developer and user messages become `message` items of their own role with
`input_*` parts; assistant text becomes a `message` of `output_text` / `refusal` parts followed by
one `function_call` item per tool call; a `tool` message becomes a `function_call_output` item.
Anything unexpressible raises `TranslationError` naming its path ("messages[2].content[0].type");
a message field outside `KNOWN_MESSAGE_FIELDS` is ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from translators.common import shown
from translators.errors import TranslationError

__all__ = [
    "DROPPED_MESSAGE_FIELDS",
    "IMAGE_DETAILS",
    "KNOWN_MESSAGE_FIELDS",
    "convert_messages",
]

Item = dict[str, Any]
Part = dict[str, Any]

# Message fields with no Responses counterpart that change nothing the model is asked: `name`
# only labels a participant; `annotations` are citations of an earlier answer, whose text is kept;
# `reasoning_content` and `thinking_blocks` (Anthropic's signed thinking, translators/hub.py)
# echoed back from an earlier answer cannot be replayed, because Responses only takes earlier
# reasoning as its own reasoning item, whose `encrypted_content` only OpenAI can have written.
DROPPED_MESSAGE_FIELDS: tuple[str, ...] = (
    "name",
    "annotations",
    "reasoning_content",
    "thinking_blocks",
)

# Fields that would ask for something Responses input cannot carry: accepted only when empty.
UNSUPPORTED_MESSAGE_FIELDS: dict[str, str] = {
    "audio": "earlier audio answers cannot be replayed to the Responses API",
    "function_call": "deprecated; send tool_calls instead",
}

# Fields that only one role may carry.
ROLE_FIELDS: dict[str, str] = {
    "tool_calls": "assistant",
    "refusal": "assistant",
    "tool_call_id": "tool",
}

# The one table of message fields this module knows; any other field is ignored.
KNOWN_MESSAGE_FIELDS: frozenset[str] = frozenset(
    {"role", "content", *ROLE_FIELDS, *DROPPED_MESSAGE_FIELDS, *UNSUPPORTED_MESSAGE_FIELDS}
)

# `image_url.detail` values the Responses API documents; OpenAI's default is "auto".
IMAGE_DETAILS: frozenset[str] = frozenset({"auto", "low", "high", "original"})

# Chat `file` part fields -> the same-named `input_file` fields.
FILE_FIELDS: tuple[str, ...] = ("file_data", "file_id", "filename")


def _fail(message: str, param: str) -> TranslationError:
    return TranslationError(message, param=param)


def _text(part: Mapping[str, Any], path: str) -> str:
    text = part.get("text")
    if not isinstance(text, str):
        raise _fail("text must be a string", f"{path}.text")
    return text


def _input_text(part: Mapping[str, Any], path: str) -> Part:
    return {"type": "input_text", "text": _text(part, path)}


def _input_image(part: Mapping[str, Any], path: str) -> Part:
    image = part.get("image_url")
    fields = image if isinstance(image, Mapping) else {"url": image}
    url = fields.get("url")
    if not isinstance(url, str) or not url.startswith(("data:", "https://", "http://")):
        raise _fail("image_url.url must be a data: URL or an http(s) URL", f"{path}.image_url.url")
    detail = fields.get("detail") or "auto"
    if not isinstance(detail, str) or detail not in IMAGE_DETAILS:
        allowed = ", ".join(sorted(IMAGE_DETAILS))
        raise _fail(f"image_url.detail must be one of {allowed}", f"{path}.image_url.detail")
    return {"type": "input_image", "image_url": url, "detail": detail}


def _input_file(part: Mapping[str, Any], path: str) -> Part:
    file = part.get("file")
    if not isinstance(file, Mapping):
        raise _fail("a file part needs a file object", f"{path}.file")
    for field in file:
        if field not in FILE_FIELDS:
            raise _fail(f"file field {field!r} is not supported", f"{path}.file.{field}")
    converted: Part = {"type": "input_file"}
    for field in FILE_FIELDS:
        value = file.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise _fail(f"file.{field} must be a string", f"{path}.file.{field}")
        converted[field] = value
    if "file_data" not in converted and "file_id" not in converted:
        raise _fail("a file part needs file_data or file_id", f"{path}.file")
    return converted


def _output_text(part: Mapping[str, Any], path: str) -> Part:
    return {"type": "output_text", "text": _text(part, path), "annotations": []}


def _refusal(part: Mapping[str, Any], path: str) -> Part:
    refusal = part.get("refusal")
    if not isinstance(refusal, str):
        raise _fail("refusal must be a string", f"{path}.refusal")
    return {"type": "refusal", "refusal": refusal}


PartConverter = Callable[[Mapping[str, Any], str], Part]

# Which chat part types each role may carry, and what each becomes.
ROLE_PARTS: dict[str, dict[str, PartConverter]] = {
    "system": {"text": _input_text},
    "developer": {"text": _input_text},
    "user": {"text": _input_text, "image_url": _input_image, "file": _input_file},
    "assistant": {"text": _output_text, "refusal": _refusal},
    "tool": {"text": _input_text},
}

# A plain-string content as the one part of its role.
STRING_PARTS: dict[str, PartConverter] = {role: parts["text"] for role, parts in ROLE_PARTS.items()}


def _parts(content: Any, role: str, path: str) -> list[Part]:
    """Message content (string, list of parts, or null) -> Responses content parts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [STRING_PARTS[role]({"text": content}, path)]
    if not isinstance(content, Sequence):
        raise _fail("content must be a string or a list of content parts", path)
    parts: list[Part] = []
    for index, part in enumerate(content):
        part_path = f"{path}[{index}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        converter = ROLE_PARTS[role].get(kind) if isinstance(kind, str) else None
        if converter is None:
            raise _fail(
                f"content part type {shown(kind)} is not supported in a {role} message",
                f"{part_path}.type",
            )
        parts.append(converter(part, part_path))
    return parts


def _message_items(message: Mapping[str, Any], role: str, path: str) -> list[Item]:
    parts = _parts(message.get("content"), role, f"{path}.content")
    return [{"type": "message", "role": role, "content": parts}]


def _function_call(call: Any, path: str) -> Item:
    if not isinstance(call, Mapping) or call.get("type", "function") != "function":
        raise _fail("only function tool calls are supported", f"{path}.type")
    if not isinstance(call.get("id"), str):
        raise _fail("a tool call needs an id", f"{path}.id")
    function = call.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise _fail("a tool call needs function.name", f"{path}.function.name")
    # An empty string is how some clients spell "no arguments".
    arguments = function.get("arguments") or "{}"
    try:
        orjson.loads(arguments)
    except (orjson.JSONDecodeError, TypeError):
        raise _fail("tool call arguments must be a JSON string", f"{path}.function.arguments") from None
    return {
        "type": "function_call",
        "call_id": call["id"],
        "name": function["name"],
        "arguments": arguments,
    }


def _assistant_items(message: Mapping[str, Any], role: str, path: str) -> list[Item]:
    # An empty text part carries nothing; tool-calling clients often send content "".
    parts = [
        part
        for part in _parts(message.get("content"), role, f"{path}.content")
        if part["type"] != "output_text" or part["text"]
    ]
    refusal = message.get("refusal")
    if refusal is not None and not isinstance(refusal, str):
        raise _fail("refusal must be a string", f"{path}.refusal")
    if refusal and not any(part["type"] == "refusal" for part in parts):
        # A chat answer that refused has content null and the refusal here; keep it in history.
        parts.append({"type": "refusal", "refusal": refusal})
    calls = message.get("tool_calls") or []
    if not isinstance(calls, Sequence):
        raise _fail("tool_calls must be a list", f"{path}.tool_calls")
    items = [{"type": "message", "role": "assistant", "content": parts}] if parts else []
    return items + [_function_call(call, f"{path}.tool_calls[{index}]") for index, call in enumerate(calls)]


def _tool_output(message: Mapping[str, Any], role: str, path: str) -> list[Item]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str):
        raise _fail("a tool message needs tool_call_id", f"{path}.tool_call_id")
    content = message.get("content")
    output = content if isinstance(content, str) else _parts(content, role, f"{path}.content")
    return [{"type": "function_call_output", "call_id": call_id, "output": output}]


# Why system and developer messages stay input items rather than becoming `instructions`: the
# Responses input takes both roles as message items (EasyInputMessage role system | developer),
# so each keeps its role, its parts and its place in the conversation, as Chat Completions shows
# it to the model. `instructions` is one string the API puts before all input: it would move a
# mid-conversation system message to the front and merge separate ones.
ITEM_BUILDERS: dict[str, Callable[[Mapping[str, Any], str, str], list[Item]]] = {
    "system": _message_items,
    "developer": _message_items,
    "user": _message_items,
    "assistant": _assistant_items,
    "tool": _tool_output,
}


def _check_fields(message: Mapping[str, Any], role: str, path: str) -> None:
    for field, value in message.items():
        if field in UNSUPPORTED_MESSAGE_FIELDS and value is not None:
            raise _fail(
                f"message field {field!r} is not supported: {UNSUPPORTED_MESSAGE_FIELDS[field]}",
                f"{path}.{field}",
            )
        owner = ROLE_FIELDS.get(field)
        if owner is not None and owner != role and value is not None:
            raise _fail(f"only {owner} messages carry {field}", f"{path}.{field}")


def convert_messages(messages: Any) -> list[Item]:
    """The OpenAI `messages` list as Responses input items, in order."""
    if not isinstance(messages, Sequence) or isinstance(messages, str | bytes):
        raise _fail("messages must be a list", "messages")
    items: list[Item] = []
    for index, message in enumerate(messages):
        path = f"messages[{index}]"
        role = message.get("role") if isinstance(message, Mapping) else None
        if not isinstance(role, str) or role not in ITEM_BUILDERS:
            raise _fail(f"message role {shown(role)} is not supported", f"{path}.role")
        _check_fields(message, role, path)
        items.extend(ITEM_BUILDERS[role](message, role, path))
    if not items:
        raise _fail("messages must hold at least one message", "messages")
    return items
