"""Session affinity: requests of one conversation stick to the credential that served it.

An agent's conversation re-sends a growing prefix on every turn; on the credential that saw
the last turn the upstream's prompt cache hits, and Anthropic thinking signatures stay valid
for that account. A binding maps (session, pool) to the credential that last answered; the
planner tries that credential first while it is eligible (not cooling, circuit not open), and
the failover loop rebinds to whichever credential answers, so a cooling or broken credential
hands the conversation over once and the next turns stick to the new one. Bindings are bounded
in number (least recently used dropped first) and expire `ttl` seconds after their last use
(passed on each use, so a reloaded config's TTL applies at once).

A Responses conversation continued by `previous_response_id` names a new id on every turn:
each response id produced is remembered as belonging to its session, so the next turn, naming
it, finds the same session.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["SessionAffinity"]

# The pool slot of response-id entries: no pool key is empty.
RESPONSES = ""


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
        return self._get((session, pool))

    def bind(self, session: str, pool: str, credential: str, ttl: float) -> None:
        self._put((session, pool), credential, ttl)

    def session_of(self, response_id: str) -> str | None:
        """The session a response the gateway passed on belongs to, if remembered."""
        return self._get((response_id, RESPONSES))

    def remember(self, response_id: str, session: str, ttl: float) -> None:
        self._put((response_id, RESPONSES), session, ttl)

    def _get(self, key: tuple[str, str]) -> str | None:
        entry = self._bindings.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires <= self._clock():
            del self._bindings[key]
            return None
        return value

    def _put(self, key: tuple[str, str], value: str, ttl: float) -> None:
        self._bindings[key] = (value, self._clock() + ttl)
        self._bindings.move_to_end(key)
        while len(self._bindings) > self._max_entries:
            self._bindings.popitem(last=False)
