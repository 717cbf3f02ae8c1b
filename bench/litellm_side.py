"""LiteLLM's proxy as a side-by-side target, in its own venv under bench/.tools/litellm-venv.

It is configured against the same mock upstream (model_list entry `openai/bench-model` with
`api_base`), with a master key so that it checks client keys as the gateway does. The
version is pinned (override with BENCH_LITELLM_SPEC): a benchmark compares fixed things, and
some published releases of that package were withdrawn as compromised.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.procs import Processes, ProcessTree, free_port, wait_until_ok
from bench.servers import Server

__all__ = ["LITELLM_KEY", "LITELLM_SPEC", "install_litellm", "litellm_config", "start_litellm"]

LITELLM_SPEC = os.environ.get("BENCH_LITELLM_SPEC", "litellm[proxy]==1.80.0")
LITELLM_KEY = "sk-bench-key"
INSTALL_SECONDS = 900
# Keep LiteLLM local and quiet: no model-cost download, no telemetry, no per-request logs.
ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY": "False",
    "LITELLM_LOG": "ERROR",
    "NO_DOCS": "True",
    "DISABLE_ADMIN_UI": "True",
    "PYTHONUNBUFFERED": "1",
}


def install_litellm(tools: Path, *, say: Callable[[str], None]) -> tuple[Path | None, str]:
    """(path of the `litellm` executable or None, what happened)."""
    venv = tools / "litellm-venv"
    exe = venv / "bin" / "litellm"
    marker = venv / "installed-spec.txt"
    if exe.exists() and marker.exists() and marker.read_text().strip() == LITELLM_SPEC:
        return exe, f"{LITELLM_SPEC} already installed in {venv}"
    say(f"installing {LITELLM_SPEC} into {venv} (up to {INSTALL_SECONDS} s)")
    log = tools / "litellm-install.log"
    tools.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", LITELLM_SPEC],
    ]
    deadline = time.monotonic() + INSTALL_SECONDS
    with log.open("w") as output:
        for step in steps:
            try:
                done = subprocess.run(
                    step,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    check=False,
                    timeout=max(10.0, deadline - time.monotonic()),
                )
            except subprocess.TimeoutExpired:
                return None, f"installing {LITELLM_SPEC} took over {INSTALL_SECONDS} s; see {log}"
            if done.returncode != 0:
                return None, f"installing {LITELLM_SPEC} failed (exit {done.returncode}); see {log}"
    if not exe.exists():
        return None, f"{LITELLM_SPEC} installed no `litellm` command; see {log}"
    marker.write_text(LITELLM_SPEC + "\n")
    return exe, f"installed {LITELLM_SPEC} into {venv}"


def litellm_config(mock_port: int) -> str:
    return f"""
model_list:
  - model_name: bench-model
    litellm_params:
      model: openai/bench-model
      api_base: http://127.0.0.1:{mock_port}/v1
      api_key: mock-openai-key
general_settings:
  master_key: {LITELLM_KEY}
litellm_settings:
  telemetry: false
  set_verbose: false
"""


def start_litellm(
    procs: Processes, *, exe: Path, config: Path, prefix: Sequence[str], log: Path, timeout: float = 180.0
) -> Server:
    port = free_port()
    argv = [
        *prefix,
        str(exe),
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
    ]
    spawned = time.monotonic()
    child = procs.start(argv, log=log, env={**os.environ, **ENV}, cwd=config.parent)
    seconds = wait_until_ok(
        f"http://127.0.0.1:{port}/v1/models",
        headers={"authorization": f"Bearer {LITELLM_KEY}"},
        timeout=timeout,
        since=spawned,
        alive=child,
    )
    if seconds is None:
        procs.stop(child)
        raise RuntimeError(f"LiteLLM did not answer GET /v1/models with 200 within {timeout:.0f} s; see {log}")
    tree = ProcessTree(child.pid)
    return Server("litellm", child, tree, port, LITELLM_KEY, seconds, tree.rss(), log)
