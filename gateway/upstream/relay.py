"""Relaying a committed stream: the client already has bytes, so a failure now can only end
the stream with an error event in the client's dialect, never a silent truncation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from gateway.core.errors import GatewayError, UpstreamError
from gateway.core.memory import LARGE_BUFFER, give_back_freed_memory
from gateway.core.targets import Target
from gateway.observe.exchange import Exchange
from gateway.upstream.answers import ByteStream, ClientSide
from gateway.upstream.failures import CutFailure, TimeoutFailure
from gateway.upstream.transport import UPSTREAM_ERRORS, UpstreamResponse
from translators.errors import StreamError, TranslationError, UpstreamErrorInfo

__all__ = ["StreamEnd", "relay", "stream_error"]

log = logging.getLogger("gateway.relay")

# Told whether a committed stream ended cleanly (True) or broke (False): the breaker counts it.
StreamEnd = Callable[[bool], None]


async def relay(
    first: list[bytes],
    upstream: AsyncIterator[bytes] | None,
    machine: ByteStream,
    response: UpstreamResponse,
    target: Target,
    deadline: float,
    client: ClientSide,
    exchange: Exchange,
    on_end: StreamEnd,
    max_event: int,
) -> AsyncIterator[bytes]:
    """Client bytes for a committed stream; `upstream` is None when the first events ended it."""
    complete = False
    try:
        for chunk in first:
            yield chunk
        if upstream is None:
            complete = True
            on_end(True)
            return
        failure: GatewayError | None = None
        try:
            async with asyncio.timeout_at(deadline):
                pending = 0
                async for data in upstream:
                    chunks = machine.feed(data)
                    if not chunks:
                        # Bytes that produce nothing are buffered by the decoder: bounded.
                        pending += len(data)
                        if pending > max_event:
                            raise _EventTooLarge
                        continue
                    pending = 0
                    for chunk in chunks:
                        yield chunk
            for chunk in machine.close():
                yield chunk
            complete = True
            on_end(True)
        except StreamError as exc:
            failure = stream_error(target, exc.info)
        except TranslationError as exc:
            failure = stream_error(
                target,
                UpstreamErrorInfo(status=502, type="server_error", code="upstream_malformed", message=exc.message),
            )
        except TimeoutError:
            phase = "total" if asyncio.get_running_loop().time() >= deadline else "idle"
            failure = TimeoutFailure(target, phase).error
        except _EventTooLarge:
            failure = CutFailure.too_large(target, "limits.max-event-bytes", max_event).error
            if max_event >= LARGE_BUFFER:
                asyncio.get_running_loop().call_soon(give_back_freed_memory)
        except UPSTREAM_ERRORS:
            failure = CutFailure.broken(target).error
        except Exception:
            # A defect in a decoder or encoder: the stream still ends with an error event.
            log.exception("stream relay failed unexpectedly")
            failure = stream_error(
                target,
                UpstreamErrorInfo(
                    status=502,
                    type="server_error",
                    code="stream_failed",
                    message="the gateway could not relay the rest of this answer",
                ),
            )
        if failure is not None:
            on_end(False)
            exchange.ended = "upstream_cut"
            exchange.error_type = failure.code or failure.type
            log.warning("stream ended with an error: %s", failure.message)
            yield client.error_event(failure)
    finally:
        exchange.usage_raw = machine.usage
        if complete:
            response.release()
        else:
            # Closed, not released: a client gone mid-stream must stop the upstream at once.
            response.close()


class _EventTooLarge(Exception):
    pass


def stream_error(target: Target, info: UpstreamErrorInfo) -> UpstreamError:
    return UpstreamError(
        502,
        f"Provider {target.credential.provider.name}: {info.message}",
        type=info.type or "server_error",
        code=info.code or "upstream_stream_error",
    )
