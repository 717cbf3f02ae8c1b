"""Checks every client codec makes on a request body before its dialect's own."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.core.errors import ClientError

__all__ = ["parse_object", "require_model", "stream_flag"]


def parse_object(raw: bytes, *, example: str) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says what was wrong."""
    if not raw:
        raise ClientError(400, f"The request body is empty; send a JSON object like {example}.", code="invalid_json")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ClientError(400, f"The request body is not valid JSON ({exc.args[0]}).", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ClientError(400, f"The request body must be a JSON object, like {example}.", code="invalid_json")
    return body


def require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ClientError(
            400, "'model' must be a non-empty string, one of the ids GET /v1/models lists.", param="model"
        )
    return model


def stream_flag(body: dict[str, Any]) -> bool:
    stream = body.get("stream") or False
    if not isinstance(stream, bool):
        raise ClientError(400, "'stream' must be true or false.", param="stream")
    return stream
