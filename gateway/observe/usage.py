"""The usage ledger's side of a finished request: one `UsageRow` per proxied request.

Requests that never reached a model endpoint (health checks, /metrics, model lists) and those
whose client key was refused are not usage and are not recorded. A stream cut short, or
abandoned by its client, is recorded with the tokens known when it ended.
"""

from __future__ import annotations

from gateway.observe.exchange import Exchange
from gateway.store.ledger import LedgerWriter, UsageRow

__all__ = ["UsageRecorder", "usage_row"]

# Endpoints without a client codec (see gateway.inbound.front_door._endpoint): not usage.
UNMETERED = frozenset({"models", "healthz", "readyz", "metrics", "unknown"})


def usage_row(exchange: Exchange) -> UsageRow | None:
    if exchange.key_name is None or exchange.endpoint in UNMETERED:
        return None
    usage = exchange.usage
    last = exchange.attempts[-1] if exchange.attempts else None
    return UsageRow(
        time=exchange.started_at + (exchange.duration or 0.0),
        request_id=exchange.request_id,
        key=exchange.key_name,
        model=exchange.route or exchange.model or "unknown",
        provider=last.provider if last else "none",
        credential=last.credential if last else "none",
        dialect=exchange.dialect,
        endpoint=exchange.endpoint,
        status=exchange.status,
        ended=exchange.ended or "error",
        stream=exchange.stream,
        input_tokens=usage.input if usage else 0,
        output_tokens=usage.output if usage else 0,
        cached_tokens=usage.cached if usage else 0,
        reasoning_tokens=usage.reasoning if usage else 0,
        cost_usd=exchange.cost_usd,
        latency_ms=round((exchange.duration or 0.0) * 1000, 3),
        ttfb_ms=None if exchange.time_to_first_byte is None else round(exchange.time_to_first_byte * 1000, 3),
    )


class UsageRecorder:
    """An `ExchangeObserver` handing rows to the ledger's writer (which never blocks)."""

    __slots__ = ("writer",)

    def __init__(self, writer: LedgerWriter) -> None:
        self.writer = writer

    def __call__(self, exchange: Exchange) -> None:
        row = usage_row(exchange)
        if row is not None:
            self.writer.add(row)
