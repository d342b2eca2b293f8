"""A whole checked log loaded into an empty PostgreSQL store by COPY, in one transaction.

``registry import`` (``audit.transfer``) checks an export event by event and
hands each one here as soon as it fits; a refusal raised inside ``bulk_load``
cancels the COPY and rolls the transaction back, so nothing is written.

The rows are those the recorder's own append (``eventstore.append``) would
store for the same events given in the same order: events at consecutive
positions from the one the events' sequence would hand out next, chain links
with leaves numbered on from the chain's last in that order, each link's
previous hash and hash as given (the caller has checked them), the checkpoints
through the same guarded insert as ``CheckpointTable.append``, and the sequence
left where the append's ``nextval`` calls would leave it. The events table's
EXCLUSIVE lock is held, as the append holds it, so no other writer takes a
position meanwhile; COPY fires the row triggers, so key revocations are counted
(``eventstore.revocations``); one NOTIFY wakes followers at the commit.

Events stream to the server as they are checked (binary COPY), so the server
writes while the caller reads and hashes (psycopg's queued writer, which sends
from a thread, was tried: handing each buffer over cost more than it saved); chain links and checkpoints wait
in spools (a little in memory, the rest on disk) for after the events' COPY, since a connection runs one
statement at a time: what the load holds in memory does not grow with the log.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, TypeGuard
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Copy
from psycopg.sql import SQL, Identifier

from eventstore.checkpoints import StoredCheckpoint, append_params, append_statement

SPOOL_IN_MEMORY = 4 << 20  # bytes of a spool kept in memory before it goes to disk
BLOCK = 1 << 20


def loads_in_bulk(recorder: object) -> TypeGuard[PostgresApplicationRecorder]:
    """Whether ``bulk_load`` serves this store (PostgreSQL); the others write through ``insert_events``."""
    return isinstance(recorder, PostgresApplicationRecorder)


class BulkLoad:
    """The open load: ``event`` per event in log order, ``checkpoint`` per signed checkpoint, then the commit."""

    def __init__(
        self, first_position: int, first_leaf: int, copy: Copy, spool: IO[bytes], checkpoints: IO[bytes]
    ) -> None:
        self.first_position, self.first_leaf = first_position, first_leaf
        self.count = 0
        self._copy, self._spool, self._checkpoints = copy, spool, checkpoints

    def position(self, index: int) -> int:
        """The log position the ``index``-th event given (from 0) is stored at."""
        return self.first_position + index

    def event(self, uuid: UUID, stream: str, version: int, topic: str, state: bytes, prev: str, digest: str) -> None:
        """Store an event whose chain link the caller has checked (``stream`` is ``uuid`` in canonical text,
        ``prev`` and ``digest`` hex: nothing in the spooled row needs escaping)."""
        position, leaf = self.first_position + self.count, self.first_leaf + self.count
        self._copy.write_row((position, uuid, version, topic, state))
        self._spool.write(f"{leaf}\t{position}\t{stream}\t{version}\t{prev}\t{digest}\n".encode())
        self.count += 1

    def checkpoint(self, row: StoredCheckpoint) -> None:
        pickle.dump(row, self._checkpoints, protocol=pickle.HIGHEST_PROTOCOL)

    def checkpoints(self) -> Iterator[StoredCheckpoint]:
        """The checkpoints given, in order (read back from their spool: only this load wrote it)."""
        self._checkpoints.seek(0)
        while True:
            try:
                row = pickle.load(self._checkpoints)  # our own spool, written above
            except EOFError:
                return
            yield row


@contextmanager
def bulk_load(recorder: PostgresApplicationRecorder) -> Iterator[BulkLoad]:
    """One transaction: the events by COPY as they come, then the chain links, checkpoints, sequence and NOTIFY."""
    events = Identifier(recorder.datastore.schema, recorder.events_table_name)
    with (
        recorder.datastore.get_connection() as conn,
        conn.transaction(),
        conn.cursor() as cursor,
        tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool,
        tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as checkpoints,
    ):
        cursor.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events))
        sequence, first_position = _next_position(cursor, events)
        cursor.execute("SELECT COALESCE(MAX(leaf), -1) + 1 AS leaf FROM registry_chain")
        first_leaf = int(_one(cursor)["leaf"])
        columns = "notification_id, originator_id, originator_version, topic, state"
        statement = SQL(f"COPY {{}} ({columns}) FROM STDIN (FORMAT BINARY)").format(events)
        with cursor.copy(statement) as copy:
            copy.set_types(["int8", "uuid", "int8", "text", "bytea"])
            load = BulkLoad(first_position, first_leaf, copy, spool, checkpoints)
            yield load
        spool.seek(0)
        chain = "COPY registry_chain (leaf, position, stream, version, prev_hash, hash) FROM STDIN"
        with cursor.copy(chain) as copy:
            while block := spool.read(BLOCK):
                copy.write(block)
        for row in load.checkpoints():
            cursor.execute(append_statement("%s"), append_params(row))
        if load.count:
            cursor.execute("SELECT setval(%s::regclass, %s)", (sequence, first_position + load.count - 1))
        cursor.execute("SELECT pg_notify(%s, '')", (recorder.channel_name,))


def _next_position(cursor: Any, events: Identifier) -> tuple[str, int]:
    """The events' position sequence, and the value its next ``nextval`` would return (without calling it)."""
    cursor.execute(
        "SELECT s.seqrelid::regclass::text AS sequence, s.seqincrement AS increment"
        " FROM pg_sequence AS s WHERE s.seqrelid = pg_get_serial_sequence(%s, 'notification_id')::regclass",
        (events.as_string(cursor),),
    )
    found = _one(cursor)
    if found["increment"] != 1:  # a BIGSERIAL's; any other would not hand out consecutive positions
        raise RuntimeError(f"the events' sequence {found['sequence']} steps by {found['increment']}, not 1")
    cursor.execute(SQL("SELECT last_value, is_called FROM {}").format(SQL(found["sequence"])))
    state = _one(cursor)
    return str(found["sequence"]), int(state["last_value"]) + (1 if state["is_called"] else 0)


def _one(cursor: Any) -> Any:
    row = cursor.fetchone()
    assert row is not None
    return row
