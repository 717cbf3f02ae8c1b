"""Providers, their models, chains and the active and fallback model, as the management API
stores them (migration 2).

Synchronous, like the ledger: callers run it in a thread. API keys (and header values) are
stored as Fernet tokens (`SecretBox`); only a key's last four characters are read back in
clear, except by `snapshot()`, which the gateway routes with. A write that carries a secret
without ENCRYPTION_KEY is refused with how to set it. Deleting a provider is soft (out of
routing and listings, restorable); purging wipes the row, its models and its key. A canary in
`settings` proves at start that ENCRYPTION_KEY opens what is stored, before anything is
written with it. Every change bumps `version` in the same transaction: replicas poll it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.config.secrets import is_secret_header
from gateway.store.database import Database, Transaction
from gateway.store.secret_box import HOW_TO, EncryptionKeyError, SecretBox

__all__ = [
    "Conflict",
    "Managed",
    "ManagedError",
    "MODEL_FIELDS",
    "NeedsEncryptionKey",
    "NotFound",
    "ProviderStore",
    "StoredChain",
    "StoredModel",
    "StoredProvider",
    "refers_to",
]

CANARY = "encryption-canary"
CANARY_TEXT = "llm-gateway"
VERSION = "version"
ACTIVE = "active-model"
FALLBACK = "fallback-model"
PROVIDER_FIELDS = frozenset(
    {"name", "base_url", "api_key", "headers", "openai_api_mode", "advanced_json", "degraded_threshold_ms", "enabled"}
)
MODEL_FIELDS = frozenset(
    {
        "model",
        "alias",
        "priority",
        "is_default",
        "tags",
        "when",
        "advanced_json",
        "multiplier",
        "cost_per_1k_input",
        "cost_per_1k_output",
        "cost_per_1k_cache_read",
        "cost_per_1k_cache_write",
    }
)
# Stored columns of the JSON-valued model fields.
_JSON_COLUMNS = {"tags": "tags", "when": "when_json", "advanced_json": "advanced_json"}


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
    when: dict[str, Any] | None = None
    advanced_json: dict[str, Any] = field(default_factory=dict)
    multiplier: float = 1.0
    cost_per_1k_input: float | None = None
    cost_per_1k_output: float | None = None
    cost_per_1k_cache_read: float | None = None
    cost_per_1k_cache_write: float | None = None
    test_status: str = "untested"
    test_latency_ms: float | None = None
    test_message: str | None = None
    tested_at: float | None = None
    position: int = 0
    created_at: float = 0.0


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
    models: tuple[StoredModel, ...] = ()
    # Header names -> values; secret ones (see `is_secret_header`) only in `snapshot()`.
    headers: dict[str, str] = field(default_factory=dict)
    # The key in clear: set by `snapshot()` only, for routing.
    api_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class StoredChain:
    id: str
    name: str
    models: tuple[str, ...]
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class Managed:
    """Everything the store adds to routing, secrets in clear: built by `snapshot()`."""

    providers: tuple[StoredProvider, ...] = ()
    chains: tuple[StoredChain, ...] = ()
    active_model: str | None = None
    fallback_model: str | None = None
    version: int = 0


def refers_to(model_id: str | None, provider: StoredProvider, model: StoredModel | None = None) -> bool:
    """Does `model_id` (as clients spell it: prefix/name, prefix^alias, bare) name `model` of
    `provider`, or any of its models when `model` is None?"""
    if not model_id:
        return False
    prefix, sep, rest = model_id.replace("^", "/", 1).partition("/")
    if not sep:
        prefix, rest = provider.name, model_id
    if prefix != provider.name:
        return False
    candidates = [model] if model is not None else list(provider.models)
    return any(rest in (m.model, m.alias) for m in candidates if m is not None)


_PROVIDER_COLUMNS = (
    "id, provider_type, name, base_url, api_key_last4, openai_api_mode, advanced_json, "
    "degraded_threshold_ms, enabled, created_at, updated_at, deleted_at, headers, api_key"
)
_MODEL_COLUMNS = (
    "id, provider_id, model, alias, priority, is_default, tags, when_json, advanced_json, multiplier, "
    "cost_per_1k_input, cost_per_1k_output, cost_per_1k_cache_read, cost_per_1k_cache_write, test_status, "
    "test_latency_ms, test_message, tested_at, position, created_at"
)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _model(row: tuple[Any, ...]) -> StoredModel:
    return StoredModel(
        row[0], row[1], row[2], row[3], row[4], bool(row[5]), tuple(orjson.loads(row[6])),
        orjson.loads(row[7]) if row[7] else None, orjson.loads(row[8]), row[9], row[10], row[11], row[12],
        row[13], row[14], row[15], row[16], row[17], row[18], row[19],
    )  # fmt: skip


class ProviderStore:
    def __init__(self, db: Database, box: SecretBox | None, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.box = box
        self.clock = clock

    # --- the encryption key --------------------------------------------------------------

    def check_key(self) -> None:
        """Start-up: the key must open the canary (written on first use) and every stored
        secret; else nothing is written and the error says which key to put back. Stored
        secrets without any key are an error too: the gateway could not route with them."""
        rows = self.db.query("SELECT value FROM settings WHERE key = ?", (CANARY,))
        sealed = self.db.query("SELECT count(*) FROM providers WHERE api_key IS NOT NULL")[0][0]
        if self.box is None:
            if rows or sealed:
                raise EncryptionKeyError(
                    "The store holds encrypted API keys and ENCRYPTION_KEY is not set; set it to the key they "
                    "were stored with."
                )
            return
        box = self.box
        if rows:
            if box.decrypt(rows[0][0]) != CANARY_TEXT:
                raise EncryptionKeyError(
                    "The store's encryption canary is not what the gateway wrote; refusing to start."
                )
            return
        self.db.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (CANARY, box.encrypt(CANARY_TEXT)))

    def rotate(self) -> int:
        """Every stored secret re-encrypted with ENCRYPTION_KEY's first key, in one
        transaction: all or nothing. Returns how many were rewritten."""
        if self.box is None:
            raise NeedsEncryptionKey(f"Rotating needs ENCRYPTION_KEY: {HOW_TO}.")
        box = self.box

        def work(tx: Transaction) -> int:
            count = 0
            for provider_id, key, headers in tx.query("SELECT id, api_key, headers FROM providers"):
                new_key = box.rotate(key) if key else None
                new_headers = box.rotate(headers) if headers and not headers.startswith("{") else headers
                tx.execute(
                    "UPDATE providers SET api_key = ?, headers = ? WHERE id = ?", (new_key, new_headers, provider_id)
                )
                count += (new_key is not None) + (new_headers is not headers)
            for (token,) in tx.query("SELECT value FROM settings WHERE key = ?", (CANARY,)):
                tx.execute("UPDATE settings SET value = ? WHERE key = ?", (box.rotate(token), CANARY))
            _bump(tx)
            return count

        return self.db.run(work)

    def _seal(self, api_key: str | None) -> tuple[str | None, str | None]:
        if not api_key:
            return None, None
        if self.box is None:
            raise NeedsEncryptionKey(f"Storing an API key needs ENCRYPTION_KEY: {HOW_TO}, then restart the gateway.")
        return self.box.encrypt(api_key), api_key[-4:]

    def _seal_headers(self, headers: Mapping[str, str] | None) -> str | None:
        """Headers as one Fernet token when a key is set; as JSON without one, unless a value
        looks like a credential (then the write is refused like a key)."""
        if not headers:
            return None
        text = _dumps(dict(headers))
        if self.box is not None:
            return self.box.encrypt(text)
        if any(is_secret_header(name) for name in headers):
            raise NeedsEncryptionKey(
                f"A header that carries a credential needs ENCRYPTION_KEY to be stored: {HOW_TO}, then restart."
            )
        return text

    def _open_headers(self, stored: str | None) -> dict[str, str]:
        if not stored:
            return {}
        if stored.startswith("{"):
            return dict(orjson.loads(stored))
        if self.box is None:
            raise NeedsEncryptionKey(f"Reading stored headers needs ENCRYPTION_KEY: {HOW_TO}.")
        return dict(orjson.loads(self.box.decrypt(stored)))

    def _unmasked(self, provider_id: str, headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
        """A value sent back as the listing showed it (`****` and its last four) keeps the stored one."""
        if not headers or not any(v.startswith("****") for v in headers.values()):
            return headers
        rows = self.db.query("SELECT headers FROM providers WHERE id = ?", (provider_id,))
        stored = self._open_headers(rows[0][0]) if rows else {}
        return {k: (stored[k] if k in stored and v == "****" + stored[k][-4:] else v) for k, v in headers.items()}

    def _masked_headers(self, stored: str | None) -> dict[str, str]:
        """Header names with the values of credential-like ones masked to their last four."""
        try:
            headers = self._open_headers(stored)
        except (NeedsEncryptionKey, EncryptionKeyError):
            return {}
        return {k: ("****" + v[-4:] if is_secret_header(k) else v) for k, v in headers.items()}

    # --- reading -------------------------------------------------------------------------

    def version(self) -> int:
        rows = self.db.query("SELECT value FROM settings WHERE key = ?", (VERSION,))
        return int(rows[0][0]) if rows else 0

    def providers(self, *, deleted: bool = False) -> list[StoredProvider]:
        """Providers in creation order, with masked secrets; `deleted` adds the soft-deleted."""
        return self.db.run(lambda tx: self._providers(tx, deleted=deleted, secrets=False), write=False)

    def _providers(self, tx: Transaction, *, deleted: bool, secrets: bool) -> list[StoredProvider]:
        where = "" if deleted else " WHERE deleted_at IS NULL"
        rows = tx.query(f"SELECT {_PROVIDER_COLUMNS} FROM providers{where} ORDER BY created_at, id")
        by_provider: dict[str, list[StoredModel]] = {}
        for row in tx.query(f"SELECT {_MODEL_COLUMNS} FROM provider_models ORDER BY position, id"):
            by_provider.setdefault(row[1], []).append(_model(row))
        found = []
        for r in rows:
            headers = self._open_headers(r[12]) if secrets else self._masked_headers(r[12])
            key = None
            if secrets and r[13] is not None:
                if self.box is None:
                    raise NeedsEncryptionKey(f"Reading a stored API key needs ENCRYPTION_KEY: {HOW_TO}.")
                key = self.box.decrypt(r[13])
            found.append(
                StoredProvider(
                    r[0], r[1], r[2], r[3], r[4], r[5], orjson.loads(r[6]), r[7], bool(r[8]), r[9], r[10], r[11],
                    tuple(by_provider.get(r[0], ())), headers, key,
                )
            )  # fmt: skip
        return found

    def provider(self, provider_id: str, *, deleted: bool = False) -> StoredProvider:
        found = [p for p in self.providers(deleted=True) if p.id == provider_id]
        if not found or (found[0].deleted_at is not None and not deleted):
            raise NotFound(f"No provider {provider_id!r}; GET /v0/management/providers lists them.")
        return found[0]

    def api_key(self, provider_id: str) -> str | None:
        """The provider's key in clear, for routing and tests of it only (never for an answer)."""
        rows = self.db.query("SELECT api_key FROM providers WHERE id = ?", (provider_id,))
        if not rows:
            raise NotFound(f"No provider {provider_id!r}.")
        token = rows[0][0]
        if token is None:
            return None
        if self.box is None:
            raise NeedsEncryptionKey(f"Reading a stored API key needs ENCRYPTION_KEY: {HOW_TO}.")
        return self.box.decrypt(token)

    def snapshot(self) -> Managed:
        """Live providers, chains and settings with secrets in clear, read in one transaction."""

        def work(tx: Transaction) -> Managed:
            providers = self._providers(tx, deleted=False, secrets=True)
            settings = dict(
                tx.query("SELECT key, value FROM settings WHERE key IN (?, ?, ?)", (VERSION, ACTIVE, FALLBACK))
            )
            return Managed(
                tuple(providers),
                tuple(self._chains(tx)),
                settings.get(ACTIVE),
                settings.get(FALLBACK),
                int(settings.get(VERSION, 0)),
            )

        return self.db.run(work, write=False)

    # --- providers -----------------------------------------------------------------------

    def create_provider(
        self,
        *,
        provider_type: str,
        name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        openai_api_mode: str = "auto",
        advanced_json: Mapping[str, Any] | None = None,
        degraded_threshold_ms: float = 5000.0,
        enabled: bool = True,
        models: Sequence[str | Mapping[str, Any]] = (),
    ) -> StoredProvider:
        sealed, last4 = self._seal(api_key)
        sealed_headers = self._seal_headers(headers)
        now = self.clock()
        provider_id = "prv_" + uuid.uuid4().hex[:16]
        specs = [{"model": m} if isinstance(m, str) else dict(m) for m in models]
        names = [spec["model"] for spec in specs]
        if len(names) != len(set(names)):
            raise Conflict("A model is listed twice; list each model once.")
        defaults = [i for i, spec in enumerate(specs) if spec.get("is_default")]
        default = defaults[0] if defaults else 0

        def work(tx: Transaction) -> None:
            if tx.query("SELECT 1 FROM providers WHERE name = ? AND deleted_at IS NULL", (name,)):
                raise Conflict(f"A provider named {name!r} exists; names are model-id prefixes and must be unique.")
            tx.execute(
                "INSERT INTO providers (id, provider_type, name, base_url, api_key, api_key_last4, headers, "
                "openai_api_mode, advanced_json, degraded_threshold_ms, enabled, created_at, updated_at, "
                "deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    provider_id,
                    provider_type,
                    name,
                    base_url,
                    sealed,
                    last4,
                    sealed_headers,
                    openai_api_mode,
                    _dumps(dict(advanced_json or {})),
                    degraded_threshold_ms,
                    enabled,
                    now,
                    now,
                ),
            )
            for position, spec in enumerate(specs):
                _insert_model(tx, provider_id, {**spec, "is_default": position == default}, position, now)
            _bump(tx)

        self.db.run(work)
        return self.provider(provider_id)

    def update_provider(self, provider_id: str, **changes: Any) -> StoredProvider:
        unknown = set(changes) - PROVIDER_FIELDS
        if unknown:
            raise ManagedError(f"Unknown provider field(s): {', '.join(sorted(unknown))}.")
        current = self.provider(provider_id)
        columns: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "api_key":
                if value:  # empty or absent: the stored key stays
                    columns["api_key"], columns["api_key_last4"] = self._seal(value)
            elif name == "headers":
                columns["headers"] = self._seal_headers(self._unmasked(provider_id, value))
            elif name == "advanced_json":
                columns[name] = _dumps(dict(value or {}))
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
            if new_name is not None and new_name != current.name:
                # The active and fallback model follow the provider to its new prefix.
                for key in (ACTIVE, FALLBACK):
                    value = _setting(tx, key)
                    if value is not None and refers_to(value, current):
                        rest = value.replace("^", "/", 1).partition("/")[2] or value
                        tx.execute("UPDATE settings SET value = ? WHERE key = ?", (f"{new_name}/{rest}", key))
            _bump(tx)

        self.db.run(work)
        return self.provider(provider_id)

    def delete_provider(self, provider_id: str) -> None:
        """Soft: out of routing and listings until restored. Not while it serves the active
        model; removing the fallback's provider clears the fallback."""
        provider = self.provider(provider_id)

        def work(tx: Transaction) -> None:
            active, fallback = _setting(tx, ACTIVE), _setting(tx, FALLBACK)
            if refers_to(active, provider):
                raise Conflict(
                    f"{provider.name!r} serves the active model {active!r}; make another model active first."
                )
            if refers_to(fallback, provider):
                tx.execute("DELETE FROM settings WHERE key = ?", (FALLBACK,))
            tx.execute("UPDATE providers SET deleted_at = ? WHERE id = ?", (self.clock(), provider_id))
            _bump(tx)

        self.db.run(work)

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
            _bump(tx)

        self.db.run(work)
        return self.provider(provider_id)

    def purge_provider(self, provider_id: str) -> None:
        """Wipes the row, its models and its key (a live provider is deleted first, with its guard)."""
        provider = self.provider(provider_id, deleted=True)
        if provider.deleted_at is None:
            self.delete_provider(provider_id)

        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM provider_models WHERE provider_id = ?", (provider_id,))
            tx.execute("DELETE FROM providers WHERE id = ?", (provider_id,))
            _bump(tx)

        self.db.run(work)

    # --- models --------------------------------------------------------------------------

    def _model(self, provider_id: str, model_id: str) -> tuple[StoredProvider, StoredModel]:
        provider = self.provider(provider_id)
        found = next((m for m in provider.models if m.id == model_id), None)
        if found is None:
            raise NotFound(
                f"Provider {provider.name!r} has no model {model_id!r}; "
                f"GET /v0/management/providers/{provider_id}/models lists them."
            )
        return provider, found

    def add_model(self, provider_id: str, model: str, **spec: Any) -> StoredModel:
        unknown = set(spec) - MODEL_FIELDS
        if unknown:
            raise ManagedError(f"Unknown model field(s): {', '.join(sorted(unknown))}.")
        provider = self.provider(provider_id)
        if any(m.model == model for m in provider.models):
            raise Conflict(f"Provider {provider.name!r} already has the model {model!r}.")
        position = max((m.position for m in provider.models), default=-1) + 1
        is_default = bool(spec.pop("is_default", False)) or not provider.models

        def work(tx: Transaction) -> str:
            if is_default:
                tx.execute("UPDATE provider_models SET is_default = ? WHERE provider_id = ?", (False, provider_id))
            made = _insert_model(
                tx, provider_id, {**spec, "model": model, "is_default": is_default}, position, self.clock()
            )
            _bump(tx)
            return made

        model_id = self.db.run(work)
        return self._model(provider_id, model_id)[1]

    def update_model(self, provider_id: str, model_id: str, **changes: Any) -> StoredModel:
        unknown = set(changes) - MODEL_FIELDS
        if unknown:
            raise ManagedError(f"Unknown model field(s): {', '.join(sorted(unknown))}.")
        provider, current = self._model(provider_id, model_id)
        renamed = changes.get("model")
        if renamed is not None and renamed != current.model and any(m.model == renamed for m in provider.models):
            raise Conflict(f"Provider {provider.name!r} already has the model {renamed!r}.")
        if changes.get("is_default") is False and current.is_default:
            raise Conflict("A provider always has a default model; make another model the default instead.")
        columns = {
            _JSON_COLUMNS.get(k, k): (_dumps(v) if k in _JSON_COLUMNS and v is not None else v)
            for k, v in changes.items()
        }
        if "tags" in changes and changes["tags"] is None:
            columns["tags"] = "[]"
        if "advanced_json" in changes and changes["advanced_json"] is None:
            columns["advanced_json"] = "{}"

        def work(tx: Transaction) -> None:
            if changes.get("is_default"):
                tx.execute("UPDATE provider_models SET is_default = ? WHERE provider_id = ?", (False, provider_id))
            if columns:
                assignments = ", ".join(f"{name} = ?" for name in columns)
                tx.execute(f"UPDATE provider_models SET {assignments} WHERE id = ?", (*columns.values(), model_id))
            if renamed is not None and renamed != current.model:
                # The active and fallback model follow the model to its new name.
                for key in (ACTIVE, FALLBACK):
                    value = _setting(tx, key)
                    if value is not None and refers_to(value, provider, current):
                        tx.execute("UPDATE settings SET value = ? WHERE key = ?", (f"{provider.name}/{renamed}", key))
            _bump(tx)

        self.db.run(work)
        return self._model(provider_id, model_id)[1]

    def delete_model(self, provider_id: str, model_id: str) -> None:
        """The last model cannot go (delete the provider instead), nor the active one; the
        default passes to the next, and removing the fallback clears it."""
        provider, target = self._model(provider_id, model_id)
        if len(provider.models) == 1:
            raise Conflict(f"{target.model!r} is the last model of {provider.name!r}; delete the provider instead.")

        def work(tx: Transaction) -> None:
            # Counted again inside the transaction: two removals at once must not both pass.
            if tx.query("SELECT count(*) FROM provider_models WHERE provider_id = ?", (provider_id,))[0][0] <= 1:
                raise Conflict(f"{target.model!r} is the last model of {provider.name!r}; delete the provider instead.")
            active, fallback = _setting(tx, ACTIVE), _setting(tx, FALLBACK)
            if refers_to(active, provider, target):
                raise Conflict(f"{target.model!r} is the active model; make another model active first.")
            if refers_to(fallback, provider, target):
                tx.execute("DELETE FROM settings WHERE key = ?", (FALLBACK,))
            tx.execute("DELETE FROM provider_models WHERE id = ?", (model_id,))
            if target.is_default:
                following = tx.query(
                    "SELECT id FROM provider_models WHERE provider_id = ? ORDER BY position, id LIMIT 1", (provider_id,)
                )[0][0]
                tx.execute("UPDATE provider_models SET is_default = ? WHERE id = ?", (True, following))
            _bump(tx)

        self.db.run(work)

    def record_test(self, model_id: str, status: str, latency_ms: float | None, message: str | None) -> None:
        """The last connection test of a model: untested, connected or error."""

        def work(tx: Transaction) -> None:
            tx.execute(
                "UPDATE provider_models SET test_status = ?, test_latency_ms = ?, test_message = ?, tested_at = ? "
                "WHERE id = ?",
                (status, latency_ms, message, self.clock(), model_id),
            )

        self.db.run(work)

    # --- chains --------------------------------------------------------------------------

    def chains(self) -> list[StoredChain]:
        return self.db.run(self._chains, write=False)

    @staticmethod
    def _chains(tx: Transaction) -> list[StoredChain]:
        rows = tx.query("SELECT id, name, models, created_at, updated_at FROM chains ORDER BY created_at, id")
        return [StoredChain(r[0], r[1], tuple(orjson.loads(r[2])), r[3], r[4]) for r in rows]

    def chain(self, chain_id: str) -> StoredChain:
        found = next((c for c in self.chains() if c.id == chain_id), None)
        if found is None:
            raise NotFound(f"No chain {chain_id!r}; GET /v0/management/chains lists them.")
        return found

    def create_chain(self, name: str, models: Sequence[str]) -> StoredChain:
        if not models:
            raise ManagedError("A chain needs at least one model id.")
        now = self.clock()
        chain_id = "chn_" + uuid.uuid4().hex[:16]

        def work(tx: Transaction) -> None:
            if tx.query("SELECT 1 FROM chains WHERE name = ?", (name,)):
                raise Conflict(f"A chain named {name!r} exists; PATCH it, or pick another name.")
            tx.execute(
                "INSERT INTO chains (id, name, models, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (chain_id, name, _dumps(list(models)), now, now),
            )
            _bump(tx)

        self.db.run(work)
        return self.chain(chain_id)

    def update_chain(
        self, chain_id: str, *, name: str | None = None, models: Sequence[str] | None = None
    ) -> StoredChain:
        current = self.chain(chain_id)
        if models is not None and not models:
            raise ManagedError("A chain needs at least one model id.")

        def work(tx: Transaction) -> None:
            if name is not None and name != current.name and tx.query("SELECT 1 FROM chains WHERE name = ?", (name,)):
                raise Conflict(f"A chain named {name!r} exists.")
            tx.execute(
                "UPDATE chains SET name = ?, models = ?, updated_at = ? WHERE id = ?",
                (name or current.name, _dumps(list(models or current.models)), self.clock(), chain_id),
            )
            _bump(tx)

        self.db.run(work)
        return self.chain(chain_id)

    def delete_chain(self, chain_id: str) -> None:
        self.chain(chain_id)

        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM chains WHERE id = ?", (chain_id,))
            _bump(tx)

        self.db.run(work)

    # --- the active and fallback model ---------------------------------------------------

    def settings(self) -> tuple[str | None, str | None]:
        """(active model, fallback model)."""
        snapshot = dict(self.db.query("SELECT key, value FROM settings WHERE key IN (?, ?)", (ACTIVE, FALLBACK)))
        return snapshot.get(ACTIVE), snapshot.get(FALLBACK)

    def set_model_setting(self, which: str, model: str | None) -> None:
        """`which` is "active" or "fallback"; None clears it (the active model only when no
        fallback is left behind)."""
        key = {"active": ACTIVE, "fallback": FALLBACK}[which]

        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM settings WHERE key = ?", (key,))
            if model is not None:
                tx.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (key, model))
            _bump(tx)

        self.db.run(work)


def _setting(tx: Transaction, key: str) -> str | None:
    rows = tx.query("SELECT value FROM settings WHERE key = ?", (key,))
    return rows[0][0] if rows else None


def _bump(tx: Transaction) -> None:
    """One more change: replicas polling `version` reload."""
    rows = tx.query("SELECT value FROM settings WHERE key = ?", (VERSION,))
    if rows:
        tx.execute("UPDATE settings SET value = ? WHERE key = ?", (str(int(rows[0][0]) + 1), VERSION))
    else:
        tx.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (VERSION, "1"))


def _insert_model(tx: Transaction, provider_id: str, spec: Mapping[str, Any], position: int, now: float) -> str:
    model_id = "mdl_" + uuid.uuid4().hex[:16]
    when = spec.get("when")
    tx.execute(
        "INSERT INTO provider_models (id, provider_id, model, alias, priority, is_default, tags, when_json, "
        "advanced_json, multiplier, cost_per_1k_input, cost_per_1k_output, cost_per_1k_cache_read, "
        "cost_per_1k_cache_write, test_status, position, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'untested', ?, ?)",
        (
            model_id,
            provider_id,
            spec["model"],
            spec.get("alias"),
            spec.get("priority") or 0,
            bool(spec.get("is_default")),
            _dumps(list(spec.get("tags") or ())),
            _dumps(when) if when is not None else None,
            _dumps(dict(spec.get("advanced_json") or {})),
            1.0 if spec.get("multiplier") is None else spec["multiplier"],
            spec.get("cost_per_1k_input"),
            spec.get("cost_per_1k_output"),
            spec.get("cost_per_1k_cache_read"),
            spec.get("cost_per_1k_cache_write"),
            position,
            now,
        ),
    )
    return model_id
