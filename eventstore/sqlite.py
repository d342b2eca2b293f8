"""SQLite: the library's recorder, writing each event's chain link in the event's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from eventstore import revocations
from eventstore.chain import CHAIN_DDL, link
from eventstore.checkpoints import checkpoint_ddl


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    """Events and their chain links in one transaction."""

    def construct_create_table_statements(self) -> list[str]:
        statements = [*super().construct_create_table_statements(), *CHAIN_DDL, *checkpoint_ddl("BLOB")]
        return statements + revocations.sqlite_ddl(self.events_table_name)

    def revocations(self) -> int:
        """How many keys have been revoked (``eventstore.revocations``)."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(revocations.SELECT)
            row = cursor.fetchone()
        return int(row["revoked"]) if row else 0

    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], *, unchanged: Sequence[tuple[UUID, int]] = (), **kwargs: Any
    ) -> Any:
        # The library's hook inside its insert transaction (its process recorder writes tracking here).
        ids = super()._insert_events(c, stored_events, **kwargs)
        # ``unchanged``: records the decision read and does not append to, each still at its version or no save.
        # Read after the insert, under its write lock: a read first would make the insert's lock upgrade fail
        # at once ("database is locked") when another writer committed in between, rather than wait its turn.
        sql = f"SELECT MAX(originator_version) AS version FROM {self.events_table_name} WHERE originator_id = ?"
        for stream, version in unchanged:
            c.execute(sql, (stream.hex,))
            if c.fetchone()["version"] != version:
                raise IntegrityError(f"record {stream} is no longer at version {version}")
        _write_chain(c, stored_events, list(ids or []))
        return ids

    def positions(self, refs: Sequence[tuple[UUID, int]]) -> list[int]:
        """The log positions of stored (stream, version) pairs, in the order given."""
        where = "WHERE originator_id = ? AND originator_version = ?"
        sql = f"SELECT rowid AS position FROM {self.events_table_name} {where}"
        positions = []
        with self.datastore.transaction(commit=False) as cursor:
            for stream, version in refs:
                cursor.execute(sql, (stream.hex, version))
                positions.append(cursor.fetchone()["position"])
        return positions


def _write_chain(cursor: Any, events: Sequence[StoredEvent], positions: list[int]) -> None:
    """Append the events' links to ``registry_chain`` with the caller's cursor (inside its transaction)."""
    cursor.execute("SELECT COALESCE(MAX(leaf), -1) AS leaf FROM registry_chain")
    next_leaf = int(cursor.fetchone()["leaf"]) + 1

    def previous_hash(stream: str) -> str:
        cursor.execute("SELECT hash FROM registry_chain WHERE stream = ? ORDER BY version DESC LIMIT 1", (stream,))
        row = cursor.fetchone()
        return "" if row is None else str(row["hash"])

    links = link(events, positions, next_leaf, previous_hash)
    cursor.executemany("INSERT INTO registry_chain VALUES (?, ?, ?, ?, ?, ?)", [item.row() for item in links])
