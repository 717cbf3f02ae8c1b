"""A dropped large buffer goes back to the system even when small allocations came after it."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os
from gateway.core.memory import give_back_freed_memory

def rss():
    for line in open(f"/proc/{os.getpid()}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

start = rss()
chunks, later = [], []
for _ in range(1600):  # 100 MiB in body-sized chunks, each followed by a small live allocation
    chunks.append(os.urandom(65536))
    later.append(os.urandom(1024))
del chunks
freed = rss()
give_back_freed_memory()
print(start, freed, rss())
"""


def test_freed_chunks_below_live_allocations_are_handed_back():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60)
    start, freed, trimmed = map(float, out.stdout.split())
    assert freed - start > 30, "the allocator gave the memory back by itself: the test proves nothing"
    assert trimmed - start < 16
