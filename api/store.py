"""Event-store specifics the application service should not know: the hash chain, failing fast,
finding positions.

Each store's recorder writes the chain link of every event (see ``audit.chain``)
in the same transaction as the event itself.

On PostgreSQL a save is one round trip. ``ChainedPostgresRecorder`` calls one
PL/pgSQL function (``registry_append``, created with the tables) in an
autocommit statement, so the statement is the transaction: it takes the events
table's EXCLUSIVE lock (as the library does, so commits happen in position order
and a follower never passes a gap that a late commit fills), inserts the events,
chains them onto their streams in ``registry_chain`` (hashing in the database,
with the previous hash read under the lock), sends the NOTIFY and returns the
positions. A competing version is a unique violation, which surfaces as the
library's ``IntegrityError`` as before. (The library's pipelined path with the
chain written after it took eight round trips for a one-event save: the pool's
pre-ping, the lock and insert, the chain's last leaf, each stream's previous
hash, the commit.)

``FailFastPostgresRecorder`` (and so the chained one) runs without the library's
ten-fold retry on connection errors: with the database down, a request should
answer 503 within the pool's timeout rather than hang for tens of seconds, and
the client (or its Idempotency-Key retry) decides when to try again.

``RegistryPostgresFactory`` tunes the library's connection pool. Its pre-ping
becomes passive: a connection is pinged before use only if the server has said
something on it since it went idle (a restart or ``pg_terminate_backend`` sends
an error and closes it), so a connection broken by a restart is still replaced,
not used, without a round trip on every checkout. And it hands out the
connection returned last, whose server process is still warm, instead of the
one idle longest.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, JSONTranscoder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Composed, Identifier, Literal

from audit.chain import CHAIN_DDL, Link, canonical, link
from domain.registry import Locate, Registry
from projections.db import passive_check

APPEND_FUNCTION = "registry_append"
PREV_PREFIX = b'{"prev":"'
"""What every canonical encoding starts with: the previous hash is the first key (``audit.chain``)."""


class FailFastPostgresRecorder(PostgresApplicationRecorder):
    insert_events = PostgresApplicationRecorder.insert_events.__wrapped__
    select_events = PostgresAggregateRecorder.select_events.__wrapped__
    select_notifications = PostgresApplicationRecorder.select_notifications.__wrapped__
    max_notification_id = PostgresApplicationRecorder.max_notification_id.__wrapped__


class ChainedPostgresRecorder(FailFastPostgresRecorder):
    """Events, chain links and NOTIFY in one statement, one transaction and one round trip."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements += [SQL(statement).format() for statement in CHAIN_DDL]
        self.sql_create_statements.append(append_function_ddl(self))
        # Rendered once (psycopg would render a composed statement on every call); binary
        # parameters are cheaper to send, and for the server to read, than text arrays.
        self.append_statement = (
            SQL("SELECT {}(%b::uuid[], %b::bigint[], %b::text[], %b, %b) AS positions")
            .format(Identifier(self.datastore.schema, APPEND_FUNCTION))
            .as_string()
        )

    def insert_events(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:
        """Store the events and their chain links; their positions, in the order given."""
        if not stored_events:
            return []
        params = (
            [event.originator_id for event in stored_events],
            [event.originator_version for event in stored_events],
            [event.topic for event in stored_events],
            [event.state for event in stored_events],
            [chain_tail(event) for event in stored_events],
        )
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            assert conn.autocommit  # the statement is the transaction: it commits before it answers
            cursor.execute(self.append_statement, params, prepare=True)
            row = cursor.fetchone()
        assert row is not None
        return list(row["positions"])


def append_function_ddl(recorder: PostgresApplicationRecorder) -> Composed:
    """``registry_append(streams, versions, topics, states, tails) RETURNS bigint[]``: the whole save.

    Under the events table's EXCLUSIVE lock (held to the commit) it inserts the
    events, reads each stream's last hash, hashes the new events in version order
    per stream as ``sha256('{"prev":"' || prev || tail)`` (``tail`` is the rest of
    the canonical encoding, see ``chain_tail``), appends the links with leaves in
    position order, notifies the channel and returns the positions in input order.
    """
    return SQL(_APPEND_BODY).format(
        function=Identifier(recorder.datastore.schema, APPEND_FUNCTION),
        events=Identifier(recorder.datastore.schema, recorder.events_table_name),
        lock_timeout=Literal(f"{recorder.datastore.lock_timeout}s"),
        channel=Literal(recorder.channel_name),
        prefix=Literal(PREV_PREFIX.decode()),
    )


_APPEND_BODY = """
CREATE OR REPLACE FUNCTION {function}(
    streams uuid[], versions bigint[], topics text[], states bytea[], tails bytea[]
) RETURNS bigint[] LANGUAGE plpgsql AS $body$
DECLARE
    positions bigint[];
    first_leaf bigint;
    item record;
    current_stream text;
    previous text;
    digest text;
    link_positions bigint[] := ARRAY[]::bigint[];
    link_streams text[] := ARRAY[]::text[];
    link_versions bigint[] := ARRAY[]::bigint[];
    link_prevs text[] := ARRAY[]::text[];
    link_hashes text[] := ARRAY[]::text[];
BEGIN
    SET LOCAL lock_timeout = {lock_timeout};
    LOCK TABLE {events} IN EXCLUSIVE MODE;
    WITH batch AS (
        SELECT * FROM unnest(streams, versions, topics, states) WITH ORDINALITY
            AS b(originator_id, originator_version, topic, state, ord)
    ), inserted AS (
        INSERT INTO {events} (originator_id, originator_version, topic, state)
        SELECT b.originator_id, b.originator_version, b.topic, b.state FROM batch AS b ORDER BY b.ord
        RETURNING notification_id, originator_id, originator_version
    )
    SELECT array_agg(i.notification_id ORDER BY b.ord) INTO positions
    FROM batch AS b JOIN inserted AS i USING (originator_id, originator_version);

    SELECT COALESCE(MAX(c.leaf), -1) + 1 INTO first_leaf FROM registry_chain AS c;
    FOR item IN
        SELECT e.stream::text AS stream, e.version, e.tail, e.position
        FROM unnest(streams, versions, tails, positions) AS e(stream, version, tail, position)
        ORDER BY 1, 2
    LOOP
        IF current_stream IS DISTINCT FROM item.stream THEN
            current_stream := item.stream;
            previous := COALESCE((
                SELECT c.hash FROM registry_chain AS c WHERE c.stream = item.stream ORDER BY c.version DESC LIMIT 1
            ), '');
        END IF;
        digest := encode(sha256(convert_to({prefix} || previous, 'UTF8') || item.tail), 'hex');
        link_positions := link_positions || item.position;
        link_streams := link_streams || item.stream;
        link_versions := link_versions || item.version;
        link_prevs := link_prevs || previous;
        link_hashes := link_hashes || digest;
        previous := digest;
    END LOOP;
    INSERT INTO registry_chain (leaf, position, stream, version, prev_hash, hash)
    SELECT first_leaf - 1 + row_number() OVER (ORDER BY l.position), l.position, l.stream, l.version, l.prev, l.hash
    FROM unnest(link_positions, link_streams, link_versions, link_prevs, link_hashes)
        AS l(position, stream, version, prev, hash);
    PERFORM pg_notify({channel}, '');
    RETURN positions;
END
$body$
"""


def chain_tail(event: StoredEvent) -> bytes:
    """The event's canonical encoding after ``{"prev":"`` and the previous hash (which the database fills in).

    The previous hash is hex (or empty), so JSON writes it as itself between quotes: the
    encoding with hash P is ``PREV_PREFIX + P + tail``, byte for byte ``audit.chain.canonical``.
    """
    stream = event.originator_id if isinstance(event.originator_id, UUID) else UUID(str(event.originator_id))
    document = canonical(event.topic, stream, event.originator_version, event.state, "")
    assert document.startswith(PREV_PREFIX + b'"')
    return document[len(PREV_PREFIX) :]


class RegistryPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory, its connection pool tuned (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_passive_check(self.datastore)
        hand_out_most_recent_first(self.datastore)


def use_passive_check(datastore: PostgresDatastore) -> None:
    """Swap the pool's pre-ping (a round trip per checkout) for ``passive_check``, if pre-ping is on."""
    if datastore.pre_ping:  # psycopg_pool takes a check only in its constructor, which the library calls
        datastore.pool._check = passive_check


class MostRecentFirst(deque[Any]):
    """A pool's idle connections, the one returned last taken first (psycopg_pool appends and pops left)."""

    def popleft(self) -> Any:
        return self.pop()


def hand_out_most_recent_first(datastore: PostgresDatastore) -> None:
    """Reuse the connection returned last instead of rotating through all of them.

    psycopg_pool hands out the longest-idle connection; one request after another
    then wakes a different server process each time, whose caches have gone cold
    (about 60 µs more per save on the benchmark machine). Idle connections a
    restart closed are still caught by ``passive_check`` when they are next used.
    Left as it is if a psycopg_pool release keeps its idle connections differently.
    """
    pool: Any = datastore.pool
    if type(getattr(pool, "_pool", None)) is deque:
        with pool._lock:
            pool._pool = MostRecentFirst(pool._pool)


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
        if isinstance(recorder, PostgresApplicationRecorder):
            return _postgres_positions(recorder, refs)
        where = "WHERE originator_id = ? AND originator_version = ?"
        sql = f"SELECT rowid AS position FROM {recorder.events_table_name} {where}"
        positions = []
        with recorder.datastore.transaction(commit=False) as cursor:
            for stream, version in refs:
                cursor.execute(sql, (stream.hex, version))
                positions.append(cursor.fetchone()["position"])
        return positions

    return locate


def _postgres_positions(recorder: PostgresApplicationRecorder, refs: Sequence[tuple[UUID, int]]) -> list[int]:
    """The positions of (stream, version) pairs in one statement (one round trip), in the order given."""
    sql = SQL(
        "SELECT e.notification_id AS position"
        " FROM unnest(%s::uuid[], %s::bigint[]) WITH ORDINALITY AS r(originator_id, originator_version, ord)"
        " JOIN {} AS e USING (originator_id, originator_version) ORDER BY r.ord"
    ).format(Identifier(recorder.datastore.schema, recorder.events_table_name))
    params = ([stream for stream, _ in refs], [version for _, version in refs])
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
        return [row["position"] for row in cursor.fetchall()]


class FastJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder, decoding with orjson.

    Encoding is unchanged (the stored bytes, and so the chain's hashes, stay as
    the library writes them). Decoding parses with orjson and then revives the
    ``{"_type_": …, "_data_": …}`` objects innermost first, as the library's
    ``object_hook`` does. What orjson reads differently from the standard
    library is decoded the library's way: what it refuses (``NaN``), and
    integers beyond 64 bits, which it makes floats (so any float that large
    sends the whole state the library's way; a real float comes out the same).
    """

    def decode(self, data: bytes) -> Any:
        try:
            return self._revive(orjson.loads(data))
        except (orjson.JSONDecodeError, _BeyondOrjsonError):
            return super().decode(data)

    def _revive(self, value: Any) -> Any:
        if type(value) is dict:
            for key, item in value.items():
                kind = type(item)
                if kind is dict or kind is list:
                    value[key] = self._revive(item)
                elif kind is float and not -FLOAT_OF_BIG_INT < item < FLOAT_OF_BIG_INT:
                    raise _BeyondOrjsonError
            return self._decode_obj(value) if len(value) == 2 else value
        if type(value) is list:
            for index, item in enumerate(value):
                kind = type(item)
                if kind is dict or kind is list:
                    value[index] = self._revive(item)
                elif kind is float and not -FLOAT_OF_BIG_INT < item < FLOAT_OF_BIG_INT:
                    raise _BeyondOrjsonError
            return value
        if type(value) is float and not -FLOAT_OF_BIG_INT < value < FLOAT_OF_BIG_INT:
            raise _BeyondOrjsonError
        return value


FLOAT_OF_BIG_INT = float(2**63)  # orjson reads integers in [-2**63, 2**64) as ints, any other as a float
"""No float orjson makes of an integer it cannot hold is smaller than this in size."""


class _BeyondOrjsonError(Exception):
    """A number orjson read as a float may have been an integer beyond 64 bits."""
