"""A Gemini client's embeddings, token counts and model list, served from any upstream.

`embedContent` / `batchEmbedContents` become one hub (OpenAI) embeddings request and the answer
goes back as Gemini's `{"embedding"}` / `{"embeddings"}` (ai.google.dev/api/embeddings).
`taskType` and `title` tune Gemini's embedding model for retrieval; other embedding models embed
every text the same way, so they are dropped. `estimate_tokens` answers `countTokens` for a
model that is not on a Gemini upstream: an estimate (4 characters a token, 258 tokens a media
part, Gemini's figure for a small image), not that model's tokenizer.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from translators.errors import TranslationError
from translators.gemini.inbound_contents import fail, get, object_at, parts_of, snake, string

__all__ = [
    "batch_embed_request",
    "embed_answer",
    "embed_request",
    "estimate_tokens",
    "model_entry",
    "models_list",
]

_EMBED_FIELDS = frozenset(
    spelling
    for name in ("model", "content", "taskType", "title", "outputDimensionality")
    for spelling in (name, snake(name))
)
GENERATION_METHODS = ("generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents")
CHARACTERS_PER_TOKEN = 4
MEDIA_TOKENS = 258
_MEDIA_FIELDS = frozenset({"inlineData", "inline_data", "fileData", "file_data"})
# Fields whose strings the model never reads as text.
_UNCOUNTED_FIELDS = frozenset({"role", "mimeType", "mime_type", "thoughtSignature", "thought_signature", "id"})


def embed_request(body: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    text, dimensions = _embedding(body, "")
    return _hub_embeddings(model, text, dimensions)


def batch_embed_request(body: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    requests = get(body, "requests")
    if not isinstance(requests, list) or not requests:
        raise fail("requests must be a non-empty array", "requests")
    texts, sizes = [], set()
    for i, request in enumerate(requests):
        path = f"requests[{i}]."
        named = get(request, "model") if isinstance(request, Mapping) else None
        if named not in (None, model, f"models/{model}"):
            raise fail(f"every request must name the model of the URL, models/{model}", f"{path}model")
        text, dimensions = _embedding(request, path)
        texts.append(text)
        sizes.add(dimensions)
    if len(sizes) > 1:
        raise fail("every request must ask for the same outputDimensionality", "requests")
    return _hub_embeddings(model, texts, sizes.pop())


def _hub_embeddings(model: str, text: str | list[str], dimensions: int | None) -> dict[str, Any]:
    request: dict[str, Any] = {"model": model, "input": text, "encoding_format": "float"}
    if dimensions is not None:
        request["dimensions"] = dimensions
    return request


def _embedding(body: Any, path: str) -> tuple[str, int | None]:
    if not isinstance(body, Mapping):
        raise fail("expected an object", path[:-1] or None)
    for key in body:
        if key not in _EMBED_FIELDS:
            raise fail(f"{key!r} is not supported for embeddings", f"{path}{key}")
    content_path = f"{path}content"
    texts = []
    for j, part in enumerate(parts_of(get(body, "content"), content_path)):
        if set(part) - {"text"}:
            raise fail("only text parts can be embedded", f"{content_path}.parts[{j}]")
        texts.append(string(part.get("text"), f"{content_path}.parts[{j}].text"))
    if not texts:
        raise fail("content needs at least one text part", f"{content_path}.parts")
    dimensions = get(body, "outputDimensionality")
    if dimensions is not None and (isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1):
        raise fail("outputDimensionality must be a positive integer", f"{path}outputDimensionality")
    # The parts of one content make one embedding, as at Gemini.
    return "\n".join(texts), dimensions


def embed_answer(hub_embeddings: Mapping[str, Any], *, batch: bool) -> dict[str, Any]:
    """An OpenAI embeddings answer as `{"embeddings": [...]}` (batch) or `{"embedding": ...}`."""
    data = hub_embeddings.get("data") if isinstance(hub_embeddings, Mapping) else None
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise TranslationError("the embeddings answer has no data array")
    positions = [item.get("index") for item in data]
    if all(isinstance(position, int) for position in positions):
        data = [item for _, item in sorted(zip(positions, data, strict=True), key=lambda pair: pair[0])]
    vectors = [{"values": _values(item.get("embedding"))} for item in data]
    if batch:
        return {"embeddings": vectors}
    if len(vectors) != 1:
        raise TranslationError("the embeddings answer does not hold exactly one embedding")
    return {"embedding": vectors[0]}


def _values(embedding: Any) -> list[float]:
    if isinstance(embedding, str):
        return _base64_floats(embedding)
    if not isinstance(embedding, list):
        raise TranslationError("an embedding is neither a list of numbers nor base64")
    try:
        values = [float(value) for value in embedding if isinstance(value, int | float) and not isinstance(value, bool)]
    except OverflowError:
        raise TranslationError("an embedding value is beyond a double's range") from None
    if len(values) != len(embedding):
        raise TranslationError("an embedding's values are not all numbers")
    return values


def _base64_floats(text: str) -> list[float]:
    """OpenAI's base64 encoding: little-endian float32s. NaN and infinities are no embedding."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TranslationError("an embedding is not valid base64") from None
    if len(raw) % 4:
        raise TranslationError("a base64 embedding is not a whole number of float32 values")
    values = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    if not all(math.isfinite(value) for value in values):
        raise TranslationError("a base64 embedding holds values that are not finite")
    return values


def estimate_tokens(body: Mapping[str, Any]) -> int:
    """An estimate of `countTokens` for a body of `contents` or a `generateContentRequest`."""
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    request = get(body, "generateContentRequest")
    if request is not None:
        body = object_at(request, "generateContentRequest")
    characters = media = 0
    pending: list[Any] = [get(body, name) for name in ("contents", "systemInstruction", "tools")]
    while pending:  # a loop, not recursion: a client's JSON may nest deeper than Python recurses
        value = pending.pop()
        if isinstance(value, str):
            characters += len(value)
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if key in _MEDIA_FIELDS:
                    media += 1
                elif key not in _UNCOUNTED_FIELDS:
                    pending.append(item)
    return math.ceil(characters / CHARACTERS_PER_TOKEN) + media * MEDIA_TOKENS


def model_entry(model_id: str) -> dict[str, Any]:
    """`GET /v1beta/models/{id}`: one model as Gemini describes it. Every method is listed: the
    gateway routes each to any id, and whether the upstream behind it embeds or chats is the
    upstream's to answer."""
    return {
        "name": f"models/{model_id}",
        "displayName": model_id,
        "supportedGenerationMethods": list(GENERATION_METHODS),
    }


def models_list(ids: Sequence[str]) -> dict[str, Any]:
    """`GET /v1beta/models`: every id the gateway serves, on one page."""
    return {"models": [model_entry(model_id) for model_id in ids]}
