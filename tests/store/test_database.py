"""open_database: the URL forms, errors that name no password, placeholders, transactions, reconnects."""

from __future__ import annotations

import threading

import psycopg
import pytest

from gateway.store.database import StoreError, open_database, redact_url


def test_sqlite_relative_url_opens_a_wal_file_under_cwd_creating_its_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = open_database("sqlite:///data/nested/usage.db")
    try:
        assert db.dialect == "sqlite"
        assert db.query("PRAGMA journal_mode") == [("wal",)]
    finally:
        db.close()
    assert (tmp_path / "data" / "nested" / "usage.db").is_file()


def test_sqlite_absolute_url_has_four_slashes(tmp_path):
    db = open_database(f"sqlite:///{tmp_path}/abs.db")
    db.close()
    assert (tmp_path / "abs.db").is_file()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_sqlite_memory_urls_open_a_private_database(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = open_database(url)
    try:
        db.execute("CREATE TABLE t (x INTEGER)")
        db.execute("INSERT INTO t VALUES (?)", (1,))
        assert db.query("SELECT x FROM t") == [(1,)]
    finally:
        db.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        "mysql://admin:hunter2@db.example/ledger",
        "usage.db",
        "sqlite:///",
        "sqlite://admin:hunter2@host/usage.db",
        "admin:hunter2@host",
    ],
)
def test_unsupported_urls_name_the_accepted_forms_and_no_password(url):
    with pytest.raises(StoreError) as caught:
        open_database(url)
    message = str(caught.value)
    assert "sqlite:///relative/path.db" in message and "postgresql://" in message
    assert "hunter2" not in message


def test_unreachable_postgresql_is_a_store_error_without_the_password():
    with pytest.raises(StoreError) as caught:
        open_database("postgres://admin:hunter2@127.0.0.1:1/ledger?password=hunter2&connect_timeout=2")
    assert "127.0.0.1:1/ledger" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_redact_url_keeps_host_port_and_path_only():
    assert redact_url("postgresql://u:p%40ss@[::1]:5433/db?sslmode=require") == "postgresql://[::1]:5433/db"


def test_question_marks_and_percent_signs_in_literals_survive_the_placeholder_conversion(db):
    assert db.query("SELECT '100%', 'why?', ?", ("x",)) == [("100%", "why?", "x")]


def test_a_failing_unit_of_work_is_rolled_back(db):
    db.execute("CREATE TABLE t (x INTEGER NOT NULL)")

    def work(tx):
        tx.execute("INSERT INTO t VALUES (?)", (1,))
        tx.execute("INSERT INTO t VALUES (?)", (None,))

    with pytest.raises(StoreError):
        db.run(work)
    assert db.query("SELECT COUNT(*) FROM t") == [(0,)]
    db.execute("INSERT INTO t VALUES (?)", (2,))
    assert db.query("SELECT x FROM t") == [(2,)]


def test_threads_sharing_one_database_take_turns(db):
    db.execute("CREATE TABLE t (x INTEGER)")

    def insert(start):
        for i in range(20):
            db.executemany("INSERT INTO t VALUES (?)", [(start + i,), (start + i,)])

    threads = [threading.Thread(target=insert, args=(n * 100,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.query("SELECT COUNT(*), COUNT(DISTINCT x) FROM t") == [(160, 80)]


def test_a_postgresql_connection_killed_by_the_server_is_reopened_once(postgres_url, postgres_admin):
    db = open_database(postgres_url)
    try:
        db.execute("CREATE TABLE t (x INTEGER)")
        [(pid,)] = db.query("SELECT pg_backend_pid()")
        postgres_admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        db.execute("INSERT INTO t VALUES (?)", (1,))
        assert db.query("SELECT x FROM t") == [(1,)]
        assert db.query("SELECT pg_backend_pid()") != [(pid,)]
    finally:
        db.close()


def test_postgresql_errors_other_than_a_broken_connection_are_not_retried(postgres_url):
    db = open_database(postgres_url)
    calls = []

    def work(tx):
        calls.append(1)
        tx.execute("SELECT * FROM missing_table")

    try:
        with pytest.raises(StoreError, match="missing_table") as caught:
            db.run(work)
        assert isinstance(caught.value.__cause__, psycopg.Error)
        assert calls == [1]
        assert db.query("SELECT 1") == [(1,)]
    finally:
        db.close()


def test_a_closed_database_refuses_work(tmp_path):
    db = open_database(f"sqlite:///{tmp_path}/x.db")
    db.close()
    with pytest.raises(StoreError, match="closed"):
        db.query("SELECT 1")


def test_a_malformed_postgresql_url_is_reported_with_its_password_blanked():
    with pytest.raises(StoreError) as caught:
        open_database("postgresql://admin:p%zzhunter2@127.0.0.1:1/ledger")
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None
