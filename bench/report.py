"""The bench's outputs: comparisons of raw figures, one markdown table, and the JSON files.

The JSON keeps every raw figure (bench/results/<timestamp>.json, copied to latest.json); the
table shows medians and p90/p99 where they matter. A figure that could not be measured is
None in the JSON and "n/a" (with the reason, e.g. the HTTP status) in the table.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

__all__ = ["added", "compare_latency", "ratio", "render_table", "stream_added", "write_json"]

Row = tuple[str, str, str, str, str, str]
MIB = 2**20


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def added(through: float | None, direct: float | None) -> float | None:
    return None if through is None or direct is None else through - direct


def _get(figures: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(figures, dict):
            return None
        figures = figures.get(key)
    return figures


def compare_latency(direct: dict[str, Any], through: dict[str, Any]) -> dict[str, Any]:
    keys = ("p50", "p90", "p99")
    return {
        "direct_us": {k: _get(direct, "latency_us", k) for k in keys},
        "gateway_us": {k: _get(through, "latency_us", k) for k in keys},
        "added_us": {k: added(_get(through, "latency_us", k), _get(direct, "latency_us", k)) for k in keys},
    }


def stream_added(direct: dict[str, Any], through: dict[str, Any]) -> dict[str, float | None]:
    return {
        "ttfb_ms": added(_get(through, "ttfb_ms", "p50"), _get(direct, "ttfb_ms", "p50")),
        "first_token_ms": added(_get(through, "first_token_ms", "p50"), _get(direct, "first_token_ms", "p50")),
        "per_chunk_us": added(_get(through, "chunk_delay_us", "p50"), _get(direct, "chunk_delay_us", "p50")),
    }


def write_json(directory: Path, stamp: str, record: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stamp}.json"
    path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    shutil.copyfile(path, directory / "latest.json")
    return path


def _num(value: float | None, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _signed(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:+,.{digits}f}"


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}x"


def _rows(record: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    side = _get(record, "comparisons", "litellm") or {}

    def theirs(path: tuple[str, ...], fmt: Callable[[float | None], str]) -> tuple[str, str]:
        if not side or side.get("status") != "ok":
            return "", ""
        return fmt(_get(side, *path)), _times(_get(side, "ratios", path[-1]))

    thr = record["throughput"]
    rows.append(
        (
            f"Throughput, c{thr['connections']}, non-stream (req/s)",
            _num(thr["direct_rps"]),
            _num(thr["gateway_rps"]),
            f"{_times(thr['ratio'])} of direct",
            *theirs(("figures", "throughput_rps"), _num),
        )
    )
    lat = record["latency"]
    for key in ("p50", "p90", "p99"):
        rows.append(
            (
                f"Latency, c1, {key} (us)",
                _num(lat["direct_us"][key]),
                _num(lat["gateway_us"][key]),
                f"{_signed(lat['added_us'][key])} added",
                *theirs(("figures", f"latency_{key}_us"), _num),
            )
        )
    for level, figures in record["streaming"].items():
        direct, through, extra = figures["direct"], figures["gateway"], figures["added"]
        rows.append(
            (
                f"Stream, {level}: time to first byte p50 (ms)",
                _num(_get(direct, "ttfb_ms", "p50"), 2),
                _num(_get(through, "ttfb_ms", "p50"), 2),
                f"{_signed(extra['ttfb_ms'], 2)} added",
                "",
                "",
            )
        )
        rows.append(
            (
                f"Stream, {level}: first content token p50 (ms)",
                _num(_get(direct, "first_token_ms", "p50"), 2),
                _num(_get(through, "first_token_ms", "p50"), 2),
                f"{_signed(extra['first_token_ms'], 2)} added",
                *(theirs(("figures", "first_token_ms"), lambda v: _num(v, 2)) if level == "c1" else ("", "")),
            )
        )
        rows.append(
            (
                f"Stream, {level}: chunk transit p50 (us)",
                _num(_get(direct, "chunk_delay_us", "p50")),
                _num(_get(through, "chunk_delay_us", "p50")),
                f"{_signed(extra['per_chunk_us'])} per chunk",
                "",
                "",
            )
        )
    rows += _translation_rows(record["translation"])
    cpu, rss, startup = record["cpu"], record["rss"], record["startup"]
    rows.append(
        (
            "Gateway CPU per request, c64 (us)",
            "",
            _num(record["cpu_us_per_request"]),
            "",
            *theirs(("figures", "cpu_us_per_request"), _num),
        )
    )
    rows.append(("Gateway CPU per stream, c16 (us)", "", _num(cpu.get("stream_c16_per_stream")), "", "", ""))
    rows.append(
        (
            "RSS idle, after start (MiB)",
            "",
            _num(rss["idle_bytes"] / MIB, 1),
            "",
            *theirs(("figures", "rss_idle_mib"), lambda v: _num(v, 1)),
        )
    )
    rows.append(
        (
            "RSS peak, VmHWM (MiB)",
            "",
            _num(rss["peak_bytes"] / MIB, 1),
            "",
            *theirs(("figures", "rss_peak_mib"), lambda v: _num(v, 1)),
        )
    )
    rows.append(
        (
            "Start-up to first 200 (s)",
            "",
            _num(startup["seconds"], 3),
            f"median of {len(startup['runs'])}",
            *theirs(("figures", "startup_seconds"), lambda v: _num(v, 3)),
        )
    )
    rows += _optional_rows(record)
    return rows


def _translation_rows(section: dict[str, Any]) -> list[Row]:
    note = section["note"]
    thr, stream = section.get("throughput"), section.get("stream_c1")
    if thr:
        row: Row = (
            "OpenAI client -> Anthropic upstream, c64 (req/s)",
            _num(thr["direct_rps"]),
            _num(thr["gateway_rps"]),
            f"{_times(thr['ratio'])} of direct",
            "",
            "",
        )
    else:
        row = ("OpenAI client -> Anthropic upstream, c64 (req/s)", "", note, "", "", "")
    if stream:
        second: Row = (
            "OpenAI client -> Anthropic upstream, c1 first token p50 (ms)",
            _num(_get(stream, "direct", "first_token_ms", "p50"), 2),
            _num(_get(stream, "gateway", "first_token_ms", "p50"), 2),
            f"{_signed(_get(stream, 'added', 'first_token_ms'), 2)} added",
            "",
            "",
        )
    else:
        second = (
            "OpenAI client -> Anthropic upstream, c1 first token p50 (ms)",
            "",
            section.get("stream_note", note),
            "",
            "",
            "",
        )
    return [row, second]


def _optional_rows(record: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    soak = record.get("soak")
    if soak:
        growth = (
            f"{_signed(soak['rss_growth_pct'], 1)} % "
            f"({_signed(soak['rss_growth_after_first_tenth_pct'], 1)} % after the first tenth)"
        )
        rows.append(
            (
                f"Soak: {soak['requests']:,} requests, {soak['errors']} error(s): RSS start -> end (MiB)",
                "",
                f"{soak['rss_start_bytes'] / MIB:.1f} -> {soak['rss_end_bytes'] / MIB:.1f}",
                growth,
                "",
                "",
            )
        )
    scale = record.get("scale")
    if scale and scale.get("ratio") is not None:
        rows.append(
            (
                f"Throughput, c64, 1 -> {scale['workers']} workers (req/s)",
                "",
                f"{_num(scale['one_worker_rps'])} -> {_num(scale['workers_rps'])}",
                f"{_times(scale['ratio'])} scaling",
                "",
                "",
            )
        )
    elif scale:
        rows.append(("Throughput, N workers vs 1", "", "n/a", scale.get("note", ""), "", ""))
    return rows


def render_table(record: dict[str, Any]) -> str:
    rows = _rows(record)
    with_side = any(row[4] for row in rows)
    header = ["Metric", "Direct (mock)", "llm-gateway", "Gateway vs direct"]
    if with_side:
        header += ["LiteLLM", "Ours / LiteLLM"]
    width = len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (width - 1)) + "|"]
    lines += ["| " + " | ".join(cell or " " for cell in row[:width]) + " |" for row in rows]
    return "\n".join(lines)
