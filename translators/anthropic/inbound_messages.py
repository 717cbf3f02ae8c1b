"""An Anthropic client's `system` and `messages` -> hub (OpenAI chat) messages.

The inverse of translators/anthropic/messages.py, for clients that call the gateway in Anthropic
form (https://docs.anthropic.com/en/api/messages). Each user turn's `tool_result` blocks become
one hub `tool` message each, in order, ahead of the rest of that turn: Anthropic puts tool
results first in a user turn, OpenAI wants them right after the assistant's tool calls. Images
and PDFs inside a tool result, which a hub `tool` message cannot carry, open the user message
that follows those tool messages, in the order they came, so the model still sees them. An
assistant turn's thinking blocks become the hub's `thinking_blocks` with their signatures
(translators/hub.py), its thinking text `reasoning_content`. `cache_control`, `citations` on
text and a tool result's `is_error` carry nothing another upstream reads and are dropped;
anything else the hub cannot express raises `TranslationError` naming its path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from translators import common
from translators.anthropic.messages import IMAGE_MEDIA_TYPES
from translators.common import shown
from translators.errors import TranslationError

__all__ = ["KNOWN_MESSAGE_FIELDS", "convert_messages", "system_message"]

Part = dict[str, Any]

KNOWN_MESSAGE_FIELDS: frozenset[str] = frozenset({"role", "content"})


def _fail(message: str, param: str) -> TranslationError:
    return TranslationError(message, param=param)


def _string(block: Mapping[str, Any], key: str, path: str) -> str:
    value = block.get(key)
    if not isinstance(value, str):
        raise _fail(f"{key} must be a string", f"{path}.{key}")
    return value


def _text_part(block: Mapping[str, Any], path: str) -> Part:
    return {"type": "text", "text": _string(block, "text", path)}


def _source(block: Mapping[str, Any], path: str) -> tuple[Mapping[str, Any], Any]:
    source = block.get("source")
    if not isinstance(source, Mapping):
        raise _fail("source must be an object", f"{path}.source")
    return source, source.get("type")


def _base64_url(source: Mapping[str, Any], media_types: frozenset[str], path: str) -> str:
    media_type = source.get("media_type")
    if not isinstance(media_type, str) or media_type not in media_types:
        allowed = ", ".join(sorted(media_types))
        raise _fail(f"media_type must be one of {allowed}", f"{path}.source.media_type")
    return f"data:{media_type};base64,{_string(source, 'data', f'{path}.source')}"


def _image_part(block: Mapping[str, Any], path: str) -> Part:
    source, kind = _source(block, path)
    if kind == "base64":
        return {"type": "image_url", "image_url": {"url": _base64_url(source, IMAGE_MEDIA_TYPES, path)}}
    if kind == "url":
        return {"type": "image_url", "image_url": {"url": _string(source, "url", f"{path}.source")}}
    # A `file` source names an upload in Anthropic's Files API, which no other upstream can read.
    raise _fail("image source type must be base64 or url for this model", f"{path}.source.type")


PDF = frozenset({"application/pdf"})


def _document_part(block: Mapping[str, Any], path: str) -> Part:
    source, kind = _source(block, path)
    if kind != "base64":
        raise _fail("document source type must be base64 (a PDF) for this model", f"{path}.source.type")
    if block.get("context") not in (None, ""):
        raise _fail("document context is not supported for this model", f"{path}.context")
    citations = block.get("citations")
    if isinstance(citations, Mapping) and citations.get("enabled") not in (None, False):
        raise _fail("citations are not supported for this model", f"{path}.citations")
    file: Part = {"file_data": _base64_url(source, PDF, path)}
    title = block.get("title")
    if isinstance(title, str) and title:
        file["filename"] = title
    return {"type": "file", "file": file}


def _thinking_entry(block: Mapping[str, Any], path: str) -> Part:
    return {
        "type": "thinking",
        "thinking": _string(block, "thinking", path),
        "signature": _string(block, "signature", path),
    }


def _redacted_entry(block: Mapping[str, Any], path: str) -> Part:
    return {"type": "redacted_thinking", "data": _string(block, "data", path)}


def _tool_call(block: Mapping[str, Any], path: str) -> Part:
    arguments = block.get("input")
    if not isinstance(arguments, Mapping):
        raise _fail("tool_use input must be an object", f"{path}.input")
    return {
        "id": _string(block, "id", path),
        "type": "function",
        "function": {
            "name": _string(block, "name", path),
            "arguments": common.json_text(arguments, f"{path}.input"),
        },
    }


def _blocks(content: Any, path: str) -> list[tuple[str, Mapping[str, Any], str]]:
    """Message content as (type, block, path) triples; a string is one text block."""
    if isinstance(content, str):
        return [("text", {"text": content}, path)]
    if not isinstance(content, list):
        raise _fail("content must be a string or a list of content blocks", path)
    blocks = []
    for index, block in enumerate(content):
        block_path = f"{path}[{index}]"
        kind = block.get("type") if isinstance(block, Mapping) else None
        if not isinstance(kind, str):
            raise _fail("a content block must be an object with a string type", f"{block_path}.type")
        blocks.append((kind, block, block_path))
    return blocks


def _unsupported(kind: str, role: str, path: str) -> TranslationError:
    # Server tool blocks, search results and container uploads: only Anthropic's servers read them.
    return _fail(
        f"content block type {shown(kind)} is not supported in a {role} message for this model", f"{path}.type"
    )


# --- user turns -----------------------------------------------------------------------------

USER_PARTS: dict[str, Callable[[Mapping[str, Any], str], Part]] = {
    "text": _text_part,
    "image": _image_part,
    "document": _document_part,
}


@dataclass(slots=True)
class _UserTurn:
    tool_messages: list[Part] = field(default_factory=list)
    carried: list[Part] = field(default_factory=list)  # media out of tool results
    parts: list[Part] = field(default_factory=list)


def _tool_result(block: Mapping[str, Any], path: str, turn: _UserTurn) -> None:
    call_id = _string(block, "tool_use_id", path)
    content = block.get("content")
    texts: list[Part] = []
    if content is not None and not isinstance(content, str):
        for kind, item, item_path in _blocks(content, f"{path}.content"):
            if kind == "text":
                texts.append(_text_part(item, item_path))
            elif kind in ("image", "document"):
                turn.carried.append(USER_PARTS[kind](item, item_path))
            else:
                raise _unsupported(kind, "tool_result", item_path)
    result: Any = content if isinstance(content, str) else texts
    turn.tool_messages.append({"role": "tool", "tool_call_id": call_id, "content": result or ""})


def _user_messages(content: Any, path: str) -> list[Part]:
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    turn = _UserTurn()
    for kind, block, block_path in _blocks(content, path):
        convert = USER_PARTS.get(kind)
        if convert is not None:
            turn.parts.append(convert(block, block_path))
        elif kind == "tool_result":
            _tool_result(block, block_path, turn)
        else:
            raise _unsupported(kind, "user", block_path)
    rest = turn.carried + turn.parts
    if rest or not turn.tool_messages:
        return [*turn.tool_messages, {"role": "user", "content": rest}]
    return turn.tool_messages


# --- assistant turns ------------------------------------------------------------------------


def _assistant_message(content: Any, path: str) -> Part:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[Part] = []
    calls: list[Part] = []
    thinking: list[Part] = []
    reasoning: list[str] = []
    for kind, block, block_path in _blocks(content, path):
        if kind == "text":
            texts.append(_text_part(block, block_path))
        elif kind == "tool_use":
            calls.append(_tool_call(block, block_path))
        elif kind == "thinking":
            entry = _thinking_entry(block, block_path)
            reasoning.append(entry["thinking"])
            # An unsigned block (a non-Anthropic model's reasoning, see inbound_answer) is
            # reasoning text only: Anthropic would refuse it replayed without a signature.
            if entry["signature"]:
                thinking.append(entry)
        elif kind == "redacted_thinking":
            thinking.append(_redacted_entry(block, block_path))
        else:
            raise _unsupported(kind, "assistant", block_path)
    message: Part = {"role": "assistant", "content": _assistant_content(texts)}
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if thinking:
        message["thinking_blocks"] = thinking
    if calls:
        message["tool_calls"] = calls
    return message


def _assistant_content(texts: list[Part]) -> str | list[Part] | None:
    if not texts:
        return None
    return texts[0]["text"] if len(texts) == 1 else texts


# --- the whole conversation -----------------------------------------------------------------


def system_message(system: Any, path: str) -> Part | None:
    """The `system` prompt (a string or text blocks) as a hub system message; None when empty."""
    if system is None or system == "" or system == []:
        return None
    if isinstance(system, str):
        return {"role": "system", "content": system}
    parts = []
    for kind, block, block_path in _blocks(system, path):
        if kind != "text":
            raise _fail("system blocks must be text blocks", f"{block_path}.type")
        parts.append(_text_part(block, block_path))
    return {"role": "system", "content": parts}


def _system_messages(content: Any, path: str) -> list[Part]:
    message = system_message(content, path)
    return [message] if message is not None else []


ROLES: dict[str, Callable[[Any, str], list[Part]]] = {
    "user": _user_messages,
    "assistant": lambda content, path: [_assistant_message(content, path)],
    # Newer Anthropic APIs accept system turns among the messages; the hub keeps them in place.
    "system": _system_messages,
}


def convert_messages(messages: Any) -> list[Part]:
    """The client's `messages` as hub messages; consecutive same-role turns stay separate."""
    if not isinstance(messages, list) or not messages:
        raise _fail("messages must be a non-empty list of messages", "messages")
    converted: list[Part] = []
    for index, message in enumerate(messages):
        path = f"messages[{index}]"
        role = message.get("role") if isinstance(message, Mapping) else None
        if not isinstance(role, str) or role not in ROLES:
            raise _fail(f"message role {shown(role)} is not supported; use user or assistant", f"{path}.role")
        if "content" not in message:
            raise _fail("a message needs content", f"{path}.content")
        converted.extend(ROLES[role](message["content"], f"{path}.content"))
    return converted
