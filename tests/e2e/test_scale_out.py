"""The scaled-out topology on loopback: three gateway processes behind a real HAProxy (Debian's),
sharing the real Redis and PostgreSQL. A provider added through one replica's management API is
served by all three within seconds; one client key's rpm limit holds across them; a
credential's 429 cooldown is seen by all; a replica sent SIGTERM mid-traffic drains its open
streams while the others take the new requests, and no request fails."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from cryptography.fernet import Fernet

from tests.e2e.conftest import RunningGateway, start_gateway
from tests.e2e.mock_upstream import free_port, status, stream

SHARED_REDIS = "redis://127.0.0.1:6379/0"
ADMIN = "topology-admin-secret"
ENV = {"ENCRYPTION_KEY": Fernet.generate_key().decode()}
REPLICAS = 3


def config(upstream: str, limited: str, store: str, prefix: str) -> str:
    return f"""
host: 127.0.0.1
api-keys:
  - {{api-key: paced-key, name: paced, rpm: 6}}
  - open-key
remote-management: {{secret-key: {ADMIN}}}
store: {{url: '{store}', poll-interval-seconds: 0.2}}
state: {{redis-url: "{SHARED_REDIS}", key-prefix: "{prefix}"}}
shutdown: {{delay-seconds: 1.0, drain-timeout-seconds: 20}}
request-retry: 0
openai-compatibility:
  - name: base
    prefix: base
    base-url: {upstream}
    models: [{{name: m}}]
  - name: limited
    prefix: limited
    base-url: {limited}
    api-key-entries: [{{api-key: only-key}}]
    models: [{{name: m}}]
"""


HAPROXY = """
global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 2
    option redispatch
    retry-on conn-failure empty-response
frontend gateway
    bind 127.0.0.1:{port}
    default_backend gateways
backend gateways
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 200ms fall 1 rise 2
{servers}
"""


class LoadBalancer:
    def __init__(self, replicas: list[RunningGateway], directory: Path) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.port = free_port()
        servers = "\n".join(f"    server gw{i} 127.0.0.1:{g.port} check" for i, g in enumerate(replicas))
        cfg = directory / "haproxy.cfg"
        cfg.write_text(HAPROXY.format(port=self.port, servers=servers))
        check = subprocess.run([binary, "-c", "-f", str(cfg)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.process = subprocess.Popen(
            [binary, "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(self.url + "/readyz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "HAProxy did not come up"
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def topology(tmp_path, upstream_a, upstream_b, postgres_url) -> Iterator[tuple[list[RunningGateway], LoadBalancer]]:
    if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists():
        pytest.fail("HAProxy is required by the topology test: apt-get install haproxy (.ci/run does).")
    prefix = f"topo-{uuid.uuid4().hex[:10]}:"
    text = config(upstream_a.base_url, upstream_b.base_url, postgres_url, prefix)
    replicas = [start_gateway(text, tmp_path / f"gw{i}", env=ENV) for i in range(REPLICAS)]
    balancer = LoadBalancer(replicas, tmp_path)
    try:
        yield replicas, balancer
    finally:
        balancer.stop()
        for replica in replicas:
            replica.stop()
        client = redis.Redis.from_url(SHARED_REDIS)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()


def chat(url: str, model: str, key: str = "open-key") -> httpx.Response:
    return httpx.post(
        url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "Hi"}]},
        timeout=20,
    )


def test_three_replicas_share_providers_limits_and_cooldowns(topology, upstream_a, upstream_b):
    replicas, balancer = topology
    # A provider added through one replica's management API is served by all three.
    made = httpx.post(
        replicas[0].url + "/v0/management/providers",
        headers={"authorization": f"Bearer {ADMIN}"},
        json={"name": "team", "base_url": upstream_a.base_url, "api_key": "sk-team-0001", "models": ["t1"]},
    )
    assert made.status_code == 201, made.text
    started = time.monotonic()
    for replica in replicas:
        while chat(replica.url, "team/t1").status_code != 200:
            assert time.monotonic() - started < 5, f"replica on :{replica.port} never served the new provider"
            time.sleep(0.1)
    assert upstream_a.requests[-1].key == "sk-team-0001"

    # One rpm limit across all three: through the balancer, exactly 6 of 9 are admitted.
    codes = [chat(balancer.url, "base/m", key="paced-key").status_code for _ in range(9)]
    assert sorted(codes) == [200] * 6 + [429] * 3, codes

    # A 429 seen by one replica sets the credential aside for all of them.
    upstream_b.default = status(429, "slow down", headers={"retry-after": "120"})
    assert chat(replicas[0].url, "limited/m").status_code == 429
    seen = len(upstream_b.requests)
    time.sleep(0.3)  # the cooldown's pub/sub message reaches the others
    for replica in replicas[1:]:
        refused = chat(replica.url, "limited/m")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60
    assert len(upstream_b.requests) == seen  # the others never asked the upstream


def test_a_replica_sent_sigterm_drains_its_streams_while_the_others_serve(topology, upstream_a):
    replicas, balancer = topology
    # Each answer streams for about a second.
    upstream_a.default = stream(["one", "two", "three", "four", "five"], delay=0.2)
    results: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=30) as session:
            while not stop.is_set():
                try:
                    with session.stream(
                        "POST",
                        balancer.url + "/v1/chat/completions",
                        headers={"authorization": "Bearer open-key"},
                        json={"model": "base/m", "stream": True, "messages": [{"role": "user", "content": "Hi"}]},
                    ) as answer:
                        body = "".join(answer.iter_text())
                    ok = answer.status_code == 200 and "five" in body and body.rstrip().endswith("data: [DONE]")
                    results.append("ok" if ok else f"HTTP {answer.status_code}: {body[-200:]}")
                except httpx.HTTPError as exc:
                    results.append(f"{type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=client) for _ in range(6)]
    for worker in workers:
        worker.start()
    time.sleep(1.5)
    draining = replicas[1]
    draining.process.terminate()  # SIGTERM while its streams are open
    time.sleep(3.5)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    # uvicorn re-raises the signal it handled once it has shut down cleanly.
    assert draining.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in draining.log()
    assert results and all(r == "ok" for r in results), [r for r in results if r != "ok"][:5]
    assert len(results) >= 12
    # Streams it had open when the signal came finished there, after the signal.
    after = draining.log().split("shutting down in 1.0 s", 1)[1]
    assert "stream=True status=200 ended=completed" in after
