"""The responses the gateway translated, for `previous_response_id`: bounded in number, expiring.

A Responses client continues a conversation by naming the previous response. When that
response came through a translated upstream, only the gateway knows what it said: the store
keeps the hub conversation up to and including it, so the next request can be expanded for
any upstream. Responses a Responses upstream produced natively are not kept: that upstream
holds their state, and a request naming one goes to it as it is. Requests with `store: false`
are not kept either. Least recently used entries go first when the store is full; each
expires `ttl` seconds after it was written.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["ResponseStore"]

Conversation = tuple[dict[str, Any], ...]


class ResponseStore:
    __slots__ = ("_entries", "_max_entries", "_ttl", "_clock")

    def __init__(
        self, *, max_entries: int = 10_000, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: OrderedDict[str, tuple[Conversation, float]] = OrderedDict()
        self._max_entries = max_entries
        self._ttl = ttl
        self._clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, response_id: str, messages: list[dict[str, Any]]) -> None:
        self._entries[response_id] = (tuple(messages), self._clock() + self._ttl)
        self._entries.move_to_end(response_id)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def get(self, response_id: str) -> Conversation | None:
        entry = self._entries.get(response_id)
        if entry is None:
            return None
        messages, expires = entry
        if expires <= self._clock():
            del self._entries[response_id]
            return None
        self._entries.move_to_end(response_id)
        return messages
