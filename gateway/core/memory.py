"""Giving memory back after a burst: a large refused answer, head or body leaves the C
allocator holding freed pages, so the process would stay at its peak size for good.

Every `interval` seconds, when the resident size is more than `slack` above what it was once
start-up was done, glibc's `malloc_trim(0)` returns the free pages to the system. It costs a
read of /proc/self/statm per interval and nothing on the request path; elsewhere than glibc it
does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
from collections.abc import Callable

from gateway.core.background import BackgroundLoop

__all__ = ["MemoryTrimmer", "resident_bytes"]

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _malloc_trim() -> Callable[[], object] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return lambda: trim(0)


class MemoryTrimmer:
    def __init__(
        self,
        *,
        interval: float = 10.0,
        slack: int = 16 << 20,
        resident: Callable[[], int] = resident_bytes,
        trim: Callable[[], object] | None = None,
    ) -> None:
        self._interval = interval
        self._slack = slack
        self._resident = resident
        self._trim = trim if trim is not None else _malloc_trim()
        self._baseline = 0
        self._loop = BackgroundLoop("memory trimmer", self._run)

    def start(self) -> None:
        if self._trim is not None:
            self._baseline = self._resident()
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    def check(self) -> bool:
        """Trims when resident size is past baseline plus slack; True when it did."""
        if self._trim is None or self._resident() <= self._baseline + self._slack:
            return False
        self._trim()
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self.check()
