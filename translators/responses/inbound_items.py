"""Responses `input` items -> hub messages (platform.openai.com/docs/api-reference/responses/create).

Message items keep their role. An assistant turn (assistant message, reasoning and function_call
items with no other item between them) becomes one assistant message, its calls as `tool_calls`,
as Chat Completions writes a turn; a call followed by text starts a new message, since a chat
message holds its text before its calls. A function_call_output becomes a tool message.
Reasoning items are dropped: their `encrypted_content` only OpenAI can read; their summary text is
kept as `reasoning_content`, which no upstream is sent (translators/hub.py). Any other item type
raises `TranslationError` naming `input[i].type`: only a Responses upstream reached natively
understands it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from translators.common import shown
from translators.errors import TranslationError

__all__ = ["ITEM_TYPES", "convert_input"]

Message = dict[str, Any]
Part = dict[str, Any]

IMAGE_DETAILS: frozenset[str] = frozenset({"auto", "low", "high", "original"})
AUDIO_FORMATS: frozenset[str] = frozenset({"wav", "mp3"})

# Separate reasoning summaries read as separate paragraphs, as translators.responses.response joins them.
REASONING_SEPARATOR = "\n\n"


def _fail(message: str, param: str) -> TranslationError:
    return TranslationError(message, param=param)


def _string(fields: Mapping[str, Any], key: str, path: str, what: str) -> str:
    value = fields.get(key)
    if not isinstance(value, str):
        raise _fail(f"{what} must be a string", f"{path}.{key}")
    return value


def _text(part: Mapping[str, Any], path: str) -> Part:
    return {"type": "text", "text": _string(part, "text", path, "text")}


def _image(part: Mapping[str, Any], path: str) -> Part:
    if part.get("file_id") is not None:
        raise _fail("images given by file_id cannot be sent to this model; send image_url", f"{path}.file_id")
    url = part.get("image_url")
    if not isinstance(url, str) or not url.startswith(("data:", "https://", "http://")):
        raise _fail("image_url must be a data: URL or an http(s) URL", f"{path}.image_url")
    detail = part.get("detail") or "auto"
    if not isinstance(detail, str) or detail not in IMAGE_DETAILS:
        raise _fail(f"detail must be one of {', '.join(sorted(IMAGE_DETAILS))}", f"{path}.detail")
    return {"type": "image_url", "image_url": {"url": url, "detail": detail}}


def _file(part: Mapping[str, Any], path: str) -> Part:
    for field in ("file_id", "file_url"):
        if part.get(field) is not None:
            raise _fail(f"files given by {field} cannot be sent to this model; send file_data", f"{path}.{field}")
    file: dict[str, str] = {"file_data": _string(part, "file_data", path, "file_data")}
    if part.get("filename") is not None:
        file["filename"] = _string(part, "filename", path, "filename")
    return {"type": "file", "file": file}


def _audio(part: Mapping[str, Any], path: str) -> Part:
    audio = part.get("input_audio")
    if not isinstance(audio, Mapping):
        raise _fail("an input_audio part needs an input_audio object", f"{path}.input_audio")
    data = _string(audio, "data", f"{path}.input_audio", "input_audio.data")
    form = audio.get("format")
    if not isinstance(form, str) or form not in AUDIO_FORMATS:
        raise _fail("input_audio.format must be wav or mp3", f"{path}.input_audio.format")
    return {"type": "input_audio", "input_audio": {"data": data, "format": form}}


PartConverter = Callable[[Mapping[str, Any], str], Part]

# Which Responses part types a message of each role may carry, and the hub part each becomes.
ROLE_PARTS: dict[str, dict[str, PartConverter]] = {
    "user": {"input_text": _text, "input_image": _image, "input_file": _file, "input_audio": _audio},
    "system": {"input_text": _text},
    "developer": {"input_text": _text},
}


def _parts(content: Any, kinds: Mapping[str, PartConverter], path: str, what: str) -> list[Part]:
    if not isinstance(content, list):
        raise _fail(f"{what} must be a string or a list of content parts", path)
    parts = []
    for index, part in enumerate(content):
        part_path = f"{path}[{index}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        converter = kinds.get(kind) if isinstance(kind, str) else None
        if converter is None:
            allowed = ", ".join(kinds)
            raise _fail(f"content part type {shown(kind)} is not supported here; use {allowed}", f"{part_path}.type")
        parts.append(converter(part, part_path))
    return parts


def _message(item: Mapping[str, Any], role: str, path: str) -> Message:
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    return {"role": role, "content": _parts(content, ROLE_PARTS[role], f"{path}.content", "content")}


def _assistant_content(item: Mapping[str, Any], path: str) -> tuple[str, str]:
    """The text and the refusal of an earlier assistant message."""
    content = item.get("content")
    if isinstance(content, str):
        return content, ""
    if not isinstance(content, list):
        raise _fail("content must be a string or a list of content parts", f"{path}.content")
    texts, refusals = [], []
    for index, part in enumerate(content):
        part_path = f"{path}.content[{index}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind in ("output_text", "input_text"):
            texts.append(_string(part, "text", part_path, "text"))
        elif kind == "refusal":
            refusals.append(_string(part, "refusal", part_path, "refusal"))
        else:
            raise _fail(
                f"content part type {shown(kind)} is not supported in an assistant message; use output_text or refusal",
                f"{part_path}.type",
            )
    return "".join(texts), "".join(refusals)


def _tool_call(item: Mapping[str, Any], path: str) -> dict[str, Any]:
    call_id = _string(item, "call_id", path, "call_id")
    name = _string(item, "name", path, "name")
    arguments = item.get("arguments")
    if not isinstance(arguments, str):
        raise _fail("arguments must be a string of JSON", f"{path}.arguments")
    arguments = arguments or "{}"  # how some clients spell "no arguments"
    try:
        orjson.loads(arguments)
    except orjson.JSONDecodeError:
        raise _fail("arguments must be a string of JSON", f"{path}.arguments") from None
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _tool_output(item: Mapping[str, Any], path: str) -> Message:
    call_id = _string(item, "call_id", path, "call_id")
    output = item.get("output")
    if isinstance(output, str):
        return {"role": "tool", "tool_call_id": call_id, "content": output}
    parts = _parts(output, {"input_text": _text}, f"{path}.output", "output")
    return {"role": "tool", "tool_call_id": call_id, "content": parts or ""}


def _reasoning_text(item: Mapping[str, Any]) -> str:
    """The readable text of a reasoning item: its summary, else its reasoning text."""
    for key in ("summary", "content"):
        parts = item.get(key)
        texts = [
            part["text"]
            for part in (parts if isinstance(parts, list) else [])
            if isinstance(part, Mapping) and isinstance(part.get("text"), str) and part["text"]
        ]
        if texts:
            return REASONING_SEPARATOR.join(texts)
    return ""


class _Conversation:
    """Hub messages built item by item; `turn` is the assistant message still open for calls."""

    __slots__ = ("messages", "turn")

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.turn: Message | None = None

    def close_turn(self) -> None:
        turn, self.turn = self.turn, None
        # A turn of reasoning alone says nothing to an upstream that cannot take reasoning.
        if turn is not None and (turn["content"] is not None or "tool_calls" in turn or "refusal" in turn):
            self.messages.append(turn)

    def open_turn(self) -> Message:
        if self.turn is None:
            self.turn = {"role": "assistant", "content": None}
        return self.turn

    def message(self, item: Mapping[str, Any], path: str) -> None:
        role = item.get("role")
        if role == "assistant":
            self.assistant(item, path)
            return
        if not isinstance(role, str) or role not in ROLE_PARTS:
            raise _fail(f"role {shown(role)} is not one of user, assistant, system, developer", f"{path}.role")
        self.close_turn()
        self.messages.append(_message(item, role, path))

    def assistant(self, item: Mapping[str, Any], path: str) -> None:
        text, refusal = _assistant_content(item, path)
        turn = self.turn
        if turn is not None and (turn["content"] is not None or "tool_calls" in turn or "refusal" in turn):
            self.close_turn()
        turn = self.open_turn()
        turn["content"] = text or None
        if refusal:
            turn["refusal"] = refusal

    def function_call(self, item: Mapping[str, Any], path: str) -> None:
        self.open_turn().setdefault("tool_calls", []).append(_tool_call(item, path))

    def function_call_output(self, item: Mapping[str, Any], path: str) -> None:
        self.close_turn()
        self.messages.append(_tool_output(item, path))

    def reasoning(self, item: Mapping[str, Any], path: str) -> None:
        text = _reasoning_text(item)
        if not text:
            return
        turn = self.open_turn()
        earlier = turn.get("reasoning_content")
        turn["reasoning_content"] = f"{earlier}{REASONING_SEPARATOR}{text}" if earlier else text


ITEM_HANDLERS: dict[str, Callable[[_Conversation, Mapping[str, Any], str], None]] = {
    "message": _Conversation.message,
    "function_call": _Conversation.function_call,
    "function_call_output": _Conversation.function_call_output,
    "reasoning": _Conversation.reasoning,
}

ITEM_TYPES: tuple[str, ...] = tuple(ITEM_HANDLERS)


def convert_input(items: Any) -> list[Message]:
    """The request's `input` as hub messages, in order: a string is one user message."""
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    if not isinstance(items, Sequence) or isinstance(items, bytes):
        raise _fail("input must be a string or a list of items", "input")
    conversation = _Conversation()
    for index, item in enumerate(items):
        path = f"input[{index}]"
        if not isinstance(item, Mapping):
            raise _fail("an input item must be an object", path)
        # An easy input message ({"role", "content"}) may leave its type out.
        kind = item.get("type", "message" if "role" in item else None)
        handler = ITEM_HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise _fail(
                f"input item type {shown(kind)} cannot be sent to this model; only {', '.join(ITEM_TYPES)} items can",
                f"{path}.type",
            )
        handler(conversation, item, path)
    conversation.close_turn()
    return conversation.messages
