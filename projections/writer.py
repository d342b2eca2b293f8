"""Rows written in bulk in the caller's transaction: on PostgreSQL by ``COPY``, in a thread of its own.

A bulk build (``projections.rows.MemoryRows``) hands over batches of finished
rows while it goes on applying events. On PostgreSQL a thread copies each batch
into its table on the build's own connection (psycopg serialises the two
threads' statements on it), so the server takes in one batch while the build
computes the next, instead of the build waiting for each ``COPY`` to end; a few
batches at most wait in line, so memory stays bounded. SQLite inserts each
batch at once. ``drain`` waits until every batch handed over is in its table,
and raises what the tables refused (``BulkWriteError``); the build drains
before anything that must see those rows, and before its transaction ends.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from projections import failures
from projections.db import Cursor

AHEAD = 2  # batches handed over and not yet written, at most (each up to ``memory_rows.FLUSH_ROWS`` rows)
Batch = tuple[str, tuple[str, ...], list[tuple[Any, ...]]]  # table, columns, rows


class BulkWriteError(Exception):
    """The tables refused rows ``MemoryRows`` wrote in bulk (a value too large for a column): which event wrote
    the refused row is not known, so this is never taken for the failure of the event being applied."""


def write(cur: Cursor, dialect: str, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into ``table`` through ``cur``, at once."""
    names = ", ".join(columns)
    try:
        if dialect == "postgres":
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        else:
            cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows)
    except Exception as error:
        if failures.transient(error):
            raise
        raise BulkWriteError(f"{table}: {error}") from error


class Writer:
    """Writes batches of rows in the transaction of ``cur``: queued to a thread on PostgreSQL, at once on SQLite."""

    def __init__(self, cur: Cursor, dialect: str) -> None:
        self.cursor, self._dialect = cur, dialect
        self.error: BaseException | None = None  # what a batch met; every later write is skipped
        self._abandoned = False
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=AHEAD)
        self._thread: threading.Thread | None = None
        if dialect == "postgres":
            connection = cur.connection  # type: ignore[attr-defined]
            self._thread = threading.Thread(target=self._run, args=(connection,), name="registry-copy", daemon=True)
            self._thread.start()

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Hand over ``rows`` (the caller no longer changes the list); raises what an earlier batch met."""
        self._raise()
        if self._thread is None:
            write(self.cursor, self._dialect, table, columns, rows)
        else:
            self._queue.put((table, columns, rows))

    def drain(self) -> None:
        """Wait until every batch handed over is written; raises what the tables refused."""
        if self._thread is not None:
            self._queue.join()
        self._raise()

    def close(self, *, abandon: bool = False) -> None:
        """Stop the thread, after writing what is queued (``abandon``: without; the transaction is rolled back)."""
        if self._thread is None:
            return
        self._abandoned = abandon
        self._queue.put(None)
        self._thread.join()
        self._thread = None

    def _raise(self) -> None:
        if self.error is not None:  # kept: the transaction is lost, every later write fails the same
            raise self.error

    def _run(self, connection: Any) -> None:
        with connection.cursor() as cur:
            while (batch := self._queue.get()) is not None:
                try:
                    if self.error is None and not self._abandoned:  # after a failure the transaction is lost
                        write(cur, self._dialect, *batch)
                except BaseException as error:  # handed to the build, which raises it
                    self.error = error
                finally:
                    self._queue.task_done()
            self._queue.task_done()
