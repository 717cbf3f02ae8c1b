import pytest

from gateway.config.loader import parse_config
from gateway.core.errors import ClientError
from gateway.routing.catalog import build_catalog

CONFIG = """
openai-compatibility:
  - name: one
    prefix: p
    base-url: http://one/v1
    api-key-entries: [{api-key: k1}, {api-key: k2}]
    models: [{name: real-model, alias: nice}, {name: blocked-x}]
    excluded-models: ["blocked-*"]
  - name: two
    base-url: http://two/v1
    models: [{name: nice}]
  - name: any
    prefix: any
    base-url: http://any/v1
    excluded-models: ["*:free"]
"""


def catalog(text=CONFIG):
    config, _ = parse_config(text, {})
    return build_catalog(config)


def test_prefixed_and_bare_ids_resolve_and_the_same_id_pools_across_entries_and_keys():
    c = catalog()
    assert [(t.credential.provider.name, t.upstream_model) for t in c.resolve("p/nice").targets] == [
        ("one", "real-model"),
        ("one", "real-model"),
    ]
    bare = c.resolve("nice")
    assert [(t.credential.provider.name, t.upstream_model) for t in bare.targets] == [
        ("one", "real-model"),
        ("one", "real-model"),
        ("two", "nice"),
    ]
    assert bare.owned_by == "one"


def test_force_model_prefix_hides_bare_ids_of_prefixed_entries_only():
    c = catalog("force-model-prefix: true\n" + CONFIG)
    assert "real-model" not in c.pools
    assert [t.credential.provider.name for t in c.resolve("nice").targets] == ["two"]


def test_excluded_models_are_neither_listed_nor_passed_through():
    c = catalog()
    assert "p/blocked-x" not in c.pools
    with pytest.raises(ClientError):
        c.resolve("any/vendor/model:free")
    assert c.resolve("any/vendor/model").targets[0].upstream_model == "vendor/model"


def test_unknown_model_error_names_the_closest_ids():
    with pytest.raises(ClientError) as caught:
        catalog().resolve("p/nicee")
    assert caught.value.status == 404 and caught.value.code == "model_not_found"
    assert "p/nice" in caught.value.message


def test_credential_ids_are_stable_across_builds_and_never_contain_the_key():
    first, second = catalog(), catalog()
    ids = [t.credential.id for t in first.resolve("p/nice").targets]
    assert ids == [t.credential.id for t in second.resolve("p/nice").targets]
    assert len(set(ids)) == 2 and not any("k1" in i or "k2" in i for i in ids)
    assert "k1" not in repr(first.resolve("p/nice").targets[0])


def test_a_caret_selector_is_the_slash_spelling_and_keeps_the_clients_id():
    c = catalog()
    route = c.route("p^nice")
    assert route.id == "p^nice" and route.pools == c.route("p/nice").pools
    passed = c.route("any^vendor/model-1")
    assert [t.upstream_model for t in passed.pools[0].targets] == ["vendor/model-1"]
    with pytest.raises(ClientError) as caught:
        c.route("p^missing")
    assert caught.value.status == 404 and "'p^missing'" in caught.value.message


def test_a_key_allowed_a_prefix_may_use_its_caret_spelling():
    from gateway.clients.policies import KeyPolicy
    from gateway.state.limits import KeyLimits

    policy = KeyPolicy("team", ("p/*",), KeyLimits())
    assert policy.allows("p^nice") and policy.allows("p/nice") and not policy.allows("q^nice")
