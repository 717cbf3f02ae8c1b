"""Errors raised by translators, and the parsed shape of an upstream's error answer.

A translator raises `TranslationError` when a request cannot be expressed in the target
dialect (the gateway answers 400 naming `param`), or when an upstream payload breaks the
dialect's documented format (the gateway answers 502).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["StreamError", "TranslationError", "UpstreamErrorInfo"]


class TranslationError(Exception):
    """A request or payload that cannot be translated; `param` names the offending field."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(frozen=True, slots=True)
class UpstreamErrorInfo:
    """What an upstream's error answer means, independent of its dialect.

    `type` is an OpenAI error type (`invalid_request_error`, `rate_limit_error`, ...);
    `retry_after` is seconds until the upstream says a retry may succeed, if it said so.
    """

    status: int
    type: str
    message: str
    code: str | None = None
    retry_after: float | None = None


class StreamError(Exception):
    """The upstream reported an error inside a stream that had already started."""

    def __init__(self, info: UpstreamErrorInfo) -> None:
        super().__init__(info.message)
        self.info = info
