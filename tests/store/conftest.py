"""Ledger databases for the store tests: a SQLite file, and a fresh schema on the local
PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.store.database import Database, open_database
from gateway.store.ledger import Ledger, UsageRow
from gateway.store.migrations import migrate


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def ledger(db: Database) -> Ledger:
    migrate(db)
    return Ledger(db)


def make_row(**overrides) -> UsageRow:
    values = {
        "time": 1_780_000_000.0,
        "request_id": "req-1",
        "key": "team-a",
        "model": "gpt-4o",
        "provider": "openai",
        "credential": "openai#1",
        "dialect": "openai",
        "endpoint": "/v1/chat/completions",
        "status": 200,
        "ended": "complete",
        "stream": False,
        "input_tokens": 10,
        "output_tokens": 5,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": 0.001,
        "latency_ms": 120.0,
        "ttfb_ms": None,
    }
    values.update(overrides)
    return UsageRow(**values)
