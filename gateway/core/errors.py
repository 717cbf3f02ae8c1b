"""The errors the gateway answers with, whatever the client's dialect.

    GatewayError                 status, type, code, message, param, retry_after
    ├── ClientError              the request is wrong: 400, 401, 404, 413 (never retried)
    ├── RateLimited              every candidate credential is cooling down: 429 + Retry-After
    ├── NotImplementedDialect    the target's dialect has no translator yet: 501
    └── UpstreamError            the upstream failed: 502 / 504, or its own 4xx passed back

Messages say what to do and never carry a secret: they are built from key paths, provider
entry names and model ids only. Each client codec renders them in its own envelope.
"""

from __future__ import annotations

import math

__all__ = [
    "ClientError",
    "GatewayError",
    "NotImplementedDialect",
    "RateLimited",
    "UpstreamError",
]


class GatewayError(Exception):
    """An answer the gateway gives instead of the upstream's."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.retry_after = retry_after

    def headers(self) -> list[tuple[bytes, bytes]]:
        if self.retry_after is None:
            return []
        seconds = max(1, math.ceil(self.retry_after))
        return [(b"retry-after", str(seconds).encode())]


class ClientError(GatewayError):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(status, message, type=type, code=code, param=param)


class RateLimited(GatewayError):
    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(429, message, type="rate_limit_error", code="rate_limit_exceeded", retry_after=retry_after)


class NotImplementedDialect(GatewayError):
    def __init__(self, message: str) -> None:
        super().__init__(501, message, type="not_implemented_error", code="dialect_not_implemented")


class UpstreamError(GatewayError):
    """The upstream failed or refused; `status` is what the client gets."""
