"""`serve --workers N`: several processes share one socket and all serve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

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
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
