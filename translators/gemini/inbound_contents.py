"""A Gemini client's `systemInstruction` and `contents` -> hub messages (ai.google.dev/api/caching#Content).

`model` turns become assistant messages (consecutive ones merged, as a hub assistant message
holds a whole step), `user` turns user messages, `functionResponse` parts tool messages placed
before the rest of their turn (a hub tool message must follow the call it answers). Calls get
the client's `functionCall.id`, else `call_<turn>_<part>`; a response names its call by id, else
by name, the earliest unanswered call first. Google's JSON parser takes field names in
lowerCamelCase or as the proto's snake_case, so both are read (`get`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from translators.common import json_text, shown
from translators.errors import TranslationError

__all__ = ["get", "messages_of", "snake", "system_message"]

# A part holds one of these (the proto's `data` oneof); the rest of a part is metadata.
DATA_FIELDS = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "toolCall",
    "toolResponse",
)
# Parts a hub message has no place for, and why.
UNSUPPORTED_PARTS = {
    "executableCode": "code execution is not supported; declare a function instead",
    "codeExecutionResult": "code execution is not supported; declare a function instead",
    "toolCall": "built-in tool calls are not supported; declare a function instead",
    "toolResponse": "built-in tool results are not supported; declare a function instead",
}

# inlineData MIME type -> the hub's audio format (OpenAI takes wav and mp3 only).
AUDIO_FORMATS = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/mp3": "mp3", "audio/mpeg": "mp3"}
PDF_MIME_TYPE = "application/pdf"
DEFAULT_PDF_NAME = "document.pdf"

_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    """A lowerCamelCase JSON name as its proto field name: `inlineData` -> `inline_data`."""
    return _CAMEL_HUMP.sub("_", name).lower()


def get(obj: Mapping[str, Any], name: str) -> Any:
    """`obj[name]`, or under the proto field name when the client spelt it that way."""
    value = obj.get(name)
    return obj.get(snake(name)) if value is None else value


def fail(message: str, param: str | None) -> TranslationError:
    return TranslationError(message, param=param)


def string(value: Any, path: str, *, empty: bool = True) -> str:
    if not isinstance(value, str) or not (empty or value):
        raise fail("expected a non-empty string" if not empty else "expected a string", path)
    return value


def object_at(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise fail("expected an object", path)
    return value


def parts_of(content: Any, path: str) -> list[Mapping[str, Any]]:
    parts = get(object_at(content, path), "parts")
    if not isinstance(parts, list) or not all(isinstance(part, Mapping) for part in parts):
        raise fail("parts must be an array of objects", f"{path}.parts")
    return parts


def system_message(instruction: Any) -> dict[str, Any] | None:
    """`systemInstruction` (text parts only) as a system message; None when it has no text."""
    if instruction is None:
        return None
    if isinstance(instruction, str):
        texts = [instruction]
    else:
        path = "systemInstruction.parts"
        texts = [_only_text(part, f"{path}[{j}]") for j, part in enumerate(parts_of(instruction, "systemInstruction"))]
    if not texts:
        return None
    content: Any = texts[0] if len(texts) == 1 else [{"type": "text", "text": text} for text in texts]
    return {"role": "system", "content": content}


def _only_text(part: Mapping[str, Any], path: str) -> str:
    if _data_field(part, path) != "text":
        raise fail("systemInstruction takes text parts only", path)
    return string(get(part, "text"), f"{path}.text")


def _data_field(part: Mapping[str, Any], path: str) -> str | None:
    present = [name for name in DATA_FIELDS if get(part, name) is not None]
    if len(present) > 1:
        raise fail(f"a part holds one of {', '.join(DATA_FIELDS)}; this one has {', '.join(present)}", path)
    return present[0] if present else None


@dataclass(slots=True)
class _Call:
    id: str
    name: str


@dataclass(slots=True)
class _Assistant:
    """The model turns since the last user turn, as one hub assistant message."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def message(self) -> dict[str, Any]:
        content = "".join(self.text) if self.text or not self.calls else None
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        if self.calls:
            message["tool_calls"] = self.calls
        return message


@dataclass(slots=True)
class _History:
    messages: list[dict[str, Any]] = field(default_factory=list)
    unanswered: list[_Call] = field(default_factory=list)
    assistant: _Assistant | None = None

    def flush(self) -> None:
        if self.assistant is not None:
            self.messages.append(self.assistant.message())
            self.assistant = None


def messages_of(contents: Any) -> list[dict[str, Any]]:
    if not isinstance(contents, list) or not contents:
        raise fail("contents must be a non-empty array of turns", "contents")
    history = _History()
    for t, turn in enumerate(contents):
        path = f"contents[{t}]"
        parts = parts_of(turn, path)
        if not parts:
            raise fail("a turn needs at least one part", f"{path}.parts")
        role = get(turn, "role") or "user"
        if role == "model":
            if history.assistant is None:
                history.assistant = _Assistant()
            for j, part in enumerate(parts):
                _model_part(part, f"{path}.parts[{j}]", history, call_id=f"call_{t}_{j}")
        elif role in ("user", "function"):
            # "function" is the role older Gemini examples give turns of function responses.
            history.flush()
            history.messages.extend(_user_messages(parts, f"{path}.parts", history.unanswered))
        else:
            raise fail(f"role must be user or model, not {shown(role)}", f"{path}.role")
    history.flush()
    return history.messages


def _model_part(part: Mapping[str, Any], path: str, history: _History, *, call_id: str) -> None:
    assert history.assistant is not None
    kind = _data_field(part, path)
    if kind == "text":
        text = string(get(part, "text"), f"{path}.text")
        thought = get(part, "thought")
        if thought not in (None, True, False):
            raise fail("thought must be a boolean", f"{path}.thought")
        # A text or thought part's thoughtSignature has no hub field: Gemini checks only the
        # signatures of function calls, and no other upstream can read one.
        (history.assistant.reasoning if thought else history.assistant.text).append(text)
    elif kind == "functionCall":
        call = _tool_call(part, path, call_id)
        history.assistant.calls.append(call)
        history.unanswered.append(_Call(call["id"], call["function"]["name"]))
    elif kind is None:
        if get(part, "thoughtSignature") is None:
            raise fail(f"a part needs one of {', '.join(DATA_FIELDS)}", path)
    else:
        raise fail(UNSUPPORTED_PARTS.get(kind) or f"a model turn cannot hold {kind} parts", f"{path}.{kind}")


def _tool_call(part: Mapping[str, Any], path: str, default_id: str) -> dict[str, Any]:
    call_path = f"{path}.functionCall"
    function_call = object_at(get(part, "functionCall"), call_path)
    name = string(get(function_call, "name"), f"{call_path}.name", empty=False)
    args = get(function_call, "args")
    arguments = _json(object_at({} if args is None else args, f"{call_path}.args"), f"{call_path}.args")
    call_id = get(function_call, "id")
    call: dict[str, Any] = {
        "id": call_id if isinstance(call_id, str) and call_id else default_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
    signature = get(part, "thoughtSignature")
    if signature is not None:
        call["extra_content"] = {"google": {"thought_signature": string(signature, f"{path}.thoughtSignature")}}
    return call


def _json(value: Any, path: str) -> str:
    try:
        return json_text(value, path)
    except TranslationError as error:
        raise fail(error.message, path) from None


def _user_messages(parts: list[Mapping[str, Any]], path: str, unanswered: list[_Call]) -> list[dict[str, Any]]:
    tool_messages: list[dict[str, Any]] = []
    content: list[dict[str, Any]] = []
    for j, part in enumerate(parts):
        part_path = f"{path}[{j}]"
        kind = _data_field(part, part_path)
        if kind == "functionResponse":
            response = get(part, "functionResponse")
            tool_messages.append(_tool_message(response, f"{part_path}.functionResponse", unanswered))
        elif kind in _USER_PARTS:
            content.append(_USER_PARTS[kind](part, part_path))
        elif kind is None:
            raise fail(f"a part needs one of {', '.join(DATA_FIELDS)}", part_path)
        else:
            raise fail(UNSUPPORTED_PARTS.get(kind) or f"a user turn cannot hold {kind} parts", f"{part_path}.{kind}")
    if not content:
        return tool_messages
    only_text = len(content) == 1 and content[0]["type"] == "text"
    return [*tool_messages, {"role": "user", "content": content[0]["text"] if only_text else content}]


def _tool_message(response: Any, path: str, unanswered: list[_Call]) -> dict[str, Any]:
    response = object_at(response, path)
    name = string(get(response, "name"), f"{path}.name", empty=False)
    if get(response, "parts"):
        raise fail("multimodal function responses are not supported; return JSON in response", f"{path}.parts")
    result = object_at(get(response, "response"), f"{path}.response")
    wanted = get(response, "id")
    call = next((c for c in unanswered if isinstance(wanted, str) and c.id == wanted), None)
    if call is None:
        call = next((c for c in unanswered if c.name == name), None)
    if call is None:
        raise fail(f"this functionResponse answers no earlier functionCall of {name!r}", path)
    unanswered.remove(call)
    return {"role": "tool", "tool_call_id": call.id, "content": _json(result, f"{path}.response")}


def _text_part(part: Mapping[str, Any], path: str) -> dict[str, Any]:
    if get(part, "thought"):
        raise fail("thought parts come from the model; a user turn cannot hold them", f"{path}.thought")
    return {"type": "text", "text": string(get(part, "text"), f"{path}.text")}


def _inline_part(part: Mapping[str, Any], path: str) -> dict[str, Any]:
    path = f"{path}.inlineData"
    blob = object_at(get(part, "inlineData"), path)
    mime_type = string(get(blob, "mimeType"), f"{path}.mimeType", empty=False).lower()
    data = string(get(blob, "data"), f"{path}.data")
    if mime_type.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": f"data:{mime_type};base64,{data}"}}
    if mime_type == PDF_MIME_TYPE:
        name = get(blob, "displayName")
        filename = name if isinstance(name, str) and name else DEFAULT_PDF_NAME
        return {"type": "file", "file": {"file_data": f"data:{mime_type};base64,{data}", "filename": filename}}
    audio_format = AUDIO_FORMATS.get(mime_type)
    if audio_format is not None:
        return {"type": "input_audio", "input_audio": {"data": data, "format": audio_format}}
    raise fail(f"inlineData of type {shown(mime_type)} is not supported; send images, PDF, WAV or MP3", path)


def _file_part(part: Mapping[str, Any], path: str) -> dict[str, Any]:
    path = f"{path}.fileData"
    file = object_at(get(part, "fileData"), path)
    uri = string(get(file, "fileUri"), f"{path}.fileUri", empty=False)
    mime_type = get(file, "mimeType")
    if not (isinstance(mime_type, str) and mime_type.lower().startswith("image/")):
        raise fail("fileData is supported for images only (mimeType image/*); send other files as inlineData", path)
    if not uri.startswith(("https://", "http://")):
        raise fail("fileData.fileUri must be an http(s) URL", f"{path}.fileUri")
    return {"type": "image_url", "image_url": {"url": uri}}


_USER_PARTS = {"text": _text_part, "inlineData": _inline_part, "fileData": _file_part}
