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
    made = store.create_chain("smart", ["team/gpt-4o", "claude/claude-sonnet-4-5"])
    with pytest.raises(Conflict, match="'smart'"):
        store.create_chain("smart", ["team/gpt-4o"])
    store.update_chain(made.id, models=["claude/claude-sonnet-4-5", "team/gpt-4o"])
    assert [(c.name, c.models) for c in store.chains()] == [("smart", ("claude/claude-sonnet-4-5", "team/gpt-4o"))]
    assert store.update_chain(made.id, name="clever").name == "clever"
    store.delete_chain(made.id)
    assert store.chains() == []
    with pytest.raises(NotFound):
        store.delete_chain(made.id)


def test_models_carry_routing_fields_and_one_default(store):
    made = store.create_provider(
        provider_type="openai-compatible", name="vllm", base_url="http://127.0.0.1:9/v1",
        models=[{"model": "a"}, {"model": "b", "is_default": True, "tags": ["fast"], "when": {"stream": True},
                "advanced_json": {"top_k": 5}, "cost_per_1k_input": 0.5, "cost_per_1k_output": 1.5}],
    )  # fmt: skip
    a, b = made.models
    assert (a.is_default, b.is_default) == (False, True)
    assert (b.tags, b.when, b.advanced_json, b.cost_per_1k_output) == (("fast",), {"stream": True}, {"top_k": 5}, 1.5)
    changed = store.update_model(made.id, a.id, is_default=True, priority=3, alias="ay")
    assert (changed.is_default, changed.priority, changed.alias) == (True, 3, "ay")
    assert not next(m for m in store.provider(made.id).models if m.id == b.id).is_default
    with pytest.raises(Conflict, match="default"):
        store.update_model(made.id, a.id, is_default=False)
    with pytest.raises(Conflict, match="already has"):
        store.update_model(made.id, a.id, model="b")
    store.record_test(a.id, "connected", 123.0, None)
    tested = store.provider(made.id).models[0]
    assert (tested.test_status, tested.test_latency_ms, tested.tested_at is not None) == ("connected", 123.0, True)


def test_the_active_model_and_its_provider_stay_and_the_fallback_is_cleared(store):
    team = store.create_provider(provider_type="openai", name="team", api_key=KEY, models=["gpt-4o", "gpt-4o-mini"])
    spare = store.create_provider(provider_type="groq", name="spare", api_key=KEY, models=["llama", "qwen"])
    store.set_model_setting("active", "team^gpt-4o")
    store.set_model_setting("fallback", "spare/llama")
    with pytest.raises(Conflict, match="active model"):
        store.delete_model(team.id, team.models[0].id)
    with pytest.raises(Conflict, match="make another model active"):
        store.delete_provider(team.id)
    store.update_provider(team.id, name="crew")
    assert store.settings() == ("crew/gpt-4o", "spare/llama")  # the settings follow the rename
    store.update_provider(team.id, name="team")
    store.delete_model(team.id, team.models[1].id)  # not the active one: fine
    store.delete_model(spare.id, spare.models[0].id)  # the fallback: cleared
    assert store.settings() == ("team/gpt-4o", None)
    store.set_model_setting("fallback", "spare/qwen")
    store.delete_provider(spare.id)
    assert store.settings() == ("team/gpt-4o", None)


def test_every_change_bumps_the_version_and_a_snapshot_holds_secrets_in_clear(store):
    start = store.version()
    made = store.create_provider(
        provider_type="openai", name="team", api_key=KEY, headers={"X-Api-Token": "tok-secret-9876", "X-Org": "acme"},
        models=["gpt-4o"],
    )  # fmt: skip
    store.create_chain("smart", ["team/gpt-4o"])
    store.set_model_setting("active", "team/gpt-4o")
    assert store.version() == start + 3
    listed = store.provider(made.id)
    assert listed.api_key is None and listed.headers == {"X-Api-Token": "****9876", "X-Org": "acme"}
    snapshot = store.snapshot()
    (provider,) = snapshot.providers
    assert provider.api_key == KEY and provider.headers["X-Api-Token"] == "tok-secret-9876"
    assert (snapshot.active_model, snapshot.version) == ("team/gpt-4o", start + 3)
    assert [c.name for c in snapshot.chains] == ["smart"]


def test_rotation_re_encrypts_every_secret_with_the_first_key(store, db):
    store.check_key()
    made = store.create_provider(
        provider_type="openai", name="team", api_key=KEY, headers={"Authorization": "Bearer x"}, models=["m"]
    )
    new_key = Fernet.generate_key().decode()
    rotated = ProviderStore(db, SecretBox([new_key, BOX_KEY]))
    assert rotated.rotate() == 2
    only_new = ProviderStore(db, SecretBox([new_key]))
    only_new.check_key()
    assert only_new.api_key(made.id) == KEY
    assert only_new.snapshot().providers[0].headers == {"Authorization": "Bearer x"}
    with pytest.raises(EncryptionKeyError):
        store.check_key()  # the old key alone opens nothing any more


def test_stored_keys_without_encryption_key_refuse_to_start(store, db):
    store.create_provider(provider_type="openai", name="team", api_key=KEY, models=["m"])
    with pytest.raises(EncryptionKeyError, match="not set"):
        ProviderStore(db, None).check_key()


def test_a_renamed_model_carries_the_settings_and_a_masked_header_sent_back_keeps_its_value(store):
    made = store.create_provider(
        provider_type="openai", name="team", api_key=KEY, headers={"X-Api-Token": "tok-secret-9876"},
        models=["a", "b"],
    )  # fmt: skip
    store.set_model_setting("active", "team/a")
    store.set_model_setting("fallback", "team^b")
    store.update_model(made.id, made.models[0].id, model="a2")
    store.update_model(made.id, made.models[1].id, model="b2")
    assert store.settings() == ("team/a2", "team/b2")
    listed = store.provider(made.id).headers
    store.update_provider(made.id, headers={**listed, "X-Org": "acme"})
    assert store.snapshot().providers[0].headers == {"X-Api-Token": "tok-secret-9876", "X-Org": "acme"}
