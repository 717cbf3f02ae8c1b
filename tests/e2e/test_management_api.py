"""The management API's catalog and OpenAPI document, served by the real gateway: every
documented answer is what the endpoint returns, and every `$ref` resolves."""

from __future__ import annotations

import httpx

from gateway.admin.schemas import Catalog, UsageReport
from tests.e2e.test_usage_ledger import ADMIN, chat, config

REQUIRED_TYPES = {
    "openai", "anthropic", "gemini", "azure-openai", "ollama", "openrouter", "groq", "deepseek", "mistral",
    "together", "fireworks", "xai", "cerebras", "perplexity", "openai-compatible",
}  # fmt: skip


def get(gateway, path: str, **params: str) -> httpx.Response:
    return httpx.get(gateway.url + "/v0/management" + path, params=params, headers={"authorization": f"Bearer {ADMIN}"})


def _refs(node, found: list[str]) -> list[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.append(value)
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)
    return found


def test_the_catalog_lists_every_provider_type_with_what_it_needs(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url))
    reply = get(gateway, "/catalog")
    assert reply.status_code == 200
    catalog = Catalog.model_validate_json(reply.content)
    by_key = {item.key: item for item in catalog.data}
    assert REQUIRED_TYPES <= set(by_key)
    assert by_key["anthropic"].dialect == "anthropic" and by_key["anthropic"].config_block == "claude-api-key"
    assert by_key["ollama"].auth_type == "none" and by_key["openai-compatible"].default_base_url is None
    assert "base_url" in by_key["openai-compatible"].required_fields
    assert httpx.get(gateway.url + "/v0/management/catalog").status_code == 401


def test_the_openapi_document_describes_what_the_endpoints_answer(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url))
    assert chat(gateway, "per-million").status_code == 200
    spec = get(gateway, "/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    assert {"/v0/management/usage", "/v0/management/catalog"} <= set(spec["paths"])
    usage = spec["paths"]["/v0/management/usage"]["get"]
    assert {p["name"] for p in usage["parameters"]} == {"since", "until", "group_by", "format"}
    schemas = spec["components"]["schemas"]
    for ref in _refs(spec, []):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    # The documented models parse the real answers (they forbid fields they do not name).
    for group_by in ("", "key", "key,model,provider,day"):
        report = UsageReport.model_validate_json(get(gateway, "/usage", group_by=group_by).content)
        assert report.totals.requests == 1
