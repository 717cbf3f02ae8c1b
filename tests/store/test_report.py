"""parse_when, parse_group_by and render: what the management endpoint and the CLI accept and print."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import orjson
import pytest

from gateway.store.ledger import METRICS, UsageReport
from gateway.store.report import parse_group_by, parse_when, render

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30m", NOW - 1800),
        ("24h", NOW - 86400),
        ("7d", NOW - 7 * 86400),
        ("2w", NOW - 14 * 86400),
        ("90s", NOW - 90),
        ("1.5h", NOW - 5400),
        ("1d12h", NOW - 36 * 3600),  # the config's duration grammar: parts add up
        (" 7d ", NOW - 7 * 86400),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC).timestamp()),
        ("2026-12-01T08:30:00", datetime(2026, 12, 1, 8, 30, tzinfo=UTC).timestamp()),
        ("2026-12-01 08:30", datetime(2026, 12, 1, 8, 30, tzinfo=UTC).timestamp()),
        ("2026-12-01T08:30:00Z", datetime(2026, 12, 1, 8, 30, tzinfo=UTC).timestamp()),
        ("2026-12-01T10:30:00+02:00", datetime(2026, 12, 1, 8, 30, tzinfo=UTC).timestamp()),
        ("1765000000", 1765000000.0),
        ("1765000000.5", 1765000000.5),
    ],
)
def test_parse_when_accepts_durations_dates_datetimes_and_epoch_seconds(value, expected):
    assert parse_when(value, NOW) == expected


@pytest.mark.parametrize("value", ["", "yesterday", "7 days", "-5m", "2026-13-01", "2026-12-01T25:00", "5y", "m"])
def test_parse_when_refuses_anything_else_listing_the_accepted_forms(value):
    with pytest.raises(ValueError, match="a duration back from now .* epoch seconds"):
        parse_when(value, NOW)


def test_parse_group_by_splits_validates_and_deduplicates():
    assert parse_group_by("key,model") == ("key", "model")
    assert parse_group_by(" day , key,day ") == ("day", "key")
    assert parse_group_by("") == ()
    assert parse_group_by(" , ") == ()


def test_parse_group_by_refuses_unknown_columns():
    with pytest.raises(ValueError, match="'team'.*choose from key, model, provider, day"):
        parse_group_by("key,team")


REPORT = UsageReport(
    group_by=("key", "model"),
    rows=[
        {
            "key": "team-a",
            "model": "gpt-4o",
            "requests": 3,
            "input_tokens": 1200,
            "output_tokens": 300,
            "cached_tokens": 100,
            "reasoning_tokens": 0,
            "cost_usd": 0.0125,
        },
        {
            "key": "team-b, ops",
            "model": "local",
            "requests": 1,
            "input_tokens": 5,
            "output_tokens": 7,
            "cached_tokens": 0,
            "reasoning_tokens": 2,
            "cost_usd": None,
        },
    ],
    totals={
        "requests": 4,
        "input_tokens": 1205,
        "output_tokens": 307,
        "cached_tokens": 100,
        "reasoning_tokens": 2,
        "cost_usd": 0.0125,
    },
)


def test_json_has_rows_and_totals_and_parses_back():
    assert orjson.loads(render(REPORT, "json")) == {"rows": REPORT.rows, "totals": REPORT.totals}


def test_csv_is_a_header_then_one_line_per_row_and_parses_back():
    lines = list(csv.reader(io.StringIO(render(REPORT, "csv"))))
    assert lines[0] == ["key", "model", *METRICS]
    assert lines[1] == ["team-a", "gpt-4o", "3", "1200", "300", "100", "0", "0.0125"]
    assert lines[2] == ["team-b, ops", "local", "1", "5", "7", "0", "2", ""]
    assert len(lines) == 3


def test_csv_without_rows_is_just_the_header():
    empty = UsageReport(group_by=("day",), rows=[], totals=dict.fromkeys(METRICS, 0))
    assert render(empty, "csv") == "day," + ",".join(METRICS) + "\n"


def test_table_aligns_columns_and_ends_with_a_total_line():
    lines = render(REPORT, "table").splitlines()
    assert lines[0].split() == ["key", "model", *METRICS]
    assert lines[-1].split() == ["TOTAL", "4", "1205", "307", "100", "2", "0.0125"]
    assert set(lines[-2]) <= {"-", " "}
    assert "-" in lines[2].split()[-1:]  # unknown cost shows as "-"
    # Numbers are right-aligned: every line ends its cost column at the same place.
    assert len({len(line) for line in (lines[0], lines[1], lines[-1])}) == 1
    assert lines[1].index("gpt-4o") == lines[0].index("model")


def test_table_without_grouping_is_the_total_line_only():
    report = UsageReport(group_by=(), rows=[], totals={**REPORT.totals, "cost_usd": None})
    lines = render(report, "table").splitlines()
    assert lines[0].split() == list(METRICS)
    assert lines[-1].split() == ["TOTAL", "4", "1205", "307", "100", "2", "-"]
    assert len(lines) == 3


def test_an_unknown_format_is_refused_naming_the_formats():
    with pytest.raises(ValueError, match="choose from json, csv, table"):
        render(REPORT, "xml")
