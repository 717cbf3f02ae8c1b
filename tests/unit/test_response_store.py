"""The Responses store: bounded in number (least recently used first out) and expiring."""

from __future__ import annotations

from gateway.state.response_store import ResponseStore


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_stored_conversation_comes_back_until_it_expires():
    clock = Clock()
    store = ResponseStore(max_entries=10, ttl=60, clock=clock)
    store.put("resp_1", [{"role": "user", "content": "Hi"}])
    clock.now = 59.9
    assert store.get("resp_1") == ({"role": "user", "content": "Hi"},)
    clock.now = 60.0
    assert store.get("resp_1") is None and len(store) == 0


def test_past_its_size_the_least_recently_used_goes_first():
    store = ResponseStore(max_entries=2, ttl=60, clock=Clock())
    store.put("a", [])
    store.put("b", [])
    assert store.get("a") == ()  # now "b" is the least recently used
    store.put("c", [])
    assert store.get("b") is None and store.get("a") == () and store.get("c") == ()
    assert len(store) == 2
