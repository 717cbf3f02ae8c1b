"""The cooldown book and the breaker tell a listener of their own changes, never of applied ones."""

from __future__ import annotations

from gateway.config.models import CircuitBreakerConfig, CooldownConfig
from gateway.state.breaker import CircuitBreaker
from gateway.state.cooldowns import CooldownStore


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def cooldown_set(self, credential: str, model: str, until: float) -> None:
        self.calls.append(("cooldown_set", credential, model, until))

    def cooldown_cleared(self, credential: str, model: str) -> None:
        self.calls.append(("cooldown_cleared", credential, model))

    def circuit_opened(self, credential: str, model: str, open_until: float) -> None:
        self.calls.append(("circuit_opened", credential, model, open_until))

    def circuit_closed(self, credential: str, model: str) -> None:
        self.calls.append(("circuit_closed", credential, model))


def test_cooldown_changes_are_reported_with_the_time_that_holds_and_applied_ones_are_not():
    book, recorder = CooldownStore(CooldownConfig(auth_failure_seconds=60)), Recorder()
    book.listener = recorder
    book.rate_limited("c", "m", retry_after=30.0, now=1000.0)
    book.rate_limited("c", "m", retry_after=5.0, now=1001.0)  # the earlier 30 s still holds
    book.auth_failed("c", now=1000.0)
    book.succeeded("c", "m")
    book.succeeded("c", "m")  # nothing left to clear: nothing to report
    book.succeeded("c", "other")
    assert recorder.calls == [
        ("cooldown_set", "c", "m", 1030.0),
        ("cooldown_set", "c", "m", 1030.0),
        ("cooldown_set", "c", "", 1060.0),
        ("cooldown_cleared", "c", "m"),
    ]
    book.apply_cooldown("d", "m", 2000.0, now=1000.0)
    book.apply_cooldown("d", "m", 1500.0, now=1000.0)  # the later time wins
    book.apply_cooldown("e", "m", 900.0, now=1000.0)  # already over
    book.apply_cleared("c", "m")
    assert len(recorder.calls) == 4
    assert book.blocked_until("d", "m", now=1600.0) == 2000.0
    assert sorted(book.cooling(now=1000.0)) == [("c", "", 1060.0), ("c", "m", 1030.0), ("d", "m", 2000.0)]


def test_circuit_openings_and_closings_are_reported_and_applied_ones_are_not():
    breaker, recorder = (
        CircuitBreaker(CircuitBreakerConfig(failure_threshold=2, cool_off_seconds=10), degraded_ms=1000),
        Recorder(),
    )
    breaker.listener = recorder
    breaker.failed("c", "m", now=100.0)
    breaker.succeeded("c", "m", latency=0.1)  # closed already: nothing to report
    breaker.failed("c", "m", now=100.0)
    breaker.failed("c", "m", now=101.0)
    breaker.answered("c", "m")
    assert recorder.calls == [("circuit_opened", "c", "m", 111.0), ("circuit_closed", "c", "m")]
    breaker.apply_opened("d", "m", 200.0)
    assert not breaker.admits("d", "m", now=150.0) and breaker.admits("d", "m", now=200.0)
    assert breaker.open_circuits(now=150.0) == [("d", "m", 200.0)]
    breaker.apply_closed("d", "m")
    assert breaker.admits("d", "m", now=150.0)
    assert len(recorder.calls) == 2
