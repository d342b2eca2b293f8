"""The composition root: turn settings into a running registry, its read store and projector.

Nothing is built at import time; the API's lifespan and the CLI call ``build``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from api.settings import Settings
from audit.signing import Signer
from domain.registry import Registry
from eventstore.environment import event_store_env
from eventstore.locate import locator
from projections import all_projections
from projections.db import Database, PostgresDatabase, SQLiteDatabase
from projections.projector import Projector

Clock = Callable[[], datetime]


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

    def signer(self) -> Signer:
        """The checkpoint signer, loaded (or made, for development) on first use."""
        if self._signer is None:
            self._signer = Signer.from_file(self.settings.signing_key_file)
        return self._signer

    def close(self) -> None:
        self.registry.close()
        self.db.close()


def read_store(settings: Settings) -> Database:
    if settings.database_url.startswith("memory://"):
        return SQLiteDatabase(":memory:")
    path = settings.sqlite_path
    if path is not None:
        return SQLiteDatabase(path)
    url = settings.database_url.replace("postgres://", "postgresql://", 1)
    return PostgresDatabase(url, pool_size=settings.pool_size, timeout=settings.db_timeout)


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
    return Services(settings, registry, db, projector, clock)
