"""The read-model database: one small interface over SQLite and PostgreSQL.

Read models live in the same database as the events. Their SQL is written once,
in the subset both engines share, with ``%s`` placeholders; the SQLite side
translates them. A ``transaction()`` is the unit in which rows and the
projection's tracking position commit together.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from eventstore.pool import passive_check

Row = dict[str, Any]


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...
    def fetchall(self) -> list[Row]: ...
    def fetchone(self) -> Row | None: ...


class Database(Protocol):
    dialect: str

    def transaction(self, *, write: bool = True) -> Any: ...
    def close(self) -> None: ...


class _SQLiteCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._cursor.execute(sql.replace("%s", "?"), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> sqlite3.Cursor:
        return self._cursor.executemany(sql.replace("%s", "?"), rows)

    def fetchall(self) -> list[Row]:
        return [dict(r) for r in self._cursor.fetchall()]

    def fetchone(self) -> Row | None:
        row = self._cursor.fetchone()
        return None if row is None else dict(row)


class SQLiteDatabase:
    """SQLite in WAL mode. Write transactions start with BEGIN IMMEDIATE, so two
    writers queue on the database lock instead of failing half-way."""

    dialect = "sqlite"

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self._path = str(path)
        self._timeout = timeout
        self._memory = self._path == ":memory:"
        self._local = threading.local()
        self._shared: sqlite3.Connection | None = None
        self._lock = threading.RLock()  # only for the single shared in-memory connection

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path, timeout=self._timeout, isolation_level=None, check_same_thread=not self._memory
        )
        conn.row_factory = sqlite3.Row
        if not self._memory:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._memory:
            if self._shared is None:
                self._shared = self._connect()
            return self._shared
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Cursor]:
        with self._lock if self._memory else _nothing():
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SQLiteCursor(conn.cursor())
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


class PostgresDatabase:
    """PostgreSQL through a psycopg 3 connection pool with a bounded checkout wait."""

    dialect = "postgres"

    def __init__(self, conninfo: str, *, pool_size: int = 8, timeout: float = 5.0) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self._pool: ConnectionPool[Any] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            timeout=timeout,
            kwargs={"row_factory": dict_row, "connect_timeout": max(1, int(timeout))},
            check=passive_check,  # replace connections a database restart broke, without a ping per checkout
            open=True,
        )

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Cursor]:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def close(self) -> None:
        self._pool.close()
