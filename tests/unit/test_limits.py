"""The in-memory limiter: exact sliding windows for rpm and tpm, concurrency slots, budgets per
UTC day or month, and the messages a refusal becomes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.clients.policies import KeyPolicy, policy_of
from gateway.config.models import ClientKey
from gateway.state.limits import KeyLimits, MemoryLimiter, Refusal, period_bounds, period_start

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC).timestamp()


def test_rpm_is_a_sliding_window_of_sixty_seconds():
    limiter, limits = MemoryLimiter(), KeyLimits(rpm=2)
    assert limiter.admit_now("k", limits, NOW) is None
    assert limiter.admit_now("k", limits, NOW + 10) is None
    refusal = limiter.admit_now("k", limits, NOW + 20)
    assert refusal == Refusal("rpm", 2, pytest.approx(40.0))
    assert limiter.admit_now("k", limits, NOW + 60.5) is None  # the first one left the window
    assert limiter.admit_now("other", limits, NOW + 20) is None


def test_tpm_counts_tokens_released_and_says_when_there_is_room():
    limiter, limits = MemoryLimiter(), KeyLimits(tpm=100)
    assert limiter.admit_now("k", limits, NOW) is None
    limiter.release("k", limits, tokens=60, cost_usd=0, now=NOW + 1)
    limiter.release("k", limits, tokens=50, cost_usd=0, now=NOW + 30)
    refusal = limiter.admit_now("k", limits, NOW + 31)
    assert refusal is not None and refusal.limit == "tpm" and refusal.retry_after == pytest.approx(30.0)
    assert limiter.admit_now("k", limits, NOW + 61.5) is None


def test_concurrency_slots_come_back_on_release():
    limiter, limits = MemoryLimiter(), KeyLimits(max_concurrent=2)
    assert limiter.admit_now("k", limits, NOW) is None
    assert limiter.admit_now("k", limits, NOW) is None
    assert limiter.admit_now("k", limits, NOW).limit == "max-concurrent"
    limiter.release("k", limits, tokens=0, cost_usd=0, now=NOW)
    assert limiter.admit_now("k", limits, NOW) is None


def test_budget_refuses_once_spent_until_the_period_rolls_over():
    limiter, limits = MemoryLimiter(), KeyLimits(budget_usd=1.0, budget_period="day")
    assert limiter.admit_now("k", limits, NOW) is None
    limiter.release("k", limits, tokens=10, cost_usd=1.2, now=NOW)
    refusal = limiter.admit_now("k", limits, NOW + 1)
    assert refusal is not None and refusal.limit == "budget" and refusal.retry_after == pytest.approx(43_199)
    assert limiter.admit_now("k", limits, NOW + 12 * 3600) is None  # the next UTC day


def test_seeded_spend_counts_against_the_budget():
    limiter, limits = MemoryLimiter(), KeyLimits(budget_usd=5.0)
    limiter.seed_spend("k", period_bounds("month", NOW)[0], 5.0)
    assert limiter.admit_now("k", limits, NOW).limit == "budget"


def test_periods_are_utc_days_and_months():
    assert period_bounds("day", NOW) == ("2026-12-06", datetime(2026, 12, 7, tzinfo=UTC).timestamp())
    assert period_bounds("month", NOW) == ("2026-12", datetime(2027, 1, 1, tzinfo=UTC).timestamp())
    assert period_start("month", NOW) == datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    assert period_start("day", NOW) == datetime(2026, 12, 6, tzinfo=UTC).timestamp()


def test_refusals_name_the_key_the_limit_and_its_value():
    policy = KeyPolicy("team", None, KeyLimits(rpm=10, budget_usd=2.5, budget_period="month"))
    rpm = policy.refused(Refusal("rpm", 10, 12.2))
    assert (rpm.status, rpm.code, rpm.retry_after) == (429, "rate_limit_exceeded", 12.2)
    assert rpm.message == "The client key 'team' is over its rpm limit of 10 requests per minute; retry after 13 s."
    assert rpm.headers() == [(b"retry-after", b"13")]
    budget = policy.refused(Refusal("budget", 2.5, 3600))
    assert (budget.status, budget.type, budget.code) == (429, "insufficient_quota", "insufficient_quota")
    assert "budget of 2.5 USD this month" in budget.message


def test_keys_without_patterns_or_limits_have_no_policy():
    assert policy_of(ClientKey(api_key="k"), "plain") is None
    policy = policy_of(ClientKey.model_validate({"api-key": "k", "models": ["a/*"]}), "named")
    assert policy is not None and policy.allows("a/b") and not policy.allows("b/a") and not policy.limits.any
