"""Hub answers and streams -> what a Gemini client reads (ai.google.dev/api/generate-content).

`client_answer` makes a `GenerateContentResponse` of a `chat.completion`; `ClientStream` makes
`streamGenerateContent` output of `chat.completion.chunk`s, in the `alt=sse` framing (one
`data:` event per response) or the JSON-array framing Gemini uses without it. Gemini sends a
function call whole, so a call's argument fragments are held until it is complete. A call whose
arguments are not a JSON object is left out and the candidate ends `MALFORMED_FUNCTION_CALL`, as
Gemini ends one when its model writes a broken call. Anthropic's signed `thinking_blocks` have no
Gemini form a client would send back, so only their text is passed on, as thought parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from translators.common import integer
from translators.errors import TranslationError

__all__ = ["FINISH_REASONS", "ClientStream", "Framing", "client_answer", "dump", "error_body", "usage_metadata"]

FINISH_REASONS = {
    "stop": "STOP",
    "length": "MAX_TOKENS",
    "tool_calls": "STOP",  # Gemini ends a step of function calls with STOP
    "function_call": "STOP",
    "content_filter": "SAFETY",
}
OTHER_REASON = "OTHER"
MALFORMED_CALL = "MALFORMED_FUNCTION_CALL"

# HTTP status -> the canonical status Google's error envelope names (google.rpc.Code mapping,
# cloud.google.com/apis/design/errors#handling_errors).
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# OpenAI error type -> canonical status, for a status the table above does not know.
TYPE_NAMES = {
    "invalid_request_error": "INVALID_ARGUMENT",
    "authentication_error": "UNAUTHENTICATED",
    "permission_error": "PERMISSION_DENIED",
    "not_found_error": "NOT_FOUND",
    "rate_limit_error": "RESOURCE_EXHAUSTED",
    "server_error": "INTERNAL",
}
_INT64 = 2**63


def error_body(status: int, message: str, *, type: str | None = None) -> dict[str, Any]:
    """Google's error envelope {"error": {"code", "message", "status"}} for an HTTP status."""
    name = STATUS_NAMES.get(status) or TYPE_NAMES.get(type or "")
    if name is None:
        name = "INTERNAL" if status >= 500 else "INVALID_ARGUMENT"
    return {"error": {"code": status, "message": message, "status": name}}


def usage_metadata(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Hub usage as `usageMetadata`: Gemini counts thoughts apart from the candidates' tokens."""
    prompt, completion = _tokens(usage, "prompt_tokens"), _tokens(usage, "completion_tokens")
    reasoning = _tokens(usage.get("completion_tokens_details"), "reasoning_tokens")
    cached = _tokens(usage.get("prompt_tokens_details"), "cached_tokens")
    meta = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": max(completion - reasoning, 0),
        "totalTokenCount": _tokens(usage, "total_tokens") or prompt + completion,
    }
    if cached:
        meta["cachedContentTokenCount"] = cached
    if reasoning:
        meta["thoughtsTokenCount"] = reasoning
    return meta


def _tokens(fields: Any, name: str) -> int:
    """A token count; 0 where it is missing or no count at all (negative, beyond 64 bits)."""
    value = integer(fields.get(name)) if isinstance(fields, Mapping) else None
    return value if value is not None and 0 <= value < _INT64 else 0


def _arguments(arguments: Any) -> dict[str, Any] | None:
    """A call's arguments as Gemini's `args` object; None when they are no JSON object."""
    if arguments is None or arguments == "":
        return {}
    if not isinstance(arguments, str):
        raise TranslationError("a tool call's arguments are not a string")
    try:
        args = orjson.loads(arguments)
        # Read deeper than orjson writes, or holding a lone surrogate: the client cannot get it.
        orjson.dumps(args)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None
    return args if isinstance(args, dict) else None


def _call_part(call_id: str, name: str, args: dict[str, Any], signature: str | None) -> dict[str, Any]:
    part: dict[str, Any] = {"functionCall": {"id": call_id, "name": name, "args": args}}
    if signature:
        part["thoughtSignature"] = signature
    return part


def _signature(extra: Any) -> str | None:
    google = extra.get("google") if isinstance(extra, Mapping) else None
    signature = google.get("thought_signature") if isinstance(google, Mapping) else None
    return signature if isinstance(signature, str) and signature else None


def _text(value: Any, what: str) -> str:
    if value is not None and not isinstance(value, str):
        raise TranslationError(f"the answer's {what} is not a string")
    return value or ""


def _content(parts: list[dict[str, Any]]) -> dict[str, Any]:
    # An empty text part rather than none: clients read parts[0] of every candidate.
    return {"parts": parts or [{"text": ""}], "role": "model"}


def _finish_reason(reason: Any) -> str:
    if reason is None:
        return "STOP"
    return FINISH_REASONS.get(reason, OTHER_REASON) if isinstance(reason, str) else OTHER_REASON


def _malformed(name: str) -> str:
    return f"Malformed function call: the arguments of {name!r} are not a JSON object."


# --- a whole answer ---------------------------------------------------------------------------


def client_answer(completion: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    if not isinstance(completion, Mapping):
        raise TranslationError("the answer is not a JSON object")
    choices = completion.get("choices")
    if not isinstance(choices, list) or not choices:
        raise TranslationError("the answer has no choices")
    answer: dict[str, Any] = {"candidates": [_candidate(choice, position) for position, choice in enumerate(choices)]}
    usage = completion.get("usage")
    if isinstance(usage, Mapping):
        answer["usageMetadata"] = usage_metadata(usage)
    answer["modelVersion"] = model
    response_id = completion.get("id")
    if isinstance(response_id, str) and response_id:
        answer["responseId"] = response_id
    return answer


def _candidate(choice: Any, position: int) -> dict[str, Any]:
    if not isinstance(choice, Mapping) or not isinstance(choice.get("message"), Mapping):
        raise TranslationError("an answer's choice has no message")
    message = choice["message"]
    parts: list[dict[str, Any]] = []
    reasoning = _text(message.get("reasoning_content"), "reasoning_content")
    if reasoning:
        parts.append({"text": reasoning, "thought": True})
    # Gemini has no refusal: a refusal reads as the answer's text, which is what it is.
    text = _text(message.get("content"), "content") or _text(message.get("refusal"), "refusal")
    if text:
        parts.append({"text": text})
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise TranslationError("an answer's tool_calls is not a list")
    malformed = None
    for call in calls:
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise TranslationError("an answer's tool call has no function name")
        args = _arguments(function.get("arguments"))
        if args is None:
            malformed = malformed or function["name"]
            continue
        call_id = call.get("id")
        call_id = call_id if isinstance(call_id, str) else ""
        parts.append(_call_part(call_id, function["name"], args, _signature(call.get("extra_content"))))
    candidate: dict[str, Any] = {"content": _content(parts)}
    candidate["finishReason"] = MALFORMED_CALL if malformed else _finish_reason(choice.get("finish_reason"))
    if malformed:
        candidate["finishMessage"] = _malformed(malformed)
    index = integer(choice.get("index"))
    candidate["index"] = position if index is None else index
    return candidate


# --- streams ----------------------------------------------------------------------------------


class Framing:
    """`streamGenerateContent` framing: SSE events (`alt=sse`), or one JSON array written as it grows."""

    __slots__ = ("_ended", "_sse", "_started")

    def __init__(self, *, sse: bool) -> None:
        self._sse = sse
        self._started = False
        self._ended = False

    def item(self, body: bytes) -> bytes:
        if self._sse:
            return b"data: " + body + b"\r\n\r\n"
        head = b"\n," if self._started else b"["
        self._started = True
        return head + body

    def end(self) -> list[bytes]:
        if self._sse or self._ended:
            return []
        self._ended = True
        return [b"\n]" if self._started else b"[]"]

    def error(self, body: bytes) -> bytes:
        """An error as the last item; nothing once a closed array can take no more."""
        if self._ended:
            return b""
        return self.item(body) + b"".join(self.end())


def dump(document: Any) -> bytes:
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        raise TranslationError("the answer holds text that cannot be written as JSON") from None


@dataclass(slots=True)
class _Call:
    id: str
    name: str
    signature: str | None
    arguments: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Candidate:
    calls: int = 0
    call: _Call | None = None  # the call whose argument fragments are arriving
    call_index: Any = None
    finish: str | None = None  # the Gemini finishReason, once the choice finished
    malformed: str | None = None  # the name of a call left out for its arguments
    held: list[dict[str, Any]] = field(default_factory=list)  # parts sent with the finish


class ClientStream:
    """Hub chunks in, client bytes out; the finish and usage go out together at `close()`.

    A stream's last hub chunks are the finish and, after it, the usage, so the candidate's last
    parts are held with its finish until `close()` writes them with `usageMetadata`.
    """

    __slots__ = ("_candidates", "_closed", "_error", "_framing", "_id", "_model", "usage")

    def __init__(self, *, model: str, sse: bool) -> None:
        self._model = model
        self._framing = Framing(sse=sse)
        self._candidates: dict[int, _Candidate] = {}
        self._id: str | None = None
        self._closed = False
        self._error: TranslationError | None = None
        self.usage: dict[str, Any] | None = None

    def feed(self, chunks: Sequence[Mapping[str, Any]]) -> list[bytes]:
        """One item per chunk that carries content. A chunk that breaks the hub format raises
        `TranslationError`, after the items of the chunks before it have been handed out."""
        self._raise_deferred()
        out: list[bytes] = []
        if self._closed:
            return out
        try:
            for chunk in chunks:
                candidates = self._chunk(chunk)
                if candidates:
                    out.append(self._framing.item(dump(self._response(candidates))))
        except TranslationError as error:
            if not out:
                raise
            self._error = error
        return out

    def close(self) -> list[bytes]:
        self._raise_deferred()
        if self._closed:
            return []
        self._closed = True
        states = self._candidates or {0: _Candidate()}
        candidates = []
        for index, state in sorted(states.items()):
            parts = state.held + self._flush(state)
            candidate: dict[str, Any] = {"content": _content(parts), "finishReason": state.finish or "STOP"}
            if state.malformed is not None:
                candidate["finishReason"] = MALFORMED_CALL
                candidate["finishMessage"] = _malformed(state.malformed)
            candidate["index"] = index
            candidates.append(candidate)
        final = self._response(candidates, usage=True)
        return [self._framing.item(dump(final)), *self._framing.end()]

    def _raise_deferred(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def error_event(self, status: int, type: str, message: str) -> bytes:
        """The error as the stream's last item; the SDKs raise it as an APIError of `status`."""
        self._closed = True
        return self._framing.error(dump(error_body(status, message, type=type)))

    def _response(self, candidates: list[dict[str, Any]], *, usage: bool = False) -> dict[str, Any]:
        response: dict[str, Any] = {"candidates": candidates}
        if usage and self.usage is not None:
            response["usageMetadata"] = usage_metadata(self.usage)
        response["modelVersion"] = self._model
        if self._id:
            response["responseId"] = self._id
        return response

    def _chunk(self, chunk: Any) -> list[dict[str, Any]]:
        if not isinstance(chunk, Mapping):
            raise TranslationError("a stream chunk is not an object")
        if self._id is None and isinstance(chunk.get("id"), str):
            self._id = chunk["id"]
        if isinstance(chunk.get("usage"), Mapping):
            self.usage = dict(chunk["usage"])
        choices = chunk.get("choices") or []
        if not isinstance(choices, list):
            raise TranslationError("a stream chunk's choices is not a list")
        candidates = []
        for position, choice in enumerate(choices):
            if not isinstance(choice, Mapping):
                raise TranslationError("a stream chunk's choice is not an object")
            index = integer(choice.get("index"))
            index = position if index is None else index
            parts = self._choice(self._candidates.setdefault(index, _Candidate()), choice)
            if parts:
                candidates.append({"content": _content(parts), "index": index})
        return candidates

    def _choice(self, state: _Candidate, choice: Mapping[str, Any]) -> list[dict[str, Any]]:
        if state.finish is not None:
            return []  # a finished choice takes nothing more
        delta = choice.get("delta") or {}
        if not isinstance(delta, Mapping):
            raise TranslationError("a stream chunk's delta is not an object")
        parts: list[dict[str, Any]] = []
        for key, thought in (("reasoning_content", True), ("content", False), ("refusal", False)):
            text = _text(delta.get(key), key)
            if text:
                parts.extend(self._flush(state))
                parts.append({"text": text, "thought": True} if thought else {"text": text})
        calls = delta.get("tool_calls") or []
        if not isinstance(calls, list):
            raise TranslationError("a stream chunk's tool_calls is not a list")
        for call in calls:
            parts.extend(self._call_delta(state, call))
        reason = choice.get("finish_reason")
        if reason is not None:
            state.finish = _finish_reason(reason)
            state.held = parts + self._flush(state)
            return []
        return parts

    def _call_delta(self, state: _Candidate, delta: Any) -> list[dict[str, Any]]:
        """A call's first delta opens it (and completes the one before); later ones add arguments."""
        if not isinstance(delta, Mapping):
            raise TranslationError("a tool call delta is not an object")
        function = delta.get("function") or {}
        if not isinstance(function, Mapping):
            raise TranslationError("a tool call delta's function is not an object")
        call_id, index = delta.get("id"), delta.get("index")
        parts = []
        current = state.call
        if current is None or index != state.call_index or (isinstance(call_id, str) and call_id != current.id):
            parts = self._flush(state)
            name = function.get("name")
            if not isinstance(name, str) or not name:
                raise TranslationError("a tool call's first delta has no function name")
            if not isinstance(call_id, str) or not call_id:
                call_id = f"call_{state.calls}"
            state.call, state.call_index = _Call(call_id, name, _signature(delta.get("extra_content"))), index
            state.calls += 1
        assert state.call is not None
        fragment = function.get("arguments")
        if fragment is not None:
            if not isinstance(fragment, str):
                raise TranslationError("a tool call's arguments are not a string")
            state.call.arguments.append(fragment)
        return parts

    def _flush(self, state: _Candidate) -> list[dict[str, Any]]:
        """The open call as a part, now that it is complete; none when its arguments are broken."""
        call, state.call = state.call, None
        if call is None:
            return []
        args = _arguments("".join(call.arguments))
        if args is None:
            state.malformed = state.malformed or call.name
            return []
        return [_call_part(call.id, call.name, args, call.signature)]
