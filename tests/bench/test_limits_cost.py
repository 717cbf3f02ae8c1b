"""`python -m bench.limits_cost` runs and measures every limit: each figure is a number, and the
protocol runs answered every request (the script raises otherwise). No figure is held to a
threshold: this machine is shared and noisy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LABELS = ("head timer", "body timer", "disconnect watch", "httptools protocol", "guarded protocol", "guard's share")


def test_every_limit_is_measured():
    done = subprocess.run(
        [sys.executable, "-m", "bench.limits_cost", "--requests", "300", "--rounds", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for label in LABELS:
        line = next((line for line in done.stdout.splitlines() if label in line), None)
        assert line is not None, (label, done.stdout)
        assert re.search(r"-?\d+\.\d\d us$", line), line
