"""The failover loop: try a route's targets in order until one answers.

Nothing reaches the client before an upstream has answered 2xx and (for streams) produced
its first event, so every failure up to then moves on to the next target. The loop reads the
type of each `AttemptFailure`: a rate limit cools the (credential, model) pair down, an auth
failure sets the credential aside, server errors, timeouts, connection errors and cut streams
count towards the target's circuit breaker. An upstream's own 4xx is the client's mistake and
is returned as it is. A route is a pool and the pools it falls back to (chains, `fallbacks`):
each gets `request-retry` extra attempts. The loop knows nothing of the client's dialect: the
`ClientSide` it is given turns answers into client bytes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson

from gateway.config.models import LimitsConfig
from gateway.core.errors import ClientError, GatewayError, NotImplementedDialect, UpstreamError
from gateway.core.targets import Target
from gateway.observe.dropped import DroppedFields
from gateway.observe.exchange import Attempt, Exchange
from gateway.routing.catalog import Pool, Route
from gateway.routing.conditions import RequestFacts, merge_advanced
from gateway.routing.planner import Planner
from gateway.state.affinity import SessionAffinity
from gateway.state.breaker import CircuitBreaker
from gateway.state.cooldowns import CooldownStore
from gateway.upstream.adapters import ADAPTERS, DIALECTS, Outgoing
from gateway.upstream.answers import Answer, ClientSide, StreamAnswer
from gateway.upstream.attempt import AttemptRunner
from gateway.upstream.failures import (
    AttemptFailure,
    AuthFailure,
    RateLimitedFailure,
    Refused,
    StatusFailure,
    rate_limited_everywhere,
)
from translators.errors import TranslationError

__all__ = ["Failover", "Session"]

log = logging.getLogger("gateway.failover")
MAX_LAST_ERRORS = 10_000


@dataclass(frozen=True, slots=True)
class Session:
    """The conversation a request belongs to, when session affinity is on."""

    key: str
    ttl: float


def _bound_first(targets: tuple[Target, ...], eligible: int, credential: str | None) -> tuple[Target, ...]:
    """The plan with the session's credential moved to the front, if it is among the eligible
    targets (a cooling or open-circuit credential is not: the session moves on)."""
    if credential is None:
        return targets
    for index in range(eligible):
        if targets[index].credential.id == credential:
            return (targets[index], *targets[:index], *targets[index + 1 :])
    return targets


class Failover:
    """Runs one request against a route; holds no per-request state itself."""

    __slots__ = (
        "affinity",
        "planner",
        "cooldowns",
        "breaker",
        "attempts",
        "dropped",
        "clock",
        "monotonic",
        "last_errors",
    )

    def __init__(
        self,
        *,
        planner: Planner,
        cooldowns: CooldownStore,
        breaker: CircuitBreaker,
        attempts: AttemptRunner,
        dropped: DroppedFields,
        affinity: SessionAffinity | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.affinity = affinity or SessionAffinity(clock=monotonic)
        self.planner = planner
        self.cooldowns = cooldowns
        self.breaker = breaker
        self.attempts = attempts
        self.dropped = dropped
        self.clock = clock
        self.monotonic = monotonic
        # (credential id, upstream model) -> (when, why) of its latest failed attempt, for the
        # health view; bounded by the targets the config has.
        self.last_errors: dict[tuple[str, str], tuple[float, str]] = {}

    async def forward(
        self,
        operation: str,
        body: dict[str, Any],
        client: ClientSide,
        route: Route,
        *,
        stream: bool,
        retries: int,
        exchange: Exchange,
        limits: LimitsConfig,
        session: Session | None = None,
    ) -> Answer | StreamAnswer:
        failures: list[AttemptFailure] = []
        recovers_at = float("inf")
        exchange.route = route.id
        facts: RequestFacts | None = None
        passed_over = False
        # Targets behind an open circuit, tried only once every pool's others have failed: a
        # route's fallback serves while its first pool is known to be down.
        last_resort: list[tuple[Pool, Target]] | None = None

        for pool in route.pools:
            plan = self.planner.plan(pool, self.clock())
            recovers_at = min(recovers_at, plan.recovers_at)
            targets = plan.targets
            if session is not None:
                targets = _bound_first(targets, plan.last_resort_from, self.affinity.bound(session.key, pool.key))
            attempts = 0
            for position, target in enumerate(targets):
                if attempts > retries:
                    break
                if target.when is not None:
                    if facts is None:
                        facts = RequestFacts(
                            body,
                            stream=stream,
                            key_name=exchange.key_name,
                            dialect=exchange.dialect,
                            size=exchange.request_bytes,
                        )
                    if not facts.meets(target.when):
                        passed_over = True
                        continue
                if position >= plan.last_resort_from:
                    if last_resort is None:
                        last_resort = []
                    last_resort.append((pool, target))
                    continue
                # A half-open circuit admits one trial: claimed only when the attempt is made.
                if not self.breaker.claim(target.credential.id, target.upstream_model, self.clock()):
                    continue
                answer = await self._attempt(
                    operation, body, client, route, pool, target, stream, exchange, limits, session, failures
                )
                if answer is not None:
                    return answer
                attempts += failures[-1].sent
            if len(route.pools) > 1:
                log.warning("pool %r of %r exhausted; falling back", pool.id, route.id)
        attempts = 0
        for pool, target in last_resort or ():
            if attempts > retries:
                break
            answer = await self._attempt(
                operation, body, client, route, pool, target, stream, exchange, limits, session, failures
            )
            if answer is not None:
                return answer
            attempts += failures[-1].sent
        if passed_over and not failures and recovers_at == float("inf"):
            raise ClientError(
                400,
                f"No model behind {route.id!r} takes this request: their `when` conditions (stream, tools, "
                "images, client key, dialect or size) leave none; ask for another model.",
                param="model",
                code="no_matching_route",
            )
        raise self._give_up(route, failures, recovers_at)

    async def _attempt(
        self,
        operation: str,
        body: dict[str, Any],
        client: ClientSide,
        route: Route,
        pool: Pool,
        target: Target,
        stream: bool,
        exchange: Exchange,
        limits: LimitsConfig,
        session: Session | None,
        failures: list[AttemptFailure],
    ) -> Answer | StreamAnswer | None:
        """One target: its answer, or None with the failure recorded."""
        try:
            answer = await self._try(
                operation, body, client, route, pool, target, stream=stream, exchange=exchange, limits=limits
            )
        except AttemptFailure as failure:
            failures.append(failure)
            self._failed(failure, route, exchange)
            return None
        if session is not None:
            self.affinity.bind(session.key, pool.key, target.credential.id, session.ttl)
        return answer

    async def _try(
        self,
        operation: str,
        body: dict[str, Any],
        client: ClientSide,
        route: Route,
        pool: Pool,
        target: Target,
        *,
        stream: bool,
        exchange: Exchange,
        limits: LimitsConfig,
    ) -> Answer | StreamAnswer:
        provider = target.credential.provider
        adapter = ADAPTERS.get((provider.dialect, operation))
        if adapter is None or not client.serves(adapter):
            raise Refused(target, _unsupported(client.path, pool, target))
        try:
            outgoing = client.prepare(adapter, body, target, stream=stream)
        except orjson.JSONEncodeError as exc:
            # orjson refuses what it cannot write (nesting deeper than 255 levels, say).
            raise Refused(target, ClientError(400, f"The request body cannot be re-encoded: {exc}.")) from None
        except TranslationError as exc:
            # Another target of the route may speak a dialect that can honour the request.
            raise Refused(
                target,
                ClientError(
                    400,
                    f"{exc.message} (model {route.id!r} is served by {provider.name}, a {adapter.dialect} upstream).",
                    param=exc.param,
                    code="unsupported_parameter",
                ),
            ) from None
        if outgoing.ignored:
            self.dropped.record(adapter.dialect, outgoing.ignored)
        if target.extra:
            outgoing = with_extra(outgoing, target.extra)
        credential, model = target.credential.id, target.upstream_model
        started = self.monotonic()
        try:
            answer, latency = await self.attempts.run(
                adapter,
                outgoing,
                target,
                client,
                body,
                stream=stream,
                exchange=exchange,
                on_stream_end=self._stream_end(target),
                limits=limits,
            )
        except AttemptFailure as failure:
            failure.latency = self.monotonic() - started
            raise
        except UpstreamError as error:
            # The upstream is alive and answered: the request, not the target, was at fault.
            self.breaker.answered(credential, model)
            _record(exchange, _attempt(target, "client_error", error.status, self.monotonic() - started, error.message))
            raise
        self.cooldowns.succeeded(credential, model)
        self.breaker.succeeded(credential, model, latency=latency, finished=isinstance(answer, Answer))
        _record(exchange, _attempt(target, "ok", 200, latency))
        log.debug("served: model=%s provider=%s credential=%s", route.id, provider.name, target.credential.label)
        return answer

    def _stream_end(self, target: Target) -> Callable[[bool], None]:
        def ended(ok: bool) -> None:
            if ok:
                self.breaker.answered(target.credential.id, target.upstream_model)
            else:
                self.breaker.failed(target.credential.id, target.upstream_model, now=self.clock())

        return ended

    def _failed(self, failure: AttemptFailure, route: Route, exchange: Exchange) -> None:
        target = failure.target
        credential, model = target.credential.id, target.upstream_model
        status = failure.status if isinstance(failure, StatusFailure) else None
        _record(exchange, _attempt(target, failure.outcome, status, failure.latency, failure.error.message))
        if not failure.sent:
            return
        now = self.clock()
        if len(self.last_errors) > MAX_LAST_ERRORS:
            self.last_errors.clear()
        self.last_errors[(credential, model)] = (now, f"{failure.outcome}: {failure.error.message}")
        if isinstance(failure, RateLimitedFailure):
            self.cooldowns.rate_limited(credential, model, retry_after=failure.retry_after, now=now)
        elif isinstance(failure, AuthFailure):
            self.cooldowns.auth_failed(credential, now=now)
        if failure.counts_against_circuit and self.breaker.failed(credential, model, now=now):
            log.warning(
                "circuit open for provider=%s credential=%s model=%s",
                target.credential.provider.name,
                target.credential.label,
                model,
            )
        log.warning(
            "attempt failed, trying next target: model=%s provider=%s credential=%s outcome=%s %s",
            route.id,
            target.credential.provider.name,
            target.credential.label,
            failure.outcome,
            failure.error.message,
        )

    def _give_up(self, route: Route, failures: list[AttemptFailure], recovers_at: float) -> GatewayError:
        tried = [f for f in failures if f.sent]
        if failures and not tried and recovers_at == float("inf"):
            # No target could take the request as it is: say why (the first one's reason).
            return failures[0].error
        if all(isinstance(f, RateLimitedFailure) for f in tried):
            now = self.clock()
            for failure in tried:
                t = failure.target
                until = self.cooldowns.blocked_until(t.credential.id, t.upstream_model, now)
                if until:
                    recovers_at = min(recovers_at, until)
            if recovers_at == float("inf"):
                recovers_at = now + 1.0
            return rate_limited_everywhere(route.id, max(0.0, recovers_at - now))
        for failure in reversed(tried):
            if not isinstance(failure, RateLimitedFailure):
                return failure.error
        return tried[-1].error


def with_extra(outgoing: Outgoing, extra: Mapping[str, Any]) -> Outgoing:
    """The upstream body with the target's `advanced-json` merged over it (the operator's
    setting wins over the client's, objects merged key by key)."""
    document = orjson.loads(outgoing.content)
    if not isinstance(document, dict):
        return outgoing
    return replace(outgoing, content=orjson.dumps(merge_advanced(document, extra)))


def _record(exchange: Exchange, attempt: Attempt) -> None:
    exchange.attempts.append(attempt)
    if exchange.trace is not None:
        exchange.trace.take_attempt()


def _attempt(
    target: Target, outcome: str, status: int | None, latency: float | None, reason: str | None = None
) -> Attempt:
    credential = target.credential
    return Attempt(
        credential.provider.name,
        credential.label,
        target.upstream_model,
        outcome,
        status,
        latency,
        reason,
        target.price,
    )


def _unsupported(path: str, pool: Pool, target: Target) -> GatewayError:
    provider = target.credential.provider
    if provider.dialect not in DIALECTS:
        return NotImplementedDialect(
            f"Model {pool.id!r} is served by {provider.name}, whose dialect ({provider.dialect}) has no "
            "translator in this version of llm-gateway."
        )
    return NotImplementedDialect(
        f"Model {pool.id!r} is served by {provider.name}, a {provider.dialect} upstream, which has no {path} endpoint."
    )
