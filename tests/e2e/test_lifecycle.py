"""Hot reload, SIGHUP and graceful shutdown of the real gateway process."""

from __future__ import annotations

import signal
import threading
import time

import httpx

from tests.e2e.mock_upstream import answer, status, stream

MESSAGES = [{"role": "user", "content": "hi"}]
AUTH = {"authorization": "Bearer test-key"}


def config(url: str, *, model: str = "m", extra: str = "") -> str:
    return f"""
api-keys: [test-key]
routing: {{strategy: fill-first}}
reload: {{interval-seconds: 0.1}}
openai-compatibility:
  - name: upstream
    base-url: {url}
    api-key-entries: [{{api-key: key-1}}, {{api-key: key-2}}]
    models: [{{name: {model}}}]
{extra}
"""


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def collect_stream(url: str, model: str, into: list[str]) -> None:
    with httpx.stream(
        "POST",
        url + "/v1/chat/completions",
        headers=AUTH,
        timeout=30,
        json={"model": model, "messages": MESSAGES, "stream": True},
    ) as response:
        into.extend(line for line in response.iter_lines() if line)


def test_valid_reload_changes_routing_without_dropping_a_stream_in_flight(gateway_factory, upstream_a, upstream_b):
    upstream_a.default = stream([f"w{i}" for i in range(10)], delay=0.15)
    upstream_b.default = answer("from the new upstream")
    gateway = gateway_factory(config(upstream_a.base_url))
    lines: list[str] = []
    reader = threading.Thread(target=collect_stream, args=(gateway.url, "m", lines))
    reader.start()
    assert wait_for(lambda: len(upstream_a.requests) == 1)
    (gateway.log_path.parent / "config.yaml").write_text(config(upstream_b.base_url, extra="# moved"))
    assert wait_for(lambda: "config reloaded" in gateway.log())
    reply = gateway.client().chat.completions.create(model="m", messages=MESSAGES)
    assert reply.choices[0].message.content == "from the new upstream"
    reader.join(timeout=10)
    assert lines[-1] == "data: [DONE]" and sum('"content":"' in line for line in lines) >= 10


def test_broken_reload_is_refused_and_the_old_config_keeps_serving(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url))
    path = gateway.log_path.parent / "config.yaml"
    path.write_text(config(upstream_a.base_url).replace("fill-first", "sideways"))
    assert wait_for(lambda: "reload (file changed) refused" in gateway.log())
    # The problem is its own line, written just after.
    assert wait_for(lambda: "routing.strategy" in gateway.log())
    assert gateway.client().chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
    path.write_text(config(upstream_a.base_url, model="renamed"))
    assert wait_for(lambda: "config reloaded" in gateway.log())
    assert {m.id for m in gateway.client().models.list()} == {"renamed"}


def test_sighup_forces_a_reload_when_watching_is_off(gateway_factory, upstream_a):
    text = config(upstream_a.base_url).replace("reload: {interval-seconds: 0.1}", "reload: {watch: false}")
    gateway = gateway_factory(text)
    (gateway.log_path.parent / "config.yaml").write_text(text.replace("[{name: m}]", "[{name: m}, {name: n}]"))
    time.sleep(0.5)
    assert {m.id for m in gateway.client().models.list()} == {"m"}
    gateway.process.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "config reloaded (SIGHUP)" in gateway.log())
    assert {m.id for m in gateway.client().models.list()} == {"m", "n"}


def test_cooldowns_of_unchanged_credentials_survive_a_reload(gateway_factory, upstream_a):
    upstream_a.behaviours["key-1"] = status(429, "limited", headers={"retry-after": "60"})
    gateway = gateway_factory(config(upstream_a.base_url))
    gateway.client().chat.completions.create(model="m", messages=MESSAGES)
    assert upstream_a.keys_seen() == ["key-1", "key-2"]
    (gateway.log_path.parent / "config.yaml").write_text(config(upstream_a.base_url, extra="debug: false"))
    assert wait_for(lambda: "config reloaded" in gateway.log())
    gateway.client().chat.completions.create(model="m", messages=MESSAGES)
    assert upstream_a.keys_seen() == ["key-1", "key-2", "key-2"]


def test_sigterm_drains_an_open_stream_to_completion_while_readyz_says_draining(gateway_factory, upstream_a):
    upstream_a.default = stream([f"w{i}" for i in range(12)], delay=0.15)
    gateway = gateway_factory(
        config(upstream_a.base_url, extra="shutdown: {delay-seconds: 1, drain-timeout-seconds: 10}")
    )
    lines: list[str] = []
    reader = threading.Thread(target=collect_stream, args=(gateway.url, "m", lines))
    reader.start()
    assert wait_for(lambda: len(upstream_a.requests) == 1)
    gateway.process.send_signal(signal.SIGTERM)
    assert wait_for(lambda: httpx.get(gateway.url + "/readyz").status_code == 503, timeout=1.0)
    reader.join(timeout=15)
    assert lines[-1] == "data: [DONE]" and sum('"content":"' in line for line in lines) >= 12
    # uvicorn re-raises the signal it caught once shutdown is complete.
    assert gateway.process.wait(timeout=15) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in gateway.log()
