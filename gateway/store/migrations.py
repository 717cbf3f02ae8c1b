"""Versioned schema of the ledger, applied at start: each missing migration in its own transaction.

Applied versions are recorded in `schema_migrations`. On PostgreSQL every migration transaction
first takes an advisory lock, so replicas starting together apply each version exactly once; on
SQLite `BEGIN IMMEDIATE` (see Database.run) serialises them the same way. Never edit a released
migration: append a new one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

from gateway.store.database import Database, Transaction

__all__ = ["MIGRATIONS", "Migration", "migrate"]

# An arbitrary constant naming "the ledger's schema" among the database's advisory locks.
ADVISORY_LOCK_KEY = 7_215_032_001


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]

    def statements(self, dialect: str) -> tuple[str, ...]:
        return self.sqlite if dialect == "sqlite" else self.postgresql


_USAGE_INDEXES = (
    "CREATE INDEX usage_time ON usage (time)",
    "CREATE INDEX usage_key_time ON usage (key, time)",
)

# What the management API stores: written once in PostgreSQL's spelling; SQLite reads its
# REAL and INTEGER for DOUBLE PRECISION and BOOLEAN. Secrets are Fernet tokens (secret_box.py).
_MANAGED = (
    """CREATE TABLE providers (
        id TEXT PRIMARY KEY,
        provider_type TEXT NOT NULL,
        name TEXT NOT NULL,
        base_url TEXT,
        api_key TEXT,
        api_key_last4 TEXT,
        headers TEXT,
        openai_api_mode TEXT NOT NULL,
        advanced_json TEXT NOT NULL,
        degraded_threshold_ms DOUBLE PRECISION NOT NULL,
        enabled BOOLEAN NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        deleted_at DOUBLE PRECISION
    )""",
    # A name is the model-id prefix: unique among the providers in use (deleted ones may repeat).
    "CREATE UNIQUE INDEX providers_live_name ON providers (name) WHERE deleted_at IS NULL",
    """CREATE TABLE provider_models (
        id TEXT PRIMARY KEY,
        provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        alias TEXT,
        priority INTEGER NOT NULL,
        is_default BOOLEAN NOT NULL,
        tags TEXT NOT NULL,
        when_json TEXT,
        advanced_json TEXT NOT NULL,
        multiplier DOUBLE PRECISION NOT NULL,
        cost_per_1k_input DOUBLE PRECISION,
        cost_per_1k_output DOUBLE PRECISION,
        cost_per_1k_cache_read DOUBLE PRECISION,
        cost_per_1k_cache_write DOUBLE PRECISION,
        test_status TEXT NOT NULL,
        test_latency_ms DOUBLE PRECISION,
        test_message TEXT,
        tested_at DOUBLE PRECISION,
        position INTEGER NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        UNIQUE (provider_id, model)
    )""",
    """CREATE TABLE chains (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        models TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "usage",
        sqlite=(
            """CREATE TABLE usage (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time REAL NOT NULL,
                day TEXT NOT NULL,
                request_id TEXT NOT NULL,
                key TEXT NOT NULL,
                model TEXT NOT NULL,
                provider TEXT NOT NULL,
                credential TEXT NOT NULL,
                dialect TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                status INTEGER NOT NULL,
                ended TEXT NOT NULL,
                stream INTEGER NOT NULL,
                input_tokens INTEGER NOT NULL,
                output_tokens INTEGER NOT NULL,
                cached_tokens INTEGER NOT NULL,
                reasoning_tokens INTEGER NOT NULL,
                cost_usd REAL,
                latency_ms REAL NOT NULL,
                ttfb_ms REAL
            )""",
            *_USAGE_INDEXES,
        ),
        postgresql=(
            """CREATE TABLE usage (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                time DOUBLE PRECISION NOT NULL,
                day TEXT NOT NULL,
                request_id TEXT NOT NULL,
                key TEXT NOT NULL,
                model TEXT NOT NULL,
                provider TEXT NOT NULL,
                credential TEXT NOT NULL,
                dialect TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                status INTEGER NOT NULL,
                ended TEXT NOT NULL,
                stream BOOLEAN NOT NULL,
                input_tokens BIGINT NOT NULL,
                output_tokens BIGINT NOT NULL,
                cached_tokens BIGINT NOT NULL,
                reasoning_tokens BIGINT NOT NULL,
                cost_usd DOUBLE PRECISION,
                latency_ms DOUBLE PRECISION NOT NULL,
                ttfb_ms DOUBLE PRECISION
            )""",
            *_USAGE_INDEXES,
        ),
    ),
    Migration(
        2,
        "providers, models, chains, settings",
        sqlite=tuple(stmt.replace("DOUBLE PRECISION", "REAL").replace("BOOLEAN", "INTEGER") for stmt in _MANAGED),
        postgresql=_MANAGED,
    ),
)

_CREATE_HISTORY = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)"""


def migrate(db: Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the migrations `db` lacks, in version order; the versions applied now (none: [])."""
    applied: list[int] = []
    for migration in sorted(migrations, key=lambda m: m.version):
        if db.run(partial(_apply, migration=migration)):
            applied.append(migration.version)
    return applied


def _apply(tx: Transaction, migration: Migration) -> bool:
    """Apply one migration unless recorded; the check happens under the lock, so only one process applies."""
    if tx.dialect == "postgresql":
        # Held until this transaction ends. It also covers the CREATE TABLE IF NOT EXISTS below,
        # which is not safe on its own when two sessions run it at once.
        tx.execute("SELECT pg_advisory_xact_lock(?)", (ADVISORY_LOCK_KEY,))
    tx.execute(_CREATE_HISTORY)
    if tx.query("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)):
        return False
    for statement in migration.statements(tx.dialect):
        tx.execute(statement)
    tx.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        (migration.version, migration.name, time.time()),
    )
    return True
