"""One `Exchange` record per request, created at the front door and finished exactly once.

Every stage writes what it learns into the record (the client key's name, the route, each
attempt, time to first byte, usage, bytes out, how it ended); `finish()` hands the complete
record to the observers (the access log today; metrics, the usage ledger and budgets read the
same record). `finish()` is idempotent, and the front door calls it in a `finally`, so every
outcome is recorded once: answers, errors, client disconnects, streams cut mid-way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.observe.pricing import PriceBook, cost_usd

if TYPE_CHECKING:
    from gateway.config.entries import ModelCost
    from gateway.observe.trace_ids import Trace
    from gateway.state.limits import KeyLimits

__all__ = ["Attempt", "Exchange", "ExchangeObserver", "Usage"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one answer; `cached` are input tokens read from a prompt cache,
    `cache_write` input tokens written to one, `reasoning` output tokens spent thinking (all
    included in input and output)."""

    input: int = 0
    output: int = 0
    cached: int = 0
    reasoning: int = 0
    cache_write: int = 0

    @classmethod
    def from_hub(cls, usage: Any) -> Usage | None:
        """From an OpenAI `usage` object (chat, completions or embeddings); None if not one."""
        if not isinstance(usage, dict):
            return None
        prompt = usage.get("prompt_tokens") or usage.get("input_tokens")
        output = usage.get("completion_tokens") or usage.get("output_tokens")
        prompt_details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details")
        output_details = usage.get("completion_tokens_details") or usage.get("output_tokens_details")
        return cls(
            input=_int(prompt),
            output=_int(output),
            cached=_int(prompt_details.get("cached_tokens")) if isinstance(prompt_details, dict) else 0,
            reasoning=_int(output_details.get("reasoning_tokens")) if isinstance(output_details, dict) else 0,
            cache_write=_int(prompt_details.get("cache_write_tokens")) if isinstance(prompt_details, dict) else 0,
        )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


@dataclass(slots=True)
class Attempt:
    """One try of one target: `outcome` is ok, rate_limited, auth, server_error, timeout,
    connect, cut or refused; `status` the upstream's HTTP status when it answered; `price`
    the configured price of the target's model, when it has one."""

    provider: str
    credential: str
    upstream_model: str
    outcome: str
    status: int | None = None
    latency: float | None = None
    reason: str | None = None
    price: ModelCost | None = None


ExchangeObserver = Callable[["Exchange"], None]


@dataclass(slots=True, eq=False)
class Exchange:
    request_id: str
    dialect: str
    endpoint: str
    started: float  # monotonic seconds
    started_at: float  # wall clock, seconds since the epoch
    observers: Sequence[ExchangeObserver] = field(default=(), repr=False)
    clock: Callable[[], float] = field(default=lambda: 0.0, repr=False)  # monotonic
    key_name: str | None = None
    model: str | None = None
    stream: bool = False
    request_bytes: int = 0
    route: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    time_to_first_byte: float | None = None
    usage_raw: dict[str, Any] | None = field(default=None, repr=False)
    status: int = 0
    bytes_out: int = 0
    ended: str | None = None
    error_type: str | None = None
    duration: float | None = None
    prices: PriceBook | None = field(default=None, repr=False)
    # The client key's limits, once the request was admitted under them (released at finish).
    admitted: KeyLimits | None = field(default=None, repr=False)
    # W3C trace ids, when tracing is on.
    trace: Trace | None = field(default=None, repr=False)
    cost_usd: float | None = None
    finished: bool = False
    _usage: Usage | None = field(default=None, repr=False)
    _usage_of: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def usage(self) -> Usage | None:
        """The usage reported so far, read once per report (several observers ask)."""
        raw = self.usage_raw
        if raw is not self._usage_of:
            self._usage, self._usage_of = Usage.from_hub(raw), raw
        return self._usage

    def cost(self) -> float | None:
        """USD for the usage reported so far, when the answering model's price is known."""
        usage = self.usage
        if usage is None or not self.attempts or self.prices is None:
            return None
        last = self.attempts[-1]
        price = last.price or self.prices.find(last.upstream_model)
        return None if price is None else cost_usd(price, usage)

    def first_byte(self) -> None:
        if self.time_to_first_byte is None:
            self.time_to_first_byte = self.clock() - self.started

    def finish(self, ended: str) -> None:
        """Records how the request ended — completed, client_disconnected, upstream_cut or
        error; the first caller wins — and tells the observers."""
        if self.finished:
            return
        self.finished = True
        if self.ended is None:
            self.ended = ended
        self.duration = self.clock() - self.started
        self.cost_usd = self.cost()
        for observer in self.observers:
            try:
                observer(self)
            except Exception:  # noqa: BLE001 - an observer's bug must not break the answer
                logging.getLogger("gateway.observe").exception("exchange observer failed")
