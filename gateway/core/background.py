"""One background loop owned by the gateway: started at start-up, cancelled at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["BackgroundLoop"]

log = logging.getLogger("gateway")


class BackgroundLoop:
    """Runs `run()` as a task; `stop()` cancels it and waits, so nothing outlives the app."""

    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._guarded())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _guarded(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug in a helper loop must be seen, but must not take the gateway down.
            log.exception("%s stopped unexpectedly", self._name)
