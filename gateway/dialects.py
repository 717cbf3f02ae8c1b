"""Upstream dialects: how to address, authenticate, translate and read each kind of upstream.

A `Dialect` turns a hub (OpenAI) request into an `Outgoing` HTTP request for one target, reads
the upstream's error answers, and turns its answer back into client bytes: a whole JSON body,
or a `ClientStream` that converts upstream SSE bytes to client SSE bytes event by event. The
OpenAI-compatible dialect passes bodies through with only `model` changed; the others call a
pure translator package from `translators/`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol
from urllib.parse import quote

import orjson

from gateway.catalog import Credential, Target
from translators import anthropic, gemini, responses
from translators import openai as passthrough
from translators.errors import TranslationError, UpstreamErrorInfo
from translators.gemini import embeddings as gemini_embeddings

__all__ = ["DIALECTS", "ClientStream", "Dialect", "Outgoing"]

log = logging.getLogger("gateway.dialects")

DONE = b"data: [DONE]\n\n"
ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True, slots=True)
class Outgoing:
    url: str
    headers: dict[str, str]
    content: bytes


class ClientStream(Protocol):
    usage: dict[str, Any] | None

    def feed(self, data: bytes) -> list[bytes]: ...
    def close(self) -> list[bytes]: ...


class Dialect(Protocol):
    name: str
    endpoints: frozenset[str]

    def prepare(self, endpoint: str, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing: ...
    def error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo: ...
    def whole(self, endpoint: str, raw: bytes, *, model: str, body: Mapping[str, Any]) -> bytes: ...
    def stream(self, *, model: str, keep_usage: bool) -> ClientStream: ...
    def probe(self, credential: Credential) -> tuple[str, dict[str, str]]: ...


def _headers(target: Target, auth: dict[str, str], stream: bool) -> dict[str, str]:
    headers = {"content-type": "application/json", "accept": "text/event-stream" if stream else "application/json"}
    if target.credential.api_key:
        headers.update(auth)
    headers.update(target.credential.provider.headers)
    return headers


def _json(raw: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise TranslationError("the upstream answered with a body that is not JSON") from None
    if not isinstance(document, dict):
        raise TranslationError("the upstream answered with JSON that is not an object")
    return document


def _completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


class OpenAICompatible:
    """OpenAI, OpenRouter, vLLM, Groq, ...: the body goes through with only `model` changed."""

    name = "openai"
    endpoints = frozenset({"chat", "completions", "embeddings"})
    paths = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}

    def prepare(self, endpoint: str, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        payload = passthrough.build_request(body, upstream_model=target.upstream_model, stream=stream)
        auth = {"authorization": "Bearer " + target.credential.api_key}
        return Outgoing(target.credential.provider.base_url + self.paths[endpoint],
                        _headers(target, auth, stream), orjson.dumps(payload))

    def error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo:
        return passthrough.parse_error(status, headers, raw)

    def whole(self, endpoint: str, raw: bytes, *, model: str, body: Mapping[str, Any]) -> bytes:
        return passthrough.rewrite_response(raw, model=model)[0]

    def stream(self, *, model: str, keep_usage: bool) -> ClientStream:
        return passthrough.PassthroughStream(model=model, keep_usage=keep_usage)

    def probe(self, credential: Credential) -> tuple[str, dict[str, str]]:
        """A cheap request that proves the upstream and the key work: list the models."""
        auth = {"authorization": "Bearer " + credential.api_key} if credential.api_key else {}
        return credential.provider.base_url + "/models", {**auth, **dict(credential.provider.headers)}


class AzureOpenAI(OpenAICompatible):
    """Azure OpenAI: the OpenAI body, addressed to a deployment with a pinned api-version."""

    name = "azure"

    def prepare(self, endpoint: str, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        payload = passthrough.build_request(body, upstream_model=target.upstream_model, stream=stream)
        provider = target.credential.provider
        url = (f"{provider.base_url}/openai/deployments/{quote(target.upstream_model, safe='')}"
               f"{self.paths[endpoint]}?api-version={quote(provider.api_version or '', safe='')}")
        return Outgoing(url, _headers(target, {"api-key": target.credential.api_key}, stream), orjson.dumps(payload))

    def probe(self, credential: Credential) -> tuple[str, dict[str, str]]:
        provider = credential.provider
        return (f"{provider.base_url}/openai/models?api-version={quote(provider.api_version or '', safe='')}",
                {"api-key": credential.api_key, **dict(provider.headers)})


class HubStream:
    """Wraps a translator's StreamDecoder (bytes -> hub chunk dicts) to give client SSE bytes."""

    __slots__ = ("_decoder", "_keep_usage", "_closed", "usage")

    def __init__(self, decoder: Any, *, keep_usage: bool) -> None:
        self._decoder = decoder
        self._keep_usage = keep_usage
        self._closed = False
        self.usage: dict[str, Any] | None = None

    def feed(self, data: bytes) -> list[bytes]:
        return self._encode(self._decoder.feed(data))

    def close(self) -> list[bytes]:
        """The end of the stream; a second call adds nothing (one `[DONE]`, ever)."""
        if self._closed:
            return []
        self._closed = True
        return self._encode(self._decoder.close()) + [DONE]

    def _encode(self, chunks: list[dict[str, Any]]) -> list[bytes]:
        out: list[bytes] = []
        for chunk in chunks:
            usage = chunk.get("usage")
            if usage is not None:
                self.usage = usage
                if not self._keep_usage:
                    if not chunk.get("choices"):
                        continue
                    chunk = {k: v for k, v in chunk.items() if k != "usage"}
            out.append(b"data: " + orjson.dumps(chunk) + b"\n\n")
        return out


class Translated:
    """A chat dialect served by a translator package with the shared five-function interface."""

    endpoints = frozenset({"chat"})

    def __init__(self, name: str, module: ModuleType, auth: Any, probe_path: str) -> None:
        self.name = name
        self.module = module
        self._auth = auth
        self._probe_path = probe_path

    def probe(self, credential: Credential) -> tuple[str, dict[str, str]]:
        auth = self._auth(credential.api_key) if credential.api_key else {}
        return credential.provider.base_url + self._probe_path, {**auth, **dict(credential.provider.headers)}

    def prepare(self, endpoint: str, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        if log.isEnabledFor(logging.DEBUG):
            ignored = self.module.ignored_fields(body)
            if ignored:
                log.debug("fields with no %s equivalent, not sent upstream: %s", self.name, ", ".join(ignored))
        request = self.module.build_request({**body, "stream": stream}, upstream_model=target.upstream_model)
        path = self.module.request_path(upstream_model=target.upstream_model, stream=stream)
        return Outgoing(target.credential.provider.base_url + path,
                        _headers(target, self._auth(target.credential.api_key), stream), orjson.dumps(request))

    def error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo:
        return self.module.parse_error(status, headers, raw)

    def whole(self, endpoint: str, raw: bytes, *, model: str, body: Mapping[str, Any]) -> bytes:
        hub = self.module.parse_response(_json(raw), model=model, created=int(time.time()), id=_completion_id())
        return orjson.dumps(hub)

    def stream(self, *, model: str, keep_usage: bool) -> ClientStream:
        decoder = self.module.StreamDecoder(model=model, created=int(time.time()), id=_completion_id())
        return HubStream(decoder, keep_usage=keep_usage)


class Anthropic(Translated):
    def __init__(self) -> None:
        super().__init__("anthropic", anthropic,
                         lambda key: {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}, "/v1/models")

    def prepare(self, endpoint: str, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        outgoing = super().prepare(endpoint, body, target, stream=stream)
        outgoing.headers.setdefault("anthropic-version", ANTHROPIC_VERSION)
        return outgoing

    def error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo:
        return anthropic.parse_error(status, headers, raw, now=now)


class Gemini(Translated):
    endpoints = frozenset({"chat", "embeddings"})

    def __init__(self) -> None:
        super().__init__("gemini", gemini, lambda key: {"x-goog-api-key": key}, "/v1beta/models")

    def prepare(self, endpoint: str, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        if endpoint != "embeddings":
            return super().prepare(endpoint, body, target, stream=stream)
        path, request = gemini_embeddings.build_embeddings_request(body, upstream_model=target.upstream_model)
        return Outgoing(target.credential.provider.base_url + path,
                        _headers(target, self._auth(target.credential.api_key), False), orjson.dumps(request))

    def whole(self, endpoint: str, raw: bytes, *, model: str, body: Mapping[str, Any]) -> bytes:
        if endpoint != "embeddings":
            return super().whole(endpoint, raw, model=model, body=body)
        return orjson.dumps(gemini_embeddings.parse_embeddings_response(
            _json(raw), model=model, encoding_format=body.get("encoding_format") or "float"))


def _registry() -> dict[str, Dialect]:
    dialects: list[Dialect] = [
        OpenAICompatible(), AzureOpenAI(), Anthropic(), Gemini(),
        Translated("responses", responses, lambda key: {"authorization": "Bearer " + key}, "/models"),
    ]
    return {dialect.name: dialect for dialect in dialects}


DIALECTS: dict[str, Dialect] = _registry()
