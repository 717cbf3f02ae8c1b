"""Why one attempt against one target failed, as types the failover loop and breaker read.

    AttemptFailure                 the target failed before the client got a byte: try the next
    ├── Refused                    nothing was sent: the target cannot take this request
    ├── StatusFailure              the upstream answered a status that is its fault, not the client's
    │   ├── RateLimitedFailure     429: cool the (credential, model) down for `retry_after`
    │   ├── AuthFailure            401/403: set the credential aside
    │   └── ServerFailure          5xx, 408, 409, 425, 529, a redirect
    ├── TimeoutFailure             no answer in time; `phase` says which timeout
    ├── ConnectFailure             the upstream could not be reached
    └── CutFailure                 the connection broke, or the answer broke the dialect's format

Each carries `error`, the `GatewayError` the client gets if no other target serves, and
`outcome`, the short label of the attempt (metrics, logs). Only `counts_against_circuit`
failures open a breaker: a rate limit or a bad key says nothing of the target's health.
"""

from __future__ import annotations

from typing import ClassVar

from gateway.core.errors import GatewayError, RateLimited, UpstreamError
from gateway.core.targets import Target

__all__ = [
    "AttemptFailure",
    "AuthFailure",
    "ConnectFailure",
    "CutFailure",
    "RateLimitedFailure",
    "Refused",
    "ServerFailure",
    "StatusFailure",
    "TimeoutFailure",
]


class AttemptFailure(Exception):
    outcome: ClassVar[str] = "error"
    counts_against_circuit: ClassVar[bool] = True
    sent: ClassVar[bool] = True

    def __init__(self, target: Target, error: GatewayError) -> None:
        super().__init__(error.message)
        self.target = target
        self.error = error
        # Seconds from sending to the failure; set by the caller that timed the attempt.
        self.latency: float | None = None


class Refused(AttemptFailure):
    """The target's dialect cannot express the request (or lacks the operation); nothing sent."""

    outcome = "refused"
    counts_against_circuit = False
    sent = False


class StatusFailure(AttemptFailure):
    outcome = "server_error"

    def __init__(self, target: Target, error: GatewayError, *, status: int) -> None:
        super().__init__(target, error)
        self.status = status


class RateLimitedFailure(StatusFailure):
    outcome = "rate_limited"
    counts_against_circuit = False

    def __init__(self, target: Target, error: GatewayError, *, status: int, retry_after: float | None) -> None:
        super().__init__(target, error, status=status)
        self.retry_after = retry_after


class AuthFailure(StatusFailure):
    outcome = "auth"
    counts_against_circuit = False


class ServerFailure(StatusFailure):
    outcome = "server_error"


class TimeoutFailure(AttemptFailure):
    outcome = "timeout"

    def __init__(self, target: Target, phase: str) -> None:
        what = TIMEOUT_PHASES[phase]
        super().__init__(
            target,
            UpstreamError(
                504,
                f"Provider {target.credential.provider.name} {what}; try again or raise the timeouts in the config.",
                type="timeout_error",
                code="upstream_timeout",
            ),
        )
        self.phase = phase


TIMEOUT_PHASES = {
    "first_byte": "did not answer within timeouts.first-byte-seconds",
    "body": "timed out while sending its answer",
    "idle": "went silent mid-stream (timeouts.idle-seconds)",
    "total": "exceeded timeouts.total-seconds",
}


class ConnectFailure(AttemptFailure):
    outcome = "connect"

    def __init__(self, target: Target, reason: str) -> None:
        provider = target.credential.provider.name
        super().__init__(
            target,
            UpstreamError(
                502,
                f"Provider {provider} is unreachable ({reason}); check its base-url.",
                type="server_error",
                code="upstream_unreachable",
            ),
        )


class CutFailure(AttemptFailure):
    outcome = "cut"

    @classmethod
    def too_large(cls, target: Target, setting: str, limit: int) -> CutFailure:
        return cls(
            target,
            UpstreamError(
                502,
                f"Provider {target.credential.provider.name} sent more than {setting} ({limit} bytes) "
                "without finishing; raise that limit in the config if such answers are expected.",
                type="server_error",
                code="upstream_answer_too_large",
            ),
        )

    @classmethod
    def broken(cls, target: Target) -> CutFailure:
        return cls(
            target,
            UpstreamError(
                502,
                f"Provider {target.credential.provider.name} broke the connection mid-answer.",
                type="server_error",
                code="upstream_connection_broken",
            ),
        )


def rate_limited_everywhere(route_id: str, wait: float) -> RateLimited:
    """What the client gets when every credential that could serve is cooling down."""
    return RateLimited(
        f"Every credential serving {route_id!r} is rate limited; retry after {wait:.0f} s.", retry_after=wait
    )
