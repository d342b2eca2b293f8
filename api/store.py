"""Event-store specifics the application service should not know: failing fast, finding positions.

``FailFastPostgresRecorder`` runs the library's SQL unchanged but without its
ten-fold retry on connection errors: with the database down, a request should
answer 503 within the pool's timeout rather than hang for tens of seconds, and
the client (or its Idempotency-Key retry) decides when to try again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from domain.registry import Locate, Registry


class FailFastPostgresRecorder(PostgresApplicationRecorder):
    insert_events = PostgresApplicationRecorder.insert_events.__wrapped__
    select_events = PostgresAggregateRecorder.select_events.__wrapped__
    select_notifications = PostgresApplicationRecorder.select_notifications.__wrapped__
    max_notification_id = PostgresApplicationRecorder.max_notification_id.__wrapped__


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
