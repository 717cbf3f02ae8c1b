"""Choosing the order in which a pool's targets are tried.

Targets are grouped by `priority` (higher first); the strategy orders each group:
`round-robin` starts each request one target further along, so load spreads evenly over the
eligible targets; `fill-first` keeps pool order, so later keys serve only while earlier ones
cannot; `least-latency` sorts by moving-average time to first byte (unmeasured targets
first, so each gets measured). Within a group, degraded targets go after healthy ones.
Cooling targets are left out. Targets whose circuit is open come last, as a last resort,
so that a request is never refused while something might still serve it.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.core.targets import Target
from gateway.routing.catalog import Pool
from gateway.state.breaker import CircuitBreaker
from gateway.state.cooldowns import CooldownStore

__all__ = ["Plan", "Planner"]


@dataclass(frozen=True, slots=True)
class Plan:
    """Targets to try, in order; when empty, `recovers_at` is the earliest time one is free.

    Targets from `last_resort_from` on have an open circuit: tried only when nothing else served.
    """

    targets: tuple[Target, ...]
    recovers_at: float
    last_resort_from: int = 0


class Planner:
    __slots__ = ("strategy", "cooldowns", "health", "_cursors")

    def __init__(self, strategy: str, cooldowns: CooldownStore, health: CircuitBreaker) -> None:
        self.strategy = strategy
        self.cooldowns = cooldowns
        self.health = health
        self._cursors: dict[str, int] = {}

    def plan(self, pool: Pool, now: float) -> Plan:
        eligible: list[Target] = []
        last_resort: list[Target] = []
        recovers_at = float("inf")
        for target in pool.targets:
            credential, model = target.credential.id, target.upstream_model
            until = self.cooldowns.blocked_until(credential, model, now)
            if until:
                recovers_at = min(recovers_at, until)
            elif self.health.admits(credential, model, now):
                eligible.append(target)
            else:
                last_resort.append(target)
        if len(eligible) > 1:
            eligible = self._order(pool.key, eligible, now)
        return Plan(tuple(eligible + last_resort), recovers_at, len(eligible))

    def _order(self, pool_id: str, targets: list[Target], now: float) -> list[Target]:
        cursor = 0
        if self.strategy == "round-robin":
            cursor = self._cursors.get(pool_id, 0)
            self._cursors[pool_id] = cursor + 1
        if any(t.priority != targets[0].priority for t in targets):
            tiers: dict[int, list[Target]] = {}
            for target in targets:
                tiers.setdefault(target.priority, []).append(target)
            groups = [tiers[p] for p in sorted(tiers, reverse=True)]
        else:
            groups = [targets]
        ordered: list[Target] = []
        for group in groups:
            ordered.extend(self._order_tier(group, cursor, now))
        return ordered

    def _order_tier(self, group: list[Target], cursor: int, now: float) -> list[Target]:
        if len(group) < 2:
            return group
        if self.strategy == "round-robin":
            start = cursor % len(group)
            group = group[start:] + group[:start]
        elif self.strategy == "least-latency":
            group = sorted(group, key=self._latency)
        if self.health.tracking:
            # Stable sort: the strategy's order survives among healthy and among degraded.
            group = sorted(group, key=lambda t: self._degraded(t, now))
        return group

    def _latency(self, target: Target) -> float:
        latency = self.health.latency(target.credential.id, target.upstream_model)
        return -1.0 if latency is None else latency

    def _degraded(self, target: Target, now: float) -> bool:
        credential = target.credential
        status = self.health.status(credential.id, target.upstream_model, now, credential.provider.degraded_ms)
        return status == "degraded"
