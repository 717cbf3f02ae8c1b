"""Reading an upstream's "retry later" hints from response headers.

Sources, first found wins: `retry-after-ms` (milliseconds), `Retry-After` (delta-seconds or
an HTTP-date, RFC 9110 §10.2.3), then OpenAI's `x-ratelimit-reset-requests` /
`x-ratelimit-reset-tokens` durations such as "1s", "6m0s" or "250ms" (the longer of the two,
since both limits must have reset).
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from translators.common import parse_duration

__all__ = ["parse_duration", "retry_after_seconds"]


def retry_after_seconds(headers: Mapping[str, str], *, now: float) -> float | None:
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        seconds = _retry_after(value, now)
        if seconds is not None:
            return seconds
    parsed = [
        parse_duration(headers[name])
        for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")
        if headers.get(name)
    ]
    resets = [r for r in parsed if r is not None]
    return max(resets) if resets else None


def _retry_after(value: str, now: float) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        seconds = float(value)
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, seconds)
