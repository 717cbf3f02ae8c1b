"""The management API's answers as pydantic models: what the OpenAPI document describes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gateway.config.provider_types import ProviderType

__all__ = ["Catalog", "ErrorBody", "ErrorDetail", "UsageReport", "UsageRow", "UsageTotals"]


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
