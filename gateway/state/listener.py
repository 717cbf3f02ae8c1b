"""What the cooldown book and the circuit breaker report after a change of their own.

Replicas share these changes through gateway.state.shared. The stores call a listener only for
changes they made themselves; state that arrives from elsewhere is set with their `apply_*`
methods, which never call it back (no echo loops). Times are wall-clock epoch seconds.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["StateListener"]


class StateListener(Protocol):
    def cooldown_set(self, credential: str, model: str, until: float) -> None:
        """The pair is set aside until `until`; model "" sets the whole credential aside (401/403)."""
        ...

    def cooldown_cleared(self, credential: str, model: str) -> None:
        """A success reset the pair's backoff."""
        ...

    def circuit_opened(self, credential: str, model: str, open_until: float) -> None: ...

    def circuit_closed(self, credential: str, model: str) -> None: ...
