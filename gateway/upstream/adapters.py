"""Upstream adapters: how to address, authenticate and read each kind of upstream, per operation.

An `Adapter` serves one (dialect, operation) pair: it turns a hub request (OpenAI Chat
Completions, or OpenAI embeddings) into an `Outgoing` HTTP request for one target, reads the
upstream's error answers, and decodes its answer and stream into hub dicts. `wire` names the
format of the bodies it exchanges: when a client speaks that same format, the client codec
passes the bytes through natively (only `model` rewritten) and the decoders are not used.
The registry is a dict keyed by (dialect, operation), so a new operation is an entry, not a
branch. Ids and timestamps are passed in, never read here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol
from urllib.parse import quote

import orjson

from gateway.core.targets import Credential, Target
from translators import anthropic, gemini, responses
from translators import openai as passthrough
from translators.anthropic import passthrough as anthropic_passthrough
from translators.errors import TranslationError, UpstreamErrorInfo
from translators.gemini import embeddings as gemini_embeddings
from translators.gemini import passthrough as gemini_passthrough
from translators.responses import passthrough as responses_passthrough

__all__ = ["ADAPTERS", "PROBES", "Adapter", "HubDecoder", "Outgoing"]

ANTHROPIC_VERSION = "2023-06-01"
OPENAI_PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}
OPENAI_WIRES = {"chat": "openai-chat", "completions": "openai-completions", "embeddings": "openai-embeddings"}


@dataclass(frozen=True, slots=True)
class Outgoing:
    url: str
    headers: dict[str, str]
    content: bytes
    # Request fields the translation ignored because it does not know them.
    ignored: tuple[str, ...] = ()


# A client body in the upstream's own wire format -> the body sent, naming the upstream's model.
NativeBody = Callable[..., Mapping[str, Any]]


class HubDecoder(Protocol):
    """Upstream stream bytes in, hub `chat.completion.chunk` dicts out."""

    def feed(self, data: bytes) -> list[dict[str, Any]]: ...
    def close(self) -> list[dict[str, Any]]: ...


class Adapter(Protocol):
    dialect: str
    operation: str
    wire: str

    def prepare(self, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing: ...
    def native(self, body: Mapping[str, Any], target: Target, *, stream: bool, headers: Mapping[str, str]) -> Outgoing:
        """The client's own body, already in this adapter's wire format: sent as it is but for
        the model (rewritten in the body or the path), with the client's dialect headers
        (`anthropic-beta`, say) added; only a client of the same wire format calls it."""
        ...

    def parse_error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo: ...
    def decode_whole(
        self, raw: bytes, *, model: str, body: Mapping[str, Any], id: str, created: int
    ) -> dict[str, Any]: ...
    def stream_decoder(self, *, model: str, id: str, created: int) -> HubDecoder: ...


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


def _bearer(key: str) -> dict[str, str]:
    return {"authorization": "Bearer " + key}


class OpenAICompatible:
    """OpenAI, OpenRouter, vLLM, Groq, Ollama, the mock: the body goes through with `model` changed."""

    dialect = "openai"

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.wire = OPENAI_WIRES[operation]
        self._path = OPENAI_PATHS[operation]

    def url(self, target: Target) -> str:
        return target.credential.provider.base_url + self._path

    def auth(self, key: str) -> dict[str, str]:
        return _bearer(key)

    def prepare(self, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        payload = passthrough.build_request(body, upstream_model=target.upstream_model, stream=stream)
        return Outgoing(
            self.url(target), _headers(target, self.auth(target.credential.api_key), stream), orjson.dumps(payload)
        )

    def parse_error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo:
        return passthrough.parse_error(status, headers, raw)

    def native(self, body: Mapping[str, Any], target: Target, *, stream: bool, headers: Mapping[str, str]) -> Outgoing:
        return self.prepare(body, target, stream=stream)

    def decode_whole(self, raw: bytes, *, model: str, body: Mapping[str, Any], id: str, created: int) -> dict[str, Any]:
        document = _json(raw)
        if "model" in document:
            document["model"] = model
        return document

    def stream_decoder(self, *, model: str, id: str, created: int) -> HubDecoder:
        return passthrough.ChunkDecoder(model=model)


class AzureOpenAI(OpenAICompatible):
    """Azure OpenAI: the OpenAI body, addressed to a deployment with a pinned api-version."""

    dialect = "azure"

    def url(self, target: Target) -> str:
        provider = target.credential.provider
        return (
            f"{provider.base_url}/openai/deployments/{quote(target.upstream_model, safe='')}"
            f"{self._path}?api-version={quote(provider.api_version or '', safe='')}"
        )

    def auth(self, key: str) -> dict[str, str]:
        return {"api-key": key}


class Translated:
    """A chat dialect served by a translator package with the shared interface."""

    operation = "chat"

    def __init__(
        self,
        dialect: str,
        wire: str,
        module: ModuleType,
        auth: Callable[[str], dict[str, str]],
        native_body: NativeBody,
    ) -> None:
        self.dialect = dialect
        self.wire = wire
        self.module = module
        self._auth = auth
        self._native_body = native_body

    def prepare(self, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        request = self.module.build_request({**body, "stream": stream}, upstream_model=target.upstream_model)
        path = self.module.request_path(upstream_model=target.upstream_model, stream=stream)
        return Outgoing(
            target.credential.provider.base_url + path,
            _headers(target, self._auth(target.credential.api_key), stream),
            orjson.dumps(request),
            self.module.ignored_fields(body),
        )

    def native(self, body: Mapping[str, Any], target: Target, *, stream: bool, headers: Mapping[str, str]) -> Outgoing:
        path = self.module.request_path(upstream_model=target.upstream_model, stream=stream)
        outgoing = _headers(target, self._auth(target.credential.api_key), stream)
        outgoing.update(headers)
        return Outgoing(
            target.credential.provider.base_url + path,
            outgoing,
            orjson.dumps(self._native_body(body, upstream_model=target.upstream_model)),
        )

    def parse_error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo:
        info: UpstreamErrorInfo = self.module.parse_error(status, headers, raw)
        return info

    def decode_whole(self, raw: bytes, *, model: str, body: Mapping[str, Any], id: str, created: int) -> dict[str, Any]:
        hub: dict[str, Any] = self.module.parse_response(_json(raw), model=model, created=created, id=id)
        return hub

    def stream_decoder(self, *, model: str, id: str, created: int) -> HubDecoder:
        decoder: HubDecoder = self.module.StreamDecoder(model=model, created=created, id=id)
        return decoder


def _anthropic_auth(key: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}


class Anthropic(Translated):
    def __init__(self) -> None:
        super().__init__(
            "anthropic", "anthropic-messages", anthropic, _anthropic_auth, anthropic_passthrough.native_request
        )

    def prepare(self, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        outgoing = super().prepare(body, target, stream=stream)
        outgoing.headers.setdefault("anthropic-version", ANTHROPIC_VERSION)
        return outgoing

    def native(self, body: Mapping[str, Any], target: Target, *, stream: bool, headers: Mapping[str, str]) -> Outgoing:
        outgoing = super().native(body, target, stream=stream, headers=headers)
        outgoing.headers.setdefault("anthropic-version", ANTHROPIC_VERSION)
        return outgoing

    def parse_error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo:
        return anthropic.parse_error(status, headers, raw, now=now)


def _gemini_auth(key: str) -> dict[str, str]:
    return {"x-goog-api-key": key}


class CountTokens:
    """A dialect's token-counting endpoint: only its own clients call it, natively."""

    operation = "count_tokens"

    def __init__(
        self, dialect: str, path: Callable[[str], str], auth: Callable[[str], dict[str, str]], native_body: NativeBody
    ) -> None:
        self.dialect = dialect
        self.wire = dialect + "-count-tokens"
        self._path = path
        self._auth = auth
        self._native_body = native_body

    def prepare(self, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        raise TranslationError("token counting is answered natively only")

    def native(self, body: Mapping[str, Any], target: Target, *, stream: bool, headers: Mapping[str, str]) -> Outgoing:
        outgoing = _headers(target, self._auth(target.credential.api_key), False)
        outgoing.update(headers)
        if self.dialect == "anthropic":
            outgoing.setdefault("anthropic-version", ANTHROPIC_VERSION)
        return Outgoing(
            target.credential.provider.base_url + self._path(target.upstream_model),
            outgoing,
            orjson.dumps(self._native_body(body, upstream_model=target.upstream_model)),
        )

    def parse_error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo:
        if self.dialect == "anthropic":
            return anthropic.parse_error(status, headers, raw, now=now)
        return gemini.parse_error(status, headers, raw)

    def decode_whole(self, raw: bytes, *, model: str, body: Mapping[str, Any], id: str, created: int) -> dict[str, Any]:
        return _json(raw)

    def stream_decoder(self, *, model: str, id: str, created: int) -> HubDecoder:
        raise TranslationError("token counts are never streamed")


class GeminiEmbeddings:
    """OpenAI embeddings requests served by Gemini's embedContent / batchEmbedContents."""

    dialect = "gemini"
    operation = "embeddings"
    wire = "gemini-embed"

    def prepare(self, body: Mapping[str, Any], target: Target, *, stream: bool) -> Outgoing:
        path, request = gemini_embeddings.build_embeddings_request(body, upstream_model=target.upstream_model)
        return Outgoing(
            target.credential.provider.base_url + path,
            _headers(target, _gemini_auth(target.credential.api_key), False),
            orjson.dumps(request),
        )

    def parse_error(self, status: int, headers: Mapping[str, str], raw: bytes, *, now: float) -> UpstreamErrorInfo:
        return gemini.parse_error(status, headers, raw)

    def decode_whole(self, raw: bytes, *, model: str, body: Mapping[str, Any], id: str, created: int) -> dict[str, Any]:
        return gemini_embeddings.parse_embeddings_response(
            _json(raw), model=model, encoding_format=body.get("encoding_format") or "float"
        )

    def native(self, body: Mapping[str, Any], target: Target, *, stream: bool, headers: Mapping[str, str]) -> Outgoing:
        raise TranslationError("Gemini embeddings are reached through the OpenAI embeddings form")

    def stream_decoder(self, *, model: str, id: str, created: int) -> HubDecoder:
        raise TranslationError("embeddings are never streamed")


def _registry() -> dict[tuple[str, str], Adapter]:
    adapters: list[Adapter] = [
        *(OpenAICompatible(operation) for operation in OPENAI_PATHS),
        *(AzureOpenAI(operation) for operation in OPENAI_PATHS),
        Anthropic(),
        Translated("gemini", "gemini-generate", gemini, _gemini_auth, gemini_passthrough.native_request),
        GeminiEmbeddings(),
        Translated("responses", "responses", responses, _bearer, responses_passthrough.native_request),
        CountTokens(
            "anthropic",
            lambda _: "/v1/messages/count_tokens",
            _anthropic_auth,
            anthropic_passthrough.native_request,
        ),
        CountTokens(
            "gemini",
            lambda model: gemini_passthrough.native_path("countTokens", upstream_model=model),
            _gemini_auth,
            gemini_passthrough.native_request,
        ),
    ]
    return {(adapter.dialect, adapter.operation): adapter for adapter in adapters}


ADAPTERS: dict[tuple[str, str], Adapter] = _registry()
DIALECTS: frozenset[str] = frozenset(dialect for dialect, _ in ADAPTERS)


# --- health probes: the cheapest authenticated request of each dialect ------------------------


def _probe(path: str, auth: Callable[[str], dict[str, str]]) -> Callable[[Credential], tuple[str, dict[str, str]]]:
    def probe(credential: Credential) -> tuple[str, dict[str, str]]:
        headers = auth(credential.api_key) if credential.api_key else {}
        return credential.provider.base_url + path, {**headers, **dict(credential.provider.headers)}

    return probe


def _azure_probe(credential: Credential) -> tuple[str, dict[str, str]]:
    provider = credential.provider
    return (
        f"{provider.base_url}/openai/models?api-version={quote(provider.api_version or '', safe='')}",
        {"api-key": credential.api_key, **dict(provider.headers)},
    )


PROBES: dict[str, Callable[[Credential], tuple[str, dict[str, str]]]] = {
    "openai": _probe("/models", _bearer),
    "azure": _azure_probe,
    "anthropic": _probe("/v1/models", _anthropic_auth),
    "gemini": _probe("/v1beta/models", _gemini_auth),
    "responses": _probe("/models", _bearer),
}
