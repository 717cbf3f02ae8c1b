"""Anthropic error answers -> `UpstreamErrorInfo` (https://docs.anthropic.com/en/api/errors).

Errors arrive as `{"type": "error", "error": {"type": ..., "message": ...}}`, with HTTP status
or inside a stream as an `error` event. Classification uses the structured `error.type`, then
the HTTP status; never the message text. `retry_after` comes from `retry-after`, else from the
`anthropic-ratelimit-*-reset` RFC 3339 timestamps (https://docs.anthropic.com/en/api/rate-limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from translators.common import load_error_body, seconds
from translators.errors import UpstreamErrorInfo

__all__ = ["ERROR_STATUSES", "ERROR_TYPES", "error_info", "parse_error"]

# Anthropic `error.type` -> OpenAI error type. `code` keeps the Anthropic type itself.
ERROR_TYPES: dict[str, str] = {
    "invalid_request_error": "invalid_request_error",
    "request_too_large": "invalid_request_error",
    "authentication_error": "authentication_error",
    # 402: the credential cannot be used until its account is paid; not retryable by waiting.
    "billing_error": "permission_error",
    "permission_error": "permission_error",
    "not_found_error": "not_found_error",
    "rate_limit_error": "rate_limit_error",
    "api_error": "server_error",
    "timeout_error": "server_error",
    "overloaded_error": "server_error",
}

# HTTP status documented for each error type; used for errors that arrive inside a stream.
ERROR_STATUSES: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}

# Fallback when the body names no known type: the docs say other 4XX use invalid_request_error.
STATUS_TYPES: dict[int, str] = {
    401: "authentication_error",
    402: "permission_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}

MAX_RAW_MESSAGE = 500

RESET_HEADERS: tuple[tuple[str, str], ...] = tuple(
    (f"anthropic-ratelimit-{kind}-reset", f"anthropic-ratelimit-{kind}-remaining")
    for kind in ("requests", "tokens", "input-tokens", "output-tokens")
)


def _type_for_status(status: int) -> str:
    if status >= 500:
        return "server_error"
    return STATUS_TYPES.get(status, "invalid_request_error")


def error_info(error: Any, *, status: int | None = None) -> UpstreamErrorInfo:
    """The `error` object of an Anthropic envelope as info; `status` defaults from its type."""
    fields = error if isinstance(error, Mapping) else {}
    kind = fields.get("type") if isinstance(fields.get("type"), str) else None
    message = fields.get("message") if isinstance(fields.get("message"), str) else None
    if status is None:
        status = ERROR_STATUSES.get(kind or "", 500)
    return UpstreamErrorInfo(
        status=status,
        type=ERROR_TYPES.get(kind or "") or _type_for_status(status),
        message=message or f"upstream answered HTTP {status}",
        code=kind,
    )


def _parse_timestamp(value: str) -> float | None:
    try:
        # Python 3.11's fromisoformat reads RFC 3339's "Z" itself.
        stamp = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return stamp.timestamp() if stamp.tzinfo is not None else None


def _retry_after(headers: Mapping[str, str], now: float | None) -> float | None:
    delay = seconds(headers.get("retry-after"))
    if delay is not None:
        return delay
    if now is None:
        return None
    resets = [(headers.get(reset), headers.get(left)) for reset, left in RESET_HEADERS]
    present = [(reset, left) for reset, left in resets if reset]
    # A limit with quota left is not what blocked the request; its reset says nothing.
    exhausted = [reset for reset, left in present if left is not None and left.strip() == "0"]
    stamps = [_parse_timestamp(reset) for reset in (exhausted or [reset for reset, _ in present])]
    known = [stamp for stamp in stamps if stamp is not None]
    return max(0.0, min(known) - now) if known else None


def parse_error(status: int, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> UpstreamErrorInfo:
    """An Anthropic error answer as info; never raises, whatever the body holds.

    `now` (unix seconds) lets the reset timestamps count; without it only `retry-after` does,
    which keeps this a pure function of its arguments.
    """
    payload = load_error_body(body)
    error = payload.get("error") if isinstance(payload, dict) else None
    info = error_info(error, status=status)
    if not isinstance(error, Mapping) or not isinstance(error.get("message"), str):
        # A proxy's HTML page or plain text in front of the API: its text is the best message.
        text = body.decode("utf-8", errors="replace").strip()[:MAX_RAW_MESSAGE]
        if text:
            info = replace(info, message=text)
    return replace(info, retry_after=_retry_after(headers, now))
