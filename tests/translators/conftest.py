"""Fixtures for translator tests; the helpers behind them are in `streams.py`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.translators.streams import StreamMachine, assert_same_events_at_every_split


@pytest.fixture
def every_split() -> Callable[[Callable[[], StreamMachine], bytes], list[Any]]:
    return assert_same_events_at_every_split
