"""End-to-end fixtures: the real gateway as its own process on a free loopback port, and
scriptable OpenAI-compatible upstreams on real sockets."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import openai
import pytest

from tests.e2e.mock_upstream import MockUpstream, ServerThread, free_port

CLIENT_KEY = "test-key"


@dataclass
class RunningGateway:
    process: subprocess.Popen
    port: int
    log_path: Path
    clients: list[openai.OpenAI] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, key: str = CLIENT_KEY, **options) -> openai.OpenAI:
        # The SDK's own retries would hide what the gateway does: off.
        client = openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0, **options)
        self.clients.append(client)
        return client

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def rss_mib(pid: int) -> float:
    """A process's resident memory, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def start_gateway(config: str, directory: Path, *, env: dict[str, str] | None = None) -> RunningGateway:
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "config.yaml"
    config_path.write_text(config)
    port = free_port()
    log_path = directory / "gateway.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--config", str(config_path), "--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=Path(__file__).resolve().parents[2],
        )
    gateway = RunningGateway(process, port, log_path)
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited with {process.returncode}:\n{gateway.log()}")
        try:
            if httpx.get(gateway.url + "/healthz", timeout=0.5).status_code == 200:
                return gateway
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            gateway.stop()
            raise RuntimeError(f"gateway did not become healthy:\n{gateway.log()}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def upstream_a() -> Iterator[MockUpstream]:
    mock = MockUpstream()
    with ServerThread(mock) as server:
        mock.port = server.port
        yield mock


@pytest.fixture(scope="session")
def upstream_b() -> Iterator[MockUpstream]:
    mock = MockUpstream()
    with ServerThread(mock) as server:
        mock.port = server.port
        yield mock


@pytest.fixture(scope="session")
def upstream_c() -> Iterator[MockUpstream]:
    mock = MockUpstream()
    with ServerThread(mock) as server:
        mock.port = server.port
        yield mock


@pytest.fixture(autouse=True)
def _fresh_upstreams(request: pytest.FixtureRequest) -> None:
    for name in ("upstream_a", "upstream_b", "upstream_c"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


@pytest.fixture
def gateway_factory(tmp_path: Path) -> Iterator:
    started: list[RunningGateway] = []

    def factory(config: str, **options) -> RunningGateway:
        gateway = start_gateway(config, tmp_path / f"gw{len(started)}", **options)
        started.append(gateway)
        return gateway

    yield factory
    for gateway in started:
        gateway.stop()
