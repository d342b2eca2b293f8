"""The composition root: turn settings into a running registry, its read store and projector.

Nothing is built at import time; the API's lifespan and the CLI call ``build``.
While the API serves (``serving``), the registry's after-save hooks count each
decision's events, find their chain links for the reply's receipts, sign a
checkpoint when one is due and, with ``inline_projections``, bring the read models up to
date after it. The CLI and scripts that write through the registry directly
catch up when they choose to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from api.keycache import KeyCache, revocation_counter
from api.receipts import ReceiptLinks
from api.settings import Settings
from audit.checkpoints import Issuer
from audit.signing import Signer
from domain.registry import AfterSave, Recorded, Registry
from eventstore.environment import event_store_env
from eventstore.locate import locator
from projections import all_projections
from projections.db import Database, PostgresDatabase, SQLiteDatabase
from projections.projector import Projector
from projections.watch import Watcher

Clock = Callable[[], datetime]
log = logging.getLogger("registry.api")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    registry: Registry
    db: Database
    projector: Projector
    clock: Clock
    _signer: Signer | None = field(default=None, repr=False)
    _issuer: Issuer | None = field(default=None, repr=False)
    _keys: KeyCache | None = field(default=None, repr=False)
    watcher: Watcher | None = None  # PostgreSQL: the log's state in memory while it listens (``projections.watch``)

    def keys(self) -> KeyCache:
        """Verified API keys, cached in this process until any key is revoked (``api.keycache``)."""
        if self._keys is None:
            remembered = self.watcher.revocations if self.watcher else None
            self._keys = KeyCache(self.registry, revocation_counter(self.registry), remembered)
        return self._keys

    def watch(self) -> None:
        """Start listening for changes to the log's state (a server process, after any fork); idempotent."""
        if self.watcher is not None:
            self.watcher.start()

    def signer(self) -> Signer:
        """The checkpoint signer, loaded (or made, for development) on first use."""
        if self._signer is None:
            self._signer = Signer.from_file(self.settings.signing_key_file)
        return self._signer

    def issuer(self) -> Issuer:
        """Signs and stores checkpoints every ``checkpoint_every`` events or ``checkpoint_seconds``."""
        if self._issuer is None:
            self._issuer = Issuer(
                self.registry,
                self.signer,
                self.settings.log_origin,
                self.clock,
                every=self.settings.checkpoint_every,
                seconds=self.settings.checkpoint_seconds,
            )
        return self._issuer

    def keep_read_models(self, outcome: Recorded) -> None:
        """After a decision that appended events, apply them to the read models in this process.

        Only while ``inline_projections`` is on (read at each decision: a projection runner may take over).
        """
        if not (self.settings.inline_projections and outcome.events and not outcome.replayed):
            return
        try:
            self.projector.catch_up(wait=False)  # if another process is catching up in bulk, it is left to it
            if self.watcher is not None:
                self.watcher.refresh(self.db)  # this process's next read sees it, before the notices arrive
        except Exception:  # the decision is stored: answer it; the next write or the runner catches up
            log.exception("read models not updated after position %s", outcome.position)

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.registry.close()
        self.db.close()


def read_store(settings: Settings) -> Database:
    if settings.database_url.startswith("memory://"):
        return SQLiteDatabase(":memory:")
    path = settings.sqlite_path
    if path is not None:
        return SQLiteDatabase(path)
    return PostgresDatabase(settings.postgres_url, pool_size=settings.pool_size, timeout=settings.db_timeout)


def build(settings: Settings, clock: Clock = utc_now) -> Services:
    path = settings.sqlite_path
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    env = event_store_env(settings.database_url, pool_size=settings.pool_size, timeout=settings.db_timeout)
    registry = Registry(env, clock=clock)
    registry.locate = locator(registry)
    db = read_store(settings)
    projector = Projector(
        registry, db, all_projections(), batch=settings.projection_batch, checkpoint=settings.rebuild_checkpoint
    )
    projector.setup()
    watcher = None
    if isinstance(db, PostgresDatabase) and settings.watch:
        watcher = Watcher(settings.postgres_url, projector.projections, connect_timeout=settings.db_timeout)
    return Services(settings, registry, db, projector, clock, watcher=watcher)


@contextmanager
def serving(services: Services, *hooks: AfterSave) -> Iterator[Services]:
    """While the API serves: after each decision is saved, run ``hooks``, then the inline catch-up.

    Two apps serving the same services (tests do) share the hooks: none runs twice for one decision.
    """
    audit: list[AfterSave] = [ReceiptLinks(services.registry), services.issuer().after_save]
    wanted = [*hooks, *audit, services.keep_read_models]
    added = [hook for hook in wanted if hook not in services.registry.after_save]
    services.registry.after_save.extend(added)
    try:
        yield services
    finally:
        for hook in added:
            services.registry.after_save.remove(hook)
