import pytest

from gateway.config.loader import ConfigError, parse_config


def test_variables_are_interpolated_with_defaults_before_validation():
    config, warnings = parse_config('port: "${PORT:-9000}"\napi-keys: ["${KEY}"]\n', {"KEY": "secret"})
    assert config.port == 9000 and config.api_keys[0].api_key.get_secret_value() == "secret"
    assert warnings == []


def test_missing_variable_names_the_key_path_and_line():
    with pytest.raises(ConfigError) as caught:
        parse_config("api-keys: [a]\nopenai-compatibility:\n  - name: x\n    base-url: ${BASE}\n", {})
    assert [str(p) for p in caught.value.problems] == [
        "openai-compatibility[0].base-url (line 4): environment variable BASE is not set; "
        "export it or write ${BASE:-default}",
        "openai-compatibility[0].base-url (line 4): must start with http:// or https://",
    ]


def test_unknown_keys_warn_with_a_suggestion_at_every_depth():
    _, warnings = parse_config(
        "api-key: [x]\nopenai-compatibility:\n  - name: x\n    base-url: http://x/v1\n    modles: []\n"
        "    api-key-entries: [{api-key: k, proxy-url: direct}]\n",
        {},
    )
    assert [str(w) for w in warnings] == [
        "api-key (line 1): unknown key, ignored; did you mean 'api-keys'?",
        "openai-compatibility[0].modles (line 5): unknown key, ignored; did you mean 'models'?",
        "openai-compatibility[0].api-key-entries[0].proxy-url (line 6): unknown key, ignored; "
        "not an option of llm-gateway",
    ]


def test_invalid_yaml_and_non_mapping_files_are_refused_with_a_line():
    with pytest.raises(ConfigError) as caught:
        parse_config("port: [1\n", {})
    assert caught.value.problems[0].path == "(yaml)" and caught.value.problems[0].line
    with pytest.raises(ConfigError):
        parse_config("- just a list\n", {})


def test_secrets_never_appear_in_validation_errors_or_reprs():
    config, _ = parse_config("api-keys: [sk-very-secret]\n", {})
    assert "sk-very-secret" not in repr(config)
    with pytest.raises(ConfigError) as caught:
        parse_config("api-keys: [{api-key: sk-very-secret, name: 7, bogus: 1}]\nport: x\n", {})
    assert "sk-very-secret" not in str(caught.value)


def test_duplicate_entry_names_are_refused():
    with pytest.raises(ConfigError) as caught:
        parse_config(
            "openai-compatibility:\n  - {name: a, base-url: 'http://a'}\n  - {name: a, base-url: 'http://b'}\n", {}
        )
    assert "two entries are named 'a'" in str(caught.value)


def test_chains_and_fallbacks_that_loop_or_name_unknown_ids_are_refused_with_key_paths():
    text = """
openai-compatibility:
  - name: a
    base-url: http://a/v1
    models: [{name: m1, fallbacks: [m2]}, {name: m2, fallbacks: [m1]}]
chains:
  - {name: best, models: [m1, nope]}
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, {})
    messages = [str(p) for p in caught.value.problems]
    assert "chains[0].models[1] (line 7): unknown model id 'nope'" in messages
    assert any("routing loop: m1 -> m2 -> m1" in m for m in messages)


def test_a_chain_of_chains_and_passthrough_ids_is_accepted():
    config, _ = parse_config(
        """
openai-compatibility:
  - {name: a, prefix: any, base-url: "http://a/v1"}
  - {name: b, base-url: "http://b/v1", models: [{name: m}]}
chains:
  - {name: inner, models: [any/vendor/model, m]}
  - {name: outer, models: [inner, m]}
""",
        {},
    )
    from gateway.routing.catalog import build_catalog

    route = build_catalog(config).route("outer")
    assert [pool.id for pool in route.pools] == ["any/vendor/model", "m"]


def test_values_yaml_cannot_construct_and_credentials_in_urls_are_config_problems():
    with pytest.raises(ConfigError) as caught:
        parse_config(
            "azure-openai:\n  - {name: a, base-url: 'https://x', api-version: 2024-02-30,"
            " api-key-entries: [{api-key: k}], models: [{name: m}]}\n",
            {},
        )
    assert caught.value.problems[0].path == "(yaml)"
    with pytest.raises(ConfigError) as caught:
        parse_config("openai-compatibility:\n  - {name: a, base-url: 'https://user:pw@x/v1'}\n", {})
    assert "user:password@" in str(caught.value) and "pw@" not in caught.value.problems[0].message


def test_a_redis_url_that_cannot_be_used_is_a_problem_without_its_password():
    with pytest.raises(ConfigError) as caught:
        parse_config('state: {redis-url: "redis://:hunter2-pw@host:notaport/0"}\n', {})
    assert "state.redis-url" in str(caught.value) and "hunter2-pw" not in str(caught.value)


def test_two_client_keys_may_not_share_a_name():
    with pytest.raises(ConfigError, match="team-a"):
        parse_config("api-keys: [{api-key: one, name: team-a}, {api-key: two, name: team-a}]\n", {})


def test_an_empty_redis_url_means_no_redis():
    config, _ = parse_config('state: {redis-url: "${REDIS_URL:-}"}\n', {})
    assert config.state.redis_url is None
