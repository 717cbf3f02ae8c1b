"""The real coding agents through the gateway: Claude Code (`claude -p`) and Codex CLI (`codex
exec`), installed from the npm registry by the test run, each completing a prompt that makes it
run one shell command and answer with its output, through an OpenAI-compatible upstream and
through an Anthropic one. The upstreams are scripted local servers; nothing leaves the machine.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.agent_upstreams import MARKER, anthropic_agent, openai_agent
from tests.e2e.conftest import CLIENT_KEY

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tests" / ".tools"
# Pinned: an agent's wire habits change between releases; bump deliberately.
PACKAGES = {"claude": "@anthropic-ai/claude-code@2.1.328", "codex": "@openai/codex@0.169.0"}
PROMPT = "Run `echo gateway-$((6*7))-ok` in the shell and tell me exactly what it printed."


def _install(name: str) -> Path:
    """The CLI's executable, installed under tests/.tools on first use."""
    prefix = TOOLS / name
    binary = prefix / "node_modules" / ".bin" / name
    if not binary.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", PACKAGES[name]],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return binary


def config(openai_url: str, anthropic_root: str) -> str:
    return f"""
host: 127.0.0.1
api-keys: [{CLIENT_KEY}]
openai-compatibility:
  - name: oai
    base-url: {openai_url}
    api-key-entries: [{{api-key: oai-key}}]
    models: [{{name: gpt-4o, alias: agent-openai}}]
claude-api-key:
  - api-key: ant-key
    base-url: {anthropic_root}
    models: [{{name: claude-sonnet-4-5, alias: agent-anthropic}}]
"""


@pytest.fixture
def gateway(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = openai_agent()
    upstream_b.default = anthropic_agent()
    return gateway_factory(config(upstream_a.base_url, upstream_b.root))


def _isolated(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh home and working directory, and an environment with nothing from this machine's
    accounts: the agent can only reach the gateway."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    return work, {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}


def _tool_outputs(upstream) -> list[str]:
    """What the upstream saw of tool results: proof the agent ran the command."""
    return [str(request.body) for request in upstream.requests if MARKER in str(request.body)]


@pytest.mark.parametrize("model", ["agent-openai", "agent-anthropic"])
def test_claude_code_runs_a_tool_and_answers_through_the_gateway(gateway, upstream_a, upstream_b, tmp_path, model):
    claude = _install("claude")
    work, env = _isolated(tmp_path)
    env.update(
        ANTHROPIC_BASE_URL=gateway.url,
        ANTHROPIC_API_KEY=CLIENT_KEY,
        ANTHROPIC_MODEL=model,
        ANTHROPIC_DEFAULT_HAIKU_MODEL=model,
        ANTHROPIC_SMALL_FAST_MODEL=model,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_AUTOUPDATER="1",
        DISABLE_TELEMETRY="1",
        DISABLE_ERROR_REPORTING="1",
    )
    started = time.monotonic()
    result = subprocess.run(
        [str(claude), "-p", PROMPT, "--model", model, "--allowedTools", "Bash", "--output-format", "json"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-2000:] + result.stdout[-2000:]
    assert f"The command printed: {MARKER}" in result.stdout
    upstream = upstream_a if model == "agent-openai" else upstream_b
    assert _tool_outputs(upstream), "the upstream never saw the command's output"
    print(f"claude -p via {model}: {took:.1f} s")


@pytest.mark.parametrize(
    ("model", "websockets"), [("agent-openai", False), ("agent-anthropic", False), ("agent-openai", True)]
)
def test_codex_runs_a_tool_and_answers_through_the_gateway(
    gateway, upstream_a, upstream_b, tmp_path, model, websockets
):
    codex = _install("codex")
    work, env = _isolated(tmp_path)
    codex_home = Path(env["HOME"]) / ".codex"
    codex_home.mkdir()
    env.update(CODEX_HOME=str(codex_home), GATEWAY_KEY=CLIENT_KEY)
    provider = (
        f'{{name="gateway", base_url="{gateway.url}/v1", env_key="GATEWAY_KEY", wire_api="responses", '
        f"supports_websockets={str(websockets).lower()}}}"
    )
    started = time.monotonic()
    result = subprocess.run(
        [
            str(codex),
            "exec",
            "--skip-git-repo-check",
            "--json",
            "--dangerously-bypass-approvals-and-sandbox",
            "-c",
            "model_provider=gateway",
            "-c",
            f"model_providers.gateway={provider}",
            "-m",
            model,
            PROMPT,
        ],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-2000:] + result.stdout[-2000:]
    events = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert any('"command_execution"' in line and MARKER in line for line in events), "the command never ran"
    assert any('"agent_message"' in line and "The command printed:" in line for line in events)
    upstream = upstream_a if model == "agent-openai" else upstream_b
    assert _tool_outputs(upstream), "the upstream never saw the command's output"
    if websockets:
        # Told the provider has WebSockets, Codex tries one first: the gateway's 426 makes it
        # fall back to HTTP at once, where other refusals cost it five reconnects.
        assert '"WebSocket /v1/responses" 426' in gateway.log()
        assert "Reconnecting" not in result.stdout
    print(f"codex exec via {model} (websockets {websockets}): {took:.1f} s")
