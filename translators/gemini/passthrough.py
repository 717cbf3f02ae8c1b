"""A Gemini client's answer from a Gemini upstream, passed on natively.

Gemini names the model in the URL (`native_path`); only the model names a body may also carry
(`batchEmbedContents` requests, `countTokens`' `generateContentRequest`) become the upstream's
(`native_request`). Answers get `modelVersion` set to the id the client asked for, and their
`usageMetadata` read for metering. Streams are always asked of the upstream with `alt=sse` and
handed to the client in the framing it asked for (`inbound_answer.Framing`). As in
`translators.gemini.stream`, an `{"error": ...}` event raises `StreamError` once what came before
it has been handed out, and a stream that ends before every candidate has a `finishReason` (or
the prompt was blocked) raises it too: a cut stream must not look complete. Numbers go through
orjson, which keeps Gemini's (doubles and int32) exact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from translators.common import integer, shown
from translators.decoding import ErrorsAfterOutput, stream_malformed, stream_truncated
from translators.errors import StreamError, TranslationError
from translators.gemini.errors import error_info
from translators.gemini.inbound_answer import Framing, dump, error_body
from translators.gemini.request import model_segment
from translators.gemini.response import usage as hub_usage
from translators.sse import SSEDecoder, SSEEvent

__all__ = ["METHODS", "PassthroughStream", "native_path", "native_request", "rewrite_response"]

METHODS = ("generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents")
TRUNCATED = stream_truncated("the Gemini stream ended before every candidate had a finishReason")


def _dump(document: Any) -> bytes | None:
    """orjson writes 254 levels of nesting but reads 1024; deeper documents go through `json`."""
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        pass
    try:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    except (RecursionError, UnicodeEncodeError):
        return None


def _usage(document: Mapping[str, Any]) -> dict[str, Any] | None:
    meta = document.get("usageMetadata")
    if not meta:
        return None
    try:
        return hub_usage(meta)
    except TranslationError:
        return None  # counts the gateway cannot read do not stop the answer reaching the client


def native_path(method: str, *, upstream_model: str) -> str:
    """The upstream path of a Gemini method; streams are always asked for as SSE."""
    if method not in METHODS:
        raise TranslationError(f"{shown(method)} is not a Gemini model method the gateway serves")
    suffix = "?alt=sse" if method == "streamGenerateContent" else ""
    return f"/v1beta/models/{model_segment(upstream_model)}:{method}{suffix}"


def native_request(body: Mapping[str, Any], *, upstream_model: str) -> dict[str, Any]:
    """The client's body with every model name in it the upstream's, which Gemini checks against
    the URL: the body's own `model`, each batch request's, and a countTokens request's."""
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    name = "models/" + upstream_model.removeprefix("models/")
    request = _renamed(body, name)
    if isinstance(request.get("requests"), list):
        request["requests"] = [
            _renamed(item, name) if isinstance(item, Mapping) else item for item in request["requests"]
        ]
    for key in ("generateContentRequest", "generate_content_request"):
        if isinstance(request.get(key), Mapping):
            request[key] = _renamed(request[key], name)
    return request


def _renamed(body: Mapping[str, Any], name: str) -> dict[str, Any]:
    renamed = dict(body)
    if "model" in renamed:
        renamed["model"] = name
    return renamed


def rewrite_response(raw: bytes, *, model: str) -> tuple[bytes, dict[str, Any] | None]:
    """The upstream's `GenerateContentResponse` with `modelVersion` set to `model`, and its hub usage."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise TranslationError("the upstream answered with a body that is not JSON") from None
    if not isinstance(document, dict):
        raise TranslationError("the upstream answered with JSON that is not an object")
    if "modelVersion" in document:
        document["modelVersion"] = model
    body = _dump(document)
    if body is None:
        raise TranslationError("the upstream answered with JSON nested too deep to pass on")
    return body, _usage(document)


class PassthroughStream(ErrorsAfterOutput):
    """Upstream `alt=sse` bytes in, the client's framing out (one `bytes` per response)."""

    __slots__ = ("_blocked", "_decoder", "_finished", "_framing", "_model", "usage")

    def __init__(self, *, model: str, sse: bool) -> None:
        self._decoder = SSEDecoder()
        self._framing = Framing(sse=sse)
        self._model = model
        self._finished: dict[Any, bool] = {}
        self._blocked = False
        self._error: StreamError | None = None
        self.usage: dict[str, Any] | None = None

    def feed(self, data: bytes) -> list[bytes]:
        return self._handed_out(self._convert, self._decoder.feed(data))

    def close(self) -> list[bytes]:
        out = self._handed_out(self._convert, self._decoder.close())
        if self._error is not None:
            raise self._error
        if not (self._blocked or (self._finished and all(self._finished.values()))):
            raise StreamError(TRUNCATED)
        return out + self._framing.end()

    def error_event(self, status: int, type: str, message: str) -> bytes:
        """An error after the stream started, as the client's framing carries one."""
        return self._framing.error(dump(error_body(status, message, type=type)))

    def _convert(self, events: list[SSEEvent], out: list[bytes]) -> None:
        for event in events:
            body = self._event(event.data)
            if body is not None:
                out.append(self._framing.item(body))

    def _event(self, data: str) -> bytes | None:
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise stream_malformed("the upstream sent a stream event that is not JSON") from None
        if not isinstance(document, dict):
            return None
        error = document.get("error")
        if isinstance(error, Mapping):
            # `code` is the HTTP status the error would have had; anything else reads as a 500.
            code = integer(error.get("code"))
            raise StreamError(error_info(code if code is not None and 400 <= code <= 599 else 500, error, {}))
        self._track(document)
        if "modelVersion" in document:
            document["modelVersion"] = self._model
        body = _dump(document)
        if body is None:
            raise stream_malformed("the upstream sent a stream event nested too deep to pass on")
        return body

    def _track(self, document: Mapping[str, Any]) -> None:
        """Records usage, each candidate's finish, and a blocked prompt."""
        self.usage = _usage(document) or self.usage
        candidates = document.get("candidates")
        if isinstance(candidates, list):
            for position, candidate in enumerate(candidates):
                if not isinstance(candidate, Mapping):
                    continue
                index = candidate.get("index", position)
                key = index if isinstance(index, int) else position
                self._finished[key] = self._finished.get(key, False) or bool(candidate.get("finishReason"))
        feedback = document.get("promptFeedback")
        if not candidates and isinstance(feedback, Mapping) and feedback.get("blockReason"):
            self._blocked = True
