"""Gemini error answers -> `UpstreamErrorInfo`.

Google APIs answer `{"error": {"code", "message", "status", "details": [...]}}`
(cloud.google.com/apis/design/errors; ai.google.dev/gemini-api/docs/troubleshooting). The
type comes from the canonical `status`, else from the HTTP status; the retry delay from a
`google.rpc.RetryInfo` detail, else from a numeric `retry-after` header. Never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translators.common import (
    error_type_for_status,
    load_error_body,
    nonempty_string,
    seconds,
)
from translators.errors import UpstreamErrorInfo

__all__ = ["error_info", "parse_error"]

STATUS_TYPES = {
    "INVALID_ARGUMENT": "invalid_request_error",
    "FAILED_PRECONDITION": "invalid_request_error",
    "OUT_OF_RANGE": "invalid_request_error",
    "UNAUTHENTICATED": "authentication_error",
    "PERMISSION_DENIED": "permission_error",
    "NOT_FOUND": "not_found_error",
    "RESOURCE_EXHAUSTED": "rate_limit_error",
    "INTERNAL": "server_error",
    "UNAVAILABLE": "server_error",
    "DEADLINE_EXCEEDED": "server_error",
}

# A bad API key comes back as 400 INVALID_ARGUMENT; only the ErrorInfo reason tells it apart.
REASON_TYPES = {
    "API_KEY_INVALID": "authentication_error",
    "API_KEY_EXPIRED": "authentication_error",
    "SERVICE_DISABLED": "permission_error",
}

RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_MESSAGE_LIMIT = 1000


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> UpstreamErrorInfo:
    envelope = load_error_body(body)
    # streamGenerateContent without alt=sse wraps its answers, errors included, in an array.
    if isinstance(envelope, list) and envelope:
        envelope = envelope[0]
    error = envelope.get("error") if isinstance(envelope, Mapping) else None
    if isinstance(error, Mapping):
        return error_info(status, error, headers)
    text = body.decode("utf-8", errors="replace").strip()[:_MESSAGE_LIMIT]
    return UpstreamErrorInfo(
        status=status,
        type=error_type_for_status(status),
        message=text or f"Gemini answered HTTP {status} with no error body",
        retry_after=_header_delay(headers),
    )


def error_info(status: int, error: Mapping[str, Any], headers: Mapping[str, str]) -> UpstreamErrorInfo:
    """The info for one Google `error` object (also what a stream's error event carries)."""
    raw_details = error.get("details")
    details = [d for d in raw_details if isinstance(d, Mapping)] if isinstance(raw_details, list) else []
    reason = nonempty_string(next((d.get("reason") for d in details if d.get("@type") == ERROR_INFO), None))
    canonical = nonempty_string(error.get("status"))
    kind = REASON_TYPES.get(reason or "") or STATUS_TYPES.get(canonical or "") or error_type_for_status(status)
    message = nonempty_string(error.get("message"))
    retry_after = next((_duration(d.get("retryDelay")) for d in details if d.get("@type") == RETRY_INFO), None)
    return UpstreamErrorInfo(
        status=status,
        type=kind,
        message=message or f"Gemini answered HTTP {status}",
        code=reason or canonical,
        retry_after=retry_after if retry_after is not None else _header_delay(headers),
    )


def _duration(value: Any) -> float | None:
    """A protobuf Duration in JSON ("17s", "0.5s") or, defensively, as {seconds, nanos}."""
    if isinstance(value, str) and value.endswith("s"):
        return seconds(value[:-1])
    if isinstance(value, Mapping):
        # int64 `seconds` is a string in proto3 JSON, int32 `nanos` a number; either is read.
        whole = seconds(value.get("seconds", 0))
        nanos = seconds(value.get("nanos", 0))
        return None if whole is None or nanos is None else whole + nanos / 1e9
    return None


def _header_delay(headers: Mapping[str, str]) -> float | None:
    return seconds(headers.get("retry-after", ""))
