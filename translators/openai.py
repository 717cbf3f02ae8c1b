"""OpenAI Chat Completions to an OpenAI-compatible upstream: the passthrough dialect.

Bodies go through as they are with only `model` changed: the upstream gets its real model
name, the client sees the id it asked for. Streams are always requested with usage
(`stream_options.include_usage`) so the gateway can meter them; the usage chunk and the
`usage: null` fields OpenAI adds to every chunk are removed again unless the client asked for
them (https://platform.openai.com/docs/api-reference/chat/create#stream_options). Every other
value, integers beyond 64 bits included, comes back as the upstream wrote it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from translators.common import error_type_for_status, load_error_body, nonempty_string
from translators.decoding import ErrorsAfterOutput, stream_malformed
from translators.errors import StreamError, TranslationError, UpstreamErrorInfo
from translators.sse import SSEDecoder

__all__ = [
    "ChunkDecoder",
    "PassthroughStream",
    "build_request",
    "client_wants_usage",
    "parse_error",
    "rewrite_response",
]

DONE = b"data: [DONE]\n\n"

# A run of digits that may spell an integer beyond 64 bits, which orjson reads as a float. A
# document holding one goes through the standard library's `json`, which keeps such integers
# exact; a run inside a string or a fraction also matches, which costs only speed.
# orjson reads integers up to 64 bits exactly; longer ones (20+ digits) become floats. To find
# a run of 20 digits at C speed (a regex scan costs ~20 ns a byte): turn every digit into "0",
# then look for twenty of them in a row.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_DIGITS_AS_ZERO_TEXT = str.maketrans("123456789", "000000000")
_TWENTY_DIGITS = b"0" * 20
_TWENTY_DIGITS_TEXT = "0" * 20


def _has_long_integer(data: bytes | str) -> bool:
    if isinstance(data, bytes):
        return _TWENTY_DIGITS in data.translate(_DIGITS_AS_ZERO)
    return _TWENTY_DIGITS_TEXT in data.translate(_DIGITS_AS_ZERO_TEXT)


def _exact(data: bytes | str) -> Any:
    """`data` read with `json`, which keeps integers beyond 64 bits exact (orjson turns them into
    floats); for the rare document whose orjson form betrays such a number."""
    try:
        return json.loads(data)
    except RecursionError:
        return None


def _may_have_lost_an_integer(written: bytes, data: bytes | str) -> bool:
    """orjson writes a float of 1e16 or more with an exponent ("e+"); an integer beyond 64
    bits read as a float is one. Only then is the input scanned for a 20-digit run."""
    return b"e+" in written and _has_long_integer(data)


def _dump(document: Any, exact: bool) -> bytes | None:
    """`document` in orjson's format (compact, UTF-8), with `json` when `exact` (a document read with `json`).

    orjson writes 254 levels of nesting but reads 1024, so a deeper document is written with
    `json` too; None when it is deeper than even that can write at the current recursion depth.
    """
    if not exact:
        try:
            return orjson.dumps(document)
        except orjson.JSONEncodeError:
            pass
    try:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    except RecursionError:
        return None


# dict first: the ABC check alone costs four times as much, on every request.
_OBJECTS = (dict, Mapping)


def client_wants_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options") if isinstance(body, _OBJECTS) else None
    return isinstance(options, dict) and options.get("include_usage") is True


def build_request(body: Mapping[str, Any], *, upstream_model: str, stream: bool) -> dict[str, Any]:
    if not isinstance(body, _OBJECTS):
        raise TranslationError("the request body must be a JSON object")
    request = dict(body)
    request["model"] = upstream_model
    if stream:
        options = body.get("stream_options")
        request["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
    return request


def rewrite_response(payload: bytes, *, model: str) -> tuple[bytes, dict[str, Any] | None]:
    """The upstream's JSON with `model` set to the client's id, and its `usage` if any."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise TranslationError("the upstream answered with a body that is not JSON") from None
    if not isinstance(document, dict):
        raise TranslationError("the upstream answered with JSON that is not an object")
    if "model" in document:
        document["model"] = model
    body = _dump(document, False)
    if body is not None and _may_have_lost_an_integer(body, payload):
        exact = _exact(payload)
        if isinstance(exact, dict):
            if "model" in exact:
                exact["model"] = model
            document, body = exact, _dump(exact, True)
    if body is None:
        raise TranslationError("the upstream answered with JSON nested too deep to pass on")
    usage = document.get("usage")
    return body, usage if isinstance(usage, dict) else None


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> UpstreamErrorInfo:
    """OpenAI's envelope {"error": {"message", "type", "code"}}; anything else by status."""
    message, type_, code = "", None, None
    document = load_error_body(body)
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, dict):
        message = nonempty_string(error.get("message")) or ""
        type_ = error.get("type") if isinstance(error.get("type"), str) else None
        code = error.get("code") if isinstance(error.get("code"), str) else None
    elif isinstance(error, str):
        message = error
    elif isinstance(document, dict) and isinstance(document.get("message"), str):
        message = document["message"]
    elif body and document is None:
        message = body[:300].decode("utf-8", errors="replace").strip()
    if not type_:
        type_ = error_type_for_status(status)
    return UpstreamErrorInfo(
        status=status, type=type_, message=message or f"upstream answered HTTP {status}", code=code
    )


_TRUNCATED = UpstreamErrorInfo(
    status=502,
    type="server_error",
    code="upstream_stream_truncated",
    message="the upstream stream ended before the answer was complete",
)


class PassthroughStream(ErrorsAfterOutput):
    """Upstream OpenAI SSE bytes in, client SSE bytes out (one `bytes` per event).

    Raises `StreamError` when the upstream sends an error object in the stream, or ends
    without `[DONE]` and without any `finish_reason`: a cut stream must not look complete.
    """

    __slots__ = ("_decoder", "_done", "_finished", "_keep_usage", "_model", "usage")

    def __init__(self, *, model: str, keep_usage: bool) -> None:
        self._decoder = SSEDecoder()
        self._model = model
        self._keep_usage = keep_usage
        self._finished = False
        self._done = False
        self._error = None
        self.usage: dict[str, Any] | None = None

    def feed(self, data: bytes) -> list[bytes]:
        return self._handed_out(self._convert, self._decoder.feed(data))

    def close(self) -> list[bytes]:
        out = self._handed_out(self._convert, self._decoder.close())
        if self._error is not None:
            raise self._error
        if self._done:
            return out
        if not self._finished:
            raise StreamError(_TRUNCATED)
        self._done = True
        return out + [DONE]

    def _convert(self, events: list[Any], out: list[bytes]) -> None:
        for event in events:
            if self._done:
                break
            if event.data == "[DONE]":
                self._done = True
                out.append(DONE)
                continue
            chunk = self._chunk(event.data)
            if chunk is not None:
                out.append(b"data: " + chunk + b"\n\n")

    def _chunk(self, data: str) -> bytes | None:
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise stream_malformed("the upstream sent a stream event that is not JSON") from None
        if not isinstance(chunk, dict):
            return None
        if "error" in chunk and "choices" not in chunk:
            raise StreamError(parse_error(502, {}, data.encode()))
        if not self._apply(chunk):
            return None
        body = _dump(chunk, False)
        if body is not None and _may_have_lost_an_integer(body, data):
            exact = _exact(data)
            if isinstance(exact, dict) and self._apply(exact):
                body = _dump(exact, True)
        if body is None:
            raise stream_malformed("the upstream sent a stream event nested too deep to pass on")
        return body

    def _apply(self, chunk: dict[str, Any]) -> bool:
        """Rewrites `model`, records usage and the finish; False when nothing is left to send."""
        if "model" in chunk:
            chunk["model"] = self._model
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = usage
        choices = chunk.get("choices")
        if isinstance(choices, list) and any(isinstance(c, dict) and c.get("finish_reason") for c in choices):
            self._finished = True
        if not self._keep_usage and "usage" in chunk:
            del chunk["usage"]
            if not choices:
                return False
        return True


class ChunkDecoder(ErrorsAfterOutput):
    """Upstream OpenAI SSE bytes in, hub chunk dicts out: for clients of another dialect.

    The same checks as `PassthroughStream` (error objects, cut streams), but the chunks are
    handed over as dicts for a client codec to encode; `[DONE]` ends the stream.
    """

    __slots__ = ("_decoder", "_done", "_finished", "_model")

    def __init__(self, *, model: str) -> None:
        self._decoder = SSEDecoder()
        self._model = model
        self._finished = False
        self._done = False
        self._error = None

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        return self._handed_out(self._decode, self._decoder.feed(data))

    def close(self) -> list[dict[str, Any]]:
        chunks = self._handed_out(self._decode, self._decoder.close())
        if self._error is not None:
            raise self._error
        if not (self._done or self._finished):
            raise StreamError(_TRUNCATED)
        return chunks

    def _decode(self, events: list[Any], chunks: list[dict[str, Any]]) -> None:
        for event in events:
            if self._done:
                break
            if event.data == "[DONE]":
                self._done = True
                continue
            try:
                chunk = orjson.loads(event.data)
            except orjson.JSONDecodeError:
                raise stream_malformed("the upstream sent a stream event that is not JSON") from None
            if not isinstance(chunk, dict):
                continue
            if "error" in chunk and "choices" not in chunk:
                raise StreamError(parse_error(502, {}, event.data.encode()))
            if "model" in chunk:
                chunk["model"] = self._model
            choices = chunk.get("choices")
            if isinstance(choices, list) and any(isinstance(c, dict) and c.get("finish_reason") for c in choices):
                self._finished = True
            chunks.append(chunk)
