"""Credential cooldowns: who may be tried now, and when the next one recovers.

State is keyed by (credential id, upstream model) because providers meter quotas per model,
plus (credential id, "") for failures of the key itself (401/403). Time is always passed in
(`now`), so tests drive the clock instead of sleeping. A success clears the backoff.
Times are wall-clock epoch seconds, so a `listener` can share them with other processes.
"""

from __future__ import annotations

from gateway.config.models import CooldownConfig
from gateway.state.listener import StateListener

__all__ = ["CooldownStore"]

_WHOLE_KEY = ""
MAX_TRACKED = 10_000


class CooldownStore:
    """In-memory cooldown book; one per process, kept across config reloads."""

    __slots__ = ("_policy", "_until", "_strikes", "listener")

    def __init__(self, policy: CooldownConfig) -> None:
        self._policy = policy
        self._until: dict[tuple[str, str], float] = {}
        self._strikes: dict[tuple[str, str], int] = {}
        # Told of this process's own changes (shared state); None: nobody to tell.
        self.listener: StateListener | None = None

    @property
    def policy(self) -> CooldownConfig:
        return self._policy

    @policy.setter
    def policy(self, policy: CooldownConfig) -> None:
        self._policy = policy

    def blocked_until(self, credential: str, model: str, now: float) -> float:
        """0.0 when the pair may be tried now, else the time it recovers."""
        if not self._until:
            return 0.0
        latest = 0.0
        for key in ((credential, model), (credential, _WHOLE_KEY)):
            until = self._until.get(key)
            if until is None:
                continue
            if until <= now:
                del self._until[key]
            elif until > latest:
                latest = until
        return latest

    def rate_limited(self, credential: str, model: str, *, retry_after: float | None, now: float) -> float:
        """Sets the pair aside for the provider's hint (capped) or the next backoff step."""
        if len(self._until) >= MAX_TRACKED or len(self._strikes) >= MAX_TRACKED:
            self._prune(now)
        key = (credential, model)
        strikes = self._strikes.get(key, 0) + 1
        self._strikes[key] = strikes
        if retry_after is not None and retry_after >= 0:
            delay = min(retry_after, self._policy.max_retry_after_seconds)
        else:
            delay = min(2.0 ** (strikes - 1), self._policy.backoff_max_seconds)
        until = now + delay
        latest = self._until[key] = max(until, self._until.get(key, 0.0))
        if self.listener is not None:
            self.listener.cooldown_set(credential, model, latest)
        return until

    def auth_failed(self, credential: str, *, now: float) -> float:
        until = now + self._policy.auth_failure_seconds
        self._until[(credential, _WHOLE_KEY)] = until
        if self.listener is not None:
            self.listener.cooldown_set(credential, _WHOLE_KEY, until)
        return until

    def _prune(self, now: float) -> None:
        """Drops expired cooldowns and the backoff of pairs no longer cooling (clients can pass
        any model name through, so these maps must not grow with them)."""
        self._until = {k: v for k, v in self._until.items() if v > now}
        self._strikes = {k: v for k, v in self._strikes.items() if k in self._until}

    def succeeded(self, credential: str, model: str) -> None:
        if self._strikes and self._strikes.pop((credential, model), None) is not None and self.listener is not None:
            self.listener.cooldown_cleared(credential, model)

    def apply_cooldown(self, credential: str, model: str, until: float, *, now: float) -> None:
        """Another process set the pair aside: the later of its time and ours wins."""
        if until <= now:
            return
        if len(self._until) >= MAX_TRACKED:
            self._prune(now)
        key = (credential, model)
        self._until[key] = max(until, self._until.get(key, 0.0))

    def apply_cleared(self, credential: str, model: str) -> None:
        """Another process succeeded with the pair: its backoff starts over here too."""
        if self._strikes:
            self._strikes.pop((credential, model), None)

    def cooling(self, now: float) -> list[tuple[str, str, float]]:
        """(credential, model, until) of every pair still set aside, to share with other processes."""
        return [(credential, model, until) for (credential, model), until in self._until.items() if until > now]
