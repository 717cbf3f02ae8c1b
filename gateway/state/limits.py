"""Per-client-key limits: requests and tokens per minute, concurrent requests, spend per period.

`admit` decides and counts in one step (for Redis, one script: one round trip), before the
request is routed; `release` settles it when the request finishes: the concurrency slot comes
back, and the tokens and cost it reported are added to the minute's tokens and the period's
spend. Windows slide: a request counts against `rpm` for the 60 s after it was admitted, its
tokens against `tpm` for the 60 s after it finished. Time is passed in.

`MemoryLimiter` keeps the counts in this process (the default); gateway.state.redis_limits
keeps them in Redis so that replicas and workers enforce one limit.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["KeyLimits", "Limiter", "MemoryLimiter", "Refusal", "period_bounds", "period_start"]

WINDOW = 60.0


@dataclass(frozen=True, slots=True)
class KeyLimits:
    rpm: int | None = None
    tpm: int | None = None
    max_concurrent: int | None = None
    budget_usd: float | None = None
    budget_period: str = "month"  # day | month, UTC

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.rpm, self.tpm, self.max_concurrent, self.budget_usd))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Which limit refused the request, its configured value, and when to retry (seconds)."""

    limit: str  # rpm | tpm | max-concurrent | budget
    value: float
    retry_after: float


class Limiter(Protocol):
    async def admit(self, key: str, limits: KeyLimits, now: float) -> Refusal | None:
        """None when the request may go (and it is counted), else why not."""
        ...

    def release(self, key: str, limits: KeyLimits, *, tokens: int, cost_usd: float, now: float) -> None:
        """The admitted request finished; never waits."""
        ...

    def seed_spend(self, key: str, period: str, usd: float) -> None:
        """Spend already recorded in the ledger for the current `period` (at start)."""
        ...


def period_bounds(period: str, now: float) -> tuple[str, float]:
    """The current budget period's id ("2026-12" or "2026-12-06") and when the next begins."""
    moment = datetime.fromtimestamp(now, UTC)
    if period == "day":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.strftime("%Y-%m-%d"), start.timestamp() + 86_400
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    )
    return start.strftime("%Y-%m"), following.timestamp()


def period_start(period: str, now: float) -> float:
    """When the current budget period began (UTC midnight, or the month's first day)."""
    moment = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (moment if period == "day" else moment.replace(day=1)).timestamp()


class _KeyCounts:
    __slots__ = ("requests", "tokens", "token_sum", "concurrent", "spend")

    def __init__(self) -> None:
        self.requests: deque[float] = deque()
        self.tokens: deque[tuple[float, int]] = deque()
        self.token_sum = 0
        self.concurrent = 0
        self.spend: dict[str, float] = {}  # period id -> USD

    def expire(self, now: float) -> None:
        cutoff = now - WINDOW
        requests = self.requests
        while requests and requests[0] <= cutoff:
            requests.popleft()
        tokens = self.tokens
        while tokens and tokens[0][0] <= cutoff:
            self.token_sum -= tokens.popleft()[1]


class MemoryLimiter:
    """Counts in this process: exact sliding windows, one deque per key and limit."""

    __slots__ = ("_keys",)

    def __init__(self) -> None:
        self._keys: dict[str, _KeyCounts] = {}

    def _counts(self, key: str) -> _KeyCounts:
        counts = self._keys.get(key)
        if counts is None:
            counts = self._keys[key] = _KeyCounts()
        return counts

    async def admit(self, key: str, limits: KeyLimits, now: float) -> Refusal | None:
        return self.admit_now(key, limits, now)

    def admit_now(self, key: str, limits: KeyLimits, now: float) -> Refusal | None:
        counts = self._counts(key)
        counts.expire(now)
        if limits.budget_usd is not None:
            period, ends = period_bounds(limits.budget_period, now)
            if counts.spend.get(period, 0.0) >= limits.budget_usd:
                return Refusal("budget", limits.budget_usd, max(ends - now, 1.0))
        if limits.tpm is not None and counts.token_sum >= limits.tpm:
            return Refusal("tpm", limits.tpm, _until_room(counts, limits.tpm, now))
        if limits.rpm is not None and len(counts.requests) >= limits.rpm:
            return Refusal("rpm", limits.rpm, max(counts.requests[0] + WINDOW - now, 0.001))
        if limits.max_concurrent is not None and counts.concurrent >= limits.max_concurrent:
            return Refusal("max-concurrent", limits.max_concurrent, 1.0)
        if limits.rpm is not None:
            counts.requests.append(now)
        if limits.max_concurrent is not None:
            counts.concurrent += 1
        return None

    def release(self, key: str, limits: KeyLimits, *, tokens: int, cost_usd: float, now: float) -> None:
        counts = self._counts(key)
        if limits.max_concurrent is not None and counts.concurrent > 0:
            counts.concurrent -= 1
        if limits.tpm is not None and tokens > 0:
            counts.tokens.append((now, tokens))
            counts.token_sum += tokens
        if limits.budget_usd is not None and cost_usd > 0:
            period, _ = period_bounds(limits.budget_period, now)
            if period not in counts.spend:
                counts.spend = {period: 0.0}  # earlier periods are over
            counts.spend[period] += cost_usd

    def seed_spend(self, key: str, period: str, usd: float) -> None:
        counts = self._counts(key)
        counts.spend[period] = counts.spend.get(period, 0.0) + usd

    def spent(self, key: str, period: str) -> float:
        counts = self._keys.get(key)
        return counts.spend.get(period, 0.0) if counts else 0.0


def _until_room(counts: _KeyCounts, tpm: int, now: float) -> float:
    """Seconds until enough of the minute's tokens expire to fall under `tpm`."""
    excess = counts.token_sum - tpm
    for stamp, tokens in counts.tokens:
        excess -= tokens
        if excess < 0:
            return max(stamp + WINDOW - now, 0.001)
    return WINDOW
