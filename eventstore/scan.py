"""The whole log as plain tuples, in order: what a verifier reads, without an object per event;
and stored events in order from any position, read ahead of their reader: what a bulk build reads.

``event_rows`` gives (position, stream, version, topic, state) per stored event
in position order, the stream in canonical UUID form; ``chain_rows`` gives
``registry_chain``'s (leaf, position, stream, version, prev_hash, hash) in leaf
order. A whole-log check spends its time hashing, not building a dataclass or
``StoredEvent`` per row. On PostgreSQL each is one query (one snapshot) through a
server-side cursor on a connection of its own, so both can be read side by side,
fetched in binary pages of ``PAGE`` rows that psycopg turns into tuples in C
(``COPY … TO STDOUT`` was tried: psycopg hands its rows over one Python call
each, which cost more than the hashing). SQLite and memory keep the simple path
(the recorder's pages, its lists).

``stored_events`` gives (position, stored event) from a position on, to the
log's end or a ``stop``: on PostgreSQL in keyset pages of binary rows that a
thread fetches while the reader decodes and applies the page before (the
reader is busy with Python, the server and the wire are not), each page its own
statement, as the recorder's pages are: no snapshot is held for the whole read,
and events appended before it reaches the log's end are read too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

EventRow = tuple[int, str, int, str, bytes]
ChainRow = tuple[int, int, str, int, str, str]
PAGE = 10_000
AHEAD = 2  # pages fetched ahead of the reader
_CHAIN_COLUMNS = "leaf, position, stream, version, prev_hash, hash"


def event_rows(recorder: Any) -> Iterator[EventRow]:
    """Every stored event as (position, stream, version, topic, state), in position order."""
    if isinstance(recorder, PostgresApplicationRecorder):
        sql = SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state FROM {}"
            " ORDER BY notification_id"
        ).format(Identifier(recorder.datastore.schema, recorder.events_table_name))
        yield from _fetched(recorder, sql)
        return
    position = 0
    while page := recorder.select_notifications(start=position + 1, limit=PAGE):
        for event in page:
            yield (event.id, str(event.originator_id), event.originator_version, event.topic, event.state)
        position = page[-1].id


def chain_rows(recorder: Any, *, whole: bool = True, after: int = -1) -> Iterator[ChainRow]:
    """Every chain link as (leaf, position, stream, version, prev_hash, hash), in leaf order.

    ``whole=False`` reads PostgreSQL in pages too, for a reader that may stop early
    (leaving a COPY early costs a cancel request and a drain). ``after`` starts past
    that leaf index (paged reads only).
    """
    if hasattr(recorder, "chain"):  # memory
        for item in list(recorder.chain)[after + 1 :]:
            yield item.row()
        return
    postgres = isinstance(recorder, PostgresApplicationRecorder)
    if postgres and whole and after < 0:
        sql = SQL(f"SELECT {_CHAIN_COLUMNS} FROM registry_chain ORDER BY leaf").format()
        yield from _fetched(recorder, sql)
        return
    mark = "%s" if postgres else "?"
    leaf = after
    while True:
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT {_CHAIN_COLUMNS} FROM registry_chain WHERE leaf > {mark} ORDER BY leaf LIMIT {PAGE}", (leaf,)
            )
            rows = cursor.fetchall()
        if not rows:
            return
        for row in rows:
            yield (row["leaf"], row["position"], row["stream"], row["version"], row["prev_hash"], row["hash"])
        leaf = rows[-1]["leaf"]


def stored_events(
    recorder: Any, *, after: int = 0, stop: int | None = None, page: int = PAGE
) -> Generator[tuple[int, StoredEvent], None, None]:
    """The stored events after position ``after`` (up to ``stop``, if given) as (position, event), in order."""
    if not isinstance(recorder, PostgresApplicationRecorder):
        while notifications := recorder.select_notifications(start=after + 1, limit=page, stop=stop):
            for notification in notifications:
                yield notification.id, notification
            after = notifications[-1].id
        return
    sql = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
        " WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s"
    ).format(Identifier(recorder.datastore.schema, recorder.events_table_name))

    def pages() -> Generator[list[tuple[int, StoredEvent]], None, None]:
        last, end = after, (2**63 - 1 if stop is None else stop)
        with recorder.datastore.get_connection() as conn, conn.cursor(binary=True, row_factory=tuple_row) as cursor:
            while rows := cursor.execute(sql, (last, end, page)).fetchall():
                yield [(row[0], StoredEvent(row[1], row[2], row[3], row[4])) for row in rows]
                last = rows[-1][0]

    yield from _ahead(pages)


def _fetched(recorder: PostgresApplicationRecorder, query: Composed) -> Iterator[Any]:
    """The rows of ``query`` through a server-side cursor, in binary pages, on a pooled connection held meanwhile."""

    def pages() -> Generator[list[Any], None, None]:
        with (
            recorder.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor(name="registry_scan", binary=True, row_factory=tuple_row) as cursor,
        ):
            cursor.execute(query)
            while rows := cursor.fetchmany(PAGE):
                yield rows

    yield from _ahead(pages)


def _ahead(pages: Callable[[], Generator[list[Any], None, None]]) -> Iterator[Any]:
    """The items of the lists ``pages()`` yields, which a thread produces up to ``AHEAD`` lists before the reader.

    The thread fetches the next page while the caller works through this one: the
    server produces rows while the caller works, instead of each waiting on the other.
    """
    queued: queue.Queue[list[Any] | BaseException | None] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()

    def put(item: list[Any] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                queued.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            produced = pages()
            try:
                for rows in produced:
                    if not put(rows):
                        break
            finally:
                produced.close()  # the connection goes back to the pool from this thread
            put(None)
        except BaseException as error:  # handed to the reader, which raises it
            put(error)

    thread = threading.Thread(target=fetch, name="registry-scan", daemon=True)
    thread.start()
    try:
        while (page := queued.get()) is not None:
            if isinstance(page, BaseException):
                raise page
            yield from page
    finally:
        stop.set()  # a reader that stops early lets the thread finish (and give its connection back)
        thread.join()
