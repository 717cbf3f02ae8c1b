"""The memory trimmer gives freed pages back only when the process grew past its slack."""

from __future__ import annotations

from gateway.core.memory import MemoryTrimmer, resident_bytes


def test_it_trims_only_above_the_baseline_plus_slack():
    sizes = iter([100, 110, 200])
    trims: list[int] = []
    trimmer = MemoryTrimmer(slack=50, resident=lambda: next(sizes), trim=lambda: trims.append(1))
    trimmer._baseline = next(sizes)  # 100: what start() records
    assert trimmer.check() is False  # 110: within the slack
    assert trimmer.check() is True and trims == [1]  # 200: past it


def test_resident_size_is_read_from_proc():
    assert resident_bytes() > 10 << 20
