"""Session affinity: requests of one conversation stick to the credential that served it.

An agent's conversation re-sends a growing prefix on every turn; on the credential that saw
the last turn the upstream's prompt cache hits, and Anthropic thinking signatures stay valid
for that account. A binding maps (session, pool) to the credential that last answered; the
planner tries that credential first while it is eligible (not cooling, circuit not open), and
the failover loop rebinds to whichever credential answers, so a cooling or broken credential
hands the conversation over once and the next turns stick to the new one. Bindings are bounded
in number (least recently used dropped first) and expire `ttl` seconds after their last use
(passed on each use, so a reloaded config's TTL applies at once).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["SessionAffinity"]


class SessionAffinity:
    __slots__ = ("_bindings", "_max_entries", "_clock")

    def __init__(self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._bindings: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock

    def __len__(self) -> int:
        return len(self._bindings)

    def bound(self, session: str, pool: str) -> str | None:
        """The credential id the session is bound to in this pool, if the binding is alive."""
        entry = self._bindings.get((session, pool))
        if entry is None:
            return None
        credential, expires = entry
        if expires <= self._clock():
            del self._bindings[(session, pool)]
            return None
        return credential

    def bind(self, session: str, pool: str, credential: str, ttl: float) -> None:
        key = (session, pool)
        self._bindings[key] = (credential, self._clock() + ttl)
        self._bindings.move_to_end(key)
        while len(self._bindings) > self._max_entries:
            self._bindings.popitem(last=False)
