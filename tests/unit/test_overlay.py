"""The store's providers laid over config.yaml: each type becomes the entry of its config block,
named and prefixed with its name; the active model and its fallback are the `default` chain."""

from __future__ import annotations

from gateway.config.loader import parse_config
from gateway.config.routes import route_problems
from gateway.routing.catalog import build_catalog
from gateway.store.overlay import overlay
from gateway.store.providers import Managed, StoredChain, StoredModel, StoredProvider

BASE, _ = parse_config(
    """
openai-compatibility:
  - name: fromfile
    prefix: fromfile
    base-url: http://127.0.0.1:9/v1
    models: [{name: local-1}]
""",
    {},
)


def provider(name: str, kind: str, models: list[StoredModel], **fields) -> StoredProvider:
    values = {
        "id": f"prv_{name}", "provider_type": kind, "name": name, "base_url": None, "api_key_last4": "1234",
        "openai_api_mode": "auto", "advanced_json": {}, "degraded_threshold_ms": 5000.0, "enabled": True,
        "created_at": 0.0, "updated_at": 0.0, "deleted_at": None, "models": tuple(models), "api_key": "sk-1234",
    }  # fmt: skip
    values.update(fields)
    return StoredProvider(**values)


def model(name: str, **fields) -> StoredModel:
    return StoredModel(id=f"mdl_{name}", provider_id="p", model=name, **fields)


def test_each_type_lands_in_its_block_with_its_name_as_prefix():
    managed = Managed(
        providers=(
            provider("team", "openai", [model("gpt-4o", is_default=True), model("gpt-5-codex")]),
            provider("claude", "anthropic", [model("claude-sonnet-4-5")]),
            provider("gem", "gemini", [model("gemini-2.5-flash")]),
            provider("local", "ollama", [], api_key=None),
            provider("off", "groq", [model("llama")], enabled=False),
        )
    )
    config = overlay(BASE, managed)
    (compat,) = [e for e in config.openai_compatibility if e.name == "team"]
    assert compat.prefix == "team" and compat.base_url == "https://api.openai.com/v1"
    assert [m.name for m in compat.models or ()] == ["gpt-4o"]
    # `auto`: a model only the Responses API serves goes there.
    assert [(e.name, [m.name for m in e.models or ()]) for e in config.codex_api_key] == [("team", ["gpt-5-codex"])]
    assert [(e.name, e.base_url) for e in config.claude_api_key] == [("claude", "https://api.anthropic.com")]
    assert config.gemini_api_key[0].api_key.get_secret_value() == "sk-1234"
    # No models: Ollama's own list serves (discovery), as for a config entry without models.
    assert [(e.name, e.models, e.base_url) for e in config.ollama] == [("local", None, "http://127.0.0.1:11434")]
    assert "off" not in {e.name for e in config.openai_compatibility}
    catalog = build_catalog(config)
    assert catalog.route("team^gpt-4o").pools[0].targets[0].credential.provider.name == "team"
    assert catalog.route("team/gpt-5-codex").pools[0].targets[0].credential.provider.dialect == "responses"
    assert catalog.route("claude/claude-sonnet-4-5").pools[0].targets[0].credential.provider.dialect == "anthropic"
    # The provider's name alone is its default model.
    assert [p.id for p in catalog.route("team").pools] == ["team/gpt-4o"]


def test_the_active_model_and_fallback_are_the_default_chain_and_stored_chains_join():
    managed = Managed(
        providers=(provider("team", "openai", [model("gpt-4o"), model("gpt-4o-mini")]),),
        chains=(StoredChain("chn_1", "smart", ("team^gpt-4o-mini", "fromfile/local-1"), 0.0, 0.0),),
        active_model="team^gpt-4o",
        fallback_model="fromfile/local-1",
    )
    merged = overlay(BASE, managed)
    assert route_problems(merged) == []  # provider^model members resolve like provider/model
    catalog = build_catalog(merged)
    assert [p.id for p in catalog.route("default").pools] == ["team/gpt-4o", "fromfile/local-1"]
    assert [p.id for p in catalog.route("smart").pools] == ["team/gpt-4o-mini", "fromfile/local-1"]
    assert "default" not in build_catalog(overlay(BASE, Managed())).chains


def test_advanced_json_merges_model_over_provider_and_when_and_costs_reach_targets():
    managed = Managed(
        providers=(
            provider(
                "team", "openai-compatible",
                [model("m", advanced_json={"extra": {"b": 2}, "top_k": 3}, when={"stream": True},
                       cost_per_1k_input=1.0, cost_per_1k_output=2.0, multiplier=0.5)],
                base_url="http://127.0.0.1:9/v1", advanced_json={"extra": {"a": 1}, "top_k": 1, "seed": 7},
            ),
        )
    )  # fmt: skip
    (target,) = build_catalog(overlay(BASE, managed)).route("team/m").pools[0].targets
    assert target.extra == {"extra": {"a": 1, "b": 2}, "top_k": 3, "seed": 7}
    assert target.when is not None and target.when.stream is True
    assert target.price is not None and (target.price.input, target.price.output) == (500.0, 1000.0)


def test_names_the_file_uses_win():
    managed = Managed(providers=(provider("fromfile", "openai", [model("gpt-4o")]),))
    config = overlay(BASE, managed)
    assert [e.name for e in config.openai_compatibility] == ["fromfile"]
    assert "fromfile/gpt-4o" not in build_catalog(config).pools


def test_members_that_no_longer_resolve_are_left_out_so_the_active_model_keeps_serving():
    managed = Managed(
        providers=(provider("team", "openai", [model("gpt-4o")]),),
        chains=(
            StoredChain("chn_1", "smart", ("gone/model", "team/gpt-4o"), 0.0, 0.0),
            StoredChain("chn_2", "empty", ("gone/model",), 0.0, 0.0),
        ),
        active_model="team/gpt-4o",
        fallback_model="removed/model",
    )
    catalog = build_catalog(overlay(BASE, managed))
    assert [p.id for p in catalog.route("default").pools] == ["team/gpt-4o"]
    assert [p.id for p in catalog.route("smart").pools] == ["team/gpt-4o"]
    assert "empty" not in catalog.chains
    # Checked before a write, nothing is left out: the API refuses what would not resolve.
    assert route_problems(overlay(BASE, managed, prune=False))


def test_the_default_id_wins_over_a_provider_of_that_name():
    managed = Managed(
        providers=(provider("team", "openai", [model("gpt-4o")]), provider("default", "openai", [model("x")])),
        active_model="team/gpt-4o",
    )
    assert [p.id for p in build_catalog(overlay(BASE, managed)).route("default").pools] == ["team/gpt-4o"]
