"""OpenAI chat `messages` -> Gemini `systemInstruction` and `contents` (ai.google.dev/api/caching#Content).

System and developer messages become the system instruction; the rest become `user` / `model`
turns, consecutive turns of one role merged, as Gemini requires alternating roles. Tool results
become `functionResponse` parts of a user turn, named after the assistant call they answer.
A message field outside `KNOWN_MESSAGE_FIELDS` is ignored; a known one on the wrong role is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from translators.common import shown
from translators.errors import TranslationError

__all__ = [
    "KNOWN_MESSAGE_FIELDS",
    "SKIP_SIGNATURE",
    "Converted",
    "convert_messages",
]

# Message fields with no meaning upstream: a participant `name` (Gemini has one user),
# an assistant `refusal` echoed back, and `reasoning_content` echoed back (Gemini does not
# take its thoughts as input; the thought signature on a tool call carries that context), and
# `thinking_blocks`, Anthropic's signed thinking (translators/hub.py): Gemini cannot check
# Anthropic's signatures and has no input that takes them, so a conversation begun with Claude
# goes on without them.
DROPPED_MESSAGE_FIELDS = ("name", "refusal", "reasoning_content", "thinking_blocks")
_MESSAGE_FIELDS = {
    "system": {"role", "content"},
    "developer": {"role", "content"},
    "user": {"role", "content"},
    "assistant": {"role", "content", "tool_calls"},
    "tool": {"role", "content", "tool_call_id"},
}
# Fields that would ask for something Gemini input cannot carry: accepted only when null.
UNSUPPORTED_MESSAGE_FIELDS = {
    "audio": "earlier audio answers cannot be replayed to Gemini",
    "function_call": "deprecated; send tool_calls instead",
}
# The one table of message fields this module knows; any other field is ignored.
KNOWN_MESSAGE_FIELDS: frozenset[str] = frozenset(
    {*DROPPED_MESSAGE_FIELDS, *UNSUPPORTED_MESSAGE_FIELDS}.union(*_MESSAGE_FIELDS.values())
)
_ROLES = {"user": "user", "assistant": "model", "tool": "user"}

# Gemini 3 refuses a replayed functionCall without its thought signature; this value is the
# one the thought-signatures guide documents for history the model did not produce (or whose
# signature the client lost). ai.google.dev/gemini-api/docs/thought-signatures
SKIP_SIGNATURE = "skip_thought_signature_validator"

AUDIO_MIME_TYPES = {"wav": "audio/wav", "mp3": "audio/mp3"}
IMAGE_MIME_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "heic": "image/heic",
    "heif": "image/heif",
}
DEFAULT_IMAGE_MIME_TYPE = "image/jpeg"


@dataclass(slots=True)
class Converted:
    system_parts: list[dict[str, Any]] = field(default_factory=list)
    contents: list[dict[str, Any]] = field(default_factory=list)


def convert_messages(messages: Any) -> Converted:
    if not isinstance(messages, list) or not messages:
        raise TranslationError("messages must be a non-empty array", param="messages")
    out = Converted()
    call_names: dict[str, str] = {}
    for i, message in enumerate(messages):
        path = f"messages[{i}]"
        role = _role_of(message, path)
        if role in ("system", "developer"):
            out.system_parts.extend(_text_parts(message.get("content"), f"{path}.content"))
            continue
        if role == "user":
            parts = _user_parts(message.get("content"), f"{path}.content")
        elif role == "assistant":
            parts = _assistant_parts(message, path, call_names)
        else:
            parts = [_function_response(message, path, call_names)]
        if parts:
            # An assistant message with neither text nor tool calls says nothing; Gemini
            # refuses a turn without parts, so it is left out rather than sent empty.
            _append_turn(out.contents, _ROLES[role], parts)
    return out


def _role_of(message: Any, path: str) -> str:
    if not isinstance(message, Mapping):
        raise TranslationError("each message must be an object", param=path)
    role = message.get("role")
    if not isinstance(role, str) or role not in _MESSAGE_FIELDS:
        raise TranslationError(f"unsupported message role {shown(role)}", param=f"{path}.role")
    allowed = _MESSAGE_FIELDS[role].union(DROPPED_MESSAGE_FIELDS)
    for key, value in message.items():
        reason = UNSUPPORTED_MESSAGE_FIELDS.get(key)
        if reason is not None:
            if value is not None:
                raise TranslationError(f"{key!r} is not supported: {reason}", param=f"{path}.{key}")
        elif key in KNOWN_MESSAGE_FIELDS and key not in allowed:
            # A field of another role (tool_calls on a user message) would be lost: refuse it.
            raise TranslationError(f"{key!r} is not supported on {role} messages", param=f"{path}.{key}")
    return role


def _append_turn(contents: list[dict[str, Any]], role: str, parts: list[dict[str, Any]]) -> None:
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"].extend(parts)
    else:
        contents.append({"role": role, "parts": parts})


def _text_parts(content: Any, path: str) -> list[dict[str, Any]]:
    """Content that may only carry text: system, developer and tool messages."""
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list):
        raise TranslationError("content must be a string or an array of text parts", param=path)
    parts = []
    for j, part in enumerate(content):
        if not isinstance(part, Mapping) or part.get("type") != "text":
            raise TranslationError("only text parts are supported here", param=f"{path}[{j}].type")
        parts.append({"text": _string(part.get("text"), f"{path}[{j}].text")})
    return parts


def _user_parts(content: Any, path: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list) or not content:
        raise TranslationError("content must be a string or a non-empty array of parts", param=path)
    parts = []
    for j, part in enumerate(content):
        part_path = f"{path}[{j}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        convert = _USER_PART_CONVERTERS.get(kind) if isinstance(kind, str) else None
        if convert is None:
            raise TranslationError(f"unsupported content part type {shown(kind)}", param=f"{part_path}.type")
        parts.append(convert(part, part_path))
    return parts


def _text_part(part: Mapping[str, Any], path: str) -> dict[str, Any]:
    return {"text": _string(part.get("text"), f"{path}.text")}


def _image_part(part: Mapping[str, Any], path: str) -> dict[str, Any]:
    # `detail` is a hint; Gemini's per-part `mediaResolution` is Gemini 3 only and other models
    # refuse it, so the hint is not sent and Gemini picks the resolution itself.
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, Mapping) else None
    url_path = f"{path}.image_url.url"
    url = _string(url, url_path)
    if url.startswith("data:"):
        return _inline_data(url, url_path)
    if url.startswith(("https://", "http://")):
        return {"fileData": {"mimeType": _image_mime_type(url), "fileUri": url}}
    raise TranslationError("image_url.url must be a data: URL or an http(s) URL", param=url_path)


def _audio_part(part: Mapping[str, Any], path: str) -> dict[str, Any]:
    audio = part.get("input_audio")
    if not isinstance(audio, Mapping):
        raise TranslationError("input_audio must be an object", param=f"{path}.input_audio")
    audio_format = audio.get("format")
    mime_type = AUDIO_MIME_TYPES.get(audio_format) if isinstance(audio_format, str) else None
    if mime_type is None:
        raise TranslationError("input_audio.format must be wav or mp3", param=f"{path}.input_audio.format")
    data = _string(audio.get("data"), f"{path}.input_audio.data")
    return {"inlineData": {"mimeType": mime_type, "data": data}}


def _file_part(part: Mapping[str, Any], path: str) -> dict[str, Any]:
    file = part.get("file")
    if not isinstance(file, Mapping):
        raise TranslationError("file must be an object", param=f"{path}.file")
    if "file_id" in file:
        # An OpenAI file id names a file stored at OpenAI; Gemini cannot fetch it.
        raise TranslationError("file_id is not supported; send file_data", param=f"{path}.file.file_id")
    data_path = f"{path}.file.file_data"
    return _inline_data(_string(file.get("file_data"), data_path), data_path)


_USER_PART_CONVERTERS = {
    "text": _text_part,
    "image_url": _image_part,
    "input_audio": _audio_part,
    "file": _file_part,
}


def _inline_data(url: str, path: str) -> dict[str, Any]:
    header, comma, data = url.partition(",")
    mime_type, _, encoding = header.removeprefix("data:").rpartition(";")
    if not url.startswith("data:") or not comma or encoding != "base64" or not mime_type:
        raise TranslationError("expected a data:<mime type>;base64,<data> URL", param=path)
    return {"inlineData": {"mimeType": mime_type.split(";")[0], "data": data}}


def _image_mime_type(url: str) -> str:
    name = url.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1]
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return IMAGE_MIME_TYPES.get(extension, DEFAULT_IMAGE_MIME_TYPE)


def _assistant_parts(message: Mapping[str, Any], path: str, call_names: dict[str, str]) -> list[dict[str, Any]]:
    content = message.get("content")
    parts: list[dict[str, Any]] = []
    if isinstance(content, str):
        if content:
            parts.append({"text": content})
    elif isinstance(content, list):
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, Mapping) else None
            if kind not in ("text", "refusal"):
                raise TranslationError(
                    f"unsupported content part type {shown(kind)}", param=f"{path}.content[{j}].type"
                )
            parts.append({"text": _string(part.get(kind), f"{path}.content[{j}].{kind}")})
    elif content is not None:
        raise TranslationError("content must be a string, an array of parts or null", param=f"{path}.content")
    tool_calls = message.get("tool_calls") or []
    if not isinstance(tool_calls, list):
        raise TranslationError("tool_calls must be an array", param=f"{path}.tool_calls")
    for k, call in enumerate(tool_calls):
        parts.append(_function_call(call, f"{path}.tool_calls[{k}]", call_names, first=k == 0))
    return parts


def _function_call(call: Any, path: str, call_names: dict[str, str], *, first: bool) -> dict[str, Any]:
    if not isinstance(call, Mapping) or call.get("type", "function") != "function":
        raise TranslationError("only function tool calls are supported", param=f"{path}.type")
    function = call.get("function")
    if not isinstance(function, Mapping):
        raise TranslationError("function must be an object", param=f"{path}.function")
    name = _string(function.get("name"), f"{path}.function.name")
    call_names[_string(call.get("id"), f"{path}.id")] = name
    part: dict[str, Any] = {"functionCall": {"name": name, "args": _arguments(function.get("arguments"), path)}}
    signature = _signature_of(call)
    if signature is None and first:
        # Only the first call of a step carries a signature (parallel calls share it).
        signature = SKIP_SIGNATURE
    if signature is not None:
        part["thoughtSignature"] = signature
    return part


def _arguments(arguments: Any, path: str) -> Any:
    arguments_path = f"{path}.function.arguments"
    if arguments is None or arguments == "":
        return {}  # a call without parameters; OpenAI clients send "" or "{}" for it
    try:
        args = orjson.loads(_string(arguments, arguments_path))
    except orjson.JSONDecodeError as error:
        raise TranslationError(f"arguments are not valid JSON: {error}", param=arguments_path) from None
    if not isinstance(args, dict):
        raise TranslationError("arguments must be a JSON object", param=arguments_path)
    return args


def _signature_of(call: Mapping[str, Any]) -> str | None:
    """The signature a response put in `extra_content.google` (Gemini's OpenAI-compatible convention)."""
    extra = call.get("extra_content")
    google = extra.get("google") if isinstance(extra, Mapping) else None
    signature = google.get("thought_signature") if isinstance(google, Mapping) else None
    return signature if isinstance(signature, str) and signature else None


def _function_response(message: Mapping[str, Any], path: str, call_names: Mapping[str, str]) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    name = call_names.get(call_id) if isinstance(call_id, str) else None
    if name is None:
        raise TranslationError(
            "tool_call_id matches no earlier assistant tool call; Gemini needs the function name",
            param=f"{path}.tool_call_id",
        )
    text = "".join(part["text"] for part in _text_parts(message.get("content"), f"{path}.content"))
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = None
    # Gemini's `response` is a JSON object: an object result goes as is, anything else is wrapped.
    response = value if isinstance(value, dict) else {"content": text}
    return {"functionResponse": {"name": name, "response": response}}


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise TranslationError("expected a string", param=path)
    return value
