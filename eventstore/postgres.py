"""PostgreSQL: the recorder whose save is one statement, its position look-up, and the factory.

``ChainedPostgresRecorder`` stores a save's events, their chain links and the
NOTIFY with one call of ``registry_append`` (``eventstore.append``): one round
trip, where the library's pipelined path with the chain written after it took
eight (the pool's pre-ping, the lock and insert, the chain's last leaf, each
stream's previous hash, the commit). It fails fast: no retry on connection
errors (``shims.FailFastPostgresRecorder``).

``RegistryPostgresFactory`` is the library's factory with its connection pool
tuned (``eventstore.pool``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg.sql import SQL, Identifier, Literal

from eventstore import revocations
from eventstore.append import append_function_ddl, append_one_statement, append_statement
from eventstore.chain import CHAIN_DDL, Link, chain_tail, remember
from eventstore.checkpoints import checkpoint_ddl
from eventstore.pool import tuned_pool
from eventstore.shims import FailFastPostgresRecorder


class ChainedPostgresRecorder(FailFastPostgresRecorder):
    """Events, chain links and NOTIFY in one statement, one transaction and one round trip."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The set-up is one transaction, which every process starting runs: one at a time. Unserialised, two took
        # locks in crossing orders (the events table's for its indexes, then the append function's; that one's,
        # then the events table's for the revocation trigger) and one of them died of the deadlock.
        self.sql_create_statements.insert(
            0, SQL("SELECT pg_advisory_xact_lock(hashtext({}))").format(Literal("registry_event_store_setup"))
        )
        self.sql_create_statements += [SQL(statement).format() for statement in [*CHAIN_DDL, *checkpoint_ddl("BYTEA")]]
        self.sql_create_statements += append_function_ddl(self)
        self.sql_create_statements += revocations.postgres_ddl(self.datastore.schema, self.events_table_name)
        self.append_statement = append_statement(self)
        self.append_one_statement = append_one_statement(self)
        self.positions_statement = SQL(
            "SELECT e.notification_id AS position"
            " FROM unnest(%s::uuid[], %s::bigint[]) WITH ORDINALITY AS r(originator_id, originator_version, ord)"
            " JOIN {} AS e USING (originator_id, originator_version) ORDER BY r.ord"
        ).format(Identifier(self.datastore.schema, self.events_table_name))

    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, unchanged: Sequence[tuple[UUID, int]] = (), **_: Any
    ) -> Sequence[int] | None:
        """Store the events and their chain links; their positions, in the order given (the links are remembered).

        ``unchanged``: (stream, version) of records the decision read and does not append to; the save is
        refused (``IntegrityError``) if one of them is no longer at that version.
        """
        if not stored_events:
            return []
        heads = ([stream for stream, _ in unchanged], [version for _, version in unchanged])
        if len(stored_events) == 1:  # most decisions: plain values, not arrays of one (``eventstore.append``)
            event = stored_events[0]
            one = (event.originator_id, event.originator_version, event.topic, event.state, chain_tail(event))
            row = self._append(self.append_one_statement, (*one, *heads))
            link = Link(row["at_leaf"], row["appended"], str(event.originator_id), event.originator_version,
                        row["prev_link"], row["link"])  # fmt: skip
            remember(self, [link])
            return [link.position]
        params = (
            [event.originator_id for event in stored_events],
            [event.originator_version for event in stored_events],
            [event.topic for event in stored_events],
            [event.state for event in stored_events],
            [chain_tail(event) for event in stored_events],
            *heads,
        )
        row = self._append(self.append_statement, params)
        positions: list[int] = row["appended"]
        streams = [str(stream) for stream in params[0]]
        remember(self, map(Link, row["leaves"], positions, streams, params[1], row["prev_hashes"], row["hashes"]))
        return positions

    def _append(self, statement: str, params: tuple[Any, ...]) -> dict[str, Any]:
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            assert conn.autocommit  # the statement is the transaction: it commits before it answers
            cursor.execute(statement, params, prepare=True)
            row = cursor.fetchone()
        assert row is not None
        return row

    def revocations(self) -> int:
        """How many keys have been revoked (``eventstore.revocations``): one small query."""
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(revocations.SELECT, prepare=True)
            row = cursor.fetchone()
        return int(row["revoked"]) if row else 0

    def positions(self, refs: Sequence[tuple[UUID, int]]) -> list[int]:
        """The log positions of stored (stream, version) pairs in one statement, in the order given."""
        params = ([stream for stream, _ in refs], [version for _, version in refs])
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(self.positions_statement, params)
            return [row["position"] for row in cursor.fetchall()]


class RegistryPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory, its connection pool tuned (see ``eventstore.pool``)."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self.datastore.pool = tuned_pool(self.datastore)
