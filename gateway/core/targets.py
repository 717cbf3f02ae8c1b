"""The values every stage shares: where a request may go (provider, credential, target).

They are built from the config by the catalog (routing) and read by the upstream adapters, the
state books and the observers, so they sit below all of them. Frozen: a reload builds new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.config.models import ModelCost, TimeoutConfig, When

__all__ = ["Credential", "Provider", "Target"]


@dataclass(frozen=True, slots=True)
class Provider:
    """One config entry: where to send, in which dialect, with which headers and timeouts.

    `transport` is "http" for every real upstream and "mock" for the built-in mock provider.
    """

    name: str
    dialect: str
    base_url: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)  # may carry secrets
    id: str = ""
    timeouts: TimeoutConfig = field(default_factory=TimeoutConfig)
    api_version: str | None = None
    transport: str = "http"
    # Slower than this (ms, moving average) is degraded; None: health-check.degraded-threshold-ms.
    degraded_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Credential:
    """One key of a provider; `label` is a stable, non-secret name for logs and metrics."""

    provider: Provider
    api_key: str = field(repr=False)
    id: str = ""
    priority: int = 0
    label: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    credential: Credential
    upstream_model: str
    priority: int = 0
    # The model's configured price; None: looked up in the price book by upstream model.
    price: ModelCost | None = None
    # Fields merged into the upstream body (entry's and model's `advanced-json`); None: none.
    extra: Mapping[str, Any] | None = field(default=None, compare=False)
    # The requests this target takes (`when:`); None: any.
    when: When | None = None
