"""The PostgreSQL append: one PL/pgSQL function that stores a whole save, its chain links and its NOTIFY.

``registry_append_links`` is created with the tables and called by
``postgres.ChainedPostgresRecorder`` in an autocommit statement, so the statement
is the transaction and a save is one round trip. Under the events table's
EXCLUSIVE lock (as the library takes it, so commits happen in position order and a
follower never passes a gap that a late commit fills) it inserts the events,
chains them onto their streams in ``registry_chain`` (hashing in the database,
with the previous hash read under the lock), sends the NOTIFY and returns the
positions with each event's leaf index, previous hash and hash, so that a reply
that names them (``audit.log.MerkleLog.at``) asks the store nothing more. (The
first version, ``registry_append``, returned the positions alone; a function's
result type cannot be replaced, so it is left for processes of that version
while an upgrade rolls through.) A competing version is a unique violation, which surfaces as the
library's ``IntegrityError``.

A save of one event (most decisions) calls ``registry_append_one`` instead: the same steps on plain
values. Arrays of one cost the caller their encoding: 90 µs of client CPU per call with arrays, 50 with
plain values (psycopg, the same statement both ways).
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Composed, Identifier, Literal

from eventstore.chain import PREV_PREFIX

APPEND_FUNCTION = "registry_append_links"
APPEND_ONE_FUNCTION = "registry_append_one"


def append_statement(recorder: PostgresApplicationRecorder) -> str:
    """The call of the function, rendered once (psycopg would render a composed statement on every call).

    Binary parameters are cheaper to send, and for the server to read, than text arrays.
    """
    return (
        SQL("SELECT * FROM {}(%b::uuid[], %b::bigint[], %b::text[], %b, %b, %b::uuid[], %b::bigint[])")
        .format(Identifier(recorder.datastore.schema, APPEND_FUNCTION))
        .as_string()
    )


def append_one_statement(recorder: PostgresApplicationRecorder) -> str:
    """The call of the one-event function, rendered once; the heads stay arrays (a decision may read several)."""
    return (
        SQL("SELECT * FROM {}(%b::uuid, %b::bigint, %b::text, %b::bytea, %b::bytea, %b::uuid[], %b::bigint[])")
        .format(Identifier(recorder.datastore.schema, APPEND_ONE_FUNCTION))
        .as_string()
    )


def append_function_ddl(recorder: PostgresApplicationRecorder) -> list[Composed]:
    """``registry_append_one`` and ``registry_append_links(streams, versions, topics, states, tails, heads,
    head_versions)``: the whole save, of one event and of several.

    Under the events table's EXCLUSIVE lock (held to the commit) it checks that
    each stream in ``heads`` is still at its version in ``head_versions`` (what the
    decision read and does not append to: a unique violation if one moved on, as
    for a competing version), inserts the events, reads each stream's last hash, hashes the new events in version order
    per stream as ``sha256('{"prev":"' || prev || tail)`` (``tail`` is the rest of
    the canonical encoding, see ``chain.chain_tail``), appends the links with leaves in
    position order, notifies the channel and returns one row: the positions, leaf
    indexes, previous hashes and hashes, each array in input order. A save of one
    event (most decisions) does the same on plain values in ``registry_append_one``,
    which the array function also calls for one event (a process of the previous version).
    """
    names = {
        "function": Identifier(recorder.datastore.schema, APPEND_FUNCTION),
        "one": Identifier(recorder.datastore.schema, APPEND_ONE_FUNCTION),
        "events": Identifier(recorder.datastore.schema, recorder.events_table_name),
        "lock_timeout": Literal(f"{recorder.datastore.lock_timeout}s"),
        "channel": Literal(recorder.channel_name),
        "prefix": Literal(PREV_PREFIX.decode()),
    }
    return [SQL(_APPEND_ONE_BODY).format(**names), SQL(_APPEND_BODY).format(**names)]


# Both functions' first steps: the events table's lock (held to the commit), then the records the decision read
# and does not append to, each still at the version it read.
_LOCKED_AND_CHECKED = """    SET LOCAL lock_timeout = {lock_timeout};
    LOCK TABLE {events} IN EXCLUSIVE MODE;
    IF EXISTS (
        SELECT 1 FROM unnest(heads, head_versions) AS h(stream, version)
        WHERE h.version IS DISTINCT FROM (
            SELECT MAX(e.originator_version) FROM {events} AS e WHERE e.originator_id = h.stream
        )
    ) THEN
        RAISE EXCEPTION 'a record this decision read has changed since' USING ERRCODE = 'unique_violation';
    END IF;
"""

# One event on plain values. Its variables are named apart from every column (plpgsql refuses the ambiguity).
_APPEND_ONE_BODY = (
    """
CREATE OR REPLACE FUNCTION {one}(
    new_stream uuid, new_version bigint, new_topic text, new_state bytea, new_tail bytea,
    heads uuid[], head_versions bigint[]
) RETURNS TABLE (appended bigint, at_leaf bigint, prev_link text, link text)
LANGUAGE plpgsql AS $body$
DECLARE
    one_position bigint;
    first_leaf bigint;
    previous text;
    digest text;
BEGIN
"""
    + _LOCKED_AND_CHECKED
    + """    INSERT INTO {events} (originator_id, originator_version, topic, state)
    VALUES (new_stream, new_version, new_topic, new_state) RETURNING notification_id INTO one_position;
    SELECT COALESCE(MAX(c.leaf), -1) + 1 INTO first_leaf FROM registry_chain AS c;
    previous := COALESCE((
        SELECT c.hash FROM registry_chain AS c WHERE c.stream = new_stream::text ORDER BY c.version DESC LIMIT 1
    ), '');
    digest := encode(sha256(convert_to({prefix} || previous, 'UTF8') || new_tail), 'hex');
    INSERT INTO registry_chain (leaf, position, stream, version, prev_hash, hash)
    VALUES (first_leaf, one_position, new_stream::text, new_version, previous, digest);
    PERFORM pg_notify({channel}, '');
    RETURN QUERY SELECT one_position, first_leaf, previous, digest;
END
$body$
"""
)


_APPEND_BODY = (
    """
CREATE OR REPLACE FUNCTION {function}(
    streams uuid[], versions bigint[], topics text[], states bytea[], tails bytea[],
    heads uuid[], head_versions bigint[]
) RETURNS TABLE (appended bigint[], leaves bigint[], prev_hashes text[], hashes text[])
LANGUAGE plpgsql AS $body$
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
    IF cardinality(streams) = 1 THEN  -- one event (a process of the previous version): the plain function's way
        RETURN QUERY SELECT ARRAY[o.appended], ARRAY[o.at_leaf], ARRAY[o.prev_link], ARRAY[o.link]
            FROM {one}(streams[1], versions[1], topics[1], states[1], tails[1], heads, head_versions) AS o;
        RETURN;
    END IF;
"""
    + _LOCKED_AND_CHECKED
    + """    WITH batch AS (
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
    RETURN QUERY
    WITH ranked AS (
        SELECT l.position, l.prev, l.hash, first_leaf - 1 + row_number() OVER (ORDER BY l.position) AS leaf
        FROM unnest(link_positions, link_prevs, link_hashes) AS l(position, prev, hash)
    )
    SELECT positions, array_agg(r.leaf ORDER BY p.ord), array_agg(r.prev ORDER BY p.ord),
        array_agg(r.hash ORDER BY p.ord)
    FROM unnest(positions) WITH ORDINALITY AS p(position, ord) JOIN ranked AS r ON r.position = p.position;
END
$body$
"""
)
