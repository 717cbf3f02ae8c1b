"""Ledger databases for the store tests: a SQLite file, and a fresh schema on the local PostgreSQL.

PostgreSQL is not optional here: CI starts it as a service, and a ledger test that silently
skipped it would hide exactly the bugs that only show with two processes on one database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from gateway.store.database import Database, open_database, redact_url
from gateway.store.ledger import Ledger, UsageRow
from gateway.store.migrations import migrate

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def with_schema(url: str, schema: str) -> str:
    """`url` with libpq's `options` setting the search path, so every connection lands in `schema`."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_admin() -> Iterator[psycopg.Connection]:
    try:
        conn = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        problem = str(exc).strip()
    else:
        problem = ""
    if problem:
        pytest.fail(
            f"PostgreSQL is required by the ledger tests and is not reachable at {redact_url(POSTGRES_URL)}: "
            f"{problem}\nStart it locally (trust auth, database 'test') or set LEDGER_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    with conn:
        yield conn


@pytest.fixture
def postgres_url(postgres_admin: psycopg.Connection) -> Iterator[str]:
    """A URL whose connections see only a schema of their own, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    postgres_admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(POSTGRES_URL, schema)
    finally:
        postgres_admin.execute(f"DROP SCHEMA {schema} CASCADE")


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
