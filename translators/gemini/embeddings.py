"""OpenAI `/v1/embeddings` <-> Gemini `embedContent` / `batchEmbedContents`.

Wire shapes from ai.google.dev/api/embeddings: a single string goes to `embedContent`, a list
of strings to `batchEmbedContents` (one request per string, answers in order). Gemini embeds
text only, so token-array inputs are refused. `encoding_format: "base64"` (the openai SDK's
default) is honoured the way OpenAI does it: little-endian float32, base64-encoded.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from typing import Any

from translators.common import count, positive_int
from translators.errors import TranslationError
from translators.gemini.request import model_segment

__all__ = ["build_embeddings_request", "parse_embeddings_response"]

# `user` identifies the end user to OpenAI's abuse tracking; Gemini has no such field.
DROPPED_FIELDS = ("user",)
_FIELDS = frozenset({"model", "input", "dimensions", "encoding_format"})
ENCODING_FORMATS = ("float", "base64")


def build_embeddings_request(body: Mapping[str, Any], *, upstream_model: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(body, Mapping):
        raise TranslationError("the request body must be a JSON object")
    for key in body:
        if key not in _FIELDS and key not in DROPPED_FIELDS:
            raise TranslationError(f"{key!r} is not supported by Gemini embeddings", param=key)
    if body.get("encoding_format") not in (None, *ENCODING_FORMATS):
        raise TranslationError("encoding_format must be float or base64", param="encoding_format")
    dimensions = positive_int(body, "dimensions")
    options = {"outputDimensionality": dimensions} if dimensions is not None else {}
    segment = model_segment(upstream_model)
    text = body.get("input")
    if isinstance(text, str):
        return f"/v1beta/models/{segment}:embedContent", {"content": _content(text), **options}
    texts = _texts(text)
    name = "models/" + upstream_model.removeprefix("models/")
    requests = [{"model": name, "content": _content(item), **options} for item in texts]
    return f"/v1beta/models/{segment}:batchEmbedContents", {"requests": requests}


def parse_embeddings_response(
    payload: Mapping[str, Any], *, model: str, encoding_format: str | None = "float"
) -> dict[str, Any]:
    """`encoding_format` is the client's, from its request: the answer must be in that format."""
    if not isinstance(payload, Mapping):
        raise TranslationError("Gemini answered with something other than a JSON object")
    if isinstance(payload.get("embeddings"), list):
        vectors = [_values(item) for item in payload["embeddings"]]
    elif isinstance(payload.get("embedding"), Mapping):
        vectors = [_values(payload["embedding"])]
    else:
        raise TranslationError("Gemini's embedding answer has neither `embedding` nor `embeddings`")
    encode = _base64 if encoding_format == "base64" else list
    data = [{"object": "embedding", "index": i, "embedding": encode(vector)} for i, vector in enumerate(vectors)]
    # Gemini's embedding answers usually carry no token count; 0 says "not reported".
    tokens = count(payload.get("usageMetadata"), "promptTokenCount")
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise TranslationError("input must be a string or a non-empty array of strings", param="input")
    if not all(isinstance(item, str) for item in value):
        # Token ids belong to OpenAI's tokenizer; Gemini embeds text only.
        raise TranslationError("Gemini embeds text only; token-array inputs are not supported", param="input")
    return value


def _content(text: str) -> dict[str, Any]:
    return {"parts": [{"text": text}]}


def _values(embedding: Any) -> list[float]:
    values = embedding.get("values") if isinstance(embedding, Mapping) else None
    if not isinstance(values, list):
        raise TranslationError("a Gemini embedding has no `values` array")
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
        raise TranslationError("a Gemini embedding's `values` are not all numbers")
    return values


def _base64(vector: list[float]) -> str:
    try:
        packed = struct.pack(f"<{len(vector)}f", *vector)
    except OverflowError:
        raise TranslationError("a Gemini embedding value is beyond float32's range") from None
    return base64.b64encode(packed).decode("ascii")
