"""Metrics under `serve --workers N`: each worker writes its counts to a directory the
workers share, once a second and at shutdown; a scrape, whichever worker answers it, sums the
others' latest snapshots into its own. So /metrics shows the whole server, the other workers'
figures at most a second old.

Written atomically (a temporary file renamed), read leniently (a torn or foreign file is
skipped). A worker that exited keeps its file: counters must not go down when uvicorn replaces
a worker; its `active_streams` is counted only while the process is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

__all__ = ["METRICS_DIR_ENV", "WorkerSnapshots"]

METRICS_DIR_ENV = "LLM_GATEWAY_METRICS_DIR"
INTERVAL_SECONDS = 1.0

log = logging.getLogger("gateway.observe")


class WorkerSnapshots:
    def __init__(self, directory: str, snapshot: Callable[[], dict[str, Any]], *, pid: int | None = None) -> None:
        self.directory = Path(directory)
        self.snapshot = snapshot
        self.pid = pid if pid is not None else os.getpid()
        self._task: asyncio.Task[None] | None = None

    def write(self) -> None:
        path = self.directory / f"{self.pid}.json"
        partial = path.with_suffix(".tmp")
        try:
            partial.write_bytes(orjson.dumps(self.snapshot()))
            os.replace(partial, path)
        except OSError as exc:
            log.warning("worker metrics: cannot write %s: %s", path, exc.strerror)

    def peers(self) -> Iterator[dict[str, Any]]:
        """The other workers' latest snapshots."""
        try:
            files = list(self.directory.glob("*.json"))
        except OSError:
            return
        for path in files:
            if path.stem == str(self.pid) or not path.stem.isdigit():
                continue
            try:
                snap = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError):
                continue
            if not isinstance(snap, dict):
                continue
            if not _alive(int(path.stem)):
                snap["active_streams"] = 0
            yield snap

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="worker-metrics")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL_SECONDS)
            self.write()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.write()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
