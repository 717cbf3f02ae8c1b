"""`bench/run.sh --quick` end to end: exit status, the markdown table, the JSON figures.

The run uses the Python load generator and installs nothing (BENCH_NO_INSTALL=1), so it
behaves the same with or without wrk on the machine. No figure is held to a threshold: the
test checks that every headline figure was measured (a positive number), not how fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.report import render_table

REPO = Path(__file__).resolve().parents[2]
RUN_SH = REPO / "bench" / "run.sh"


@dataclass(frozen=True)
class QuickRun:
    done: subprocess.CompletedProcess[str]
    results: Path

    def latest(self) -> dict[str, Any]:
        return json.loads((self.results / "latest.json").read_text())


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> QuickRun:
    results = tmp_path_factory.mktemp("bench-results")
    env = {
        **os.environ,
        "BENCH_NO_INSTALL": "1",
        "BENCH_LOADGEN": "python",
        "BENCH_PYTHON": sys.executable,
        "BENCH_RESULTS_DIR": str(results),
    }
    done = subprocess.run(
        ["bash", str(RUN_SH), "--quick"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return QuickRun(done, results)


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def test_quick_run_exits_zero(quick_run: QuickRun) -> None:
    assert quick_run.done.returncode == 0, quick_run.done.stderr[-4000:]


def test_quick_run_prints_one_markdown_table_with_the_headline_rows(quick_run: QuickRun) -> None:
    table = [line for line in quick_run.done.stdout.splitlines() if line.startswith("|")]
    assert table[0].startswith("| Metric | Direct (mock) | llm-gateway |")
    assert set(table[1]) <= set("|-: ")
    text = "\n".join(table)
    for row in (
        "Throughput, c64",
        "Latency, c1, p50",
        "Latency, c1, p99",
        "Stream, c1: time to first byte",
        "Stream, c16: first content token",
        "chunk transit",
        "OpenAI client -> Anthropic upstream",
        "CPU per request",
        "RSS idle",
        "RSS peak",
        "Start-up to first 200",
    ):
        assert row in text, row


def test_quick_run_writes_a_timestamped_json_and_latest_json_with_the_same_figures(quick_run: QuickRun) -> None:
    latest = quick_run.latest()
    stamped = quick_run.results / f"{latest['timestamp']}.json"
    assert json.loads(stamped.read_text()) == latest
    assert latest["mode"] == "quick"
    assert latest["environment"]["loadgen"] == "python"


def test_quick_run_json_has_positive_throughput_latency_cpu_and_rss(quick_run: QuickRun) -> None:
    data = quick_run.latest()
    throughput, latency = data["throughput"], data["latency"]
    assert throughput["connections"] == 64
    assert _positive(throughput["direct_rps"]) and _positive(throughput["gateway_rps"])
    assert _positive(throughput["ratio"])
    for key in ("p50", "p90", "p99"):
        assert _positive(latency["direct_us"][key]) and _positive(latency["gateway_us"][key])
        assert isinstance(latency["added_us"][key], float)
    assert _positive(data["cpu_us_per_request"])
    assert _positive(data["rss"]["idle_bytes"]) and _positive(data["rss"]["peak_bytes"])
    assert data["rss"]["peak_bytes"] >= data["rss"]["idle_bytes"]
    assert _positive(data["startup"]["seconds"])


def test_quick_run_json_times_streams_at_1_and_16_connections(quick_run: QuickRun) -> None:
    streaming = quick_run.latest()["streaming"]
    assert set(streaming) == {"c1", "c16"}
    for level in streaming.values():
        for side in ("direct", "gateway"):
            assert level[side]["streams"] > 0
            assert _positive(level[side]["ttfb_ms"]["p50"])
            assert _positive(level[side]["first_token_ms"]["p50"])
            assert _positive(level[side]["chunk_delay_us"]["p50"])
        assert set(level["added"]) == {"ttfb_ms", "first_token_ms", "per_chunk_us"}


def test_quick_run_reports_the_anthropic_path_as_figures_or_as_the_refusing_status(quick_run: QuickRun) -> None:
    translation = quick_run.latest()["translation"]
    if translation["status"] == 200:
        assert _positive(translation["throughput"]["gateway_rps"])
    else:
        assert translation["throughput"] is None
        assert translation["note"] == f"n/a (HTTP {translation['status']})"
        assert translation["note"] in quick_run.done.stdout


def test_a_refused_anthropic_path_is_rendered_as_na_with_the_status(quick_run: QuickRun) -> None:
    record = quick_run.latest()
    record["translation"] = {
        "status": 501,
        "stream_status": 501,
        "available": False,
        "note": "n/a (HTTP 501)",
        "stream_note": "n/a (HTTP 501)",
        "throughput": None,
        "stream_c1": None,
    }
    rows = [line for line in render_table(record).splitlines() if "Anthropic upstream" in line]
    assert len(rows) == 2
    assert all("n/a (HTTP 501)" in row for row in rows)
