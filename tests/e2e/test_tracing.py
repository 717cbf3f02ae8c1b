"""Traces against a real OTLP/HTTP collector on loopback: one server span per request and one
client span per upstream attempt, in the trace the client's `traceparent` names, each
attempt's own span id sent upstream as its `traceparent`."""

from __future__ import annotations

import time
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.e2e.conftest import CLIENT_KEY
from tests.e2e.mock_upstream import ServerThread, request_body, status

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class Collector:
    """Receives OTLP/HTTP protobuf exports and keeps every span."""

    def __init__(self) -> None:
        self.spans: list[Any] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = ExportTraceServiceRequest()
        request.ParseFromString(await request_body(receive))
        for resource in request.resource_spans:
            for scoped in resource.scope_spans:
                self.spans.extend(scoped.spans)
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/x-protobuf")]}
        )
        await send({"type": "http.response.body", "body": b""})


def test_a_request_and_its_attempts_are_spans_of_the_clients_trace(gateway_factory, upstream_a):
    collector = Collector()
    with ServerThread(collector) as server:
        gateway = gateway_factory(f"""
host: 127.0.0.1
api-keys: [{CLIENT_KEY}]
routing: {{strategy: fill-first}}
tracing: {{otlp-endpoint: "http://127.0.0.1:{server.port}/v1/traces", service-name: gw-test}}
openai-compatibility:
  - name: oai
    base-url: {upstream_a.base_url}
    api-key-entries: [{{api-key: key-a}}, {{api-key: key-b}}]
    models: [{{name: gpt-4o, alias: gpt}}]
""")
        upstream_a.behaviours["key-a"] = status(429, "slow down", headers={"retry-after": "30"})
        reply = httpx.post(
            gateway.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {CLIENT_KEY}", "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"},
            json={"model": "gpt", "messages": [{"role": "user", "content": "Hi"}]},
        )
        assert reply.status_code == 200
        sent = [r.headers["traceparent"] for r in upstream_a.requests]
        untraced = httpx.post(
            gateway.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {CLIENT_KEY}", "traceparent": "not-a-traceparent"},
            json={"model": "gpt", "messages": [{"role": "user", "content": "Hi"}]},
        )
        assert untraced.status_code == 200
        deadline = time.monotonic() + 15
        while len(collector.spans) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
    spans = collector.spans
    ours = [s for s in spans if s.trace_id.hex() == TRACE_ID]
    server_span = next(s for s in ours if s.kind == s.SPAN_KIND_SERVER)
    assert server_span.parent_span_id.hex() == PARENT_ID
    attributes = {a.key: a.value for a in server_span.attributes}
    assert attributes["http.response.status_code"].int_value == 200
    assert attributes["gateway.route"].string_value == "gpt"
    assert attributes["gen_ai.usage.input_tokens"].int_value == 5
    attempts = sorted((s for s in ours if s.kind == s.SPAN_KIND_CLIENT), key=lambda s: s.start_time_unix_nano)
    outcomes = [{a.key: a.value for a in s.attributes}["gateway.outcome"].string_value for s in attempts]
    assert outcomes == ["rate_limited", "ok"]
    assert all(s.parent_span_id == server_span.span_id for s in attempts)
    # Each upstream saw its own attempt's span as the parent, in the client's trace.
    assert sent == [f"00-{TRACE_ID}-{s.span_id.hex()}-01" for s in attempts]
    assert server_span.start_time_unix_nano <= attempts[0].start_time_unix_nano
    assert attempts[-1].end_time_unix_nano <= server_span.end_time_unix_nano
    # A malformed traceparent starts a new trace.
    others = [s for s in spans if s.trace_id.hex() != TRACE_ID and s.kind == s.SPAN_KIND_SERVER]
    assert len(others) == 1 and not others[0].parent_span_id
