"""Ledger: rows written in one go come back grouped, bounded and summed the same on both databases."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from gateway.store.ledger import GROUP_COLUMNS, METRICS, UsageRow, check_group_by

from .conftest import make_row

DAY_1 = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
DAY_2 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()


def _dataset() -> list[UsageRow]:
    rows = []
    for i, (key, model, provider, day) in enumerate(
        itertools.product(["team-b", "team-a"], ["gpt-4o", "claude"], ["openai", "azure"], [DAY_1, DAY_2])
    ):
        rows.append(
            make_row(
                time=day + 3600 * (i % 23),
                request_id=f"req-{i}",
                key=key,
                model=model,
                provider=provider,
                input_tokens=100 + i,
                output_tokens=2 * i,
                cached_tokens=i % 3,
                reasoning_tokens=i % 5,
                # Claude on Azure has no price in this data set: its cost is unknown, not zero.
                cost_usd=None if (model, provider) == ("claude", "azure") else 0.0001 * (i + 1),
                stream=i % 2 == 0,
                ttfb_ms=None if i % 2 else 12.5,
            )
        )
    return rows


def _expected(rows: list[UsageRow], columns: tuple[str, ...]) -> list[dict]:
    groups: dict[tuple, list[UsageRow]] = {}
    for row in rows:
        values = {"key": row.key, "model": row.model, "provider": row.provider, "day": _day(row.time)}
        groups.setdefault(tuple(values[c] for c in columns), []).append(row)
    result = []
    for group in sorted(groups):
        members = groups[group]
        costs = [r.cost_usd for r in members if r.cost_usd is not None]
        result.append(
            {
                **dict(zip(columns, group, strict=True)),
                "requests": len(members),
                **{name: sum(getattr(r, name) for r in members) for name in METRICS[1:-1]},
                "cost_usd": round(sum(costs), 9) if costs else None,
            }
        )
    return result


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


ALL_GROUPINGS = [combo for n in range(len(GROUP_COLUMNS) + 1) for combo in itertools.combinations(GROUP_COLUMNS, n)]


def test_report_matches_python_aggregation_for_every_grouping(ledger):
    rows = _dataset()
    ledger.record(rows)
    for columns in ALL_GROUPINGS:
        report = ledger.report(since=None, until=None, group_by=columns)
        assert report.group_by == columns
        if columns:
            assert report.rows == _expected(rows, columns), columns
            assert [list(row) for row in report.rows] == [[*columns, *METRICS]] * len(report.rows)
        else:
            assert report.rows == []
        [everything] = _expected(rows, ())
        assert report.totals == pytest.approx(everything)


def test_group_columns_come_out_in_canonical_order_whatever_order_is_asked(ledger):
    ledger.record(_dataset())
    report = ledger.report(since=None, until=None, group_by=["day", "key"])
    assert report.group_by == ("key", "day")
    assert list(report.rows[0])[:2] == ["key", "day"]
    assert [(r["key"], r["day"]) for r in report.rows] == [
        ("team-a", "2026-03-01"),
        ("team-a", "2026-03-02"),
        ("team-b", "2026-03-01"),
        ("team-b", "2026-03-02"),
    ]


def test_totals_equal_the_sum_of_the_rows(ledger):
    ledger.record(_dataset())
    report = ledger.report(since=None, until=None, group_by=["model", "provider"])
    for name in METRICS[:-1]:
        assert report.totals[name] == sum(row[name] for row in report.rows)
    assert report.totals["cost_usd"] == pytest.approx(sum(row["cost_usd"] or 0 for row in report.rows))


def test_since_is_inclusive_and_until_exclusive(ledger):
    ledger.record([make_row(time=t, request_id=str(t)) for t in (100.0, 200.0, 300.0)])

    def requests(since, until):
        return ledger.report(since=since, until=until, group_by=[]).totals["requests"]

    assert requests(None, None) == 3
    assert requests(200.0, None) == 2
    assert requests(None, 200.0) == 1
    assert requests(200.0, 300.0) == 1
    assert requests(200.0, 200.0) == 0
    assert requests(301.0, None) == 0


def test_an_empty_range_reports_zero_requests_and_unknown_cost(ledger):
    report = ledger.report(since=0.0, until=1.0, group_by=["key"])
    assert report.rows == []
    assert report.totals == {
        "requests": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": None,
    }


def test_unknown_costs_are_left_out_of_the_sum_and_an_all_unknown_group_stays_unknown(ledger):
    ledger.record(
        [
            make_row(model="priced", cost_usd=0.25),
            make_row(model="priced", cost_usd=None),
            make_row(model="unpriced", cost_usd=None),
        ]
    )
    report = ledger.report(since=None, until=None, group_by=["model"])
    assert [(r["model"], r["requests"], r["cost_usd"]) for r in report.rows] == [
        ("priced", 2, 0.25),
        ("unpriced", 1, None),
    ]
    assert report.totals["cost_usd"] == 0.25


def test_cost_is_rounded_to_nine_decimals(ledger):
    ledger.record([make_row(cost_usd=0.1234564), make_row(cost_usd=0.0000000004)])
    assert ledger.report(since=None, until=None, group_by=["key"]).rows[0]["cost_usd"] == 0.123456400


def test_the_day_is_the_utc_day_of_the_time(ledger):
    late = datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC).timestamp()
    ledger.record([make_row(time=late), make_row(time=late + 1)])
    report = ledger.report(since=None, until=None, group_by=["day"])
    assert [r["day"] for r in report.rows] == ["2026-03-01", "2026-03-02"]


def test_every_field_of_a_row_is_stored(ledger, db):
    row = make_row(stream=True, ttfb_ms=33.5, cost_usd=None, status=499, ended="client_disconnected")
    ledger.record([row])
    [stored] = db.query(
        "SELECT time, day, request_id, key, model, provider, credential, dialect, endpoint, status, ended, stream,"
        " input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_usd, latency_ms, ttfb_ms FROM usage"
    )
    assert stored[0] == row.time
    assert stored[1] == _day(row.time)
    assert stored[2:11] == (
        row.request_id,
        row.key,
        row.model,
        row.provider,
        row.credential,
        row.dialect,
        row.endpoint,
        row.status,
        row.ended,
    )
    assert bool(stored[11]) is True
    assert stored[12:] == (10, 5, 0, 0, None, 120.0, 33.5)


def test_spend_sums_the_known_cost_of_one_key_since_a_time(ledger):
    ledger.record(
        [
            make_row(key="team-a", time=100.0, cost_usd=1.0),
            make_row(key="team-a", time=200.0, cost_usd=0.5),
            make_row(key="team-a", time=300.0, cost_usd=None),
            make_row(key="team-b", time=300.0, cost_usd=7.0),
        ]
    )
    assert ledger.spend("team-a", since=0.0) == 1.5
    assert ledger.spend("team-a", since=200.0) == 0.5
    assert ledger.spend("team-a", since=250.0) == 0.0
    assert ledger.spend("nobody", since=0.0) == 0.0


def test_recording_nothing_is_a_no_op(ledger):
    ledger.record([])
    assert ledger.report(since=None, until=None, group_by=[]).totals["requests"] == 0


@pytest.mark.parametrize("group_by", [["team"], ["key", "time"], ["key; DROP TABLE usage"]])
def test_unknown_group_columns_are_refused_naming_the_allowed_ones(ledger, group_by):
    with pytest.raises(ValueError, match="choose from key, model, provider, day"):
        ledger.report(since=None, until=None, group_by=group_by)


def test_check_group_by_deduplicates_into_canonical_order():
    assert check_group_by(["day", "model", "day"]) == ("model", "day")
    assert check_group_by([]) == ()
