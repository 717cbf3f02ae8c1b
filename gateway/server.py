"""uvicorn's server with a drain delay: on SIGTERM, first report not-ready, then stop.

With `shutdown.delay-seconds` > 0 the first SIGTERM (or SIGINT) only marks the gateway as
draining, so /readyz answers 503 while requests are still served; after the delay uvicorn's
own graceful shutdown runs: stop accepting, let in-flight requests and streams finish for up to
`shutdown.drain-timeout-seconds`. A second signal during the delay starts that drain at once;
one during the drain ends it (uvicorn's own handling).
"""

from __future__ import annotations

import gc
import logging
import socket
import threading
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from gateway.app import Gateway

__all__ = ["GatewayServer", "freeze_startup_objects"]

log = logging.getLogger("gateway")


def freeze_startup_objects() -> None:
    """Everything built at start-up (config, catalog, modules) lives as long as the process:
    keep the collector from walking it again on every full collection. A process-level
    choice, so it is made by the server, never by the app (tests build several apps)."""
    gc.collect()
    gc.freeze()


class GatewayServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, *, gateway: Gateway, delay: float) -> None:
        super().__init__(config)
        self._gateway = gateway
        self._delay = delay
        self._timer: threading.Timer | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        freeze_startup_objects()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._delay <= 0 or self._gateway.draining:
            if self._timer is not None:
                self._timer.cancel()
            self._gateway.draining = True
            super().handle_exit(sig, frame)
            return
        self._gateway.draining = True
        log.info("shutting down in %.1f s; /readyz now answers 503", self._delay)
        stop = super().handle_exit
        self._timer = threading.Timer(self._delay, stop, args=(sig, None))
        self._timer.daemon = True
        self._timer.start()
