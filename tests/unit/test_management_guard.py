"""Who reaches the management API: nobody without a secret, loopback clients only unless
allow-remote, and only with the secret (bearer or X-Management-Key)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.admin.guard import ManagementGuard
from gateway.config.models import RemoteManagement


async def inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def call(settings: RemoteManagement, *, client: str = "127.0.0.1", headers=()) -> tuple[int, Any]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "path": "/usage", "headers": list(headers), "client": (client, 50000)}
    await ManagementGuard(inner, lambda: settings)(scope, receive, send)
    body = sent[1]["body"]
    return sent[0]["status"], (orjson.loads(body) if body != b"ok" else body)


SECRET = RemoteManagement(secret_key="s3cret-value")


async def test_off_without_a_secret():
    status, body = await call(RemoteManagement(), headers=[(b"x-management-key", b"anything")])
    assert status == 404 and body["error"]["code"] == "management_disabled"


@pytest.mark.parametrize("client", ["10.0.0.7", "203.0.113.9", "::ffff:10.0.0.1"])
async def test_remote_clients_are_refused_unless_allowed(client):
    headers = [(b"authorization", b"Bearer s3cret-value")]
    status, body = await call(SECRET, client=client, headers=headers)
    assert status == 403 and "allow-remote" in body["error"]["message"]
    allowed = RemoteManagement(secret_key="s3cret-value", allow_remote=True)
    assert (await call(allowed, client=client, headers=headers))[0] == 200


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"authorization", b"Bearer wrong")],
        [(b"authorization", b"Basic s3cret-value")],
        [(b"x-management-key", b"")],
    ],
)
async def test_a_missing_or_wrong_secret_is_401(headers):
    status, body = await call(SECRET, headers=headers)
    assert status == 401 and body["error"]["code"] == "invalid_management_key"
    assert "s3cret-value" not in orjson.dumps(body).decode()


@pytest.mark.parametrize(
    "headers", [[(b"authorization", b"Bearer s3cret-value")], [(b"x-management-key", b"s3cret-value")]]
)
async def test_the_secret_lets_a_loopback_client_in(headers):
    assert await call(SECRET, client="::1", headers=headers) == (200, b"ok")
