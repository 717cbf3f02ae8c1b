"""Handing freed memory back to the system after a large buffer is dropped.

A request body is read in chunks of tens of KiB, which glibc serves from its heap; once a
30 MiB upload is dropped, the freed chunks sit below whatever small allocations came after
them, so the heap cannot shrink and the process keeps the memory (measured: 63 of 120 MiB
held after four stalled uploads). `malloc_trim(0)` returns every whole free page, wherever it
lies, in a few milliseconds; it runs only after a multi-megabyte drop, never per request.
Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

__all__ = ["LARGE_BUFFER", "give_back_freed_memory"]

# Below this a dropped buffer is left to the allocator.
LARGE_BUFFER = 1024 * 1024


def _trim() -> Callable[[], None]:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        malloc_trim = libc.malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    malloc_trim.argtypes = [ctypes.c_size_t]
    malloc_trim.restype = ctypes.c_int

    def trim() -> None:
        malloc_trim(0)

    return trim


give_back_freed_memory = _trim()
