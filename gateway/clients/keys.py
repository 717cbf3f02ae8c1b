"""Client keys for /v1/*: where a client may put its key, and a constant-time check.

Accepted, first found wins: `Authorization: Bearer <key>`, `x-api-key` (Anthropic SDKs),
`x-goog-api-key` (Gemini SDKs), and the `key` query parameter (Gemini REST). Every configured
key is compared on every check, so timing reveals neither which key nor how much matched.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import parse_qsl

from gateway.clients.policies import KeyPolicy, policy_of
from gateway.config.models import GatewayConfig
from gateway.core.asgi import Scope
from gateway.core.errors import ClientError

__all__ = ["ClientKeys", "exposure_problem", "presented_key"]


def presented_key(scope: Scope) -> bytes | None:
    bearer = api_key = goog = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer":
                bearer = token.strip()
        elif name == b"x-api-key":
            api_key = value.strip()
        elif name == b"x-goog-api-key":
            goog = value.strip()
    key = bearer or api_key or goog
    if key:
        return key
    query = scope.get("query_string", b"")
    if b"key=" in query:
        # Latin-1 both ways keeps the percent-decoded bytes as they were, valid UTF-8 or not.
        for name, value in parse_qsl(query.decode("latin-1"), encoding="latin-1"):
            if name == "key" and value:
                return value.encode("latin-1")
    return None


class ClientKeys:
    __slots__ = ("_keys", "_names", "policies")

    def __init__(self, config: GatewayConfig) -> None:
        self._keys = tuple(k.api_key.get_secret_value().encode() for k in config.api_keys)
        self._names = tuple(k.name or f"api-keys[{i}]" for i, k in enumerate(config.api_keys))
        # Key name -> its models and limits, for keys that have any.
        self.policies: dict[str, KeyPolicy] = {}
        for key, name in zip(config.api_keys, self._names, strict=True):
            policy = policy_of(key, name)
            if policy is not None:
                self.policies[name] = policy

    def policy(self, name: str | None) -> KeyPolicy | None:
        """The models and limits of the key named `name`, when it has any."""
        return self.policies.get(name) if self.policies and name is not None else None

    @property
    def open(self) -> bool:
        """No keys configured: every request is let in (allowed on loopback only)."""
        return not self._keys

    def check(self, scope: Scope) -> str:
        """The name of the client key presented; raises 401 when it is missing or wrong."""
        if not self._keys:
            return "anonymous"
        presented = presented_key(scope)
        if presented is None:
            raise ClientError(
                401,
                "Missing API key: send 'Authorization: Bearer <key>' with a key from the gateway's api-keys.",
                code="invalid_api_key",
                type="invalid_request_error",
            )
        matched = -1
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(presented, key) and matched < 0:
                matched = index
        if matched < 0:
            raise ClientError(
                401,
                "Incorrect API key: the key presented is not one of the gateway's api-keys.",
                code="invalid_api_key",
                type="invalid_request_error",
            )
        return self._names[matched]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_problem(config: GatewayConfig, host: str) -> str | None:
    """Why the server must not start on `host`, or None."""
    if config.api_keys or is_loopback(host):
        return None
    return (
        f"api-keys is empty but the server would listen on {host}: anyone who can reach it could use "
        "the upstream credentials. Add a client key to api-keys, or bind to 127.0.0.1."
    )
