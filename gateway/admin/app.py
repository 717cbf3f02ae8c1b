"""The management API: a Starlette app mounted at /v0/management, behind `ManagementGuard`.

Today it serves the usage report; providers, keys and models at run time build on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.admin.guard import ManagementGuard
from gateway.config.models import RemoteManagement
from gateway.store.ledger import Ledger
from gateway.store.report import parse_group_by, parse_when, render

__all__ = ["UsageSource", "management_app"]

PREFIX = "/v0/management"


class UsageSource(Protocol):
    """The ledger once it is open, with a way to write what is still pending first."""

    ledger: Ledger | None

    async def flush(self) -> None: ...


def management_app(
    *, settings: Callable[[], RemoteManagement], usage: UsageSource, clock: Callable[[], float]
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

    return Starlette(
        routes=[Route("/usage", usage_report, methods=["GET"])],
        middleware=[Middleware(ManagementGuard, settings=settings)],
    )


def _error(status: int, message: str) -> Response:
    body = orjson.dumps({"error": {"message": message, "type": "invalid_request_error"}})
    return Response(body, status_code=status, media_type="application/json")
