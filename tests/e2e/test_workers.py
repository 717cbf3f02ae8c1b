"""`serve --workers N`: several processes share one socket and all serve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.mock_upstream import answer, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_two_workers_start_on_one_port_and_serve_requests(tmp_path, upstream_a):
    upstream_a.default = answer("hi")
    path = tmp_path / "config.yaml"
    path.write_text(
        f"api-keys: [k]\nopenai-compatibility:\n  - name: a\n    base-url: {upstream_a.base_url}\n"
        "    models: [{name: m}]\n"
    )
    port = free_port()
    log = (tmp_path / "log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--config", str(path), "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "log").read_text()
            time.sleep(0.1)
        time.sleep(1.0)  # let the second worker finish starting
        for _ in range(30):
            with httpx.Client() as client:  # a new connection each time, so the kernel spreads them
                reply = client.post(
                    f"http://127.0.0.1:{port}/v1/chat/completions",
                    headers={"x-api-key": "k"},
                    json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
                )
                assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"] == "hi"
        text = (tmp_path / "log").read_text()
        assert text.count("Application startup complete") == 2, text
        # Whichever worker answers a scrape, it counts every worker's requests (the others'
        # figures are at most a second old).
        time.sleep(1.5)
        for _ in range(8):
            with httpx.Client() as client:
                scrape = client.get(f"http://127.0.0.1:{port}/metrics").text
            assert _served(scrape) == {("2xx", 30.0)}, scrape
        # Both workers served some of them: their own snapshots split the 30.
        workers = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        environ = Path(f"/proc/{workers[0]}/environ").read_bytes().split(b"\0")
        directory = next(v.split(b"=", 1)[1] for v in environ if v.startswith(b"LLM_GATEWAY_METRICS_DIR="))
        own = [
            sum(entry[-1] for entry in json.loads(path.read_text())["requests"] if entry[1] == "m")
            for path in Path(directory.decode()).glob("*.json")
        ]
        assert len(own) == 2 and sum(own) == 30 and min(own) > 0, own
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def _served(scrape: str) -> set[tuple[str | None, float]]:
    return {
        (s.labels.get("status_class"), s.value)
        for family in text_string_to_metric_families(scrape)
        for s in family.samples
        if s.name == "llm_gateway_requests_total" and s.labels.get("model") == "m"
    }
