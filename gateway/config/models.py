"""Pydantic models of config.yaml (CLIProxyAPI's format, kebab-case keys).

Every model is frozen and forbids unknown keys; the loader (`configfile.py`) strips and warns
about unknown keys before validation, so a typo never crashes the gateway but is never silent
either. Secrets are `SecretStr`, so a repr or a validation error cannot print them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from gateway.config.durations import parse_duration
from gateway.config.entries import (
    ApiKeyEntry,
    AzureModelEntry,
    AzureOpenAIEntry,
    Frozen,
    MockEntry,
    ModelCost,
    ModelEntry,
    OllamaEntry,
    OpenAICompatEntry,
    ProviderKeyEntry,
    TimeoutOverride,
    When,
)

__all__ = [
    "BudgetConfig",
    "ApiKeyEntry",
    "AzureModelEntry",
    "AzureOpenAIEntry",
    "ChainConfig",
    "CircuitBreakerConfig",
    "ClientKey",
    "CooldownConfig",
    "GatewayConfig",
    "HealthCheckConfig",
    "LimitsConfig",
    "LoggingConfig",
    "MetricsConfig",
    "MockEntry",
    "ModelCost",
    "ModelEntry",
    "OllamaEntry",
    "OpenAICompatEntry",
    "ProviderKeyEntry",
    "ReloadConfig",
    "RemoteManagement",
    "ShutdownConfig",
    "StateConfig",
    "StoreConfig",
    "RoutingConfig",
    "TimeoutConfig",
    "TimeoutOverride",
    "TracingConfig",
    "When",
]


class BudgetConfig(Frozen):
    """Spend allowed per calendar period (UTC), in USD."""

    usd: float = Field(gt=0)
    period: Literal["day", "month"] = "month"


class ClientKey(Frozen):
    """A key clients present on /v1/*; the object form adds a name for logs and usage, and
    limits: model globs it may use, requests and tokens per minute, concurrent requests and a
    budget."""

    api_key: SecretStr
    name: str | None = None
    # Glob patterns of model ids ("claude-prod/*", "gpt-4o*"); unset: every model.
    models: tuple[str, ...] | None = None
    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    max_concurrent: int | None = Field(default=None, ge=1)
    budget: BudgetConfig | None = None

    @field_validator("api_key")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        return value


class RoutingConfig(Frozen):
    # least-latency: the target with the lowest moving average time to first byte first.
    strategy: Literal["round-robin", "fill-first", "least-latency"] = "round-robin"
    # Requests of one conversation stay on one credential (prompt caches hit, thinking
    # signatures stay valid) while it can serve; see gateway/state/affinity.py.
    session_affinity: bool = False
    # How long a binding outlives the conversation's last request: seconds, or "90s", "30m", "1h".
    session_affinity_ttl: float = Field(default=3600.0, gt=0)

    @field_validator("session_affinity_ttl", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_duration(value)
        return value


class LoggingConfig(Frozen):
    # text for a terminal; json: one object per line, uvicorn's lines too.
    format: Literal["text", "json"] = "text"
    # `debug: true` (top level) lowers it to debug.
    level: Literal["debug", "info", "warning", "error"] = "info"
    # One line per finished request (the "gateway.access" logger, at info).
    access: bool = True


class StoreConfig(Frozen):
    """The database of the usage ledger and of the providers added through the management API:
    `sqlite:///path` (default: usage.db beside the config file) or `postgresql://user@host/db`
    when replicas share them."""

    url: str | None = None
    # Usage rows are written in batches off the request path, at least this often.
    flush_interval_seconds: float = Field(default=1.0, gt=0)
    # How often the providers stored through the management API are checked for changes made
    # by other replicas (changes made through this process apply at once).
    poll_interval_seconds: float = Field(default=2.0, gt=0)


class StateConfig(Frozen):
    """Where cooldowns, circuits, rate-limit counters and budget spend live: this process
    (default), or Redis when replicas and workers must agree."""

    redis_url: SecretStr | None = None
    key_prefix: str = "llm-gateway:"

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        # "" (an unset ${VAR:-}) means no Redis, like leaving the key out.
        if value is None or not value.get_secret_value():
            return None
        # Imported here: redis costs ~0.2 s of start-up, and most configs have no redis-url.
        from redis.connection import parse_url

        try:
            parse_url(value.get_secret_value())
        except ValueError:
            # redis-py's own message may quote the URL, password included.
            raise ValueError("must be a redis://[:password@]host:port/db, rediss://... or unix:///path URL") from None
        return value


class TracingConfig(Frozen):
    """Spans over OTLP/HTTP, e.g. http://127.0.0.1:4318/v1/traces (needs llm-gateway[tracing])."""

    otlp_endpoint: str | None = None
    service_name: str = "llm-gateway"


class MetricsConfig(Frozen):
    # GET /metrics (Prometheus text format, no client key needed).
    enabled: bool = True


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
    """Upstream timeouts in seconds; each entry may override any of them under `timeouts:`."""

    connect_seconds: float = Field(default=10.0, gt=0)
    # From sending the request to the response headers and, for streams, the first event.
    first_byte_seconds: float = Field(default=120.0, gt=0)
    # Longest silence between two reads of an answer (waiting for its headers included).
    idle_seconds: float = Field(default=120.0, gt=0)
    # The whole exchange, stream included.
    total_seconds: float = Field(default=900.0, gt=0)

    def merged(self, override: TimeoutOverride) -> TimeoutConfig:
        changes = {k: v for k, v in override.model_dump().items() if v is not None}
        return self.model_copy(update=changes) if changes else self


class CircuitBreakerConfig(Frozen):
    """After `failure-threshold` consecutive failures a target is skipped for `cool-off-seconds`,
    then one trial request decides whether it closes again."""

    failure_threshold: int = Field(default=5, ge=1)
    cool_off_seconds: float = Field(default=30.0, gt=0)


class HealthCheckConfig(Frozen):
    """Optional active probes of every target (a cheap model-list request)."""

    enabled: bool = False
    interval_seconds: float = Field(default=30.0, gt=0)
    timeout_seconds: float = Field(default=5.0, gt=0)
    # Slower than this (probe or real time to first byte, moving average): Degraded.
    degraded_threshold_ms: float = Field(default=5000.0, gt=0)


class ChainConfig(Frozen):
    """A model id clients may ask for, served by the first of `models` whose pool can."""

    name: str = Field(min_length=1)
    models: tuple[str, ...] = Field(min_length=1)


class ReloadConfig(Frozen):
    watch: bool = True
    interval_seconds: float = Field(default=1.0, gt=0)


class ShutdownConfig(Frozen):
    # On SIGTERM keep serving (with /readyz answering 503) this long so load balancers notice.
    delay_seconds: float = Field(default=0.0, ge=0)
    # Then stop accepting and give in-flight requests and streams this long to finish.
    drain_timeout_seconds: float = Field(default=30.0, gt=0)


class LimitsConfig(Frozen):
    """Bounds on what one peer may cost: a slow or hostile client, or a broken upstream."""

    # Open client connections; past this a new one is answered 503 and closed.
    max_connections: int = Field(default=2048, ge=1)
    # Time to receive a whole request head (request line and headers), from the connection's
    # start or a request's first byte: 408 and closed past it.
    head_timeout_seconds: float = Field(default=10.0, gt=0)
    # Size of a request head: 431 and closed past it, even while it is still arriving.
    max_head_bytes: int = Field(default=64 * 1024, ge=1024)
    # An idle keep-alive connection is closed after this long (read once, at start).
    keep_alive_seconds: float = Field(default=5.0, gt=0)

    # A whole (non-streamed) upstream answer, after decompression; larger ones are a 502.
    max_answer_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # One event of an upstream stream; a larger one ends the stream with an error event.
    max_event_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    # The longest pause between two chunks of a client's request body, and the whole body: 408.
    body_idle_seconds: float = Field(default=30.0, gt=0)
    body_timeout_seconds: float = Field(default=300.0, gt=0)


class RemoteManagement(Frozen):
    """The management API under /v0/management: on only when `secret-key` is set, and for
    loopback clients only unless `allow-remote`."""

    secret_key: SecretStr | None = None
    allow_remote: bool = False
    # The admin page at /admin/ is served wherever the management API is, unless this is set.
    disable_control_panel: bool = False
    # The model id that serves the active model set through the API (then its fallback).
    default_model_id: str = Field(default="default", min_length=1)


class GatewayConfig(Frozen):
    host: str = "127.0.0.1"
    port: int = Field(default=8317, ge=1, le=65535)
    api_keys: tuple[ClientKey, ...] = ()
    debug: bool = False
    force_model_prefix: bool = False
    request_retry: int = Field(default=3, ge=0, le=20)
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    routing: RoutingConfig = RoutingConfig()
    metrics: MetricsConfig = MetricsConfig()
    store: StoreConfig = StoreConfig()
    state: StateConfig = StateConfig()
    tracing: TracingConfig = TracingConfig()
    logging: LoggingConfig = LoggingConfig()
    cooldown: CooldownConfig = CooldownConfig()
    timeouts: TimeoutConfig = TimeoutConfig()
    circuit_breaker: CircuitBreakerConfig = CircuitBreakerConfig()
    health_check: HealthCheckConfig = HealthCheckConfig()
    reload: ReloadConfig = ReloadConfig()
    shutdown: ShutdownConfig = ShutdownConfig()
    limits: LimitsConfig = LimitsConfig()
    chains: tuple[ChainConfig, ...] = ()
    # Upstream model name patterns -> price (USD per 1M tokens), over the shipped catalog's.
    prices: dict[str, ModelCost] = {}
    remote_management: RemoteManagement = RemoteManagement()
    openai_compatibility: tuple[OpenAICompatEntry, ...] = ()
    claude_api_key: tuple[ProviderKeyEntry, ...] = ()
    gemini_api_key: tuple[ProviderKeyEntry, ...] = ()
    codex_api_key: tuple[ProviderKeyEntry, ...] = ()
    azure_openai: tuple[AzureOpenAIEntry, ...] = ()
    ollama: tuple[OllamaEntry, ...] = ()
    mock: tuple[MockEntry, ...] = ()

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
        names = [key.name for key in self.api_keys if key.name]
        if len(names) != len(set(names)):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(
                f"api-keys: the name(s) {', '.join(twice)} are given to more than one key; names must be unique"
            )
        seen: set[str] = set()
        for block, entries in (
            ("openai-compatibility", self.openai_compatibility),
            ("azure-openai", self.azure_openai),
            ("ollama", self.ollama),
            ("mock", self.mock),
        ):
            for entry in entries:
                if entry.name in seen:
                    raise ValueError(
                        f"{block}: two entries are named {entry.name!r}; names must be unique "
                        "across openai-compatibility, azure-openai, ollama and mock"
                    )
                seen.add(entry.name)
        return self
