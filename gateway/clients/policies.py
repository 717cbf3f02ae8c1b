"""What each client key may do: which model ids (glob patterns), and its limits.

The front door asks once per request, after the model is known: `check_model` refuses an id
the key may not use (403 `model_not_allowed`); the limiter's refusal becomes a 429 saying
which limit and its value (`rate_limit_exceeded`, or `insufficient_quota` for a spent budget)
with `Retry-After`. Each client codec renders these in its own envelope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase

from gateway.config.models import ClientKey
from gateway.core.errors import ClientError, GatewayError
from gateway.state.limits import KeyLimits, Refusal

__all__ = ["KeyPolicy", "policy_of"]

UNITS = {
    "rpm": "requests per minute",
    "tpm": "tokens per minute",
    "max-concurrent": "requests at once",
}


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    name: str
    models: tuple[str, ...] | None
    limits: KeyLimits

    def allows(self, model: str) -> bool:
        """`provider^model` is judged as `provider/model`, its other spelling."""
        if self.models is None:
            return True
        slashed = model.replace("^", "/", 1)
        return any(fnmatchcase(model, p) or fnmatchcase(slashed, p) for p in self.models)

    def check_model(self, model: str) -> None:
        if not self.allows(model):
            allowed = ", ".join(self.models or ())
            raise ClientError(
                403,
                f"The client key {self.name!r} may not use the model {model!r}; it may use: {allowed} "
                f"(api-keys models). GET /v1/models lists them.",
                code="model_not_allowed",
                param="model",
                type="permission_error",
            )

    def refused(self, refusal: Refusal) -> GatewayError:
        wait = max(1, math.ceil(refusal.retry_after))
        if refusal.limit == "budget":
            period = self.limits.budget_period
            return GatewayError(
                429,
                f"The client key {self.name!r} has spent its budget of {refusal.value:g} USD this {period} "
                f"(UTC); requests are accepted again when the {period} rolls over, in {wait} s.",
                type="insufficient_quota",
                code="insufficient_quota",
                retry_after=refusal.retry_after,
            )
        value = int(refusal.value) if float(refusal.value).is_integer() else refusal.value
        return GatewayError(
            429,
            f"The client key {self.name!r} is over its {refusal.limit} limit of {value} {UNITS[refusal.limit]}; "
            f"retry after {wait} s.",
            type="rate_limit_error",
            code="rate_limit_exceeded",
            retry_after=refusal.retry_after,
        )


def policy_of(key: ClientKey, name: str) -> KeyPolicy | None:
    """None for a key without model patterns or limits: nothing to check."""
    budget = key.budget
    limits = KeyLimits(
        rpm=key.rpm,
        tpm=key.tpm,
        max_concurrent=key.max_concurrent,
        budget_usd=budget.usd if budget else None,
        budget_period=budget.period if budget else "month",
    )
    if key.models is None and not limits.any:
        return None
    return KeyPolicy(name, key.models, limits)
