"""Providers, models, chains and the active model changed through the management API of the real
gateway, on a SQLite file and on PostgreSQL: served at once through /v1 (official openai SDK,
local fake upstreams), kept across restarts, encrypted at rest, shared by replicas."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.e2e.conftest import CLIENT_KEY, start_gateway
from tests.e2e.mock_upstream import MockUpstream, ServerThread, _send_json, request_body, status

ADMIN = "admin-secret-123"
UPSTREAM_KEY = "sk-upstream-managed-0123456789abcdef"
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
ROOT = Path(__file__).resolve().parents[2]


def config(url: str, *, store: str | None = None, extra: str = "") -> str:
    store_line = f"store: {{url: '{store}', poll-interval-seconds: 0.2}}" if store else ""
    return f"""
host: 127.0.0.1
api-keys: [{CLIENT_KEY}]
remote-management: {{secret-key: {ADMIN}}}
{store_line}
openai-compatibility:
  - name: fromfile
    prefix: fromfile
    base-url: {url}
    models: [{{name: file-model}}]
{extra}
"""


class Admin:
    def __init__(self, gateway) -> None:
        self.base = gateway.url + "/v0/management"

    def __call__(self, method: str, path: str, body: Any = None, **options: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {ADMIN}", **options.pop("headers", {})}
        return httpx.request(method, self.base + path, json=body, headers=headers, timeout=30, **options)


def chat(gateway, model: str, **extra: Any) -> Any:
    return gateway.client().chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}], **extra)


def provider_body(upstream: MockUpstream, name: str = "team", models: list[Any] | None = None) -> dict[str, Any]:
    # Seed 003's shorthand: an OpenAI-compatible provider from name, base_url, api_key, models.
    return {"name": name, "base_url": upstream.base_url, "api_key": UPSTREAM_KEY, "models": models or ["m1", "m2"]}


@pytest.fixture
def env() -> dict[str, str]:
    return {"ENCRYPTION_KEY": KEY_A}


def test_a_provider_made_through_the_api_serves_at_once_and_its_lifecycle_holds(tmp_path, upstream_a, env):
    gateway = start_gateway(config(upstream_a.base_url), tmp_path / "gw", env=env)
    admin = Admin(gateway)
    try:
        made = admin("POST", "/providers", provider_body(upstream_a))
        assert made.status_code == 201, made.text
        team = made.json()
        assert team["api_key_masked"] == "****cdef" and UPSTREAM_KEY not in made.text
        assert [m["model_id"] for m in team["models"]] == ["team/m1", "team/m2"]
        assert chat(gateway, "team/m1").choices[0].message.content == "hello from upstream"
        assert chat(gateway, "team^m2").model == "team^m2"
        assert [r.key for r in upstream_a.requests] == [UPSTREAM_KEY, UPSTREAM_KEY]
        assert [r.body["model"] for r in upstream_a.requests] == ["m1", "m2"]
        # The provider's name alone is its default model.
        assert chat(gateway, "team").id
        assert upstream_a.requests[-1].body["model"] == "m1"

        # The stored row holds a Fernet token, not the key.
        rows = sqlite3.connect(tmp_path / "gw" / "usage.db").execute("SELECT api_key FROM providers").fetchall()
        assert rows and UPSTREAM_KEY not in rows[0][0]

        listed = admin("GET", "/providers").json()["data"]
        assert [(p["name"], p["source"], p["read_only"]) for p in listed] == [
            ("team", "store", False),
            ("fromfile", "config", True),
        ]
        refused = admin("PATCH", "/providers/config:fromfile", {"enabled": False})
        assert refused.status_code == 409 and "config.yaml" in refused.json()["error"]["message"]

        # Soft delete: out of routing; restore brings it back; purge wipes it.
        assert admin("DELETE", f"/providers/{team['id']}").status_code == 200
        assert gateway.client().models.list().data and "team/m1" not in {m.id for m in gateway.client().models.list()}
        gone = httpx.post(
            gateway.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {CLIENT_KEY}"},
            json={"model": "team/m1", "messages": [{"role": "user", "content": "Hi"}]},
        )
        assert gone.status_code == 404
        assert admin("GET", f"/providers/{team['id']}").status_code == 404
        assert admin("PATCH", f"/providers/{team['id']}/restore").status_code == 200
        assert chat(gateway, "team/m1").id
        assert admin("DELETE", f"/providers/{team['id']}/purge").status_code == 200
        assert admin("PATCH", f"/providers/{team['id']}/restore").status_code == 404
        assert "management: created provider 'team'" in gateway.log()
        assert UPSTREAM_KEY not in gateway.log()
    finally:
        gateway.stop()


def test_every_guard_answers_409_with_what_to_do(gateway_factory, upstream_a, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    admin = Admin(gateway)
    team = admin("POST", "/providers", provider_body(upstream_a)).json()
    spare = admin("POST", "/providers", provider_body(upstream_a, "spare", ["s1"])).json()
    m1, m2 = (m["id"] for m in team["models"])

    last = admin("DELETE", f"/providers/{spare['id']}/models/{spare['models'][0]['id']}")
    assert last.status_code == 409 and "delete the provider instead" in last.json()["error"]["message"]
    assert admin("POST", "/providers", provider_body(upstream_a)).status_code == 409  # name taken
    assert admin("POST", "/providers", provider_body(upstream_a, "fromfile")).status_code == 409

    assert admin("PUT", "/settings/fallback-model", {"model": "spare/s1"}).status_code == 409  # no active yet
    assert admin("PUT", "/settings/active-model", {"model": "team/m1"}).json()["model"] == "team/m1"
    assert admin("PUT", "/settings/fallback-model", {"model": "spare^s1"}).status_code == 200
    unknown = admin("PUT", "/settings/active-model", {"model": "nobody/none"})
    assert unknown.status_code == 422 and "unknown model id" in unknown.json()["error"]["message"]

    active = admin("DELETE", f"/providers/{team['id']}/models/{m1}")
    assert active.status_code == 409 and "make another model active" in active.json()["error"]["message"]
    provider = admin("DELETE", f"/providers/{team['id']}")
    assert provider.status_code == 409 and "active model" in provider.json()["error"]["message"]

    # Removing the default passes it on; removing the fallback's provider clears the fallback.
    assert admin("PUT", "/settings/active-model", {"model": "team/m2"}).status_code == 200
    assert admin("DELETE", f"/providers/{team['id']}/models/{m1}").status_code == 200
    assert [m["is_default"] for m in admin("GET", f"/providers/{team['id']}/models").json()["data"]] == [True]
    assert admin("DELETE", f"/providers/{spare['id']}").status_code == 200
    assert admin("GET", "/settings/fallback-model").json() == {"model_id": "default", "model": None}
    assert admin("GET", "/providers/nope").status_code == 404
    invalid = admin("POST", "/providers", {"name": "x/y", "base_url": "http://127.0.0.1:1", "models": ["m"]})
    assert invalid.status_code == 422 and invalid.json()["error"]["param"] == "name"
    unknown_field = admin("POST", f"/providers/{team['id']}/models", {"model": "m3", "colour": "red"})
    assert unknown_field.status_code == 422 and "colour" in unknown_field.json()["error"]["message"]
    # Names are one namespace: provider names, chain names and the default id.
    assert admin("PATCH", f"/providers/{team['id']}", {"name": "default"}).status_code == 409
    assert admin("POST", "/chains", {"name": "team", "models": ["team/m2"]}).status_code == 409
    # Values that could not be sent are refused up front.
    crlf = admin("PATCH", f"/providers/{team['id']}", {"headers": {"X-A": "a\r\nInjected: 1"}})
    assert crlf.status_code == 422 and "headers" in crlf.json()["error"]["message"]
    assert admin("POST", "/providers", {**provider_body(upstream_a, "blank"), "models": ["", "ok"]}).status_code == 422


def test_the_default_id_serves_the_active_model_then_its_fallback(gateway_factory, upstream_a, upstream_b, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    admin = Admin(gateway)
    admin("POST", "/providers", provider_body(upstream_a, "main", ["big"]))
    admin("POST", "/providers", provider_body(upstream_b, "spare", ["small"]))
    admin("PUT", "/settings/active-model", {"model": "main/big"})
    admin("PUT", "/settings/fallback-model", {"model": "spare/small"})
    assert chat(gateway, "default").model == "default"
    assert (len(upstream_a.requests), len(upstream_b.requests)) == (1, 0)
    upstream_a.default = status(503, "overloaded")
    assert chat(gateway, "default").id  # the active one fails: its fallback answers
    assert upstream_b.requests[-1].body["model"] == "small"


def test_the_default_id_leaves_a_down_active_model_alone_and_returns_on_recovery(
    gateway_factory, upstream_a, upstream_b, env
):
    extra = "circuit-breaker: {failure-threshold: 2, cool-off-seconds: 1}\nrequest-retry: 0"
    gateway = gateway_factory(config(upstream_a.base_url, extra=extra), env=env)
    admin = Admin(gateway)
    admin("POST", "/providers", provider_body(upstream_a, "main", ["big"]))
    admin("POST", "/providers", provider_body(upstream_b, "spare", ["small"]))
    admin("PUT", "/settings/active-model", {"model": "main/big"})
    admin("PUT", "/settings/fallback-model", {"model": "spare/small"})
    upstream_a.default = status(503, "overloaded")
    for _ in range(2):
        chat(gateway, "default")  # the active one fails twice: its circuit opens
    for _ in range(3):
        chat(gateway, "default")  # served by the fallback without asking the active one
    assert (len(upstream_a.requests), len(upstream_b.requests)) == (2, 5)
    upstream_a.reset()
    time.sleep(1.2)  # past the cool-off: one trial, and the active model serves again
    chat(gateway, "default")
    chat(gateway, "default")
    assert (len(upstream_a.requests), len(upstream_b.requests)) == (2, 5)


def test_chains_made_through_the_api_are_model_ids_and_refuse_unknown_members(gateway_factory, upstream_a, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    admin = Admin(gateway)
    admin("POST", "/providers", provider_body(upstream_a))
    made = admin("POST", "/chains", {"name": "smart", "models": ["team/m2", "fromfile/file-model"]})
    assert made.status_code == 201
    assert chat(gateway, "smart").id and upstream_a.requests[-1].body["model"] == "m2"
    bad = admin("PATCH", f"/chains/{made.json()['id']}", {"models": ["nowhere/x"]})
    assert bad.status_code == 422 and "unknown model id 'nowhere/x'" in bad.json()["error"]["message"]
    chains = admin("GET", "/chains").json()["data"]
    assert [(c["name"], c["source"]) for c in chains] == [("smart", "store")]
    assert admin("DELETE", f"/chains/{made.json()['id']}").status_code == 200


def test_advanced_json_reaches_the_upstream_model_level_winning(gateway_factory, upstream_a, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    admin = Admin(gateway)
    body = provider_body(upstream_a, models=[{"model": "m1", "advanced_json": {"top_k": 5, "extra": {"b": 2}}}])
    body["advanced_json"] = {"top_k": 1, "seed": 7, "extra": {"a": 1}}
    team = admin("POST", "/providers", body).json()
    chat(gateway, "team/m1", temperature=0.5)
    sent = upstream_a.requests[-1].body
    assert (sent["top_k"], sent["seed"], sent["extra"], sent["temperature"]) == (5, 7, {"a": 1, "b": 2}, 0.5)
    model_id = team["models"][0]["id"]
    assert (
        admin("PATCH", f"/providers/{team['id']}/models/{model_id}", {"advanced_json": {"top_k": 9}}).status_code == 200
    )
    chat(gateway, "team/m1")
    assert upstream_a.requests[-1].body["top_k"] == 9


def test_a_key_left_empty_in_an_edit_is_kept_and_a_new_one_is_used(gateway_factory, upstream_a, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    admin = Admin(gateway)
    team = admin("POST", "/providers", provider_body(upstream_a)).json()
    assert admin("PATCH", f"/providers/{team['id']}", {"api_key": "", "degraded_threshold_ms": 800}).status_code == 200
    chat(gateway, "team/m1")
    assert upstream_a.requests[-1].key == UPSTREAM_KEY
    admin("PATCH", f"/providers/{team['id']}", {"api_key": "sk-rotated-9999"})
    chat(gateway, "team/m1")
    assert upstream_a.requests[-1].key == "sk-rotated-9999"
    assert admin("GET", f"/providers/{team['id']}").json()["api_key_masked"] == "****9999"


def test_test_connection_records_connected_or_the_upstreams_error_without_secrets(gateway_factory, upstream_a, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    admin = Admin(gateway)
    team = admin("POST", "/providers", provider_body(upstream_a)).json()
    m1 = team["models"][0]["id"]
    assert team["models"][0]["test"]["status"] == "untested"
    ok = admin("POST", f"/providers/{team['id']}/models/{m1}/test").json()
    assert ok["test"]["status"] == "connected" and ok["test"]["latency_ms"] > 0 and ok["test"]["tested_at"]
    upstream_a.default = status(401, f"Incorrect API key provided: {UPSTREAM_KEY}")
    failed = admin("POST", f"/providers/{team['id']}/models/{m1}/test").json()
    assert failed["test"]["status"] == "error"
    assert "HTTP 401: Incorrect API key provided" in failed["test"]["message"]
    assert UPSTREAM_KEY not in json.dumps(failed) and "0123456789abcdef" not in json.dumps(failed)
    listed = admin("GET", f"/providers/{team['id']}/models").json()["data"][0]
    assert listed["test"]["status"] == "error"


class ModelLists:
    """A fake upstream answering the four model-list formats."""

    def __init__(self) -> None:
        self.port = 0
        self.seen: list[dict[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await request_body(receive)
        self.seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        path = scope["path"]
        if path == "/api/tags":
            await _send_json(send, 200, {"models": [{
                "name": "llama3.2:3b", "model": "llama3.2:3b", "size": 2019393189,
                "details": {"parameter_size": "3.2B", "quantization_level": "Q4_K_M"},
            }]})  # fmt: skip
        elif path == "/v1beta/models":
            await _send_json(send, 200, {"models": [{"name": "models/gemini-2.5-flash", "displayName": "Flash"}]})
        elif path == "/v1/models" and "x-api-key" in self.seen[-1]:
            await _send_json(send, 200, {"data": [{"id": "claude-sonnet-4-5", "display_name": "Sonnet 4.5"}]})
        elif path == "/v1/models":
            await _send_json(send, 200, {"object": "list", "data": [{"id": "gpt-4o"}, {"id": "gpt-4o-mini"}]})
        else:
            await _send_json(send, 404, {"error": {"message": "no such path"}})


def test_available_models_from_openai_anthropic_gemini_and_ollama_upstreams(gateway_factory, upstream_a, env):
    lists = ModelLists()
    with ServerThread(lists) as server:
        root = f"http://127.0.0.1:{server.port}"
        gateway = gateway_factory(config(upstream_a.base_url), env=env)
        admin = Admin(gateway)
        made = {
            kind: admin("POST", "/providers", {
                "provider_type": kind, "name": kind, "base_url": url, "api_key": UPSTREAM_KEY, "models": ["x"],
            }).json()
            for kind, url in (
                ("openai", root + "/v1"), ("anthropic", root), ("gemini", root), ("ollama", root),
            )
        }  # fmt: skip
        found = {
            kind: admin("GET", f"/providers/{p['id']}/available-models").json()["data"] for kind, p in made.items()
        }
    assert [m["id"] for m in found["openai"]] == ["gpt-4o", "gpt-4o-mini"]
    assert found["anthropic"] == [{"id": "claude-sonnet-4-5", "name": "Sonnet 4.5", "parameter_size": None,
                                   "quantization": None, "size_bytes": None}]  # fmt: skip
    assert [(m["id"], m["name"]) for m in found["gemini"]] == [("gemini-2.5-flash", "Flash")]
    assert found["ollama"] == [{"id": "llama3.2:3b", "name": None, "parameter_size": "3.2B",
                                "quantization": "Q4_K_M", "size_bytes": 2019393189}]  # fmt: skip


def test_restart_keeps_providers_a_wrong_key_refuses_to_start_and_rotation_works(tmp_path, upstream_a):
    directory = tmp_path / "gw"
    text = config(upstream_a.base_url)
    gateway = start_gateway(text, directory, env={"ENCRYPTION_KEY": KEY_A})
    try:
        assert Admin(gateway)("POST", "/providers", provider_body(upstream_a)).status_code == 201
    finally:
        gateway.stop()
    database = directory / "usage.db"
    before = sqlite3.connect(database).execute("SELECT * FROM providers").fetchall()

    with pytest.raises(RuntimeError, match="encryption canary|cannot be decrypted"):
        start_gateway(text, directory, env={"ENCRYPTION_KEY": KEY_B})
    with pytest.raises(RuntimeError, match="ENCRYPTION_KEY is not set"):
        start_gateway(text, directory, env={"ENCRYPTION_KEY": ""})
    assert sqlite3.connect(database).execute("SELECT * FROM providers").fetchall() == before

    rotated = subprocess.run(
        [sys.executable, "-m", "gateway", "rotate-key", "--config", str(directory / "config.yaml")],
        env={"ENCRYPTION_KEY": f"{KEY_B},{KEY_A}", "PATH": "/usr/bin:/bin"},
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert rotated.returncode == 0, rotated.stderr
    assert "1 secret(s) re-encrypted" in rotated.stdout
    gateway = start_gateway(text, directory, env={"ENCRYPTION_KEY": KEY_B})
    try:
        assert chat(gateway, "team/m1").id
        assert upstream_a.requests[-1].key == UPSTREAM_KEY
    finally:
        gateway.stop()


def test_replicas_on_one_postgresql_serve_a_provider_added_through_either(tmp_path, upstream_a, postgres_url, env):
    text = config(upstream_a.base_url, store=postgres_url)
    first = start_gateway(text, tmp_path / "a", env=env)
    second = start_gateway(text, tmp_path / "b", env=env)
    try:
        assert Admin(first)("POST", "/providers", provider_body(upstream_a)).status_code == 201
        assert chat(first, "team/m1").id
        deadline = time.monotonic() + 10
        while "team/m1" not in {m.id for m in second.client().models.list()}:
            assert time.monotonic() < deadline, "the second replica never saw the provider"
            time.sleep(0.1)
        assert chat(second, "team/m1").id
        assert "providers from the store" in second.log()
    finally:
        first.stop()
        second.stop()


def test_management_refuses_a_wrong_secret(gateway_factory, upstream_a, env):
    gateway = gateway_factory(config(upstream_a.base_url), env=env)
    wrong = httpx.get(gateway.url + "/v0/management/providers", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert httpx.get(gateway.url + "/v0/management/providers").status_code == 401


def test_when_conditions_pick_the_target_that_takes_the_request(gateway_factory, upstream_a, upstream_b, env):
    extra = f"""
  - name: vision
    base-url: {upstream_b.base_url}
    models: [{{name: smart, when: {{images: true}}}}]
  - name: text
    base-url: {upstream_a.base_url}
    models: [{{name: smart, when: {{images: false, stream: false}}}}]
"""
    gateway = gateway_factory(config(upstream_a.base_url, extra=extra), env=env)
    image = [
        {"type": "text", "text": "What is it?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
    ]
    gateway.client().chat.completions.create(model="smart", messages=[{"role": "user", "content": image}])
    chat(gateway, "smart")
    assert (len(upstream_b.requests), len(upstream_a.requests)) == (1, 1)
    refused = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {CLIENT_KEY}"},
        json={"model": "smart", "stream": True, "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "no_matching_route"


def _non_loopback_address() -> str | None:
    found = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return next((a for a in found if "." in a and not a.startswith("127.")), None)


def test_management_refuses_a_client_that_is_not_on_loopback_unless_allowed(gateway_factory, upstream_a, env):
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    for allow, expected in (("false", 403), ("true", 200)):
        text = config(upstream_a.base_url).replace("host: 127.0.0.1", "host: 0.0.0.0")
        text = text.replace(f"secret-key: {ADMIN}}}", f"secret-key: {ADMIN}, allow-remote: {allow}}}")
        gateway = gateway_factory(text, env=env)
        answer = httpx.get(
            f"http://{address}:{gateway.port}/v0/management/providers", headers={"authorization": f"Bearer {ADMIN}"}
        )
        assert answer.status_code == expected, answer.text
        assert (
            httpx.get(
                gateway.url + "/v0/management/providers", headers={"authorization": f"Bearer {ADMIN}"}
            ).status_code
            == 200
        )
