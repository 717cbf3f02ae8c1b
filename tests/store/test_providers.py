"""Providers, models and chains in the store, on SQLite and PostgreSQL: the key only as a Fernet
token, soft delete, restore and purge, the model guards, and a wrong ENCRYPTION_KEY refused
before anything is written."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from gateway.store.database import Database, open_database
from gateway.store.migrations import migrate
from gateway.store.providers import Conflict, NeedsEncryptionKey, NotFound, ProviderStore
from gateway.store.secret_box import EncryptionKeyError, SecretBox

KEY = "sk-live-abcdefghijklmnop1234"
BOX_KEY = Fernet.generate_key().decode()
BOX = SecretBox([BOX_KEY])


@pytest.fixture
def store(db: Database) -> ProviderStore:
    migrate(db)
    return ProviderStore(db, BOX)


def test_a_provider_round_trips_with_its_key_sealed(store, db):
    made = store.create_provider(
        provider_type="openai", name="team", api_key=KEY, models=["gpt-4o", "gpt-4o-mini"],
        advanced_json={"temperature": 0.2},
    )  # fmt: skip
    assert made.api_key_last4 == "1234" and made.advanced_json == {"temperature": 0.2}
    assert [(m.model, m.is_default, m.position) for m in made.models] == [
        ("gpt-4o", True, 0),
        ("gpt-4o-mini", False, 1),
    ]
    stored = db.query("SELECT api_key FROM providers WHERE id = ?", (made.id,))[0][0]
    assert KEY not in stored and "abcdefgh" not in stored
    assert store.api_key(made.id) == KEY
    assert [p.name for p in store.providers()] == ["team"]


def test_names_are_unique_among_providers_in_use(store):
    first = store.create_provider(provider_type="openai", name="team", models=["m"])
    with pytest.raises(Conflict, match="'team'"):
        store.create_provider(provider_type="groq", name="team", models=["m"])
    store.delete_provider(first.id)
    second = store.create_provider(provider_type="groq", name="team", models=["m"])
    with pytest.raises(Conflict, match="rename"):
        store.restore_provider(first.id)
    store.update_provider(second.id, name="team-2")
    assert store.restore_provider(first.id).deleted_at is None


def test_soft_delete_restore_and_purge(store, db):
    made = store.create_provider(provider_type="anthropic", name="claude", api_key=KEY, models=["claude-sonnet-4-5"])
    store.delete_provider(made.id)
    assert store.providers() == [] and store.provider(made.id, deleted=True).deleted_at is not None
    with pytest.raises(NotFound):
        store.provider(made.id)
    assert store.restore_provider(made.id).models[0].model == "claude-sonnet-4-5"
    store.purge_provider(made.id)
    assert db.query("SELECT count(*) FROM providers") == [(0,)]
    assert db.query("SELECT count(*) FROM provider_models") == [(0,)]
    with pytest.raises(NotFound):
        store.purge_provider(made.id)


def test_the_last_model_stays_and_the_default_passes_on(store):
    made = store.create_provider(provider_type="openai", name="team", models=["a"])
    with pytest.raises(Conflict, match="last model"):
        store.delete_model(made.id, made.models[0].id)
    added = store.add_model(made.id, "b", alias="bee", priority=2)
    assert (added.model, added.alias, added.priority, added.is_default) == ("b", "bee", 2, False)
    with pytest.raises(Conflict):
        store.add_model(made.id, "b")
    store.delete_model(made.id, made.models[0].id)
    (left,) = store.provider(made.id).models
    assert left.model == "b" and left.is_default


def test_a_key_without_encryption_key_is_refused_with_how_to_set_it(db):
    migrate(db)
    plain = ProviderStore(db, None)
    with pytest.raises(NeedsEncryptionKey, match="ENCRYPTION_KEY"):
        plain.create_provider(provider_type="openai", name="team", api_key=KEY, models=["m"])
    assert plain.providers() == []
    keyless = plain.create_provider(provider_type="ollama", name="local", models=["llama3"])
    assert keyless.api_key_last4 is None and plain.api_key(keyless.id) is None


def test_a_wrong_encryption_key_is_refused_at_start_and_nothing_is_written(store, database_url):
    store.check_key()
    made = store.create_provider(provider_type="openai", name="team", api_key=KEY, models=["m"])
    other = open_database(database_url)
    try:
        wrong = ProviderStore(other, SecretBox([Fernet.generate_key().decode()]))
        with pytest.raises(EncryptionKeyError, match="ENCRYPTION_KEY"):
            wrong.check_key()
        assert store.api_key(made.id) == KEY
        rotated = ProviderStore(other, SecretBox.from_value(f"{Fernet.generate_key().decode()},{BOX_KEY}"))
        rotated.check_key()
        assert rotated.api_key(made.id) == KEY
    finally:
        other.close()


def test_chains_are_named_ordered_lists(store):
    store.set_chain("smart", ["team/gpt-4o", "claude/claude-sonnet-4-5"])
    store.set_chain("smart", ["claude/claude-sonnet-4-5", "team/gpt-4o"])
    assert store.chains() == {"smart": ("claude/claude-sonnet-4-5", "team/gpt-4o")}
    store.delete_chain("smart")
    assert store.chains() == {}
    with pytest.raises(NotFound):
        store.delete_chain("smart")
