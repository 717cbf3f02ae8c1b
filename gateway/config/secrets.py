"""Every secret a config holds, for the redactor: upstream keys, client keys, the management
key, and the values of entry headers whose names say they carry credentials."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.config.models import GatewayConfig
from gateway.store.database import url_secrets

__all__ = ["config_secrets", "is_secret_header"]

# Header names (lower case) whose values are credentials; a name containing one of these.
SECRET_HEADER_PARTS = ("authorization", "key", "token", "secret", "auth", "cookie", "password", "signature")


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_HEADER_PARTS)


def config_secrets(config: GatewayConfig) -> Iterator[str]:
    for client in config.api_keys:
        yield client.api_key.get_secret_value()
    if config.remote_management.secret_key is not None:
        yield config.remote_management.secret_key.get_secret_value()
    if config.state.redis_url is not None:
        yield from url_secrets(config.state.redis_url.get_secret_value())
    if config.store.url is not None:
        yield from url_secrets(config.store.url)
    for block in (config.openai_compatibility, config.azure_openai):
        for entry in block:
            yield from (k.api_key.get_secret_value() for k in entry.api_key_entries)
            yield from _header_secrets(entry.headers)
    for native in (config.claude_api_key, config.gemini_api_key, config.codex_api_key):
        for item in native:
            yield item.api_key.get_secret_value()
            yield from _header_secrets(item.headers)
    for other in (*config.ollama, *config.mock):
        yield from _header_secrets(other.headers)


def _header_secrets(headers: tuple[tuple[str, str], ...]) -> Iterator[str]:
    for name, value in headers:
        if is_secret_header(name):
            yield value
            # "Bearer <token>": the token alone is the secret too.
            scheme, _, token = value.partition(" ")
            if token and scheme.isalpha():
                yield token
