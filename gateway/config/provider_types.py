"""The provider types the gateway can drive (`GET /v0/management/catalog`): what an operator
picks from when adding a provider, and what each needs.

`dialect` is the upstream wire format the gateway speaks to it; `config_block` the config.yaml
block an entry of this type is written as. Known models are a starting list, not a limit: any
model the provider serves may be added.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["CATALOG", "TYPES", "ProviderType"]


class ProviderType(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    auth_type: Literal["api_key", "none", "oauth"]
    dialect: Literal["openai", "anthropic", "gemini", "responses", "azure"]
    config_block: str
    default_base_url: str | None
    base_url_editable: bool
    required_fields: tuple[str, ...]
    known_models: tuple[str, ...]
    supports_streaming: bool = True


def _compatible(key: str, name: str, base_url: str, models: tuple[str, ...]) -> ProviderType:
    """An OpenAI-compatible service with a fixed base URL."""
    return ProviderType(
        key=key,
        name=name,
        auth_type="api_key",
        dialect="openai",
        config_block="openai-compatibility",
        default_base_url=base_url,
        base_url_editable=True,
        required_fields=("name", "api_key"),
        known_models=models,
    )


CATALOG: tuple[ProviderType, ...] = (
    ProviderType(
        key="openai",
        name="OpenAI",
        auth_type="api_key",
        dialect="openai",
        config_block="openai-compatibility",
        default_base_url="https://api.openai.com/v1",
        base_url_editable=True,
        required_fields=("name", "api_key"),
        known_models=("gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini"),
    ),
    ProviderType(
        key="openai-responses",
        name="OpenAI (Responses API)",
        auth_type="api_key",
        dialect="responses",
        config_block="codex-api-key",
        default_base_url="https://api.openai.com/v1",
        base_url_editable=True,
        required_fields=("api_key",),
        known_models=("gpt-5", "gpt-5-codex", "gpt-5-mini", "o3", "o4-mini"),
    ),
    ProviderType(
        key="anthropic",
        name="Anthropic",
        auth_type="api_key",
        dialect="anthropic",
        config_block="claude-api-key",
        default_base_url="https://api.anthropic.com",
        base_url_editable=True,
        required_fields=("api_key",),
        known_models=("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"),
    ),
    ProviderType(
        key="gemini",
        name="Google Gemini",
        auth_type="api_key",
        dialect="gemini",
        config_block="gemini-api-key",
        default_base_url="https://generativelanguage.googleapis.com",
        base_url_editable=True,
        required_fields=("api_key",),
        known_models=("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-embedding-001"),
    ),
    ProviderType(
        key="azure-openai",
        name="Azure OpenAI",
        auth_type="api_key",
        dialect="azure",
        config_block="azure-openai",
        default_base_url=None,
        base_url_editable=True,
        required_fields=("name", "base_url", "api_key", "models"),
        known_models=(),
    ),
    ProviderType(
        key="ollama",
        name="Ollama",
        auth_type="none",
        dialect="openai",
        config_block="ollama",
        default_base_url="http://127.0.0.1:11434",
        base_url_editable=True,
        required_fields=("name",),
        known_models=(),
    ),
    _compatible(
        "openrouter", "OpenRouter", "https://openrouter.ai/api/v1", ("openai/gpt-4o", "anthropic/claude-sonnet-4.5")
    ),
    _compatible("groq", "Groq", "https://api.groq.com/openai/v1", ("llama-3.3-70b-versatile", "llama-3.1-8b-instant")),
    _compatible("deepseek", "DeepSeek", "https://api.deepseek.com/v1", ("deepseek-chat", "deepseek-reasoner")),
    _compatible(
        "mistral",
        "Mistral",
        "https://api.mistral.ai/v1",
        ("mistral-large-latest", "mistral-small-latest", "codestral-latest"),
    ),
    _compatible("together", "Together AI", "https://api.together.xyz/v1", ("meta-llama/Llama-3.3-70B-Instruct-Turbo",)),
    _compatible(
        "fireworks",
        "Fireworks AI",
        "https://api.fireworks.ai/inference/v1",
        ("accounts/fireworks/models/llama-v3p1-70b-instruct",),
    ),
    _compatible("xai", "xAI", "https://api.x.ai/v1", ("grok-4", "grok-3-mini")),
    _compatible("cerebras", "Cerebras", "https://api.cerebras.ai/v1", ("llama-3.3-70b",)),
    _compatible("perplexity", "Perplexity", "https://api.perplexity.ai", ("sonar", "sonar-pro")),
    ProviderType(
        key="openai-compatible",
        name="Any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, ...)",
        auth_type="api_key",
        dialect="openai",
        config_block="openai-compatibility",
        default_base_url=None,
        base_url_editable=True,
        required_fields=("name", "base_url"),
        known_models=(),
    ),
)

TYPES: dict[str, ProviderType] = {t.key: t for t in CATALOG}
