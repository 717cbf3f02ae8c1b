"""Traces over OTLP/HTTP when `tracing.otlp-endpoint` is set: one server span per request and
one client span per upstream attempt, in the W3C trace a client's `traceparent` names.

Nothing waits on tracing: the request path only reads the client's `traceparent` and gives
each attempt a span id, sent upstream as its own `traceparent`; the spans are built from the
finished `Exchange` (its times, attempts, usage and outcome) and exported in batches by the
OpenTelemetry SDK's own thread. The SDK is an optional extra
(`pip install 'llm-gateway[tracing]'`); without it the gateway logs one error and serves
untraced.
"""

from __future__ import annotations

import logging
from typing import Any

from gateway.observe.exchange import Exchange
from gateway.observe.trace_ids import Trace

__all__ = ["Tracing"]

log = logging.getLogger("gateway.observe")

# Probes and scrapes: as in the access log, not worth a span.
UNTRACED = frozenset({"healthz", "readyz", "metrics"})


class Tracing:
    """The exporter side: `observe` is an `ExchangeObserver`."""

    def __init__(self, endpoint: str, service_name: str) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        self.resource = Resource.create({"service.name": service_name})
        self.processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint), schedule_delay_millis=1000)

    @classmethod
    def create(cls, endpoint: str | None, service_name: str) -> Tracing | None:
        if not endpoint:
            return None
        try:
            return cls(endpoint, service_name)
        except ImportError:
            log.error(
                "tracing.otlp-endpoint is set but the OpenTelemetry SDK is not installed: "
                "pip install 'llm-gateway[tracing]'; serving without traces"
            )
            return None

    def observe(self, exchange: Exchange) -> None:
        trace = exchange.trace
        if trace is None or not trace.sampled or exchange.endpoint in UNTRACED:
            return
        for span in self.spans(exchange, trace):
            self.processor.on_end(span)

    def spans(self, exchange: Exchange, trace: Trace) -> list[Any]:
        from opentelemetry.sdk.trace import ReadableSpan
        from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

        trace_id = int(trace.trace_id, 16)
        flags = TraceFlags(TraceFlags.SAMPLED)

        def context(span_id: str, remote: bool = False) -> SpanContext:
            return SpanContext(trace_id, int(span_id, 16), is_remote=remote, trace_flags=flags)

        start = _ns(exchange.started_at)
        end = start + _ns(exchange.duration or 0.0)
        usage = exchange.usage
        attributes: dict[str, Any] = {
            "http.response.status_code": exchange.status,
            "gateway.request_id": exchange.request_id,
            "gateway.dialect": exchange.dialect,
            "gateway.endpoint": exchange.endpoint,
            "gateway.ended": exchange.ended or "error",
            "gateway.stream": exchange.stream,
        }
        for key, value in (
            ("gateway.key", exchange.key_name),
            ("gen_ai.request.model", exchange.model),
            ("gateway.route", exchange.route),
            ("gen_ai.usage.input_tokens", usage.input if usage else None),
            ("gen_ai.usage.output_tokens", usage.output if usage else None),
            ("gateway.cost_usd", exchange.cost_usd),
        ):
            if value is not None:
                attributes[key] = value
        failed = exchange.ended not in ("completed", "client_disconnected") or exchange.status >= 500
        spans = [
            ReadableSpan(
                name=f"{exchange.dialect} {exchange.endpoint}",
                context=context(trace.span_id),
                parent=context(trace.parent_id, remote=True) if trace.parent_id else None,
                resource=self.resource,
                attributes=attributes,
                kind=SpanKind.SERVER,
                start_time=start,
                end_time=end,
                status=Status(StatusCode.ERROR) if failed else Status(StatusCode.UNSET),
            )
        ]
        last = len(exchange.attempts) - 1
        for index, (attempt, ids) in enumerate(zip(exchange.attempts, trace.attempts, strict=False)):
            if ids is None:
                continue
            span_id, started = ids
            begin = _ns(started)
            # An attempt's latency ends at its first byte; the answering one lasts to the end.
            finish = end if index == last and attempt.outcome == "ok" else begin + _ns(attempt.latency or 0.0)
            attempt_attributes: dict[str, Any] = {
                "gateway.provider": attempt.provider,
                "gateway.credential": attempt.credential,
                "gen_ai.response.model": attempt.upstream_model,
                "gateway.outcome": attempt.outcome,
            }
            if attempt.status is not None:
                attempt_attributes["http.response.status_code"] = attempt.status
            spans.append(
                ReadableSpan(
                    name=f"upstream {attempt.provider}",
                    context=context(span_id),
                    parent=context(trace.span_id),
                    resource=self.resource,
                    attributes=attempt_attributes,
                    kind=SpanKind.CLIENT,
                    start_time=begin,
                    end_time=max(finish, begin),
                    status=Status(StatusCode.UNSET if attempt.outcome == "ok" else StatusCode.ERROR),
                )
            )
        return spans

    def shutdown(self) -> None:
        """Exports what is queued (blocking: run it in a thread)."""
        self.processor.shutdown()


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)
