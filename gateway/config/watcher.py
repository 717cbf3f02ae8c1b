"""Hot reload: watch config.yaml, swap the whole config atomically, never serve a broken one.

The file is polled (size and mtime) every `reload.interval-seconds`, and SIGHUP forces a
read. A valid file is handed to `apply`, which builds a new immutable runtime and swaps it in
one assignment: requests in flight keep the runtime they started with. A file with problems is
refused with each problem logged, and the running config stays.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path

from gateway.config.loader import ConfigError, load_config
from gateway.config.models import GatewayConfig, ReloadConfig
from gateway.core.background import BackgroundLoop

__all__ = ["ConfigWatcher"]

log = logging.getLogger("gateway.reload")


class ConfigWatcher:
    """`settings()` reads the running config's `reload` block; `apply(config)` swaps a new one
    in and returns a one-line summary of what changed (or raises, keeping the old one)."""

    def __init__(
        self, path: str | Path, *, settings: Callable[[], ReloadConfig], apply: Callable[[GatewayConfig], str]
    ) -> None:
        self._path = Path(path)
        self._settings = settings
        self._apply = apply
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
            settings = self._settings()
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
            log.error(
                "config reload (%s) refused, still serving the previous config; %d problem(s):",
                reason,
                len(exc.problems),
            )
            for problem in exc.problems:
                log.error("  %s", problem)
            return False
        for warning in warnings:
            log.warning("%s: %s", self._path, warning)
        try:
            summary = self._apply(config)
        except Exception:  # noqa: BLE001 - a bug here must not stop the watcher or the old config
            log.exception("config reload (%s) failed while applying; still serving the previous config", reason)
            return False
        log.info("config reloaded (%s): %s", reason, summary)
        return True
