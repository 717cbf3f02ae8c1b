"""OpenAI chat `messages` -> Anthropic `system` and `messages`.

System and developer messages, wherever they stand, become top-level `system` text blocks in
order. The rest become alternating user/assistant turns: consecutive same-role turns merge, tool
results become `tool_result` blocks of a user turn, tool calls become `tool_use` blocks with
their arguments parsed. An assistant message's hub `thinking_blocks` (translators/hub.py) open
its content as the thinking / redacted_thinking blocks they were, before text and tool_use:
with extended thinking, Anthropic needs them back unchanged in the turn that called tools
(https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks).
Anything unexpressible raises `TranslationError` naming its path; a message field outside
`KNOWN_MESSAGE_FIELDS` is ignored. Wire format: https://docs.anthropic.com/en/api/messages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from translators.common import shown
from translators.errors import TranslationError

__all__ = [
    "IMAGE_MEDIA_TYPES",
    "KNOWN_MESSAGE_FIELDS",
    "Conversation",
    "convert_messages",
]

Block = dict[str, Any]

# Image formats Anthropic accepts (https://docs.anthropic.com/en/docs/build-with-claude/vision).
IMAGE_MEDIA_TYPES: frozenset[str] = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

# Message fields with no Anthropic counterpart that change nothing the model is asked:
# `name` only labels a participant; `refusal` on an assistant turn repeats its content;
# `reasoning_content` is earlier thinking without its signature, which Anthropic refuses: it is
# not sent, whether or not the message has the signed `thinking_blocks` that replay it.
DROPPED_MESSAGE_FIELDS: tuple[str, ...] = ("name", "refusal", "reasoning_content")

# Message fields only one role may carry: on another role they would be lost, so they are refused.
ROLE_FIELDS: dict[str, str] = {"thinking_blocks": "assistant"}

# Hub `thinking_blocks` entry type -> its string fields, which make the Anthropic block of that
# type as they are. Any other key of an entry (a stream's `index`) is not sent.
THINKING_BLOCK_FIELDS: dict[str, tuple[str, ...]] = {
    "thinking": ("thinking", "signature"),
    "redacted_thinking": ("data",),
}

# Fields that would ask for something Anthropic input cannot carry: accepted only when null.
UNSUPPORTED_MESSAGE_FIELDS: dict[str, str] = {
    "audio": "earlier audio answers cannot be replayed to Anthropic",
    "function_call": "deprecated; send tool_calls instead",
}

# The one table of message fields this module knows; any other field is ignored.
KNOWN_MESSAGE_FIELDS: frozenset[str] = frozenset(
    {"role", "content", "tool_calls", "tool_call_id"}
    | {*DROPPED_MESSAGE_FIELDS, *UNSUPPORTED_MESSAGE_FIELDS, *ROLE_FIELDS}
)

# `image_url.detail` is an OpenAI resolution hint; Anthropic sizes images itself.
DROPPED_PART_FIELDS: tuple[str, ...] = ("detail",)

SYSTEM_ROLES: frozenset[str] = frozenset({"system", "developer"})


@dataclass(frozen=True, slots=True)
class Conversation:
    system: tuple[Block, ...]
    messages: tuple[dict[str, Any], ...]


def _fail(message: str, param: str) -> TranslationError:
    return TranslationError(message, param=param)


def _text_block(text: Any, path: str) -> Block:
    if not isinstance(text, str):
        raise _fail("text must be a string", path)
    return {"type": "text", "text": text}


def _data_url(url: str, path: str) -> tuple[str, str]:
    """`data:<media type>;base64,<data>` -> (media type, data), checking the data decodes."""
    head, comma, data = url[5:].partition(",")
    media_type, _, encoding = head.partition(";")
    if not comma or encoding.lower() != "base64":
        raise _fail("data URLs must be base64-encoded (data:<type>;base64,<data>)", path)
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _fail("data URL payload is not valid base64", path) from None
    return media_type.lower(), data


def _image_block(part: Mapping[str, Any], path: str) -> Block:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, Mapping) else image
    if not isinstance(url, str):
        raise _fail("image_url.url must be a string", f"{path}.image_url.url")
    if url.startswith("data:"):
        media_type, data = _data_url(url, f"{path}.image_url.url")
        if media_type not in IMAGE_MEDIA_TYPES:
            allowed = ", ".join(sorted(IMAGE_MEDIA_TYPES))
            raise _fail(
                f"image type {media_type!r} is not supported; use one of {allowed}",
                f"{path}.image_url.url",
            )
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }
    if url.startswith(("https://", "http://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise _fail("image_url.url must be a data: URL or an http(s) URL", f"{path}.image_url.url")


def _file_block(part: Mapping[str, Any], path: str) -> Block:
    file = part.get("file")
    data_url = file.get("file_data") if isinstance(file, Mapping) else None
    if not isinstance(data_url, str) or not data_url.startswith("data:"):
        # A `file_id` names an OpenAI upload that Anthropic cannot fetch.
        raise _fail("only inline file_data (a base64 data: URL) is supported", f"{path}.file.file_data")
    media_type, data = _data_url(data_url, f"{path}.file.file_data")
    if media_type != "application/pdf":
        raise _fail(
            f"file type {media_type!r} is not supported; only application/pdf",
            f"{path}.file.file_data",
        )
    return {
        "type": "document",
        "source": {"type": "base64", "media_type": media_type, "data": data},
    }


PART_CONVERTERS = {
    "text": lambda part, path: _text_block(part.get("text"), f"{path}.text"),
    "image_url": _image_block,
    "file": _file_block,
}

# Which part types each role may carry: assistants and tools speak text only, system is text.
ROLE_PARTS: dict[str, frozenset[str]] = {
    "system": frozenset({"text"}),
    "user": frozenset(PART_CONVERTERS),
    "assistant": frozenset({"text"}),
    "tool": frozenset({"text"}),
}


def _content_blocks(content: Any, role: str, path: str) -> list[Block]:
    """Message content (string, list of parts, or null) -> non-empty Anthropic blocks."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, Sequence):
        raise _fail("content must be a string or a list of content parts", path)
    blocks: list[Block] = []
    for index, part in enumerate(content):
        part_path = f"{path}[{index}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "refusal" and role == "assistant":
            kind, part = "text", {"text": part.get("refusal")}
        if not isinstance(kind, str) or kind not in ROLE_PARTS[role]:
            raise _fail(
                f"content part type {shown(kind)} is not supported in a {role} message",
                f"{part_path}.type",
            )
        block = PART_CONVERTERS[kind](part, part_path)
        # Anthropic rejects empty text blocks; an empty part carries nothing to keep.
        if block["type"] != "text" or block["text"]:
            blocks.append(block)
    return blocks


def _tool_use_block(call: Any, path: str) -> Block:
    if not isinstance(call, Mapping) or call.get("type", "function") != "function":
        raise _fail("only function tool calls are supported", f"{path}.type")
    function = call.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise _fail("a tool call needs function.name", f"{path}.function.name")
    if not isinstance(call.get("id"), str):
        raise _fail("a tool call needs an id", f"{path}.id")
    arguments = function.get("arguments")
    try:
        # An empty string is how some clients spell "no arguments".
        parsed = orjson.loads(arguments) if arguments else {}
    except (orjson.JSONDecodeError, TypeError):
        raise _fail("tool call arguments must be a JSON object string", f"{path}.function.arguments") from None
    if not isinstance(parsed, dict):
        raise _fail("tool call arguments must be a JSON object", f"{path}.function.arguments")
    return {"type": "tool_use", "id": call["id"], "name": function["name"], "input": parsed}


def _thinking_block(entry: Any, path: str) -> Block:
    kind = entry.get("type") if isinstance(entry, Mapping) else None
    fields = THINKING_BLOCK_FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise _fail("a thinking_blocks entry's type must be thinking or redacted_thinking", f"{path}.type")
    block: Block = {"type": kind}
    for field in fields:
        value = entry.get(field)
        if not isinstance(value, str):
            raise _fail(f"a {kind} entry needs {field} as a string", f"{path}.{field}")
        block[field] = value
    return block


def _thinking_blocks(entries: Any, path: str) -> list[Block]:
    """The hub's `thinking_blocks` as Anthropic blocks, in order and unchanged."""
    if entries is None:
        return []
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
        raise _fail("thinking_blocks must be a list", path)
    return [_thinking_block(entry, f"{path}[{index}]") for index, entry in enumerate(entries)]


def _assistant_blocks(message: Mapping[str, Any], path: str) -> list[Block]:
    thinking = _thinking_blocks(message.get("thinking_blocks"), f"{path}.thinking_blocks")
    blocks = _content_blocks(message.get("content"), "assistant", f"{path}.content")
    calls = message.get("tool_calls") or []
    if not isinstance(calls, Sequence):
        raise _fail("tool_calls must be a list", f"{path}.tool_calls")
    return (
        thinking + blocks + [_tool_use_block(call, f"{path}.tool_calls[{index}]") for index, call in enumerate(calls)]
    )


def _tool_result_blocks(message: Mapping[str, Any], path: str) -> list[Block]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str):
        raise _fail("a tool message needs tool_call_id", f"{path}.tool_call_id")
    content = message.get("content")
    result: Block = {"type": "tool_result", "tool_use_id": call_id}
    blocks = content if isinstance(content, str) else _content_blocks(content, "tool", f"{path}.content")
    if blocks:
        result["content"] = blocks
    return [result]


TURN_BUILDERS = {
    "user": (
        "user",
        lambda message, path: _content_blocks(message.get("content"), "user", f"{path}.content"),
    ),
    "assistant": ("assistant", _assistant_blocks),
    "tool": ("user", _tool_result_blocks),
}


def _check_fields(message: Mapping[str, Any], role: str, path: str) -> None:
    for field, value in message.items():
        if value is None:
            continue
        reason = UNSUPPORTED_MESSAGE_FIELDS.get(field)
        if reason is not None:
            raise _fail(f"message field {field!r} is not supported: {reason}", f"{path}.{field}")
        owner = ROLE_FIELDS.get(field)
        if owner is not None and owner != role:
            raise _fail(f"only {owner} messages carry {field}", f"{path}.{field}")


def convert_messages(messages: Any) -> Conversation:
    """The OpenAI `messages` list as Anthropic `system` blocks and merged turns."""
    if not isinstance(messages, Sequence) or isinstance(messages, str | bytes):
        raise _fail("messages must be a list", "messages")
    system: list[Block] = []
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        path = f"messages[{index}]"
        role = message.get("role") if isinstance(message, Mapping) else None
        if not isinstance(role, str) or (role not in SYSTEM_ROLES and role not in TURN_BUILDERS):
            raise _fail(f"message role {shown(role)} is not supported", f"{path}.role")
        _check_fields(message, role, path)
        if role in SYSTEM_ROLES:
            system.extend(_content_blocks(message.get("content"), "system", f"{path}.content"))
            continue
        anthropic_role, build = TURN_BUILDERS[role]
        blocks = build(message, path)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == anthropic_role:
            # Anthropic wants alternating turns; consecutive ones of a role are one turn.
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": anthropic_role, "content": blocks})
    if not turns:
        raise _fail("messages must hold at least one user or assistant message", "messages")
    return Conversation(system=tuple(system), messages=tuple(turns))
