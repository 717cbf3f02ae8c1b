"""Shared helpers for translator tests: feeding a recorded stream split at every byte."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import pytest


class StreamMachine(Protocol):
    def feed(self, data: bytes) -> list[Any]: ...
    def close(self) -> list[Any]: ...


def feed_whole(machine: StreamMachine, data: bytes) -> list[Any]:
    return machine.feed(data) + machine.close()


def feed_split_at(machine: StreamMachine, data: bytes, cut: int) -> list[Any]:
    return machine.feed(data[:cut]) + machine.feed(data[cut:]) + machine.close()


def feed_bytewise(machine: StreamMachine, data: bytes) -> list[Any]:
    events: list[Any] = []
    for index in range(len(data)):
        events.extend(machine.feed(data[index : index + 1]))
    return events + machine.close()


def assert_same_events_at_every_split(factory: Callable[[], StreamMachine], data: bytes) -> list[Any]:
    """Feeds `data` whole, split in two at every offset, and byte by byte; all must agree."""
    expected = feed_whole(factory(), data)
    for cut in range(len(data) + 1):
        assert feed_split_at(factory(), data, cut) == expected, f"split at byte {cut} differs"
    assert feed_bytewise(factory(), data) == expected, "byte-by-byte feeding differs"
    return expected


@pytest.fixture
def every_split() -> Callable[[Callable[[], StreamMachine], bytes], list[Any]]:
    return assert_same_events_at_every_split
