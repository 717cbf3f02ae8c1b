"""The management API's answers as pydantic models: what the OpenAPI document describes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.config.entries import When
from gateway.config.provider_types import ProviderType


class ErrorDetail(BaseModel):
    message: str
    type: str
    code: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class UsageTotals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    # None when no request in the group had a known price.
    cost_usd: float | None


class UsageRow(UsageTotals):
    """One group: only the columns asked for in `group_by` are present."""

    key: str | None = None
    model: str | None = None
    provider: str | None = None
    day: str | None = None


class UsageReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[UsageRow]
    totals: UsageTotals


class Catalog(BaseModel):
    data: list[ProviderType]


# --- providers, models, chains, settings ---------------------------------------------------

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# RFC 9110 field names (tokens), and values without control characters (no CR, LF or NUL).
HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$"
HEADER_VALUE = r"^[^\x00-\x08\x0a-\x1f\x7f]{0,4096}$"


class Body(BaseModel):
    """A request body: unknown fields are an error naming them, never ignored."""

    model_config = ConfigDict(extra="forbid")


class Costs(Body):
    multiplier: float | None = Field(default=None, ge=0, le=1000)
    cost_per_1k_input: float | None = Field(default=None, ge=0, le=1e6)
    cost_per_1k_output: float | None = Field(default=None, ge=0, le=1e6)
    cost_per_1k_cache_read: float | None = Field(default=None, ge=0, le=1e6)
    cost_per_1k_cache_write: float | None = Field(default=None, ge=0, le=1e6)


class ModelPatch(Costs):
    model: str | None = Field(default=None, min_length=1, max_length=256)
    alias: str | None = Field(default=None, min_length=1, max_length=256)
    priority: int | None = Field(default=None, ge=-1000, le=1000)
    is_default: bool | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(default=None, max_length=32)
    when: When | None = None
    advanced_json: dict[str, Any] | None = None


class ModelIn(ModelPatch):
    model: str = Field(min_length=1, max_length=256)


class ProviderPatch(Body):
    name: str | None = Field(default=None, pattern=NAME_PATTERN)
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s@]+$", max_length=2048)
    # Write-only; empty or absent keeps the stored key.
    api_key: str | None = Field(default=None, max_length=4096)
    headers: dict[Annotated[str, Field(pattern=HEADER_NAME)], Annotated[str, Field(pattern=HEADER_VALUE)]] | None = None
    openai_api_mode: Literal["auto", "responses", "chat_completions"] | None = None
    advanced_json: dict[str, Any] | None = None
    degraded_threshold_ms: float | None = Field(default=None, gt=0, le=600_000)
    enabled: bool | None = None


class ProviderIn(ProviderPatch):
    """Seed 003's `{name, base_url, api_key, models}` alone makes an OpenAI-compatible provider."""

    provider_type: str = "openai-compatible"
    name: str = Field(pattern=NAME_PATTERN)
    models: list[Annotated[str, Field(min_length=1, max_length=256)] | ModelIn] = Field(
        default_factory=list, max_length=500
    )


class TestStatus(BaseModel):
    status: Literal["untested", "connected", "error"]
    latency_ms: float | None = None
    message: str | None = None
    tested_at: float | None = None


class ModelOut(BaseModel):
    id: str
    # What clients send as `model`: provider/model (provider^model works too).
    model_id: str
    model: str
    alias: str | None
    priority: int
    is_default: bool
    tags: list[str]
    when: dict[str, Any] | None
    advanced_json: dict[str, Any]
    multiplier: float
    cost_per_1k_input: float | None
    cost_per_1k_output: float | None
    cost_per_1k_cache_read: float | None
    cost_per_1k_cache_write: float | None
    active: bool
    fallback: bool
    test: TestStatus


class ProviderOut(BaseModel):
    id: str
    # "store": made through this API; "config": from config.yaml, read-only here.
    source: Literal["store", "config"]
    read_only: bool
    provider_type: str
    name: str
    base_url: str | None
    # "****" and the key's last four characters; the key itself is never returned.
    api_key_masked: str | None
    headers: dict[str, str]
    openai_api_mode: str
    advanced_json: dict[str, Any]
    degraded_threshold_ms: float
    enabled: bool
    deleted: bool
    created_at: float | None
    updated_at: float | None
    deleted_at: float | None
    models: list[ModelOut]


class ProviderList(BaseModel):
    data: list[ProviderOut]


class ModelList(BaseModel):
    data: list[ModelOut]


class ChainPatch(Body):
    name: str | None = Field(default=None, pattern=NAME_PATTERN)
    models: list[Annotated[str, Field(min_length=1, max_length=512)]] | None = Field(
        default=None, min_length=1, max_length=32
    )


class ChainIn(ChainPatch):
    name: str = Field(pattern=NAME_PATTERN)
    models: list[Annotated[str, Field(min_length=1, max_length=512)]] = Field(min_length=1, max_length=32)


class ChainOut(BaseModel):
    id: str
    source: Literal["store", "config"]
    name: str
    models: list[str]


class ChainList(BaseModel):
    data: list[ChainOut]


class ModelSettingIn(Body):
    model: str = Field(min_length=1, max_length=512)


class ModelSetting(BaseModel):
    # The model id clients ask for to get the active model (then the fallback).
    model_id: str
    model: str | None


class AvailableModel(BaseModel):
    id: str
    name: str | None = None
    # Ollama's details, when the upstream is an Ollama server.
    parameter_size: str | None = None
    quantization: str | None = None
    size_bytes: int | None = None


class AvailableModels(BaseModel):
    data: list[AvailableModel]


class Deleted(BaseModel):
    id: str
    deleted: bool = True


class TargetHealth(BaseModel):
    provider: str
    credential: str
    upstream_model: str
    # The client model ids this target serves.
    model_ids: list[str]
    state: Literal["healthy", "degraded", "down", "cooling", "circuit_open"]
    cooling_for_seconds: float
    latency_ms: float | None
    consecutive_failures: int
    last_error: str | None
    last_error_at: float | None


class Health(BaseModel):
    data: list[TargetHealth]


class OllamaServer(Body):
    base_url: str = Field(pattern=r"^https?://[^\s@]+$", max_length=2048)


class OllamaPull(OllamaServer):
    model: str = Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
