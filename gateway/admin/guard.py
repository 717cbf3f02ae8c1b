"""Who may use the management API: off unless `remote-management.secret-key` is set, loopback
clients only unless `allow-remote`, and the secret in `Authorization: Bearer` or
`X-Management-Key` (compared in constant time). Refusals are JSON and say what to change."""

from __future__ import annotations

import hmac
from collections.abc import Callable

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.clients.keys import is_loopback
from gateway.config.models import RemoteManagement

__all__ = ["ManagementGuard"]


class ManagementGuard:
    """Pure ASGI: one check per request before the Starlette app sees it."""

    def __init__(self, app: ASGIApp, settings: Callable[[], RemoteManagement], *, secret: bool = True) -> None:
        self.app = app
        self.settings = settings
        # False for the admin page's files: the page asks for the secret itself.
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, code, message = refusal
        body = orjson.dumps({"error": {"message": message, "type": "invalid_request_error", "code": code}})
        headers = {"www-authenticate": "Bearer"} if status == 401 else None
        await Response(body, status, headers, media_type="application/json")(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        settings = self.settings()
        if settings.secret_key is None or not settings.secret_key.get_secret_value():
            return (
                404,
                "management_disabled",
                "The management API is off: set remote-management.secret-key in the config to turn it on.",
            )
        client = scope.get("client")
        if not settings.allow_remote and not (client and is_loopback(client[0])):
            return (
                403,
                "remote_management_disabled",
                "The management API answers loopback clients only; set remote-management.allow-remote: true "
                "to allow others.",
            )
        if not self.secret:
            if settings.disable_control_panel:
                return (
                    404,
                    "control_panel_disabled",
                    "The admin page is off: remote-management.disable-control-panel.",
                )
            return None
        presented = _presented(scope)
        if presented is None or not hmac.compare_digest(presented, settings.secret_key.get_secret_value().encode()):
            return (
                401,
                "invalid_management_key",
                "Missing or wrong management key: send 'Authorization: Bearer <remote-management.secret-key>' "
                "or 'X-Management-Key: <secret-key>'.",
            )
        return None


def _presented(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return token.strip()
        elif name == b"x-management-key" and value.strip():
            return value.strip()
    return None
