"""Event-store specifics the application service should not know: the hash chain, failing fast,
finding positions.

Each store's recorder writes the chain link of every event (see ``audit.chain``)
in the same transaction as the event itself.

``FailFastPostgresRecorder`` runs the library's SQL unchanged but without its
ten-fold retry on connection errors: with the database down, a request should
answer 503 within the pool's timeout rather than hang for tens of seconds, and
the client (or its Idempotency-Key retry) decides when to try again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL

from audit.chain import CHAIN_DDL, Link, link
from domain.registry import Locate, Registry


class FailFastPostgresRecorder(PostgresApplicationRecorder):
    insert_events = PostgresApplicationRecorder.insert_events.__wrapped__
    select_events = PostgresAggregateRecorder.select_events.__wrapped__
    select_notifications = PostgresApplicationRecorder.select_notifications.__wrapped__
    max_notification_id = PostgresApplicationRecorder.max_notification_id.__wrapped__


class ChainedPostgresRecorder(FailFastPostgresRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements += [SQL(statement).format() for statement in CHAIN_DDL]

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        _write_chain(curs, stored_events, list(ids or []), "%s")
        return ids


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *CHAIN_DDL]

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._insert_events(c, stored_events, **kwargs)
        _write_chain(c, stored_events, list(ids or []), "?")
        return ids


class ChainedPOPORecorder(POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.chain: list[Link] = []
        self._heads: dict[str, str] = {}

    def _update_table(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._update_table(stored_events, **kwargs)
        links = link(stored_events, list(ids or []), len(self.chain), lambda s: self._heads.get(s, ""))
        self.chain += links
        self._heads.update((item.stream, item.hash) for item in links)
        return ids


class ChainedPOPOFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return ChainedPOPORecorder()


def _write_chain(cursor: Any, events: Sequence[StoredEvent], positions: list[int], mark: str) -> None:
    """Append the events' links to ``registry_chain`` with the caller's cursor (inside its transaction)."""
    cursor.execute("SELECT COALESCE(MAX(leaf), -1) AS leaf FROM registry_chain")
    next_leaf = int(cursor.fetchone()["leaf"]) + 1

    def previous_hash(stream: str) -> str:
        sql = f"SELECT hash FROM registry_chain WHERE stream = {mark} ORDER BY version DESC LIMIT 1"
        cursor.execute(sql, (stream,))
        row = cursor.fetchone()
        return "" if row is None else str(row["hash"])

    links = link(events, positions, next_leaf, previous_hash)
    marks = ", ".join([mark] * 6)
    cursor.executemany(f"INSERT INTO registry_chain VALUES ({marks})", [item.row() for item in links])


def locator(registry: Registry) -> Locate:
    """How to find the log positions of stored events in this store (for replayed answers)."""

    def locate(refs: Sequence[tuple[UUID, int]]) -> list[int]:
        recorder: Any = registry.recorder
        if isinstance(recorder, POPOApplicationRecorder):
            index = recorder._stored_events_index  # the in-memory store has no query language
            return [index[str(stream)][version] + 1 for stream, version in refs]
        keys: list[tuple[Any, int]]
        if isinstance(recorder, SQLiteApplicationRecorder):
            where = "WHERE originator_id = ? AND originator_version = ?"
            sql = f"SELECT rowid AS position FROM {recorder.events_table_name} {where}"
            keys = [(stream.hex, version) for stream, version in refs]
        else:
            where = "WHERE originator_id = %s AND originator_version = %s"
            sql = f"SELECT notification_id AS position FROM {recorder.events_table_name} {where}"
            keys = [(stream, version) for stream, version in refs]
        positions = []
        with recorder.datastore.transaction(commit=False) as cursor:
            for key in keys:
                cursor.execute(sql, key)
                positions.append(cursor.fetchone()["position"])
        return positions

    return locate
