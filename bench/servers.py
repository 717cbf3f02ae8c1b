"""The processes under test: the mock upstream and the gateway, and the endpoints they serve.

The gateway gets a config with one openai-compatibility entry and one claude-api-key entry,
both pointing at the mock, so the same mock serves the passthrough and the translated path.
Start-up time is measured from just before the spawn to the first 200 of GET /v1/models.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench.procs import Pinning, Processes, ProcessTree, free_port, wait_until_ok
from bench.wire import Endpoint

__all__ = [
    "GATEWAY",
    "GATEWAY_KEY",
    "REPO",
    "Server",
    "direct_endpoints",
    "gateway_config",
    "gateway_endpoints",
    "openai_endpoints",
    "start_gateway",
    "start_mock",
    "workers_supported",
]

REPO = Path(__file__).resolve().parents[1]
GATEWAY_KEY = "bench-key"
GATEWAY = (sys.executable, "-m", "gateway")
PROMPT = [{"role": "user", "content": "Say hello in one short sentence."}]


@dataclass(frozen=True, slots=True)
class Server:
    """A running server under test, with what was measured while it started."""

    name: str
    process: subprocess.Popen[bytes]
    tree: ProcessTree
    port: int
    key: str
    startup_seconds: float
    idle_rss: int
    log: Path


def gateway_config(mock_port: int) -> str:
    """The bench's config; BENCH_GATEWAY_EXTRA (YAML) is appended, to measure what an option costs
    (for example `logging: {access: false}`)."""
    return _base_config(mock_port) + os.environ.get("BENCH_GATEWAY_EXTRA", "")


def _base_config(mock_port: int) -> str:
    return f"""
host: 127.0.0.1
api-keys: ["{GATEWAY_KEY}"]
request-retry: 0
openai-compatibility:
  - name: mock
    prefix: mock
    base-url: http://127.0.0.1:{mock_port}/v1
    api-key-entries: [{{api-key: mock-openai-key}}]
    models: [{{name: bench-model}}]
claude-api-key:
  - api-key: mock-anthropic-key
    prefix: claude
    base-url: http://127.0.0.1:{mock_port}
    models: [{{name: claude-bench}}]
"""


def _chat(model: str, *, stream: bool) -> bytes:
    body: dict[str, object] = {"model": model, "messages": PROMPT, "max_tokens": 64}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return orjson.dumps(body)


def openai_endpoints(name: str, port: int, path: str, model: str, key: str) -> tuple[Endpoint, Endpoint]:
    """(whole, streamed) chat completion endpoints of an OpenAI-compatible server."""
    headers = (("authorization", f"Bearer {key}"),)
    return (
        Endpoint(name, port, path, _chat(model, stream=False), headers),
        Endpoint(name, port, path, _chat(model, stream=True), headers),
    )


def direct_endpoints(mock_port: int) -> dict[str, Endpoint]:
    openai, openai_stream = openai_endpoints("direct", mock_port, "/v1/chat/completions", "bench-model", "mock")
    headers = (("x-api-key", "mock-anthropic-key"), ("anthropic-version", "2023-06-01"))
    body = {"model": "claude-bench", "messages": PROMPT, "max_tokens": 64}
    return {
        "chat": openai,
        "chat_stream": openai_stream,
        "messages": Endpoint("direct", mock_port, "/v1/messages", orjson.dumps(body), headers, "anthropic"),
        "messages_stream": Endpoint(
            "direct", mock_port, "/v1/messages", orjson.dumps({**body, "stream": True}), headers, "anthropic"
        ),
    }


def gateway_endpoints(port: int, name: str = "gateway") -> dict[str, Endpoint]:
    chat, chat_stream = openai_endpoints(name, port, "/v1/chat/completions", "mock/bench-model", GATEWAY_KEY)
    claude, claude_stream = openai_endpoints(name, port, "/v1/chat/completions", "claude/claude-bench", GATEWAY_KEY)
    return {"chat": chat, "chat_stream": chat_stream, "claude": claude, "claude_stream": claude_stream}


def start_mock(procs: Processes, *, pinning: Pinning, chunks: int, delay_ms: float, log: Path) -> int:
    port = free_port()
    argv = [
        *pinning.tools,
        sys.executable,
        "-m",
        "bench.mock_upstream",
        "--port",
        str(port),
        "--chunks",
        str(chunks),
        "--chunk-delay-ms",
        str(delay_ms),
    ]
    child = procs.start(argv, log=log, cwd=REPO)
    if (
        wait_until_ok(f"http://127.0.0.1:{port}/v1/models", headers={}, timeout=20, since=time.monotonic(), alive=child)
        is None
    ):
        raise RuntimeError(f"the mock upstream did not start; see {log}")
    return port


def workers_supported() -> bool:
    """Whether this gateway's `serve` has a --workers option."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=30,
        check=False,
    )
    return "--workers" in done.stdout


def start_gateway(
    procs: Processes,
    *,
    config: Path,
    prefix: Sequence[str],
    log: Path,
    workers: int = 1,
    launcher: Sequence[str] = GATEWAY,
    env: dict[str, str] | None = None,
    skip_names: Sequence[str] = (),
    timeout: float = 30.0,
) -> Server:
    """Spawns `<launcher> serve ...` under a pinning `prefix`; `launcher` may wrap it in a profiler."""
    port = free_port()
    argv = [*prefix, *launcher, "serve", "--config", str(config), "--port", str(port), "--log-level", "warning"]
    if workers > 1:
        argv += ["--workers", str(workers)]
    spawned = time.monotonic()
    child = procs.start(argv, log=log, cwd=REPO, env={**os.environ, **(env or {})})
    seconds = wait_until_ok(
        f"http://127.0.0.1:{port}/v1/models",
        headers={"authorization": f"Bearer {GATEWAY_KEY}"},
        timeout=timeout,
        since=spawned,
        alive=child,
    )
    if seconds is None:
        procs.stop(child)
        raise RuntimeError(f"the gateway did not answer GET /v1/models with 200; see {log}")
    tree = ProcessTree(child.pid, skip_names=skip_names)
    return Server("gateway", child, tree, port, GATEWAY_KEY, seconds, tree.rss(), log)
