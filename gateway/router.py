"""Choosing the order in which a pool's targets are tried.

`round-robin` starts each request one target further along the pool, so load spreads evenly
over whichever targets are eligible; `fill-first` always starts at the first eligible target,
so later keys only serve while earlier ones cool down. Cooling targets are skipped, not
counted as attempts.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.catalog import Pool, Target
from gateway.credentials import Cooldowns

__all__ = ["Plan", "Router"]


@dataclass(frozen=True, slots=True)
class Plan:
    """Targets to try, in order; when empty, `recovers_at` is the earliest time one is free."""

    targets: tuple[Target, ...]
    recovers_at: float


class Router:
    __slots__ = ("strategy", "cooldowns", "_cursors")

    def __init__(self, strategy: str, cooldowns: Cooldowns) -> None:
        self.strategy = strategy
        self.cooldowns = cooldowns
        self._cursors: dict[str, int] = {}

    def plan(self, pool: Pool, now: float) -> Plan:
        eligible: list[Target] = []
        recovers_at = float("inf")
        for target in pool.targets:
            until = self.cooldowns.blocked_until(target.credential.id, target.upstream_model, now)
            if until:
                recovers_at = min(recovers_at, until)
            else:
                eligible.append(target)
        if self.strategy == "round-robin" and len(eligible) > 1:
            cursor = self._cursors.get(pool.id, 0)
            self._cursors[pool.id] = cursor + 1
            start = cursor % len(eligible)
            eligible = eligible[start:] + eligible[:start]
        return Plan(tuple(eligible), recovers_at)
