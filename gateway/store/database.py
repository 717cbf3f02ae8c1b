"""One connection to the ledger's database, SQLite (stdlib) or PostgreSQL (psycopg 3).

SQL is written once with `?` placeholders and converted for psycopg's `%s`. Every unit of work
runs in one transaction under the object's lock, so a Database is safe to call from any thread;
a PostgreSQL connection that broke (server restart, idle timeout) is reopened once and the unit
retried. Errors never name a URL with its credentials: see `redact_url`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

__all__ = ["MEMORY", "Database", "StoreError", "Transaction", "open_database", "redact_url", "url_secrets"]

T = TypeVar("T")
Params = Sequence[Any]

ACCEPTED = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:// (in memory), "
    "postgresql://user:password@host:port/database (or postgres://...)"
)
# How long SQLite waits for another process's write lock before giving up, in seconds.
SQLITE_BUSY_TIMEOUT = 30.0
CONNECT_TIMEOUT_SECONDS = 5
# The name of an in-memory SQLite database: one per connection, so it cannot be opened twice.
MEMORY = "sqlite://"


class StoreError(Exception):
    """The ledger's database cannot be opened or refused a statement; the message names no secret."""


def redact_url(url: str) -> str:
    """`url` without user, password and query (libpq accepts `?password=` too), for messages."""
    if "://" not in url:
        return url.rsplit("@", 1)[-1]
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None and not parts.query:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port is not None else host
    except ValueError:
        return url.split("://", 1)[0] + "://..."
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_secrets(url: str) -> tuple[str, ...]:
    """The password in `url` as written and decoded, from its userinfo or its `password=` option."""
    try:
        parts = urlsplit(url)
        raw = [parts.password or "", *(value for name, value in parse_qsl(parts.query) if name == "password")]
    except ValueError:
        return ()
    return tuple(sorted({form for value in raw if value for form in (value, unquote(value))}, key=len, reverse=True))


def _to_format(sql: str) -> str:
    """`?` placeholders to psycopg's `%s`, with literal `%` doubled; quoted text is left alone."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if char == "%":
            out.append("%%")
        elif quote is not None:
            out.append(char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            out.append(char)
        else:
            out.append("%s" if char == "?" else char)
    return "".join(out)


class Transaction:
    """The statements of one unit of work; `Database.run` commits them together or not at all."""

    def __init__(self, cursor: Any, dialect: str) -> None:
        self._cursor = cursor
        self.dialect = dialect

    def _sql(self, sql: str) -> str:
        return _to_format(sql) if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Params = ()) -> None:
        self._cursor.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._cursor.executemany(self._sql(sql), [tuple(row) for row in rows])

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(sql), tuple(params))
        return [tuple(row) for row in self._cursor.fetchall()]


class Database:
    """A DB-API connection behind a lock; `run(work)` is one transaction, the other methods wrap it."""

    def __init__(self, dialect: str, connect: Callable[[], Any], *, name: str, secrets: tuple[str, ...] = ()) -> None:
        self.dialect = dialect
        self.name = name  # the URL without credentials
        self._secrets = secrets
        self._connect = connect
        # Held by every public method: one statement at a time, whichever thread calls. `work`
        # passed to `run` must use its Transaction, never this Database (that would deadlock).
        self._lock = threading.Lock()
        self._conn: Any = self._open()

    def _open(self) -> Any:
        errors: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
        if self.dialect == "postgresql":
            import psycopg

            errors += (psycopg.Error,)
        try:
            return self._connect()
        except errors as exc:
            self._fail(f"cannot open the usage ledger database {self.name}", exc)

    def _fail(self, context: str, exc: BaseException) -> NoReturn:
        """Raise StoreError for `exc` with the password blanked: libpq quotes a malformed URL back."""
        text = str(exc).strip()
        for secret in self._secrets:
            text = text.replace(secret, "***")
        # The original stays attached for debugging unless its own text carries the secret.
        raise StoreError(f"{context}: {text}") from (exc if text == str(exc).strip() else None)

    def run(self, work: Callable[[Transaction], T], *, write: bool = True) -> T:
        """`work(tx)` in one transaction, committed if it returns and rolled back if it raises."""
        with self._lock:
            if self._conn is None:
                raise StoreError(f"the usage ledger database {self.name} is closed")
            if self.dialect == "sqlite":
                return self._run_sqlite(work, write)
            return self._run_postgresql(work)

    def _run_sqlite(self, work: Callable[[Transaction], T], write: bool) -> T:
        cursor = self._conn.cursor()
        try:
            # IMMEDIATE takes the write lock up front: a read-then-write unit (a migration) cannot
            # then fail half-way on another process's lock, it waits for it (busy timeout).
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = work(Transaction(cursor, "sqlite"))
                cursor.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.rollback()
                raise
            return result
        except sqlite3.Error as exc:
            self._fail(f"usage ledger database {self.name}", exc)
        finally:
            cursor.close()

    def _run_postgresql(self, work: Callable[[Transaction], T]) -> T:
        import psycopg

        for attempt in (1, 2):
            if self._conn.closed:
                self._conn = self._open()
            try:
                with self._conn.cursor() as cursor:
                    result = work(Transaction(cursor, "postgresql"))
                self._conn.commit()
                return result
            except psycopg.OperationalError as exc:
                if not (self._conn.broken or self._conn.closed) or attempt == 2:
                    self._rollback()
                    self._fail(f"usage ledger database {self.name}", exc)
                # The connection died under us, so this transaction was rolled back by the server
                # (unless it died during COMMIT itself, which no client can tell apart): reopen
                # and run the unit once more.
                self._conn.close()
            except psycopg.Error as exc:
                self._rollback()
                self._fail(f"usage ledger database {self.name}", exc)
            except BaseException:
                self._rollback()
                raise
        raise AssertionError("unreachable")

    def _rollback(self) -> None:
        import psycopg

        if not self._conn.closed:
            try:
                self._conn.rollback()
            except psycopg.Error:
                self._conn.close()

    def execute(self, sql: str, params: Params = ()) -> None:
        self.run(lambda tx: tx.execute(sql, params))

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        batch = [tuple(row) for row in rows]  # a list, so a retried unit sees the rows again
        self.run(lambda tx: tx.executemany(sql, batch))

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return self.run(lambda tx: tx.query(sql, params), write=False)

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()


def open_database(url: str) -> Database:
    """A Database for `url`; StoreError naming the accepted forms when it is none of them."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        return _open_sqlite(url)
    if scheme in ("postgresql", "postgres"):
        # libpq reads the whole URL itself, query options included (`?options=-csearch_path%3D...`).
        # A server that does not answer must not hold a worker thread forever.
        conninfo = url
        if "connect_timeout" not in url:
            conninfo += ("&" if "?" in url else "?") + f"connect_timeout={CONNECT_TIMEOUT_SECONDS}"
        # Imported here: psycopg costs ~0.08 s of start-up, and SQLite needs none of it.
        import psycopg

        connect = lambda: psycopg.connect(conninfo, autocommit=False)  # noqa: E731
        return Database("postgresql", connect, name=redact_url(url), secrets=url_secrets(url))
    raise StoreError(f"store URL {redact_url(url)!r} is not supported: write one of {ACCEPTED}")


def _open_sqlite(url: str) -> Database:
    rest = url[len("sqlite://") :]
    if rest in ("", "/:memory:"):
        return Database("sqlite", lambda: _connect_sqlite(":memory:"), name=MEMORY)
    if not rest.startswith("/") or rest == "/" or "?" in rest:
        raise StoreError(f"store URL {redact_url(url)!r} is not a SQLite file URL: write one of {ACCEPTED}")
    path = Path(rest[1:])
    return Database("sqlite", lambda: _connect_sqlite(path), name=url)


def _connect_sqlite(path: Path | str) -> sqlite3.Connection:
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: no implicit BEGIN, so `Database.run` decides where transactions start.
    conn = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
    if isinstance(path, Path):
        try:
            # WAL: readers (the report) never block the writer and the writer never blocks them.
            conn.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: the writer runs on
            # the event loop, and a power cut may lose the last second of usage, never the file.
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error:
            conn.close()
            raise
    return conn
