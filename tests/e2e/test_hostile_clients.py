"""Clients that misbehave get bounded time and memory, and everyone else keeps being served:
idle and half-sent heads, oversized heads, slow bodies, too many connections — raw sockets
against the real gateway."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.e2e.conftest import rss_mib
from tests.e2e.mock_upstream import answer

LIMITS = (
    "limits: {head-timeout-seconds: 1, max-head-bytes: 16384, body-idle-seconds: 1, body-timeout-seconds: 3, "
    "max-connections: 12, keep-alive-seconds: 1}"
)


def config(url: str) -> str:
    return f"""
host: 127.0.0.1
api-keys: [test-key]
{LIMITS}
openai-compatibility:
  - name: fine
    base-url: {url}
    api-key-entries: [{{api-key: k}}]
    models: [{{name: m}}]
"""


@pytest.fixture
def gateway(gateway_factory, upstream_a):
    upstream_a.default = answer("served")
    return gateway_factory(config(upstream_a.base_url))


@pytest.fixture
def connect(gateway) -> Iterator[Callable[[], socket.socket]]:
    """Opens raw client sockets to the gateway; closes them after the test."""
    opened: list[socket.socket] = []

    def open_one() -> socket.socket:
        opened.append(socket.create_connection(("127.0.0.1", gateway.port), timeout=10))
        return opened[-1]

    yield open_one
    for sock in opened:
        sock.close()


def read_all(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        if not data:
            raise
    return data


def served(gateway) -> bool:
    reply = httpx.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": "Bearer test-key"},
        json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
        timeout=10,
    )
    return reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"] == "served"


def test_a_silent_connection_and_a_half_sent_head_are_closed_while_others_are_served(gateway, connect):
    silent, half = connect(), connect()
    half.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
    started = time.monotonic()
    assert served(gateway)
    assert read_all(silent).startswith(b"HTTP/1.1 408 ")
    answer_to_half = read_all(half)
    assert answer_to_half.startswith(b"HTTP/1.1 408 ") and b"head-timeout-seconds" in answer_to_half
    assert time.monotonic() - started < 4


@pytest.mark.parametrize(
    "head",
    [
        b"X-Big: " + b"a" * (1 << 20) + b"\r\n",
        b"".join(b"X-H%d: v\r\n" % i for i in range(100_000)),
    ],
    ids=["one-huge-header", "many-small-headers"],
)
def test_an_oversized_head_is_refused_with_431(gateway, connect, head):
    sock = connect()
    try:
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the gateway may close before it has read everything: that is the point
    reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 431 ") and b"max-head-bytes" in reply
    assert served(gateway)


def test_a_head_that_never_ends_is_refused_without_being_buffered(gateway, connect):
    before = rss_mib(gateway.process.pid)
    sock = connect()
    sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Endless: ")
    with pytest.raises((BrokenPipeError, ConnectionResetError)):
        for _ in range(8192):  # up to 256 MiB: the gateway must hang up long before
            sock.sendall(b"b" * 32768)
    assert rss_mib(gateway.process.pid) - before < 16
    assert served(gateway)


def test_a_slow_body_is_dropped_with_408_and_others_are_served_meanwhile(gateway, connect):
    sock = connect()
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"model"'
    )
    started = time.monotonic()
    assert served(gateway)
    reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 408 ") and b"body-idle-seconds" in reply
    assert time.monotonic() - started < 4


def test_a_body_trickled_forever_is_cut_at_the_whole_body_timeout(gateway, connect):
    sock = connect()
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    started = time.monotonic()
    sock.settimeout(0.5)
    reply = b""
    while time.monotonic() - started < 8 and not reply:
        try:
            sock.sendall(b"x")
            reply = sock.recv(65536)
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    assert reply.startswith(b"HTTP/1.1 408 ") and 2.5 < time.monotonic() - started < 6


def test_past_max_connections_a_new_connection_gets_503(gateway, connect):
    held = [connect() for _ in range(12)]
    time.sleep(0.2)
    extra = connect()
    reply = read_all(extra)
    assert reply.startswith(b"HTTP/1.1 503 ") and b"max-connections" in reply
    for sock in held:
        sock.close()
    time.sleep(0.2)
    assert served(gateway)


def test_an_idle_keep_alive_connection_is_closed(gateway, connect):
    with httpx.Client() as client:
        assert client.get(gateway.url + "/healthz").status_code == 200
        time.sleep(2)
        # The pooled connection was closed by the gateway; httpx opens a new one.
        assert client.get(gateway.url + "/healthz").status_code == 200
    sock = connect()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.1)
    first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 ")
    started = time.monotonic()
    assert read_all(sock) == b"" and time.monotonic() - started < 3


def test_stalled_uploads_are_dropped_with_408_and_their_memory_released(gateway, connect):
    """Four 30 MiB bodies sent but for their last byte: each is buffered, then dropped at the
    idle limit, and the process gives the memory back."""
    before = rss_mib(gateway.process.pid)
    size = 30 * 1024 * 1024
    stalled = []
    for _ in range(4):
        sock = connect()
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key\r\n"
            b"Content-Length: %d\r\n\r\n" % size
        )
        sock.sendall(b"x" * (size - 1))
        stalled.append(sock)
    held = rss_mib(gateway.process.pid)
    for sock in stalled:
        assert read_all(sock).startswith(b"HTTP/1.1 408 ")
    assert held - before > 60, "the uploads were not buffered: the test proves nothing"
    deadline = time.monotonic() + 5  # a loaded machine may run the gateway's cleanup late
    while (after := rss_mib(gateway.process.pid)) - before >= 16 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert after - before < 16
    assert served(gateway)
