"""Pydantic models of config.yaml's provider entries (CLIProxyAPI's kebab-case keys).

Every model is frozen and forbids unknown keys; the loader strips and warns about unknown keys
before validation. Secrets are `SecretStr`, so a repr or a validation error cannot print them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "ApiKeyEntry",
    "AzureModelEntry",
    "AzureOpenAIEntry",
    "Frozen",
    "MockEntry",
    "ModelCost",
    "ModelEntry",
    "OllamaEntry",
    "OpenAICompatEntry",
    "ProviderKeyEntry",
    "TimeoutOverride",
    "When",
]


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=_kebab, populate_by_name=True)


class TimeoutOverride(Frozen):
    """Per-entry timeouts, in seconds; an unset one inherits the global `timeouts`."""

    connect_seconds: float | None = Field(default=None, gt=0)
    first_byte_seconds: float | None = Field(default=None, gt=0)
    idle_seconds: float | None = Field(default=None, gt=0)
    total_seconds: float | None = Field(default=None, gt=0)


class ModelCost(Frozen):
    """Prices in USD per 1M tokens; unset cache prices bill those tokens as input."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float | None = Field(default=None, ge=0)
    cache_write: float | None = Field(default=None, ge=0)


class When(Frozen):
    """Which requests a model takes; every condition given must hold (unset: any request).

    A target whose model does not take a request is skipped for it, as if it were not in the
    pool, so a pool may hold, say, a vision model for requests with images only.
    """

    stream: bool | None = None
    # The request offers tools (`tools` in any dialect).
    tools: bool | None = None
    # The request carries an image (OpenAI image_url, Anthropic image, Responses input_image,
    # Gemini inline or file data).
    images: bool | None = None
    # The client key's name is one of these.
    client_keys: tuple[str, ...] | None = None
    # The client's dialect is one of these: openai, anthropic, gemini, responses.
    dialects: tuple[str, ...] | None = None
    # The request body's size in bytes (a measure of prompt length that costs nothing to read).
    min_request_bytes: int | None = Field(default=None, ge=0)
    max_request_bytes: int | None = Field(default=None, ge=0)


class ModelEntry(Frozen):
    """`name` is what the upstream receives; `alias` is an extra id clients may use.

    `priority`: higher is tried first. `fallbacks`: model ids that serve this id's requests
    when its own pool is exhausted, in order. The price is `cost` (USD per 1M tokens) or the
    `cost-per-1k-*` spelling, times `multiplier`; without either, the shipped catalog's.
    """

    name: str = Field(min_length=1)
    alias: str | None = Field(default=None, min_length=1)
    priority: int = 0
    fallbacks: tuple[str, ...] = ()
    cost: ModelCost | None = None
    cost_per_1k_input: float | None = Field(default=None, ge=0)
    cost_per_1k_output: float | None = Field(default=None, ge=0)
    cost_per_1k_cache_read: float | None = Field(default=None, ge=0)
    cost_per_1k_cache_write: float | None = Field(default=None, ge=0)
    multiplier: float = Field(default=1.0, ge=0)
    # Merged into the upstream request body (over the entry's own `advanced-json`, key by key).
    advanced_json: dict[str, Any] = {}
    when: When | None = None
    # Labels for operators (listings, the admin page); routing does not read them.
    tags: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_price_spelling(self) -> ModelEntry:
        per_1k = (self.cost_per_1k_input, self.cost_per_1k_output)
        if self.cost is not None and any(v is not None for v in per_1k):
            raise ValueError("give the price as cost: {input, output, ...} or as cost-per-1k-*, not both")
        if (per_1k[0] is None) != (per_1k[1] is None):
            raise ValueError("cost-per-1k-input and cost-per-1k-output go together")
        return self

    def price(self) -> ModelCost | None:
        """The configured price per 1M tokens, multiplier applied; None when none is set."""
        if self.cost is not None:
            base = self.cost
        elif self.cost_per_1k_input is not None and self.cost_per_1k_output is not None:
            base = ModelCost(
                input=self.cost_per_1k_input * 1000,
                output=self.cost_per_1k_output * 1000,
                cache_read=None if self.cost_per_1k_cache_read is None else self.cost_per_1k_cache_read * 1000,
                cache_write=None if self.cost_per_1k_cache_write is None else self.cost_per_1k_cache_write * 1000,
            )
        else:
            return None
        if self.multiplier == 1.0:
            return base
        m = self.multiplier
        return ModelCost(
            input=base.input * m,
            output=base.output * m,
            cache_read=None if base.cache_read is None else base.cache_read * m,
            cache_write=None if base.cache_write is None else base.cache_write * m,
        )


class AzureModelEntry(ModelEntry):
    """`deployment` is the Azure deployment serving `name` (defaults to `name`)."""

    deployment: str | None = Field(default=None, min_length=1)


class ApiKeyEntry(Frozen):
    api_key: SecretStr
    priority: int = 0


class _Entry(Frozen):
    """What every provider entry has: routing prefix, extra headers, exclusions, timeouts."""

    prefix: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    excluded_models: tuple[str, ...] = ()
    timeouts: TimeoutOverride = TimeoutOverride()
    # Fields merged into every upstream request body of this entry (objects merged key by key,
    # anything else replaced): provider options such as `{"reasoning_effort": "low"}`.
    advanced_json: dict[str, Any] = {}
    # Slower than this (moving average) marks the entry's targets degraded; default:
    # health-check.degraded-threshold-ms.
    degraded_threshold_ms: float | None = Field(default=None, gt=0)

    @field_validator("headers", mode="before")
    @classmethod
    def _headers(cls, value: Any) -> Any:
        # Written as a mapping, stored as a tuple of pairs (immutable).
        if isinstance(value, dict):
            return tuple((str(k), str(v)) for k, v in value.items())
        return value

    @field_validator("base_url", mode="after", check_fields=False)
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        if "@" in value.split("/", 3)[2]:
            raise ValueError("must not carry user:password@; put the credential in api-key or headers")
        return value.rstrip("/")

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.strip("/")
        if not value or "/" in value:
            raise ValueError("must be one path segment without '/', like 'prod'")
        return value


class OpenAICompatEntry(_Entry):
    """An OpenAI-compatible upstream (OpenAI, OpenRouter, Groq, vLLM, llama.cpp, ...)."""

    name: str = Field(min_length=1)
    base_url: str
    api_key_entries: tuple[ApiKeyEntry, ...] = ()
    models: tuple[ModelEntry, ...] | None = None
    disabled: bool = False


class ProviderKeyEntry(_Entry):
    """One key of a native-dialect provider (`claude-api-key`, `gemini-api-key`, `codex-api-key`)."""

    api_key: SecretStr
    # Shown in logs and metrics; default `<block>[<index>]`.
    name: str | None = Field(default=None, min_length=1)
    base_url: str | None = None
    models: tuple[ModelEntry, ...] | None = None
    priority: int = 0


class AzureOpenAIEntry(_Entry):
    """An Azure OpenAI resource: deployment URLs, `api-key` header, a pinned api-version."""

    name: str = Field(min_length=1)
    base_url: str
    api_version: str = "2024-10-21"
    api_key_entries: tuple[ApiKeyEntry, ...] = Field(min_length=1)
    models: tuple[AzureModelEntry, ...] = Field(min_length=1)
    disabled: bool = False

    @field_validator("api_version", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 2024-10-21 as a date; Azure wants the text.
        return value.isoformat() if isinstance(value, date) else value


class OllamaEntry(_Entry):
    """A local Ollama server; without `models`, its models are read from /api/tags."""

    name: str = Field(default="ollama", min_length=1)
    base_url: str = "http://127.0.0.1:11434"
    models: tuple[ModelEntry, ...] | None = None
    refresh_seconds: float = Field(default=60.0, gt=0)
    disabled: bool = False


class MockEntry(_Entry):
    """The built-in mock provider: answers in-process, no network, no key.

    Deterministic text (or `reply`), a call of the first offered tool when tools are sent,
    streams with `chunk-delay-ms` between chunks, usage counts, and every `fail-every`-th
    request answered with `fail-status` (with `retry-after-seconds` on a 429), for trying
    clients, failover and dashboards without a cloud key.
    """

    name: str = Field(default="mock", min_length=1)
    models: tuple[ModelEntry, ...] = (ModelEntry(name="mock-1"),)
    chunk_delay_ms: float = Field(default=20.0, ge=0, le=60_000)
    reply: str | None = None
    fail_every: int = Field(default=0, ge=0)
    fail_status: int = Field(default=503, ge=400, le=599)
    retry_after_seconds: float | None = Field(default=None, ge=0, le=86_400)
    disabled: bool = False
