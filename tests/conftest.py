"""Fixtures every test package may use: a fresh schema on the local PostgreSQL.

PostgreSQL is not optional here: CI starts it as a service, and a store test that silently
skipped it would hide exactly the bugs that only show with two processes on one database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from gateway.store.database import redact_url

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
