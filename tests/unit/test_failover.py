"""The failover loop, the Exchange record and the runtime swap, in process: a scripted
transport plays the upstreams and the clock is injected, so no test sleeps or opens a socket."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest

from gateway.app import Gateway
from gateway.config.loader import parse_config
from gateway.observe.exchange import Exchange
from tests.unit.fake_upstream import FakeUpstreams, Reply, completion, error, stream

CONFIG = """
api-keys: [{api-key: client-key, name: team-a}]
request-retry: 3
routing: {strategy: fill-first}
circuit-breaker: {failure-threshold: 2, cool-off-seconds: 30}
openai-compatibility:
  - name: first
    base-url: http://first/v1
    api-key-entries: [{api-key: key-one}]
    models: [{name: upstream-model, alias: m}]
  - name: second
    base-url: http://second/v1
    api-key-entries: [{api-key: key-two}]
    models: [{name: upstream-model, alias: m}]
"""
AUTH = {"authorization": "Bearer client-key"}
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup():
    clock = Clock()
    fake = FakeUpstreams()
    exchanges: list[Exchange] = []
    ids = iter(f"id{n:04d}" for n in range(10_000))
    config, _ = parse_config(CONFIG, {})
    gateway = Gateway(
        config,
        clock=clock,
        monotonic=clock,
        new_id=lambda: next(ids),
        transports={"http": fake},
        observers=(exchanges.append,),
    )
    return gateway, fake, clock, exchanges


def client(gateway: Gateway) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw")


async def test_a_429_moves_to_the_next_credential_and_cools_the_first_until_its_retry_after(setup):
    gateway, fake, clock, exchanges = setup
    fake.script("http://first/v1", error(429, **{"retry-after": "30"}), completion("from first"))
    fake.script("http://second/v1", completion("from second"))
    async with client(gateway) as http:
        answer = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        assert answer.json()["choices"][0]["message"]["content"] == "from second"
        clock.now += 29
        await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        assert fake.urls()[-1].startswith("http://second")  # first still cooling
        clock.now += 2
        answer = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
    assert answer.json()["choices"][0]["message"]["content"] == "from first"
    assert [a.outcome for a in exchanges[0].attempts] == ["rate_limited", "ok"]
    assert exchanges[0].attempts[0].status == 429 and exchanges[0].attempts[0].credential == "first#0"
    assert exchanges[0].attempts[0].latency == 0.0 and exchanges[0].attempts[0].reason.startswith("Provider first")


async def test_every_credential_rate_limited_answers_429_with_the_earliest_recovery(setup):
    gateway, fake, clock, exchanges = setup
    fake.script("http://first/v1", error(429, **{"retry-after": "40"}))
    fake.script("http://second/v1", error(429, **{"retry-after": "12"}))
    async with client(gateway) as http:
        answer = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        assert answer.status_code == 429 and answer.headers["retry-after"] == "12"
        clock.now += 5
        again = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
    assert again.status_code == 429 and again.headers["retry-after"] == "7"
    assert len(fake.sent) == 2  # the second request found both cooling and sent nothing
    assert exchanges[1].attempts == [] and exchanges[1].ended == "error" and exchanges[1].status == 429


async def test_the_circuit_opens_after_consecutive_failures_and_half_opens_after_the_cool_off(setup):
    gateway, fake, clock, _ = setup
    fake.script("http://first/v1", error(503), error(503), completion("first again"))
    fake.script("http://second/v1", completion("second"))
    async with client(gateway) as http:
        for _ in range(2):
            await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        sent = len(fake.sent)
        await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        assert fake.urls()[sent:] == ["http://second/v1/chat/completions"]  # open: first skipped
        clock.now += 31
        answer = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
    assert answer.json()["choices"][0]["message"]["content"] == "first again"  # the half-open trial


async def test_an_upstream_4xx_is_the_clients_and_is_not_retried(setup):
    gateway, fake, _, exchanges = setup
    fake.script("http://first/v1", error(400, "bad temperature"))
    fake.script("http://second/v1", completion())
    async with client(gateway) as http:
        answer = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
    assert answer.status_code == 400 and answer.json()["error"]["message"] == "bad temperature"
    assert len(fake.sent) == 1 and exchanges[0].attempts[0].outcome == "client_error"


async def test_the_exchange_records_key_route_usage_bytes_and_echoes_the_request_id(setup):
    gateway, fake, _, exchanges = setup
    fake.script("http://first/v1", completion(prompt=7, completion_tokens=5))
    async with client(gateway) as http:
        answer = await http.post("/v1/chat/completions", json=CHAT, headers={**AUTH, "x-request-id": "abc-123"})
        generated = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
    assert answer.headers["x-request-id"] == "abc-123"
    assert generated.headers["x-request-id"].startswith("id")
    record = exchanges[0]
    assert (record.request_id, record.key_name, record.dialect, record.endpoint, record.model, record.route) == (
        "abc-123",
        "team-a",
        "openai",
        "chat",
        "m",
        "m",
    )
    assert record.usage is not None and (record.usage.input, record.usage.output, record.usage.cached) == (7, 5, 1)
    assert record.status == 200 and record.bytes_out == len(answer.content) and record.ended == "completed"
    assert record.finished and record.duration is not None


async def test_errors_before_routing_are_recorded_once_with_their_status(setup):
    gateway, _, _, exchanges = setup
    async with client(gateway) as http:
        missing_key = await http.post("/v1/chat/completions", json=CHAT)
        unknown = await http.post("/v1/chat/completions", json={**CHAT, "model": "nope"}, headers=AUTH)
    assert (missing_key.status_code, unknown.status_code) == (401, 404)
    assert [(e.status, e.ended, e.error_type) for e in exchanges] == [
        (401, "error", "invalid_api_key"),
        (404, "error", "model_not_found"),
    ]
    assert missing_key.headers["x-request-id"] == exchanges[0].request_id


async def test_a_stream_cut_after_its_first_byte_ends_with_an_error_event_and_is_recorded(setup):
    gateway, fake, _, exchanges = setup
    fake.script("http://first/v1", stream("a", "b", finish=False, usage=False, cut=True))
    async with client(gateway) as http:
        answer = await http.post("/v1/chat/completions", json={**CHAT, "stream": True}, headers=AUTH)
    events = [line for line in answer.text.split("\n\n") if line]
    assert orjson.loads(events[-1].removeprefix("data: "))["error"]["code"] == "upstream_connection_broken"
    assert exchanges[0].ended == "upstream_cut" and exchanges[0].time_to_first_byte is not None


async def test_stream_usage_reaches_the_exchange_even_when_the_client_did_not_ask_for_it(setup):
    gateway, fake, _, exchanges = setup
    fake.script("http://first/v1", stream("a", "b", "c"))
    async with client(gateway) as http:
        answer = await http.post("/v1/chat/completions", json={**CHAT, "stream": True}, headers=AUTH)
    assert '"usage"' not in answer.text and answer.text.endswith("data: [DONE]\n\n")
    assert exchanges[0].usage is not None and exchanges[0].usage.output == 3
    assert fake.sent[0][1]["stream_options"] == {"include_usage": True}


async def test_a_reload_mid_request_leaves_the_request_on_its_config_and_the_next_on_the_new_one(setup):
    gateway, fake, _, _ = setup
    gate = asyncio.Event()
    fake.script("http://first/v1", Reply(body=completion("old config").body, gate=gate))
    new_config, _ = parse_config(
        CONFIG.replace("alias: m}]\n  - name: second", "alias: m}]\n  - name: third").replace(
            "http://second/v1", "http://third/v1"
        ),
        {},
    )
    fake.script("http://third/v1", completion("third"))
    async with client(gateway) as http:
        in_flight = asyncio.ensure_future(http.post("/v1/chat/completions", json=CHAT, headers=AUTH))
        while not fake.sent:
            await asyncio.sleep(0)
        summary = gateway.apply(new_config)
        gate.set()
        answer = await in_flight
        assert answer.json()["choices"][0]["message"]["content"] == "old config"
        assert "2 model id(s)" in summary
        assert [p.name for p in gateway.holder.current.catalog.providers] == ["first", "third"]
        fake.script("http://first/v1", error(503))
        answer = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
    assert answer.json()["choices"][0]["message"]["content"] == "third"


async def test_cooldowns_survive_a_reload_that_keeps_the_credential(setup):
    gateway, fake, clock, _ = setup
    fake.script("http://first/v1", error(429, **{"retry-after": "60"}), completion("first"))
    fake.script("http://second/v1", completion("second"))
    async with client(gateway) as http:
        await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        gateway.apply(parse_config(CONFIG + "debug: false\n", {})[0])
        clock.now += 10
        answer = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
    assert answer.json()["choices"][0]["message"]["content"] == "second"


async def test_an_unexpected_failure_is_a_500_in_the_clients_envelope_and_recorded_as_an_error(setup, caplog):
    gateway, fake, _, exchanges = setup
    fake.script("http://first/v1", Reply(error=RuntimeError("a defect")))
    async with client(gateway) as http:
        answer = await http.post("/v1/chat/completions", json=CHAT, headers=AUTH)
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "internal_error"
    assert exchanges[0].request_id in answer.json()["error"]["message"] and "a defect" not in answer.text
    assert (exchanges[0].status, exchanges[0].ended, exchanges[0].error_type) == (500, "error", "internal_error")
    assert "a defect" in caplog.text


async def test_a_body_too_deep_to_re_encode_is_a_400_not_a_crash(setup):
    gateway, fake, _, _ = setup
    deep: object = "x"
    for _ in range(300):
        deep = [deep]
    async with client(gateway) as http:
        answer = await http.post("/v1/chat/completions", json={**CHAT, "extra": deep}, headers=AUTH)
    assert answer.status_code == 400 and "re-encoded" in answer.json()["error"]["message"]
    assert fake.sent == []


async def test_a_stream_the_client_never_took_closes_its_upstream_answer(setup):
    gateway, fake, _, _ = setup
    fake.script("http://first/v1", stream("a", "b"))
    holder = {}
    original = fake.send

    async def send(provider, outgoing):
        response = await original(provider, outgoing)
        holder["response"] = response
        return response

    fake.send = send

    async def receive():
        return {"type": "http.request", "body": orjson.dumps({**CHAT, "stream": True})}

    async def broken_send(message):
        if message["type"] == "http.response.start":
            raise ConnectionResetError("client gone")

    scope = {
        "type": "http",
        "path": "/v1/chat/completions",
        "method": "POST",
        "query_string": b"",
        "headers": [(b"authorization", b"Bearer client-key")],
    }
    await gateway(scope, receive, broken_send)
    assert holder["response"].closed
