"""The wiring: injected time and ids reach translated answers, background work keeps a
reference, and the process-level gc.freeze() is the server's, not the app's."""

from __future__ import annotations

import asyncio
import gc

import httpx
import orjson

from gateway.app import Gateway
from gateway.config.loader import parse_config
from tests.unit.fake_upstream import FakeUpstreams, Reply

CONFIG = """
api-keys: [client-key]
claude-api-key:
  - api-key: ant-key
    base-url: http://claude
    models: [{name: claude-sonnet-4-5, alias: sonnet}]
ollama:
  - name: box
    base-url: http://127.0.0.1:9
"""
ANTHROPIC_MESSAGE = orjson.dumps(
    {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hi"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 1},
    }
)


def build(fake: FakeUpstreams) -> Gateway:
    config, _ = parse_config(CONFIG, {})
    return Gateway(
        config,
        clock=lambda: 1_700_000_000.5,
        new_id=lambda: "0123456789abcdef0123456789abcdef",
        transports={"http": fake},
    )


async def test_translated_answers_take_their_timestamp_and_id_from_the_injected_clock_and_ids():
    fake = FakeUpstreams()
    fake.script("http://claude", Reply(body=ANTHROPIC_MESSAGE))
    transport = httpx.ASGITransport(app=build(fake))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        answer = await http.post(
            "/v1/chat/completions",
            headers={"authorization": "Bearer client-key"},
            json={"model": "sonnet", "messages": [{"role": "user", "content": "hi"}]},
        )
    body = answer.json()
    assert body["created"] == 1_700_000_000
    assert answer.headers["x-request-id"] == "0123456789abcdef0123456789abcdef"


async def test_the_apps_lifespan_does_not_freeze_the_collector():
    before = gc.get_freeze_count()
    gateway = build(FakeUpstreams())
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message["type"])

    await gateway({"type": "lifespan"}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert gc.get_freeze_count() == before


async def test_background_work_started_by_a_reload_is_kept_until_it_ends():
    gateway = build(FakeUpstreams())
    config, _ = parse_config(CONFIG.replace("http://127.0.0.1:9", "http://127.0.0.1:10"), {})
    gateway.apply(config)  # the ollama entry changed: discovery restarts in the background
    assert len(gateway._tasks) == 1
    await asyncio.gather(*gateway._tasks)
    await gateway.discovery.stop()
    assert gateway._tasks == set()
