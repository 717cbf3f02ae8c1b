"""OpenAI error answers -> `UpstreamErrorInfo` (platform.openai.com/docs/guides/error-codes).

The envelope is `{"error": {"message", "type", "code", "param"}}`; the type comes from the HTTP
status (the envelope's `type` is sometimes a limit name such as "tokens"), a stream error's from
its `code`. Retry hints: `retry-after-ms`, `retry-after`, then on a 429 the `x-ratelimit-reset-*`
durations (platform.openai.com/docs/guides/rate-limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translators.common import (
    error_type_for_status,
    load_error_body,
    nonempty_string,
    parse_duration,
    seconds,
)
from translators.errors import UpstreamErrorInfo

__all__ = ["STREAM_CODES", "parse_duration", "parse_error", "stream_error_info"]

# The documented `response.error.code` values (and the codes seen on stream `error` events),
# with the HTTP status the same failure gets when it is answered before the stream starts.
_INVALID_INPUT_CODES: tuple[str, ...] = (
    "invalid_prompt", "context_length_exceeded", "data_residency_mismatch", "bio_policy",
    "misalignment_policy_violation", "invalid_image", "invalid_image_format",
    "invalid_base64_image", "invalid_image_url", "image_too_large", "image_too_small",
    "image_parse_error", "image_content_policy_violation", "invalid_image_mode",
    "image_file_too_large", "unsupported_image_media_type", "empty_image_file",
    "failed_to_download_image", "image_file_not_found",
)  # fmt: skip
STREAM_CODES: dict[str, tuple[int, str]] = {
    "server_error": (500, "server_error"),
    "vector_store_timeout": (504, "server_error"),
    "rate_limit_exceeded": (429, "rate_limit_error"),
    "too_many_requests": (429, "rate_limit_error"),
    "insufficient_quota": (429, "rate_limit_error"),
    **{code: (400, "invalid_request_error") for code in _INVALID_INPUT_CODES},
}

# An error that names an OpenAI type but an unknown code is classified by its type.
TYPE_STATUSES: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "server_error": 500,
}

LIMITS: tuple[str, ...] = ("requests", "tokens")
MAX_RAW_MESSAGE = 500


def _retry_after(status: int, headers: Mapping[str, str]) -> float | None:
    milliseconds = seconds(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    delay = seconds(headers.get("retry-after"))
    if delay is not None or status != 429:
        # The reset headers come with every answer; only a 429 makes them a retry hint.
        return delay
    resets = {kind: parse_duration(headers.get(f"x-ratelimit-reset-{kind}")) for kind in LIMITS}
    known = {kind: reset for kind, reset in resets.items() if reset is not None}
    # A limit with quota left did not block the request; every exhausted one must reset.
    exhausted = [
        reset for kind, reset in known.items() if headers.get(f"x-ratelimit-remaining-{kind}", "").strip() == "0"
    ]
    candidates = exhausted or list(known.values())
    return max(candidates) if candidates else None


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> UpstreamErrorInfo:
    """An OpenAI error answer as info; a body that is not the envelope keeps its text."""
    payload = load_error_body(body)
    error = payload.get("error") if isinstance(payload, Mapping) else None
    fields = error if isinstance(error, Mapping) else {}
    message = nonempty_string(fields.get("message")) or nonempty_string(error)
    if message is None:
        # A proxy's HTML page or plain text in front of the API: its text is the best message.
        message = body.decode("utf-8", errors="replace").strip()[:MAX_RAW_MESSAGE] or None
    return UpstreamErrorInfo(
        status=status,
        type=error_type_for_status(status),
        message=message or f"upstream answered HTTP {status}",
        code=nonempty_string(fields.get("code")),
        retry_after=_retry_after(status, headers),
    )


def stream_error_info(error: Any) -> UpstreamErrorInfo:
    """An error reported inside a stream: a `response.error` object or an `error` event.

    The documented event puts `code` and `message` at its top level; the API has also been seen
    nesting them in an `error` object, so both shapes are read.
    """
    fields = error if isinstance(error, Mapping) else {}
    if isinstance(fields.get("error"), Mapping):
        fields = fields["error"]
    code = nonempty_string(fields.get("code"))
    kind = nonempty_string(fields.get("type"))
    if code in STREAM_CODES:
        status, openai_type = STREAM_CODES[code]
    elif kind in TYPE_STATUSES:
        status, openai_type = TYPE_STATUSES[kind], kind
    else:
        status, openai_type = 500, "server_error"
    return UpstreamErrorInfo(
        status=status,
        type=openai_type,
        message=nonempty_string(fields.get("message")) or "the upstream reported an error in its stream",
        code=code or (kind if kind != "error" else None),
    )
