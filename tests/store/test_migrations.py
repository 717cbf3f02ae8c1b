"""migrate: applies what is missing once, records it, and two processes starting together agree."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.store.database import StoreError, open_database
from gateway.store.migrations import MIGRATIONS, Migration, migrate


def test_migrate_applies_every_migration_once_and_records_it(db):
    assert migrate(db) == [m.version for m in MIGRATIONS]
    assert migrate(db) == []
    history = db.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
    assert [(version, name) for version, name, _ in history] == [(m.version, m.name) for m in MIGRATIONS]
    assert all(applied_at > 1_700_000_000 for _, _, applied_at in history)
    assert db.query("SELECT COUNT(*) FROM usage") == [(0,)]


def test_migrate_applies_only_the_migrations_added_since(db):
    migrate(db)
    extra = Migration(
        len(MIGRATIONS) + 1,
        "extra",
        sqlite=("CREATE TABLE extra (x INTEGER)",),
        postgresql=("CREATE TABLE extra (x INTEGER)",),
    )
    assert migrate(db, (*MIGRATIONS, extra)) == [extra.version]
    assert db.query("SELECT COUNT(*) FROM extra") == [(0,)]


def test_a_failing_migration_leaves_no_trace_and_stops_the_later_ones(db):
    last = MIGRATIONS[-1].version
    broken = Migration(
        last + 1,
        "broken",
        sqlite=("CREATE TABLE half (x INTEGER)", "NOT SQL"),
        postgresql=("CREATE TABLE half (x INTEGER)", "NOT SQL"),
    )
    later = Migration(
        last + 2, "later", sqlite=("CREATE TABLE later (x INTEGER)",), postgresql=("CREATE TABLE later (x INTEGER)",)
    )
    with pytest.raises(StoreError):
        migrate(db, (*MIGRATIONS, later, broken))
    recorded = db.query("SELECT version FROM schema_migrations ORDER BY version")
    assert recorded == [(m.version,) for m in MIGRATIONS]
    with pytest.raises(StoreError):
        db.query("SELECT * FROM half")
    with pytest.raises(StoreError):
        db.query("SELECT * FROM later")


def test_two_processes_migrating_at_once_both_succeed_and_apply_each_version_once(database_url):
    databases = [open_database(database_url) for _ in range(2)]
    barrier = threading.Barrier(len(databases))

    def start(database):
        barrier.wait()
        return migrate(database)

    try:
        with ThreadPoolExecutor(len(databases)) as pool:
            results = list(pool.map(start, databases))
        assert sorted(results[0] + results[1]) == [m.version for m in MIGRATIONS]
        assert databases[0].query("SELECT COUNT(*) FROM schema_migrations") == [(len(MIGRATIONS),)]
    finally:
        for database in databases:
            database.close()
