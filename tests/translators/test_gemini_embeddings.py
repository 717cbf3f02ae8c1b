"""OpenAI embeddings <-> Gemini embedContent / batchEmbedContents (translators/gemini/embeddings.py)."""

from __future__ import annotations

import array
import base64

import pytest
from google.genai import types as genai
from openai.types import CreateEmbeddingResponse

from translators.errors import TranslationError
from translators.gemini.embeddings import (
    build_embeddings_request,
    parse_embeddings_response,
)

MODEL = "gemini-embedding-001"


def test_single_string_goes_to_embed_content_with_output_dimensionality():
    path, body = build_embeddings_request(
        {"model": "text-embedding-3-small", "input": "The quick brown fox", "dimensions": 768, "user": "u-1"},
        upstream_model=MODEL,
    )
    assert path == "/v1beta/models/gemini-embedding-001:embedContent"
    assert body == {"content": {"parts": [{"text": "The quick brown fox"}]}, "outputDimensionality": 768}


def test_list_of_strings_goes_to_batch_embed_contents_one_request_each():
    path, body = build_embeddings_request(
        {"model": "text-embedding-3-small", "input": ["first", "second"], "encoding_format": "float"},
        upstream_model="models/gemini-embedding-001",
    )
    assert path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert body == {
        "requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "first"}]}},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "second"}]}},
        ]
    }
    for request in body["requests"]:
        genai.Content.model_validate(request["content"])


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"input": [15339, 1917]}, "input"),
        ({"input": [[15339, 1917], [1820]]}, "input"),
        ({"input": []}, "input"),
        ({"input": None}, "input"),
        ({"input": "x", "encoding_format": "int8"}, "encoding_format"),
        ({"input": "x", "dimensions": 0}, "dimensions"),
        ({"input": "x", "task_type": "RETRIEVAL_QUERY"}, "task_type"),
    ],
)
def test_requests_gemini_cannot_embed_are_refused_naming_the_field(fields, param):
    with pytest.raises(TranslationError) as caught:
        build_embeddings_request({"model": "text-embedding-3-small", **fields}, upstream_model=MODEL)
    assert caught.value.param == param


def test_batch_answer_becomes_an_openai_embedding_list_in_order():
    payload = {
        "embeddings": [
            {"values": [0.013168523, -0.008711934, 0.046782676]},
            {"values": [-0.0121, 0.0442, 0.0087]},
        ]
    }
    result = parse_embeddings_response(payload, model="text-embedding-3-small")
    assert result == {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 0, "embedding": [0.013168523, -0.008711934, 0.046782676]},
            {"object": "embedding", "index": 1, "embedding": [-0.0121, 0.0442, 0.0087]},
        ],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 0, "total_tokens": 0},
    }
    CreateEmbeddingResponse.model_validate(result)


def test_single_answer_becomes_a_one_item_list():
    result = parse_embeddings_response({"embedding": {"values": [0.5, -0.25]}}, model="m")
    assert result["data"] == [{"object": "embedding", "index": 0, "embedding": [0.5, -0.25]}]


def test_base64_encoding_packs_little_endian_float32_as_the_openai_sdk_decodes_it():
    values = [0.5, -0.25, 0.013168523, 3.0e-8]
    result = parse_embeddings_response({"embedding": {"values": values}}, model="m", encoding_format="base64")
    encoded = result["data"][0]["embedding"]
    assert isinstance(encoded, str)
    assert base64.b64decode(encoded)[:4] == b"\x00\x00\x00\x3f"  # 0.5 as little-endian float32
    decoded = array.array("f", base64.b64decode(encoded)).tolist()  # the SDK's own decoding
    assert decoded[:2] == [0.5, -0.25]
    assert decoded == pytest.approx(values, rel=1e-6)


def test_answer_without_embeddings_is_a_translation_error():
    with pytest.raises(TranslationError):
        parse_embeddings_response({"error": "nope"}, model="m")
