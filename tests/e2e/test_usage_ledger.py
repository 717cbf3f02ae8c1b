"""The usage ledger after real traffic: the management endpoint and `llm-gateway usage` report
exactly the requests, tokens and cost the fake upstreams produced — whole answers, streams,
streams cut by the upstream or abandoned by the client — and nothing is lost across a SIGTERM."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import CLIENT_KEY
from tests.e2e.mock_upstream import cut_after_first_chunk, stream

ADMIN = "admin-secret-123"
ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def config(url: str) -> str:
    return f"""
host: 127.0.0.1
api-keys:
  - {{api-key: {CLIENT_KEY}, name: team-a}}
  - {{api-key: other-key, name: team-b}}
remote-management: {{secret-key: {ADMIN}}}
# Rows reach the database only when the endpoint asks or the gateway drains.
store: {{flush-interval-seconds: 600}}
prices:
  "my-*": {{input: 3, output: 4}}
openai-compatibility:
  - name: priced
    base-url: {url}
    api-key-entries: [{{api-key: up-priced}}]
    models:
      - {{name: model-x, alias: per-million, cost: {{input: 1000, output: 2000}}}}
      - {{name: model-y, alias: per-thousand, cost-per-1k-input: 0.5, cost-per-1k-output: 1.5, multiplier: 2}}
      - {{name: gpt-4o-2024-08-06, alias: catalogued}}
  - name: passthrough
    prefix: pt
    base-url: {url}
    api-key-entries: [{{api-key: up-pass}}]
"""


def chat(gateway, model: str, key: str = CLIENT_KEY, **extra) -> httpx.Response:
    return httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "Hi"}], **extra},
        timeout=10,
    )


def streamed(gateway, key: str):
    return httpx.stream(
        "POST",
        gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "per-million", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
    )


def usage(gateway, **params: str) -> httpx.Response:
    return httpx.get(gateway.url + "/v0/management/usage", params=params, headers={"authorization": f"Bearer {ADMIN}"})


# Mock usage: whole answers 5 in / 2 out; a stream of n words 5 in / n out.
COST_PER_MILLION = (5 * 1000 + 2 * 2000) / 1e6  # 0.009
COST_PER_THOUSAND = (5 * 1000 + 2 * 3000) / 1e6  # 0.011 (0.5 and 1.5 per 1k, times 2)
COST_CATALOGUED = (5 * 2.5 + 2 * 10) / 1e6  # gpt-4o's list price
COST_OVERRIDE = (5 * 3 + 2 * 4) / 1e6  # prices: "my-*"


def test_cost_header_metrics_ledger_endpoint_and_cli_agree_with_the_traffic(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url))
    answers = [chat(gateway, m) for m in ("per-million", "per-thousand", "catalogued", "pt/my-model")]
    assert [a.status_code for a in answers] == [200] * 4
    costs = [float(a.headers["x-gateway-cost-usd"]) for a in answers]
    assert costs == pytest.approx([COST_PER_MILLION, COST_PER_THOUSAND, COST_CATALOGUED, COST_OVERRIDE])
    unpriced = chat(gateway, "pt/some-unknown-model")
    assert unpriced.status_code == 200 and "x-gateway-cost-usd" not in unpriced.headers
    # A whole stream (5 in / 3 out), by the other key.
    with streamed(gateway, "other-key") as reply:
        assert b"[DONE]" in reply.read()
    # A stream the upstream cuts after one chunk: recorded, with no usage known.
    upstream_a.behaviours["up-priced"] = cut_after_first_chunk()
    with streamed(gateway, CLIENT_KEY) as reply:
        assert b'"error"' in reply.read()
    # A slow stream the client abandons after its first chunk.
    upstream_a.behaviours["up-priced"] = stream(["a", "b", "c", "d"], delay=1.0)
    with streamed(gateway, CLIENT_KEY) as reply:
        next(reply.iter_raw())
    # A refused key is not usage; a model the gateway does not serve is (the key asked for it).
    assert chat(gateway, "per-million", key="wrong").status_code == 401
    assert chat(gateway, "no-such-model").status_code == 404

    deadline = time.monotonic() + 10
    while True:
        report = usage(gateway, group_by="key,model").json()
        if report["totals"]["requests"] == 9 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    rows = {(row["key"], row["model"]): row for row in report["rows"]}
    assert report["totals"]["requests"] == 9
    assert rows[("team-a", "per-million")]["requests"] == 3  # answer, cut stream, abandoned stream
    assert rows[("team-a", "per-million")]["input_tokens"] == 5
    assert rows[("team-b", "per-million")] | {} == {
        "key": "team-b",
        "model": "per-million",
        "requests": 1,
        "input_tokens": 5,
        "output_tokens": 3,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": pytest.approx((5 * 1000 + 3 * 2000) / 1e6),
    }
    assert rows[("team-a", "no-such-model")]["requests"] == 1
    expected_cost = sum(costs) + (5 * 1000 + 3 * 2000) / 1e6
    assert report["totals"]["cost_usd"] == pytest.approx(expected_cost)
    assert report["totals"]["input_tokens"] == 5 * 6 and report["totals"]["output_tokens"] == 2 * 5 + 3

    # Metrics carry the same cost.
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(httpx.get(gateway.url + "/metrics").text)
        for s in family.samples
    }
    metric_cost = sum(v for (name, _), v in samples.items() if name == "llm_gateway_cost_usd_total")
    assert metric_cost == pytest.approx(expected_cost)

    as_csv = list(csv.DictReader(io.StringIO(usage(gateway, group_by="provider", format="csv").text)))
    assert {row["provider"]: int(row["requests"]) for row in as_csv} == {"priced": 6, "passthrough": 2, "none": 1}

    # SIGTERM: the drain writes what is pending; the CLI reads the same totals from the file.
    upstream_a.behaviours.clear()
    assert chat(gateway, "per-thousand").status_code == 200
    gateway.process.terminate()
    assert gateway.process.wait(timeout=20) in (0, -signal.SIGTERM)
    printed = subprocess.run(
        [sys.executable, "-m", "gateway", "usage", "--config", str(gateway.log_path.parent / "config.yaml"),
         "--since", "1h", "--by", "key", "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=True,
    ).stdout  # fmt: skip
    after = json.loads(printed)
    assert after["totals"]["requests"] == 10
    assert after["totals"]["cost_usd"] == pytest.approx(expected_cost + COST_PER_THOUSAND)
    assert {row["key"]: row["requests"] for row in after["rows"]} == {"team-a": 9, "team-b": 1}
    table = subprocess.run(
        [sys.executable, "-m", "gateway", "usage", "--config", str(gateway.log_path.parent / "config.yaml")],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=True,
    ).stdout  # fmt: skip
    assert "TOTAL" in table and "team-b" in table


def test_the_management_endpoint_is_closed_without_its_secret(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url))
    assert httpx.get(gateway.url + "/v0/management/usage").status_code == 401
    wrong = httpx.get(gateway.url + "/v0/management/usage", headers={"x-management-key": "nope"})
    assert wrong.status_code == 401 and "remote-management.secret-key" in wrong.json()["error"]["message"]
    right = httpx.get(gateway.url + "/v0/management/usage", headers={"x-management-key": ADMIN})
    assert right.status_code == 200 and right.json()["totals"]["requests"] == 0
    bad = usage(gateway, since="yesterday")
    assert bad.status_code == 400 and "7d" in bad.json()["error"]["message"]
    assert usage(gateway, group_by="colour").status_code == 400
    assert ADMIN not in gateway.log()
    closed = gateway_factory(config(upstream_a.base_url).replace(f"remote-management: {{secret-key: {ADMIN}}}", ""))
    off = httpx.get(closed.url + "/v0/management/usage", headers={"x-management-key": ADMIN})
    assert off.status_code == 404 and "secret-key" in off.json()["error"]["message"]
