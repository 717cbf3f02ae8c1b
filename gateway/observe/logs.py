"""Log lines for operators: text for a terminal, one JSON object per line for a collector.

`logging.format: json` makes every line JSON, the gateway's and uvicorn's alike (uvicorn is
given the same formatter through its `log_config`). The access log is one line per finished
request, built from its `Exchange`; in JSON its fields are top-level keys, in text they read as
`key=value`. Secrets never reach a line: every handler carries the redacting filter (see
gateway.app).
"""

from __future__ import annotations

import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

import orjson

from gateway.observe.exchange import Exchange

__all__ = ["JsonFormatter", "access_fields", "access_log", "configure", "log_config"]

_access = logging.getLogger("gateway.access")
QUIET_ENDPOINTS = frozenset({"healthz", "readyz", "metrics"})

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# LogRecord attributes that are not a line's own fields.
_RECORD_KEYS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class TextFormatter(logging.Formatter):
    """The usual text line, with a record's `fields` after the message as `key=value`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line += " " + " ".join(f"{key}={_text(value)}" for key, value in fields.items() if value is not None)
        return line


def _text(value: Any) -> str:
    return "[" + ",".join(map(str, value)) + "]" if isinstance(value, list) else str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the record's `fields`, and the
    exception's text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        for key, value in record.__dict__.items():
            if key not in _RECORD_KEYS and key != "fields" and key not in line:
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


def log_config(fmt: str, level: str) -> dict[str, Any]:
    """uvicorn's `log_config`: its loggers and the gateway's on one stderr handler, one format."""
    formatter = {"()": f"{__name__}.JsonFormatter" if fmt == "json" else f"{__name__}.TextFormatter"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"gateway": formatter},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "gateway", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level.upper(), "propagate": True},
        },
    }


def access_fields(exchange: Exchange) -> dict[str, Any]:
    """What an access line says about one request."""
    usage = exchange.usage
    last = exchange.attempts[-1] if exchange.attempts else None
    return {
        "request_id": exchange.request_id,
        "key": exchange.key_name,
        "dialect": exchange.dialect,
        "endpoint": exchange.endpoint,
        "model": exchange.model,
        "route": exchange.route,
        "provider": last.provider if last else None,
        "credential": last.credential if last else None,
        "attempts": [f"{a.provider}/{a.credential}:{a.outcome}" for a in exchange.attempts],
        "stream": exchange.stream,
        "status": exchange.status,
        "ended": exchange.ended,
        "input_tokens": usage.input if usage else None,
        "output_tokens": usage.output if usage else None,
        "cached_tokens": usage.cached if usage else None,
        "reasoning_tokens": usage.reasoning if usage else None,
        "cost_usd": None if exchange.cost_usd is None else round(exchange.cost_usd, 8),
        "latency_ms": round((exchange.duration or 0.0) * 1000, 1),
        "ttfb_ms": None if exchange.time_to_first_byte is None else round(exchange.time_to_first_byte * 1000, 1),
        "bytes_out": exchange.bytes_out,
    }


def access_log(exchange: Exchange) -> None:
    """The request's access line (an `ExchangeObserver`): fields as JSON keys, or `key=value`.
    Probes and scrapes (/healthz, /readyz, /metrics) are not logged."""
    if exchange.endpoint in QUIET_ENDPOINTS or not _access.isEnabledFor(logging.INFO):
        return
    _access.info(
        "%s %s -> %d %s", exchange.dialect, exchange.endpoint, exchange.status, exchange.ended,
        extra={"fields": access_fields(exchange)},
    )  # fmt: skip


def configure(fmt: str, level: str, *, access: bool) -> dict[str, Any]:
    """Sets up this process's logging and returns the same for uvicorn's `log_config`."""
    logging.config.dictConfig(log_config(fmt, level))  # dictConfig consumes the dict it is given
    logging.getLogger("gateway.access").setLevel(logging.INFO if access else logging.WARNING)
    return log_config(fmt, level)
