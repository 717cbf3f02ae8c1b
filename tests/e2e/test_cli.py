"""The `llm-gateway` command: check-config output and start-up refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.mock_upstream import free_port

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 20) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


BROKEN = """\
port: eighty
api-keys: ["${CLIENT_KEY_THAT_IS_NOT_SET}"]
routing:
  strategy: random
openai-compatibility:
  - name: ok
    base-url: http://127.0.0.1:1/v1
  - name: broken
    base-url: ftp://example.com
    api-key-entries:
      - {}
"""


def test_check_config_on_a_broken_file_prints_every_problem_with_key_path_and_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(BROKEN)
    result = run("check-config", "--config", str(path))
    assert result.returncode == 1
    out = result.stdout
    assert "port (line 1)" in out
    assert "api-keys[0] (line 2): environment variable CLIENT_KEY_THAT_IS_NOT_SET is not set" in out
    assert "routing.strategy (line 4)" in out
    assert "openai-compatibility[1].base-url (line 9): must start with http:// or https://" in out
    assert "openai-compatibility[1].api-key-entries[0].api-key (line 11): is required" in out
    assert "Traceback" not in out + result.stderr


def test_check_config_on_a_good_file_summarises_it_and_warns_about_unknown_keys(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "api-keys: [k]\nrequest-retyr: 2\nopenai-compatibility:\n  - name: local\n    prefix: l\n"
        "    base-url: http://127.0.0.1:1/v1\n    models: [{name: m1, alias: one}]\n"
    )
    result = run("check-config", "--config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "request-retyr (line 2): unknown key, ignored; did you mean 'request-retry'?" in result.stdout
    assert "provider local: openai at http://127.0.0.1:1/v1" in result.stdout
    assert "model l/one: 1 target(s), owned by local" in result.stdout


def test_shipped_example_config_is_valid():
    result = run("check-config", "--config", "config.example.yaml")
    assert result.returncode == 0, result.stdout
    assert "warning" not in result.stdout


def test_serve_refuses_a_broken_file_before_binding(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(BROKEN)
    result = run("serve", "--config", str(path), "--port", str(free_port()))
    assert result.returncode == 1
    assert "routing.strategy (line 4)" in result.stderr


def test_empty_api_keys_are_refused_on_a_public_address(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("host: 0.0.0.0\napi-keys: []\n")
    result = run("serve", "--config", str(path), "--port", str(free_port()))
    assert result.returncode == 1
    assert "api-keys is empty" in result.stderr


def test_empty_api_keys_are_allowed_on_loopback_with_a_warning(gateway_factory):
    gateway = gateway_factory("host: 127.0.0.1\napi-keys: []\n")
    assert httpx.get(gateway.url + "/v1/models").json() == {"object": "list", "data": []}
    assert "api-keys is empty" in gateway.log()


def test_serve_is_the_default_subcommand(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("api-keys: [k]\nport: eighty\n")
    result = run("--config", str(path))
    assert result.returncode == 1 and "port (line 2)" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--help"], "check-config"), (["serve", "--help"], "--port"), (["check-config", "--help"], "--config")],
)
def test_help_works_for_every_command(args, expected):
    result = run(*args)
    assert result.returncode == 0 and expected in result.stdout


def test_check_config_shows_the_misspelt_key_behind_a_missing_one(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("openai-compatibility:\n  - name: a\n    base_url: http://127.0.0.1:1/v1\n")
    result = run("check-config", "--config", str(path))
    assert result.returncode == 1
    assert "openai-compatibility[0].base-url (line 2): is required" in result.stdout
    assert "openai-compatibility[0].base_url (line 3): unknown key, ignored; did you mean 'base-url'?" in result.stdout
