"""What a usage report is asked with and how it is printed: for the management endpoint and the CLI.

Times are UTC throughout: a date means its UTC midnight, a datetime without zone is UTC.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import orjson

from gateway.config.durations import parse_duration
from gateway.store.ledger import METRICS, UsageReport, check_group_by

__all__ = ["FORMATS", "parse_group_by", "parse_when", "render"]

_EPOCH = re.compile(r"\d+(?:\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WHEN_FORMS = (
    "a duration back from now (30m, 24h, 7d, 2w), a date (2026-12-01, UTC midnight), "
    "a datetime (2026-12-01T08:00:00, UTC unless it carries a zone such as +02:00 or Z) or epoch seconds"
)


def parse_when(value: str, now: float) -> float:
    """Epoch seconds for `value`, relative durations counted back from `now`."""
    text = value.strip()
    if _EPOCH.fullmatch(text):
        return float(text)
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        if _DATE.fullmatch(text):
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC).timestamp()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a time: write {WHEN_FORMS}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_group_by(value: str) -> tuple[str, ...]:
    """Column names from "key,model": validated, duplicates removed, "" for totals only."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    check_group_by(names)
    return tuple(dict.fromkeys(names))


def _cost(value: float | None) -> str:
    """Up to nine decimals, trailing zeros dropped (0.0000325, 12.5)."""
    if value is None:
        return ""
    text = f"{value:.9f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _json(report: UsageReport) -> str:
    return orjson.dumps({"rows": report.rows, "totals": report.totals}).decode()


def _csv(report: UsageReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*report.group_by, *METRICS])
    for row in report.rows:
        writer.writerow([*(row[c] for c in report.group_by), *(row[m] for m in METRICS[:-1]), _cost(row["cost_usd"])])
    return out.getvalue()


def _cells(row: dict[str, Any], group_by: tuple[str, ...]) -> list[str]:
    cost = row["cost_usd"]
    return [
        *(str(row[c]) for c in group_by),
        *(str(row[m]) for m in METRICS[:-1]),
        "-" if cost is None else _cost(cost),
    ]


def _table(report: UsageReport) -> str:
    """Aligned columns, text left and numbers right, a rule, then the TOTAL line."""
    # Without grouping the TOTAL label needs a column of its own.
    labels = list(report.group_by) or [""]
    header = [*labels, *METRICS]
    body = [_cells(row, report.group_by) for row in report.rows]
    total = ["TOTAL", *[""] * (len(labels) - 1), *_cells(report.totals, ())]
    widths = [max(len(line[i]) for line in [header, *body, total]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < len(labels) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), *(line(cells) for cells in body), rule, line(total)]) + "\n"


FORMATS: dict[str, Callable[[UsageReport], str]] = {"json": _json, "csv": _csv, "table": _table}


def render(report: UsageReport, fmt: str) -> str:
    """`report` as json, csv or table text; ValueError naming the formats for anything else."""
    renderer = FORMATS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown report format {fmt!r}: choose from {', '.join(FORMATS)}")
    return renderer(report)
