"""Every way text leaves the process passes the redactor: answers are sent from the front door
only (which redacts error bodies), stream error events come from the codec (which redacts),
and the app puts the redacting filter on every log handler while it runs."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

from gateway.app import Gateway
from gateway.config.loader import parse_config
from gateway.core.errors import UpstreamError
from gateway.core.redaction import RedactingFilter, Redactor
from gateway.inbound.codec import Decoded, Ids
from gateway.inbound.openai import OpenAICodec

ROOT = Path(__file__).resolve().parents[2] / "gateway"
KEY = "sk-test-0123456789abcdef0123"


def _string_constants(path: Path) -> set[str]:
    return {
        n.value
        for n in ast.walk(ast.parse(path.read_text()))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_only_the_front_door_sends_asgi_answers():
    senders = sorted(
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if {"http.response.start", "http.response.body"} & _string_constants(p)
    )
    assert senders == ["inbound/front_door.py"]


def test_only_the_connection_guard_writes_to_a_client_transport_and_only_fixed_texts():
    writers = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py") if "transport.write(" in p.read_text())
    assert writers == ["inbound/guard.py"]


def test_the_codecs_stream_error_event_is_redacted():
    codec = OpenAICodec("chat", "/v1/chat/completions")
    client = codec.client_side(Decoded({}, "m", True), Ids(new_id=lambda: "x", clock=lambda: 0.0), Redactor([KEY]))
    event = client.error_event(UpstreamError(502, f"upstream said {KEY[:20]}", type="server_error"))
    assert KEY[:12].encode() not in event and b"[redacted]" in event


async def test_the_app_puts_the_redacting_filter_on_every_handler_while_it_runs():
    root_handler, uvicorn_handler = logging.StreamHandler(), logging.StreamHandler()
    logging.getLogger().addHandler(root_handler)
    logging.getLogger("uvicorn.error").addHandler(uvicorn_handler)
    config, _ = parse_config("api-keys: [client-key-123456]\n", {})
    gateway = Gateway(config)
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    seen: list[bool] = []

    async def receive():
        return next(messages)

    async def send(message):
        if message["type"] == "lifespan.startup.complete":
            seen.append(
                all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in (root_handler, uvicorn_handler))
            )

    try:
        await gateway({"type": "lifespan"}, receive, send)
    finally:
        logging.getLogger().removeHandler(root_handler)
        logging.getLogger("uvicorn.error").removeHandler(uvicorn_handler)
    assert seen == [True]
    assert not root_handler.filters and not uvicorn_handler.filters
