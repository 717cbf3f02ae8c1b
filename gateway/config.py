"""Pydantic models of config.yaml (CLIProxyAPI's format, kebab-case keys).

Every model is frozen and forbids unknown keys; the loader (`configfile.py`) strips and warns
about unknown keys before validation, so a typo never crashes the gateway but is never silent
either. Secrets are `SecretStr`, so a repr or a validation error cannot print them.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "ApiKeyEntry",
    "AzureModelEntry",
    "AzureOpenAIEntry",
    "ClientKey",
    "CooldownConfig",
    "GatewayConfig",
    "ModelEntry",
    "OllamaEntry",
    "OpenAICompatEntry",
    "ProviderKeyEntry",
    "RemoteManagement",
    "RoutingConfig",
    "TimeoutConfig",
]


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=_kebab, populate_by_name=True)


def _headers(value: Any) -> Any:
    """Headers are written as a mapping but stored as a tuple of pairs (immutable)."""
    if isinstance(value, dict):
        return tuple((str(k), str(v)) for k, v in value.items())
    return value


def _base_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


def _prefix(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip("/")
    if not value or "/" in value:
        raise ValueError("must be one path segment without '/', like 'prod'")
    return value


class ModelEntry(Frozen):
    """`name` is what the upstream receives; `alias` is an extra id clients may use."""

    name: str = Field(min_length=1)
    alias: str | None = Field(default=None, min_length=1)


class AzureModelEntry(ModelEntry):
    """`deployment` is the Azure deployment serving `name` (defaults to `name`)."""

    deployment: str | None = Field(default=None, min_length=1)


class ClientKey(Frozen):
    """A key clients present on /v1/*; the object form adds a name for logs and usage."""

    api_key: SecretStr
    name: str | None = None

    @field_validator("api_key")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        return value


class ApiKeyEntry(Frozen):
    api_key: SecretStr


class OpenAICompatEntry(Frozen):
    """An OpenAI-compatible upstream (OpenAI, OpenRouter, Groq, vLLM, Ollama's /v1, ...)."""

    name: str = Field(min_length=1)
    prefix: str | None = None
    base_url: str
    headers: tuple[tuple[str, str], ...] = ()
    api_key_entries: tuple[ApiKeyEntry, ...] = ()
    models: tuple[ModelEntry, ...] | None = None
    excluded_models: tuple[str, ...] = ()
    disabled: bool = False

    _h = field_validator("headers", mode="before")(_headers)
    _b = field_validator("base_url")(_base_url)
    _p = field_validator("prefix")(_prefix)


class ProviderKeyEntry(Frozen):
    """One key of a native-dialect provider (`claude-api-key`, `gemini-api-key`, `codex-api-key`)."""

    api_key: SecretStr
    prefix: str | None = None
    base_url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    models: tuple[ModelEntry, ...] | None = None
    excluded_models: tuple[str, ...] = ()

    _h = field_validator("headers", mode="before")(_headers)
    _b = field_validator("base_url")(_base_url)
    _p = field_validator("prefix")(_prefix)


class AzureOpenAIEntry(Frozen):
    """An Azure OpenAI resource: deployment URLs, `api-key` header, a pinned api-version."""

    name: str = Field(min_length=1)
    prefix: str | None = None
    base_url: str
    api_version: str = "2024-10-21"
    headers: tuple[tuple[str, str], ...] = ()
    api_key_entries: tuple[ApiKeyEntry, ...] = Field(min_length=1)
    models: tuple[AzureModelEntry, ...] = Field(min_length=1)
    excluded_models: tuple[str, ...] = ()
    disabled: bool = False

    _h = field_validator("headers", mode="before")(_headers)
    _b = field_validator("base_url")(_base_url)
    _p = field_validator("prefix")(_prefix)

    @field_validator("api_version", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 2024-10-21 as a date; Azure wants the text.
        return value.isoformat() if isinstance(value, date) else value


class OllamaEntry(Frozen):
    """A local Ollama server; without `models`, its models are read from /api/tags."""

    name: str = Field(default="ollama", min_length=1)
    prefix: str | None = None
    base_url: str = "http://127.0.0.1:11434"
    headers: tuple[tuple[str, str], ...] = ()
    models: tuple[ModelEntry, ...] | None = None
    excluded_models: tuple[str, ...] = ()
    refresh_seconds: float = Field(default=60.0, gt=0)
    disabled: bool = False

    _h = field_validator("headers", mode="before")(_headers)
    _b = field_validator("base_url")(_base_url)
    _p = field_validator("prefix")(_prefix)


class RoutingConfig(Frozen):
    strategy: Literal["round-robin", "fill-first"] = "round-robin"


class CooldownConfig(Frozen):
    """How long a credential is set aside; all values in seconds."""

    # A provider's Retry-After is honoured up to this ceiling, so a wrong hint cannot lock a
    # key out for days.
    max_retry_after_seconds: float = Field(default=3600.0, gt=0)
    # Without a hint: 1 s, doubling on each consecutive 429, capped here.
    backoff_max_seconds: float = Field(default=60.0, gt=0)
    # 401/403: the key is probably revoked; check again after this long.
    auth_failure_seconds: float = Field(default=1800.0, gt=0)


class TimeoutConfig(Frozen):
    connect_seconds: float = Field(default=10.0, gt=0)
    # Longest silence while waiting for response headers or between two stream chunks.
    read_seconds: float = Field(default=300.0, gt=0)


class RemoteManagement(Frozen):
    """Parsed for compatibility; the management API comes in a later release."""

    secret_key: SecretStr | None = None
    allow_remote: bool = False
    disable_control_panel: bool = True


class GatewayConfig(Frozen):
    host: str = "127.0.0.1"
    port: int = Field(default=8317, ge=1, le=65535)
    api_keys: tuple[ClientKey, ...] = ()
    debug: bool = False
    force_model_prefix: bool = False
    request_retry: int = Field(default=3, ge=0, le=20)
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    routing: RoutingConfig = RoutingConfig()
    cooldown: CooldownConfig = CooldownConfig()
    timeouts: TimeoutConfig = TimeoutConfig()
    remote_management: RemoteManagement = RemoteManagement()
    openai_compatibility: tuple[OpenAICompatEntry, ...] = ()
    claude_api_key: tuple[ProviderKeyEntry, ...] = ()
    gemini_api_key: tuple[ProviderKeyEntry, ...] = ()
    codex_api_key: tuple[ProviderKeyEntry, ...] = ()
    azure_openai: tuple[AzureOpenAIEntry, ...] = ()
    ollama: tuple[OllamaEntry, ...] = ()

    @field_validator("api_keys", mode="before")
    @classmethod
    def _plain_keys(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple({"api-key": item} if isinstance(item, str) else item for item in value)
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        # CLIProxyAPI writes "" for "every interface".
        return value or "0.0.0.0"

    @model_validator(mode="after")
    def _unique_names(self) -> GatewayConfig:
        seen: set[str] = set()
        for block, entries in (("openai-compatibility", self.openai_compatibility),
                               ("azure-openai", self.azure_openai), ("ollama", self.ollama)):
            for entry in entries:
                if entry.name in seen:
                    raise ValueError(f"{block}: two entries are named {entry.name!r}; names must be unique "
                                     "across openai-compatibility, azure-openai and ollama")
                seen.add(entry.name)
        return self
