"""Secrets are absent from every answer and log line, through real sockets: an upstream that
echoes its key (whole, or cut at any offset) and secret header values in its errors."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import CLIENT_KEY
from tests.e2e.mock_upstream import free_port, raw_stream, sse, status

KEY = "sk-live-9c8b7a6d5e4f3a2b1c0d9e8f"
HEADER_TOKEN = "hdr-tok-1a2b3c4d5e6f7a8b"


def config(url: str) -> str:
    return f"""
host: 127.0.0.1
api-keys: [client-key-abcdef12]
request-retry: 0
openai-compatibility:
  - name: leaky
    base-url: {url}
    api-key-entries: [{{api-key: {KEY}}}]
    headers: {{X-Upstream-Token: {HEADER_TOKEN}}}
    models: [{{name: m}}]
"""


def post(gateway, **extra):
    return httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": "Bearer client-key-abcdef12"},
        json={"model": "m", "messages": [{"role": "user", "content": "x"}], **extra},
        timeout=10,
    )


@pytest.mark.parametrize("code", [400, 401, 500])
def test_an_upstream_error_echoing_the_key_and_header_secret_reaches_neither_client_nor_log(
    gateway_factory, upstream_a, code
):
    upstream_a.default = status(code, f"Incorrect API key provided: {KEY}; token {HEADER_TOKEN}")
    gateway = gateway_factory(config(upstream_a.base_url))
    answer = post(gateway)
    assert answer.status_code in (400, 502)
    for secret in (KEY, HEADER_TOKEN):
        assert secret[:12] not in answer.text and secret[-12:] not in answer.text
        assert secret[:12] not in gateway.log() and secret[-12:] not in gateway.log()
    if code != 401:  # a 401 answer names the entry, not the upstream's words
        assert "[redacted]" in answer.text


def test_a_key_cut_at_every_offset_by_the_upstream_never_shows_twelve_of_its_characters(gateway_factory, upstream_a):
    gateway = gateway_factory(config(upstream_a.base_url))
    for cut in range(12, len(KEY) + 1, 3):
        upstream_a.default = status(400, f"key {KEY[:cut]}")
        text = post(gateway).text
        assert KEY[:12] not in text, (cut, text)
        upstream_a.default = status(400, f"key {KEY[-cut:]}")
        text = post(gateway).text
        assert KEY[-12:] not in text, (cut, text)
    assert KEY[:12] not in gateway.log() and KEY[-12:] not in gateway.log()


def test_a_stream_error_event_echoing_the_key_is_redacted(gateway_factory, upstream_a):
    first = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }
    upstream_a.default = raw_stream(sse(first), sse({"error": {"message": f"quota for {KEY}", "type": "x"}}))
    gateway = gateway_factory(config(upstream_a.base_url))
    with httpx.stream(
        "POST",
        gateway.url + "/v1/chat/completions",
        headers={"authorization": "Bearer client-key-abcdef12"},
        json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "x"}]},
    ) as r:
        body = r.read().decode()
    assert '"error"' in body and KEY[:12] not in body and "[redacted]" in body
    assert KEY[:12] not in gateway.log()


@pytest.mark.parametrize("query", ["key=%E9", "key=%FF%FE", "key=%C3%A9%00", "key="])
def test_a_query_key_with_invalid_encoding_is_a_401_not_a_500(gateway_factory, upstream_a, query):
    gateway = gateway_factory(config(upstream_a.base_url))
    answer = httpx.post(
        gateway.url + "/v1/chat/completions?" + query,
        json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
    )
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_api_key"
    assert "Traceback" not in gateway.log()


def test_the_passwords_of_an_unreachable_store_and_redis_never_reach_the_log(gateway_factory, upstream_a):
    """Both outages are logged (the gateway serves on), naming host and port only."""
    redis_password, pg_password = "redis-pass-0123456789", "pg-pass-0123456789ab"
    closed = free_port()
    gateway = gateway_factory(f"""
host: 127.0.0.1
api-keys: [{CLIENT_KEY}]
state: {{redis-url: "redis://:{redis_password}@127.0.0.1:{closed}/0"}}
store: {{url: "postgresql://postgres:{pg_password}@127.0.0.1:{closed}/ledger"}}
openai-compatibility:
  - name: oai
    base-url: {upstream_a.base_url}
    api-key-entries: [{{api-key: {KEY}}}]
    models: [{{name: gpt-4o, alias: gpt}}]
""")
    with gateway.client() as client:
        client.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "Hi"}])
    log = gateway.log()
    assert "unreachable" in log and "usage ledger" in log, log
    assert redis_password not in log and pg_password not in log
    assert redis_password[:12] not in log and pg_password[:12] not in log
