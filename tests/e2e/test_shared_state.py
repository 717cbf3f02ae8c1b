"""Two gateway processes sharing state through the real Redis: one rpm limit admits exactly
its value across both, a credential's 429 cooldown seen by one is skipped by the other, and a
Redis server stopped and restarted mid-traffic costs no request."""

from __future__ import annotations

import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from tests.e2e.mock_upstream import free_port, status

SHARED_REDIS = "redis://127.0.0.1:6379/0"


def config(url: str, redis_url: str, prefix: str) -> str:
    return f"""
host: 127.0.0.1
api-keys:
  - {{api-key: paced-key, name: paced, rpm: 6}}
  - open-key
routing: {{strategy: fill-first}}
state: {{redis-url: "{redis_url}", key-prefix: "{prefix}"}}
openai-compatibility:
  - name: oai
    base-url: {url}
    api-key-entries: [{{api-key: key-a}}, {{api-key: key-b}}]
    models: [{{name: gpt-4o, alias: gpt}}]
"""


def chat(gateway, key: str = "open-key") -> httpx.Response:
    return httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "gpt", "messages": [{"role": "user", "content": "Hi"}]},
        timeout=10,
    )


@pytest.fixture
def prefix():
    name = f"e2e-{uuid.uuid4().hex[:10]}:"
    yield name
    client = redis.Redis.from_url(SHARED_REDIS)
    try:
        keys = list(client.scan_iter(match=name + "*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def test_two_gateways_admit_exactly_one_rpm_limit_between_them(gateway_factory, upstream_a, prefix):
    first = gateway_factory(config(upstream_a.base_url, SHARED_REDIS, prefix))
    second = gateway_factory(config(upstream_a.base_url, SHARED_REDIS, prefix))
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda i: chat((first, second)[i % 2], "paced-key"), range(16)))
    statuses = [reply.status_code for reply in replies]
    assert statuses.count(200) == 6 and statuses.count(429) == 10
    refused = next(reply for reply in replies if reply.status_code == 429)
    assert "rpm limit of 6" in refused.json()["error"]["message"] and "retry-after" in refused.headers


def test_a_429_seen_by_one_gateway_sets_the_credential_aside_for_both(gateway_factory, upstream_a, prefix):
    first = gateway_factory(config(upstream_a.base_url, SHARED_REDIS, prefix))
    second = gateway_factory(config(upstream_a.base_url, SHARED_REDIS, prefix))
    upstream_a.behaviours["key-a"] = status(429, "slow down", headers={"retry-after": "120"})
    assert chat(first).status_code == 200  # key-a refused, key-b answered
    assert upstream_a.keys_seen() == ["key-a", "key-b"]
    upstream_a.requests.clear()
    deadline = time.monotonic() + 5
    while True:  # the cooldown travels by pub/sub: give it a moment on a loaded machine
        assert chat(second).status_code == 200
        if upstream_a.keys_seen()[-1:] == ["key-b"] and "key-a" not in upstream_a.keys_seen():
            break
        assert time.monotonic() < deadline, upstream_a.keys_seen()
        upstream_a.requests.clear()
        time.sleep(0.1)
    # A third gateway started later reads the cooldown from Redis at start.
    third = gateway_factory(config(upstream_a.base_url, SHARED_REDIS, prefix))
    upstream_a.requests.clear()
    assert chat(third).status_code == 200 and upstream_a.keys_seen() == ["key-b"]


def test_redis_stopped_and_restarted_mid_traffic_fails_no_request(gateway_factory, upstream_a, prefix, tmp_path):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"

    def start_redis() -> subprocess.Popen:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                client = redis.Redis(port=port, socket_connect_timeout=0.2)
                client.ping()
                client.close()
                return process
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    server = start_redis()
    gateway = None
    try:
        gateway = gateway_factory(config(upstream_a.base_url, url, prefix))
        statuses = [chat(gateway).status_code for _ in range(3)]
        server.terminate()
        server.wait(10)
        # Redis kept nothing (no persistence): what it must learn again is what was counted
        # while it was away.
        statuses += [chat(gateway, "paced-key").status_code for _ in range(3)]
        statuses += [chat(gateway).status_code for _ in range(10)]
        server = start_redis()
        deadline = time.monotonic() + 10
        while "reachable again" not in gateway.log() and time.monotonic() < deadline:
            statuses.append(chat(gateway).status_code)
            time.sleep(0.1)
        statuses += [chat(gateway).status_code for _ in range(5)]
        assert set(statuses) == {200}, statuses
        log = gateway.log()
        assert log.count("unreachable") == 1 and "reachable again" in log, log
        # The admissions made while Redis was away were written back: 3 of the limit of 6 used.
        admitted = [chat(gateway, "paced-key").status_code for _ in range(4)]
        assert admitted == [200, 200, 200, 429]
    finally:
        if gateway is not None:
            gateway.stop()
        server.terminate()
        server.wait(10)
