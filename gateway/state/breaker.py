"""Target health: circuit breakers, moving-average latency, probe results.

Keyed like cooldowns by (credential id, upstream model); an active probe, which checks a
credential rather than a model, writes under (credential id, ""). A target is

    healthy   answering, moving-average time to first byte under the threshold
    degraded  answering, but slower than `degraded-threshold-ms`
    down      circuit open (consecutive failures) or its last probe failed

Breaker: `failure-threshold` consecutive failures open the circuit for `cool-off-seconds`;
after that the target is half-open: one plan may include it, and that trial's outcome
closes the circuit or opens it again. Time is passed in, never read here: wall-clock epoch
seconds, so a `listener` can share openings and closings with other processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config.models import CircuitBreakerConfig
from gateway.state.listener import StateListener

__all__ = ["CircuitBreaker", "TargetState"]

# Weight of the newest sample in the moving average of time to first byte.
LATENCY_WEIGHT = 0.3
# Passthrough entries let clients name any model: past this many tracked targets, healthy ones
# are forgotten (they lose only their latency average).
MAX_TRACKED = 10_000
_WHOLE_KEY = ""


@dataclass(slots=True)
class TargetState:
    failures: int = 0
    open_until: float = 0.0
    opened: bool = False
    latency: float | None = None  # seconds, moving average
    probe_ok: bool | None = None


class CircuitBreaker:
    """Per-target breaker, with the moving-average latency and probe verdicts that decide
    healthy / degraded / down."""

    __slots__ = ("breaker", "degraded_seconds", "_states", "listener")

    def __init__(self, breaker: CircuitBreakerConfig, *, degraded_ms: float) -> None:
        self.breaker = breaker
        self.degraded_seconds = degraded_ms / 1000.0
        self._states: dict[tuple[str, str], TargetState] = {}
        # Told of this process's own openings and closings (shared state); None: nobody to tell.
        self.listener: StateListener | None = None

    def configure(self, breaker: CircuitBreakerConfig, *, degraded_ms: float) -> None:
        self.breaker = breaker
        self.degraded_seconds = degraded_ms / 1000.0

    @property
    def tracking(self) -> bool:
        """False until any target has a recorded outcome: plans can skip health ordering."""
        return bool(self._states)

    def _state(self, credential: str, model: str) -> TargetState:
        key = (credential, model)
        state = self._states.get(key)
        if state is None:
            if len(self._states) >= MAX_TRACKED:
                self._forget_quiet()
            state = self._states[key] = TargetState()
        return state

    def _forget_quiet(self) -> None:
        """Bounds memory when clients pass many model names through: keeps failing targets."""
        for key in [k for k, s in self._states.items() if not s.opened and not s.failures and k[1]]:
            del self._states[key]

    def admits(self, credential: str, model: str, now: float) -> bool:
        """May a plan put this target among the first choices? (Down targets are last resorts.)"""
        if not self._states:
            return True
        probe = self._states.get((credential, _WHOLE_KEY))
        if probe is not None and probe.probe_ok is False:
            return False
        state = self._states.get((credential, model))
        return state is None or not state.opened or now >= state.open_until

    def claim(self, credential: str, model: str, now: float) -> bool:
        """Called just before an attempt: a half-open circuit lets one trial through per cool-off."""
        if not self._states:
            return True
        state = self._states.get((credential, model))
        if state is None or not state.opened:
            return True
        if now < state.open_until:
            return False
        state.open_until = now + self.breaker.cool_off_seconds
        return True

    def answered(self, credential: str, model: str) -> None:
        """The upstream answered (even if it refused the request): it is not failing."""
        state = self._states.get((credential, model))
        if state is not None:
            if state.opened and self.listener is not None:
                self.listener.circuit_closed(credential, model)
            state.failures = 0
            state.opened = False

    def succeeded(self, credential: str, model: str, *, latency: float | None, finished: bool = True) -> None:
        """`finished=False`: a stream has started; its end (or break) settles the failure count."""
        state = self._state(credential, model)
        if finished:
            if state.opened and self.listener is not None:
                self.listener.circuit_closed(credential, model)
            state.failures = 0
            state.opened = False
        if latency is not None:
            state.latency = (
                latency if state.latency is None else (LATENCY_WEIGHT * latency + (1 - LATENCY_WEIGHT) * state.latency)
            )

    def failed(self, credential: str, model: str, *, now: float) -> bool:
        """Counts a failure; True when it opened (or re-opened) the circuit."""
        state = self._state(credential, model)
        state.failures += 1
        if state.opened or state.failures >= self.breaker.failure_threshold:
            state.opened = True
            state.open_until = now + self.breaker.cool_off_seconds
            if self.listener is not None:
                self.listener.circuit_opened(credential, model, state.open_until)
            return True
        return False

    def apply_opened(self, credential: str, model: str, open_until: float) -> None:
        """Another process opened the circuit: the later reopening time wins."""
        state = self._state(credential, model)
        state.opened = True
        state.open_until = max(state.open_until, open_until)

    def apply_closed(self, credential: str, model: str) -> None:
        """Another process saw the target answer again."""
        state = self._states.get((credential, model))
        if state is not None:
            state.failures = 0
            state.opened = False

    def open_circuits(self, now: float) -> list[tuple[str, str, float]]:
        """(credential, model, open_until) of circuits open and not yet half-open, to share."""
        return [(c, m, s.open_until) for (c, m), s in self._states.items() if s.opened and s.open_until > now]

    def probed(self, credential: str, *, ok: bool, latency: float | None) -> None:
        state = self._state(credential, _WHOLE_KEY)
        state.probe_ok = ok
        if ok and latency is not None:
            state.latency = latency

    def forget_probes(self) -> None:
        """Health checks were switched off: their last verdicts must not keep a target down."""
        for (_credential, model), state in self._states.items():
            if model == _WHOLE_KEY:
                state.probe_ok = None

    def latency(self, credential: str, model: str) -> float | None:
        state = self._states.get((credential, model))
        if state is not None and state.latency is not None:
            return state.latency
        probe = self._states.get((credential, _WHOLE_KEY))
        return probe.latency if probe is not None else None

    def status(self, credential: str, model: str, now: float, degraded_ms: float | None = None) -> str:
        """healthy, degraded or down; `degraded_ms` overrides the threshold (a provider's own)."""
        state = self._states.get((credential, model))
        probe = self._states.get((credential, _WHOLE_KEY))
        if (state is not None and state.opened) or (probe is not None and probe.probe_ok is False):
            return "down"
        latency = self.latency(credential, model)
        threshold = self.degraded_seconds if degraded_ms is None else degraded_ms / 1000.0
        return "degraded" if latency is not None and latency > threshold else "healthy"

    def failures(self, credential: str, model: str) -> int:
        state = self._states.get((credential, model))
        return state.failures if state is not None else 0
