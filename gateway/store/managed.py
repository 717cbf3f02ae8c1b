"""The store's providers as the gateway runs them: opened at start (migrations applied, the
encryption key checked), laid over the config at every change, and watched for changes made
by other replicas.

A change made through this process's management API is applied at once (`refresh()` after the
write); one made by another replica sharing the database is seen by polling the store's
`version` every `store.poll-interval-seconds`, one indexed read. While the database is
unreachable the last snapshot keeps serving, with one warning, and the open is retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from gateway.core.background import BackgroundLoop
from gateway.store.database import Database, StoreError, open_database, redact_url
from gateway.store.migrations import migrate
from gateway.store.providers import Managed, ManagedError, ProviderStore
from gateway.store.secret_box import EncryptionKeyError, SecretBox

__all__ = ["ManagedProviders"]

log = logging.getLogger("gateway.store")

RETRY_SECONDS = 5.0


class ManagedProviders:
    """`apply(managed)` swaps a runtime with `managed` laid over the config in."""

    def __init__(
        self, url: str, box: SecretBox | None, *, apply: Callable[[Managed], None], interval: Callable[[], float]
    ) -> None:
        self.url = url
        self.box = box
        self._apply = apply
        self._interval = interval
        self.store: ProviderStore | None = None
        self._db: Database | None = None
        self._version = -1
        self._lock = asyncio.Lock()
        self._loop = BackgroundLoop("store watcher", self._watch)
        self._unreachable = False

    async def open(self) -> bool:
        """One attempt: True once open and applied. A wrong ENCRYPTION_KEY raises
        `EncryptionKeyError` (the gateway must not start); an unreachable database is retried."""
        try:
            db = await asyncio.to_thread(open_database, self.url)
        except StoreError as exc:
            self._warn(exc)
            return False
        try:
            await asyncio.to_thread(migrate, db)
            store = ProviderStore(db, self.box)
            await asyncio.to_thread(store.check_key)
        except StoreError as exc:
            await asyncio.to_thread(db.close)
            self._warn(exc)
            return False
        except BaseException:
            await asyncio.to_thread(db.close)
            raise
        self._db, self.store = db, store
        await self.refresh()
        return True

    def _warn(self, exc: Exception) -> None:
        if not self._unreachable:
            log.error(
                "provider store %s: %s; serving the providers known so far (retrying every %.0f s)",
                redact_url(self.url),
                exc,
                RETRY_SECONDS,
            )
            self._unreachable = True

    async def refresh(self) -> bool:
        """Reads the store and applies it when its version moved; True when it did."""
        store = self.store
        if store is None:
            return False
        async with self._lock:
            try:
                version = await asyncio.to_thread(store.version)
                if version == self._version:
                    return False
                managed = await asyncio.to_thread(store.snapshot)
            except (StoreError, EncryptionKeyError, ManagedError) as exc:
                self._warn(exc)
                return False
            if self._unreachable:
                log.info("provider store %s answers again", redact_url(self.url))
                self._unreachable = False
            self._version = managed.version
            self._apply(managed)
            return True

    def start(self) -> None:
        self._loop.start()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._interval() if self.store is not None else RETRY_SECONDS)
            try:
                if self.store is None:
                    await self.open()
                else:
                    await self.refresh()
            except EncryptionKeyError as exc:
                # Opened late with a key that does not fit: keep serving, keep saying so.
                self._warn(exc)

    async def aclose(self) -> None:
        await self._loop.stop()
        if self._db is not None:
            await asyncio.to_thread(self._db.close)
            self._db = None
            self.store = None
