"""Hot reload: watch config.yaml, swap the whole config atomically, never serve a broken one.

The file is polled (size and mtime) every `reload.interval-seconds`, and SIGHUP forces a
read. A valid file becomes a new immutable runtime in one assignment: requests in flight keep
the runtime they started with, cooldowns and breaker state of unchanged credentials are kept
(they are keyed by stable fingerprints). A file with problems is refused with each problem
logged, and the running config stays.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.background import BackgroundLoop
from gateway.configfile import ConfigError, load_config

if TYPE_CHECKING:
    from gateway.app import Gateway

__all__ = ["ConfigWatcher"]

log = logging.getLogger("gateway.reload")


class ConfigWatcher:
    def __init__(self, gateway: Gateway, path: str | Path) -> None:
        self._gateway = gateway
        self._path = Path(path)
        self._loop = BackgroundLoop("config watcher", self._watch)
        self._stamp = self._read_stamp()

    def _read_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self._path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, lambda: self.reload("SIGHUP"))
        except (NotImplementedError, RuntimeError, ValueError):
            log.debug("SIGHUP reload is not available in this process")
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _watch(self) -> None:
        while True:
            settings = self._gateway.runtime.config.reload
            await asyncio.sleep(settings.interval_seconds)
            if not settings.watch:
                continue
            stamp = self._read_stamp()
            if stamp is not None and stamp != self._stamp:
                self.reload("file changed")

    def reload(self, reason: str) -> bool:
        self._stamp = self._read_stamp()
        try:
            config, warnings = load_config(self._path, os.environ)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with the file, keep serving
            if not isinstance(exc, ConfigError):
                log.error("config reload (%s) refused, still serving the previous config: %s", reason, exc)
                return False
            log.error("config reload (%s) refused, still serving the previous config; %d problem(s):", reason,
                      len(exc.problems))
            for problem in exc.problems:
                log.error("  %s", problem)
            return False
        for warning in warnings:
            log.warning("%s: %s", self._path, warning)
        before = set(self._gateway.runtime.catalog.pools)
        try:
            self._gateway.apply(config)
        except Exception:  # noqa: BLE001 - a bug here must not stop the watcher or the old config
            log.exception("config reload (%s) failed while applying; still serving the previous config", reason)
            return False
        after = set(self._gateway.runtime.catalog.pools)
        log.info("config reloaded (%s): %d model id(s), %d added, %d removed", reason, len(after),
                 len(after - before), len(before - after))
        return True
