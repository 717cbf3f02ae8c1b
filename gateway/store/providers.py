"""Providers, their models and chains as the management API stores them (migration 2).

Synchronous, like the ledger: callers run it in a thread. API keys are stored as Fernet tokens
(`SecretBox`) and only their last four characters are ever read back in clear; a write that
carries a key without ENCRYPTION_KEY is refused with how to set it. Deleting a provider is soft
(out of routing and listings, restorable); purging wipes the row, its models and its key. A
canary in `settings` proves at start that ENCRYPTION_KEY opens what is stored, before anything
is written with it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.store.database import Database, Transaction
from gateway.store.secret_box import HOW_TO, EncryptionKeyError, SecretBox

__all__ = [
    "Conflict",
    "ManagedError",
    "NeedsEncryptionKey",
    "NotFound",
    "ProviderStore",
    "StoredModel",
    "StoredProvider",
]

CANARY = "encryption-canary"
UPDATABLE = frozenset(
    {"name", "base_url", "api_key", "openai_api_mode", "advanced_json", "degraded_threshold_ms", "enabled"}
)
CANARY_TEXT = "llm-gateway"


class ManagedError(Exception):
    """A change the store refuses; the message says what to do."""


class NotFound(ManagedError):
    pass


class Conflict(ManagedError):
    pass


class NeedsEncryptionKey(ManagedError):
    pass


@dataclass(frozen=True, slots=True)
class StoredModel:
    id: str
    provider_id: str
    model: str
    alias: str | None = None
    priority: int = 0
    is_default: bool = False
    tags: tuple[str, ...] = ()
    multiplier: float = 1.0
    test_status: str = "untested"
    position: int = 0


@dataclass(frozen=True, slots=True)
class StoredProvider:
    id: str
    provider_type: str
    name: str
    base_url: str | None
    api_key_last4: str | None
    openai_api_mode: str
    advanced_json: dict[str, Any]
    degraded_threshold_ms: float
    enabled: bool
    created_at: float
    updated_at: float
    deleted_at: float | None
    models: tuple[StoredModel, ...] = field(default=())


_PROVIDER_COLUMNS = (
    "id, provider_type, name, base_url, api_key_last4, openai_api_mode, advanced_json, "
    "degraded_threshold_ms, enabled, created_at, updated_at, deleted_at"
)
_MODEL_COLUMNS = "id, provider_id, model, alias, priority, is_default, tags, multiplier, test_status, position"


class ProviderStore:
    def __init__(self, db: Database, box: SecretBox | None, *, clock: Any = time.time) -> None:
        self.db = db
        self.box = box
        self.clock = clock

    # --- the encryption key --------------------------------------------------------------

    def check_key(self) -> None:
        """Start-up: the key must open the canary (written on first use); else nothing is
        written and the error says which key to put back."""
        if self.box is None:
            return
        box = self.box
        rows = self.db.query("SELECT value FROM settings WHERE key = ?", (CANARY,))
        if rows:
            if box.decrypt(rows[0][0]) != CANARY_TEXT:
                raise EncryptionKeyError(
                    "The store's encryption canary is not what the gateway wrote; refusing to start."
                )
            return
        self.db.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (CANARY, box.encrypt(CANARY_TEXT)))

    def _seal(self, api_key: str | None) -> tuple[str | None, str | None]:
        if not api_key:
            return None, None
        if self.box is None:
            raise NeedsEncryptionKey(f"Storing an API key needs ENCRYPTION_KEY: {HOW_TO}, then restart the gateway.")
        return self.box.encrypt(api_key), api_key[-4:]

    # --- providers -----------------------------------------------------------------------

    def create_provider(
        self,
        *,
        provider_type: str,
        name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        openai_api_mode: str = "auto",
        advanced_json: Mapping[str, Any] | None = None,
        degraded_threshold_ms: float = 5000.0,
        enabled: bool = True,
        models: Sequence[str] = (),
    ) -> StoredProvider:
        sealed, last4 = self._seal(api_key)
        now = self.clock()
        provider_id = "prv_" + uuid.uuid4().hex[:16]

        def work(tx: Transaction) -> None:
            if tx.query("SELECT 1 FROM providers WHERE name = ? AND deleted_at IS NULL", (name,)):
                raise Conflict(f"A provider named {name!r} exists; names are model-id prefixes and must be unique.")
            tx.execute(
                "INSERT INTO providers (id, provider_type, name, base_url, api_key, api_key_last4, headers, "
                "openai_api_mode, advanced_json, degraded_threshold_ms, enabled, created_at, updated_at, "
                "deleted_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    provider_id,
                    provider_type,
                    name,
                    base_url,
                    sealed,
                    last4,
                    openai_api_mode,
                    orjson.dumps(dict(advanced_json or {})).decode(),
                    degraded_threshold_ms,
                    enabled,
                    now,
                    now,
                ),
            )
            for position, model in enumerate(models):
                _insert_model(tx, provider_id, model, position, is_default=position == 0, now=now)

        self.db.run(work)
        return self.provider(provider_id)

    def provider(self, provider_id: str, *, deleted: bool = False) -> StoredProvider:
        found = [p for p in self.providers(deleted=True) if p.id == provider_id]
        if not found or (found[0].deleted_at is not None and not deleted):
            raise NotFound(f"No provider {provider_id!r}; GET /v0/management/providers lists them.")
        return found[0]

    def providers(self, *, deleted: bool = False) -> list[StoredProvider]:
        where = "" if deleted else " WHERE deleted_at IS NULL"

        def work(tx: Transaction) -> list[StoredProvider]:
            rows = tx.query(f"SELECT {_PROVIDER_COLUMNS} FROM providers{where} ORDER BY created_at, id")
            models = tx.query(f"SELECT {_MODEL_COLUMNS} FROM provider_models ORDER BY position, id")
            by_provider: dict[str, list[StoredModel]] = {}
            for m in models:
                by_provider.setdefault(m[1], []).append(
                    StoredModel(m[0], m[1], m[2], m[3], m[4], bool(m[5]), tuple(orjson.loads(m[6])), m[7], m[8], m[9])
                )
            return [
                StoredProvider(
                    r[0], r[1], r[2], r[3], r[4], r[5], orjson.loads(r[6]), r[7], bool(r[8]), r[9], r[10], r[11],
                    tuple(by_provider.get(r[0], ())),
                )
                for r in rows
            ]  # fmt: skip

        return self.db.run(work, write=False)

    def api_key(self, provider_id: str) -> str | None:
        """The provider's key in clear, for routing only (never for an answer)."""
        rows = self.db.query("SELECT api_key FROM providers WHERE id = ?", (provider_id,))
        if not rows:
            raise NotFound(f"No provider {provider_id!r}.")
        token = rows[0][0]
        if token is None:
            return None
        if self.box is None:
            raise NeedsEncryptionKey(f"Reading a stored API key needs ENCRYPTION_KEY: {HOW_TO}.")
        return self.box.decrypt(token)

    def update_provider(self, provider_id: str, **changes: Any) -> StoredProvider:
        allowed = {
            "name",
            "base_url",
            "api_key",
            "openai_api_mode",
            "advanced_json",
            "degraded_threshold_ms",
            "enabled",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ManagedError(f"Unknown provider field(s): {', '.join(sorted(unknown))}.")
        self.provider(provider_id)
        columns: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "api_key":
                columns["api_key"], columns["api_key_last4"] = self._seal(value)
            elif name == "advanced_json":
                columns[name] = orjson.dumps(dict(value or {})).decode()
            else:
                columns[name] = value
        columns["updated_at"] = self.clock()

        def work(tx: Transaction) -> None:
            new_name = columns.get("name")
            if new_name is not None and tx.query(
                "SELECT 1 FROM providers WHERE name = ? AND deleted_at IS NULL AND id <> ?", (new_name, provider_id)
            ):
                raise Conflict(f"A provider named {new_name!r} exists; names must be unique.")
            assignments = ", ".join(f"{name} = ?" for name in columns)
            tx.execute(f"UPDATE providers SET {assignments} WHERE id = ?", (*columns.values(), provider_id))

        self.db.run(work)
        return self.provider(provider_id)

    def delete_provider(self, provider_id: str) -> None:
        """Soft: out of routing and listings until restored."""
        self.provider(provider_id)
        self.db.execute("UPDATE providers SET deleted_at = ? WHERE id = ?", (self.clock(), provider_id))

    def restore_provider(self, provider_id: str) -> StoredProvider:
        provider = self.provider(provider_id, deleted=True)
        if provider.deleted_at is None:
            return provider

        def work(tx: Transaction) -> None:
            if tx.query("SELECT 1 FROM providers WHERE name = ? AND deleted_at IS NULL", (provider.name,)):
                raise Conflict(f"Another provider is named {provider.name!r} now; rename one of them first.")
            tx.execute(
                "UPDATE providers SET deleted_at = NULL, updated_at = ? WHERE id = ?", (self.clock(), provider_id)
            )

        self.db.run(work)
        return self.provider(provider_id)

    def purge_provider(self, provider_id: str) -> None:
        """Wipes the row, its models and its key."""
        self.provider(provider_id, deleted=True)

        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM provider_models WHERE provider_id = ?", (provider_id,))
            tx.execute("DELETE FROM providers WHERE id = ?", (provider_id,))

        self.db.run(work)

    # --- models --------------------------------------------------------------------------

    def add_model(self, provider_id: str, model: str, *, alias: str | None = None, priority: int = 0) -> StoredModel:
        provider = self.provider(provider_id)
        if any(m.model == model for m in provider.models):
            raise Conflict(f"Provider {provider.name!r} already has the model {model!r}.")
        position = max((m.position for m in provider.models), default=-1) + 1
        model_id = self.db.run(
            lambda tx: _insert_model(
                tx, provider_id, model, position, is_default=not provider.models, now=self.clock(), alias=alias,
                priority=priority,
            )
        )  # fmt: skip
        return next(m for m in self.provider(provider_id).models if m.id == model_id)

    def delete_model(self, provider_id: str, model_id: str) -> None:
        """The last model cannot go (delete the provider instead); the default passes to the next."""
        provider = self.provider(provider_id)
        target = next((m for m in provider.models if m.id == model_id), None)
        if target is None:
            raise NotFound(f"Provider {provider.name!r} has no model {model_id!r}.")
        if len(provider.models) == 1:
            raise Conflict(f"{target.model!r} is the last model of {provider.name!r}; delete the provider instead.")

        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM provider_models WHERE id = ?", (model_id,))
            if target.is_default:
                following = next(m for m in provider.models if m.id != model_id)
                tx.execute("UPDATE provider_models SET is_default = ? WHERE id = ?", (True, following.id))

        self.db.run(work)

    # --- chains --------------------------------------------------------------------------

    def set_chain(self, name: str, models: Sequence[str]) -> None:
        if not models:
            raise ManagedError("A chain needs at least one model id.")
        now = self.clock()
        payload = orjson.dumps(list(models)).decode()

        def work(tx: Transaction) -> None:
            if tx.query("SELECT 1 FROM chains WHERE name = ?", (name,)):
                tx.execute("UPDATE chains SET models = ?, updated_at = ? WHERE name = ?", (payload, now, name))
            else:
                tx.execute(
                    "INSERT INTO chains (id, name, models, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    ("chn_" + uuid.uuid4().hex[:16], name, payload, now, now),
                )

        self.db.run(work)

    def chains(self) -> dict[str, tuple[str, ...]]:
        return {name: tuple(orjson.loads(models)) for name, models in self.db.query("SELECT name, models FROM chains")}

    def delete_chain(self, name: str) -> None:
        if not self.db.query("SELECT 1 FROM chains WHERE name = ?", (name,)):
            raise NotFound(f"No chain named {name!r}.")
        self.db.execute("DELETE FROM chains WHERE name = ?", (name,))


def _insert_model(
    tx: Transaction,
    provider_id: str,
    model: str,
    position: int,
    *,
    is_default: bool,
    now: float,
    alias: str | None = None,
    priority: int = 0,
) -> str:
    model_id = "mdl_" + uuid.uuid4().hex[:16]
    tx.execute(
        "INSERT INTO provider_models (id, provider_id, model, alias, priority, is_default, tags, when_json, "
        "advanced_json, multiplier, test_status, position, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, '[]', NULL, '{}', 1.0, 'untested', ?, ?)",
        (model_id, provider_id, model, alias, priority, is_default, position, now),
    )
    return model_id
