"""Access logs over real traffic: one line per request, JSON when asked (uvicorn's lines too),
and no configured secret in any line."""

from __future__ import annotations

import json
import time

import httpx

UPSTREAM_KEY = "sk-upstream-secret-0123456789abcdef"
CLIENT_KEY = "client-secret-key-0123456789"


def config(url: str, fmt: str) -> str:
    return f"""
host: 127.0.0.1
api-keys: [{{name: team-a, api-key: {CLIENT_KEY}}}]
logging: {{format: {fmt}}}
openai-compatibility:
  - name: oai
    base-url: {url}
    api-key-entries: [{{api-key: {UPSTREAM_KEY}}}]
    models: [{{name: gpt-4o, alias: gpt}}]
"""


def traffic(gateway) -> None:
    headers = {"authorization": f"Bearer {CLIENT_KEY}"}
    body = {"model": "gpt", "messages": [{"role": "user", "content": "Hi"}]}
    assert httpx.post(gateway.url + "/v1/chat/completions", headers=headers, json=body).status_code == 200
    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", headers=headers, json={**body, "stream": True}
    ) as reply:
        reply.read()
    assert (
        httpx.post(
            gateway.url + "/v1/chat/completions", headers={"authorization": "Bearer wrong"}, json=body
        ).status_code
        == 401
    )
    httpx.get(gateway.url + "/healthz")


def settled_log(gateway, lines: int) -> str:
    deadline = time.monotonic() + 5
    while gateway.log().count("gateway.access") < lines and time.monotonic() < deadline:
        time.sleep(0.05)
    return gateway.log()


def test_json_lines_for_every_logger_and_one_access_line_per_request(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url, "json"))
    traffic(gateway)
    log = settled_log(gateway, 3)
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert {"gateway", "uvicorn.error"} <= {record["logger"] for record in records}
    access = [record for record in records if record["logger"] == "gateway.access"]
    assert len(access) == 3, "one line per request; the health probe is not logged"
    whole, stream, refused = access
    assert whole["key"] == "team-a" and whole["model"] == "gpt" and whole["provider"] == "oai"
    assert (
        whole["status"] == 200
        and whole["ended"] == "completed"
        and whole["attempts"] == [f"oai/{whole['credential']}:ok"]
    )
    assert (whole["input_tokens"], whole["output_tokens"]) == (5, 2) and whole["latency_ms"] >= 0
    assert stream["stream"] is True and stream["ttfb_ms"] is not None
    assert refused["status"] == 401 and refused["key"] is None
    assert all(record["credential"] != UPSTREAM_KEY for record in access)
    assert UPSTREAM_KEY not in log and CLIENT_KEY not in log


def test_text_lines_carry_the_same_fields(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url, "text"))
    traffic(gateway)
    log = settled_log(gateway, 3)
    access = [line for line in log.splitlines() if "gateway.access" in line]
    assert len(access) == 3
    assert "key=team-a" in access[0] and "status=200" in access[0] and "request_id=" in access[0]
    assert UPSTREAM_KEY not in log and CLIENT_KEY not in log
