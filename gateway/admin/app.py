"""The management API: a Starlette app mounted at /v0/management, behind `ManagementGuard`.

The usage report, the catalog of provider types, providers with their models, chains and the
active and fallback model (`providers_api`), and the OpenAPI document. Every endpoint is listed
once in an `OPERATIONS` tuple, which the OpenAPI document is built from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.admin import schemas
from gateway.admin.console_api import OPERATIONS as CONSOLE_OPERATIONS
from gateway.admin.console_api import ConsoleApi, HealthSources
from gateway.admin.guard import ManagementGuard
from gateway.admin.openapi import Operation, Query, document
from gateway.admin.providers_api import OPERATIONS as PROVIDER_OPERATIONS
from gateway.admin.providers_api import ProvidersApi
from gateway.config.models import RemoteManagement
from gateway.config.provider_types import CATALOG
from gateway.runtime import Runtime
from gateway.store.ledger import Ledger
from gateway.store.managed import ManagedProviders
from gateway.store.report import parse_group_by, parse_when, render

__all__ = ["OPERATIONS", "UsageSource", "console_page", "management_app"]

STATIC = Path(__file__).parent / "static"

PREFIX = "/v0/management"
OPERATIONS = (
    Operation(
        "GET",
        "/usage",
        "Requests, tokens and cost from the usage ledger, grouped, with totals.",
        schemas.UsageReport,
        (
            Query("since", "Start (inclusive): 24h, 7d, 2026-12-01, an ISO datetime or epoch seconds."),
            Query("until", "End (exclusive), same forms; default now."),
            Query("group_by", "Some of key,model,provider,day, comma-separated; empty for totals only."),
            Query("format", "json (default) or csv.", ("json", "csv")),
        ),
        also_csv=True,
    ),
    Operation("GET", "/catalog", "The provider types the gateway can drive and what each needs.", schemas.Catalog),
    *PROVIDER_OPERATIONS,
    *CONSOLE_OPERATIONS,
)


class UsageSource(Protocol):
    """The ledger once it is open, with a way to write what is still pending first."""

    ledger: Ledger | None

    async def flush(self) -> None: ...


def management_app(
    *,
    settings: Callable[[], RemoteManagement],
    usage: UsageSource,
    clock: Callable[[], float],
    managed: ManagedProviders,
    runtime: Callable[[], Runtime],
    health: HealthSources,
) -> Starlette:
    async def usage_report(request: Request) -> Response:
        params = request.query_params
        fmt = params.get("format", "json")
        if fmt not in ("json", "csv"):
            return _error(400, f"format must be json or csv, not {fmt!r}.")
        now = clock()
        try:
            since = parse_when(params["since"], now) if params.get("since") else None
            until = parse_when(params["until"], now) if params.get("until") else None
            group_by = parse_group_by(params.get("group_by", ""))
        except ValueError as exc:
            return _error(400, str(exc))
        ledger = usage.ledger
        if ledger is None:
            return _error(503, "The usage ledger is not open yet (its database is unreachable); see the log.")
        await usage.flush()
        report = await asyncio.to_thread(ledger.report, since=since, until=until, group_by=group_by)
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
        return Response(render(report, fmt), media_type=media)

    catalog_body = schemas.Catalog(data=list(CATALOG)).model_dump_json().encode()
    openapi_body = orjson.dumps(document(OPERATIONS, prefix=PREFIX, version=_version(), error=schemas.ErrorBody))

    async def catalog(request: Request) -> Response:
        return Response(catalog_body, media_type="application/json")

    async def openapi(request: Request) -> Response:
        return Response(openapi_body, media_type="application/json")

    return Starlette(
        routes=[
            Route("/usage", usage_report, methods=["GET"]),
            Route("/catalog", catalog, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            *ProvidersApi(managed, runtime).routes(),
            *ConsoleApi(health).routes(),
        ],
        middleware=[Middleware(ManagementGuard, settings=settings)],
    )


def console_page(settings: Callable[[], RemoteManagement]) -> Starlette:
    """The admin page's files, mounted at /admin: served where the management API is (enabled,
    loopback unless allow-remote, not `disable-control-panel`); the page asks for the secret
    itself and sends it with every API call, so the files need none."""
    files = StaticFiles(directory=STATIC, html=True)
    return Starlette(
        routes=[Mount("/", app=files)],
        middleware=[Middleware(ManagementGuard, settings=settings, secret=False)],
    )


def _version() -> str:
    from gateway import __version__

    return __version__


def _error(status: int, message: str) -> Response:
    body = orjson.dumps({"error": {"message": message, "type": "invalid_request_error"}})
    return Response(body, status_code=status, media_type="application/json")
