"""Read-model rows, versioned by log position, and the two stores handlers write them through.

Every table of a read model keeps each row's versions: a version is valid from
the log position of the event that wrote it (``valid_from``) until the position
of the event that replaced it (``valid_to``, NULL while it is current). The
present is ``valid_to IS NULL``; the read model *as it stood after position p*
is ``valid_from <= p AND (valid_to IS NULL OR valid_to > p)``. That is what
makes past views cheap (see ``projections.as_of``): no replay, one more predicate.
Several writes to one row by one event make one version. Append-only tables
(``versioned=False``) hold facts that never change, such as the history.

Handlers do not write SQL. They read and write rows through a ``Rows`` store:

- ``SqlRows`` writes each change as it happens, inside the caller's transaction
  (live catch-up: a few events at a time);
- ``MemoryRows`` (``projections.memory_rows``) keeps the current rows in
  memory, streams finished versions out in bulk (``COPY`` on PostgreSQL), and
  makes the tables match its state at each checkpoint (rebuilds: millions of
  events, a checkpoint every few thousand batches).

Both run the same handlers over the same positions, so they produce the same
rows; the rebuild property test holds them to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Any, Protocol

from projections.db import Cursor, Row
from projections.writer import BulkWriteError, write

__all__ = ["BulkWriteError", "Rows", "SqlRows", "Table", "plus", "versions_at"]

Key = tuple[Any, ...]
Change = Any  # a new value, or a function of the old one (see ``plus``)


@dataclass(frozen=True)
class Table:
    """A read-model table: its columns (``"name TYPE"``), the columns that identify a row, its indexes."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    versioned: bool = True
    indexes: tuple[str, ...] = ()  # "index_name ON (col, …)"

    @cached_property
    def names(self) -> tuple[str, ...]:
        data = tuple(c.split()[0] for c in self.columns)
        return (*data, "valid_from", "valid_to") if self.versioned else data

    @cached_property
    def values(self) -> Callable[[Row], tuple[Any, ...]]:
        """A row's values in column order."""
        return itemgetter(*self.names)  # every table has more than one column, so this makes a tuple

    def ddl(self) -> list[str]:
        key = ", ".join(self.key)
        if not self.versioned:
            body = ", ".join(self.columns)
            statements = [f"CREATE TABLE IF NOT EXISTS {self.name} ({body}, PRIMARY KEY ({key}))"]
        else:
            body = ", ".join([*self.columns, "valid_from BIGINT NOT NULL", "valid_to BIGINT"])
            scope = self.key[0]  # versions are read per programme (see ``versions_at``)
            statements = [
                f"CREATE TABLE IF NOT EXISTS {self.name} ({body}, PRIMARY KEY ({key}, valid_from))",
                f"CREATE UNIQUE INDEX IF NOT EXISTS {self.name}_now ON {self.name} ({key}) WHERE valid_to IS NULL",
                f"CREATE INDEX IF NOT EXISTS {self.name}_closed ON {self.name} ({scope}, valid_to)"
                " WHERE valid_to IS NOT NULL",
            ]
        for index in self.indexes:
            name, columns = index.split(" ON ")
            statements.append(f"CREATE INDEX IF NOT EXISTS {name} ON {self.name} {columns}")
        return statements

    @cached_property
    def key_of(self) -> Callable[[Row], Key]:
        """A row's key, as a tuple."""
        if len(self.key) == 1:
            (column,) = self.key
            return lambda row: (row[column],)
        return itemgetter(*self.key)


def versions_at(
    table: str, where: str, params: Sequence[Any], position: int | None, order: str = ""
) -> tuple[str, list[Any]]:
    """A query for the rows of ``table`` matching ``where`` as they stood after ``position`` (None: now).

    Rows valid at a position are the current ones created by then, and the
    closed ones that were still open then. Each half has its index (``_now`` and
    ``_closed``), so the cost grows with what changed since ``position``, not with
    every version the programme ever had.
    """
    ordered = f" ORDER BY {order}" if order else ""
    if position is None:
        return f"SELECT * FROM {table} WHERE {where} AND valid_to IS NULL{ordered}", list(params)
    sql = (
        f"SELECT * FROM {table} WHERE {where} AND valid_to IS NULL AND valid_from <= %s"
        f" UNION ALL SELECT * FROM {table} WHERE {where} AND valid_to > %s AND valid_from <= %s{ordered}"
    )
    return sql, [*params, position, *params, position, position]


def closing(table: Table, variant: str = "") -> str:
    """The statement that closes a version: parameters (valid_to, *key, valid_from)."""
    where = " AND ".join(f"{k} = %s" for k in table.key)
    return f"UPDATE {table.name}{variant} SET valid_to = %s WHERE {where} AND valid_from = %s"


def plus(amount: int) -> Callable[[Any], Any]:
    """A change that adds ``amount`` to the old value."""
    return lambda old: old + amount


class Rows(Protocol):
    """What a handler sees: the current rows, written at ``position`` (the event being applied)."""

    position: int

    def get(self, table: Table, key: Key) -> Row | None: ...
    def put(self, table: Table, row: Row) -> None: ...
    def update(self, table: Table, key: Key, default: Row | None = None, **changes: Change) -> None: ...
    def append(self, table: Table, row: Row) -> None: ...


class VersionedRows:
    """The write rules both stores share; subclasses say how a version is stored."""

    position: int = 0

    def get(self, table: Table, key: Key) -> Row | None:
        raise NotImplementedError

    def put(self, table: Table, row: Row) -> None:
        """Make ``row`` the current version of its key (inserting the key if it is new)."""
        key = table.key_of(row)
        self._store(table, key, self.get(table, key), {**row, "valid_from": self.position, "valid_to": None})

    def update(self, table: Table, key: Key, default: Row | None = None, **changes: Change) -> None:
        """Change some columns of a row; a missing row is left missing unless a ``default`` starts it."""
        old = self.get(table, key)
        base = old if old is not None else default
        if base is None:
            return
        new, same = dict(base), old is not None
        for column, change in changes.items():
            value = new[column] = change(base[column]) if callable(change) else change
            same = same and value == base[column]
        if same:
            return  # nothing changed: no new version
        new["valid_from"], new["valid_to"] = self.position, None
        self._store(table, key, old, new)

    def _store(self, table: Table, key: Key, old: Row | None, new: Row) -> None:
        raise NotImplementedError


class SqlRows(VersionedRows):
    """Reads and writes rows with the caller's cursor (inside its transaction).

    Rows read or written are remembered for the transaction, so a batch of events
    about one team reads its row once. Only one transaction applies a read model
    at a time (its tracking row is locked), so what is remembered stays true.

    Unbuffered, each change is written at once. ``buffered``, changes wait for
    ``flush`` and go out a few statements per table, not several per event: the
    versions to close, then the new versions (those opened and closed within the
    batch written closed) and the appended rows, in bulk (``writer.write``).
    Handlers read only through ``get``, which sees every change, so they see the
    same rows either way; the caller flushes before anything else reads the
    tables, and before it commits.
    """

    def __init__(self, cur: Cursor, dialect: str, *, buffered: bool = False) -> None:
        self._cur, self._dialect = cur, dialect
        self._seen: dict[tuple[str, Key], Row | None] = {}
        self._buffered = buffered
        self._closures: dict[Table, list[tuple[Any, ...]]] = {}  # (valid_to, *key, valid_from) of versions in it
        self._inserts: dict[Table, list[tuple[Any, ...]]] = {}  # finished versions and appended rows
        self._current: dict[Table, dict[Key, Row]] = {}  # current versions not in the table yet (``buffered``)

    def forget(self) -> None:
        """Drop what is remembered: a savepoint it may have seen rows in was rolled back."""
        self._seen = {}

    def get(self, table: Table, key: Key) -> Row | None:
        seen = (table.name, key)
        if seen not in self._seen:
            where = " AND ".join(f"{k} = %s" for k in table.key)
            self._cur.execute(f"SELECT * FROM {table.name} WHERE {where} AND valid_to IS NULL", key)
            self._seen[seen] = self._cur.fetchone()
        return self._seen[seen]

    def append(self, table: Table, row: Row) -> None:
        if self._buffered:
            self._inserts.setdefault(table, []).append(table.values(row))
            return
        columns, marks = ", ".join(table.names), ", ".join(["%s"] * len(table.names))
        self._cur.execute(
            f"INSERT INTO {table.name} ({columns}) VALUES ({marks}) ON CONFLICT ({', '.join(table.key)}) DO NOTHING",
            table.values(row),
        )

    def flush(self) -> None:
        """Write the changes kept so far (``buffered``)."""
        for table, closures in self._closures.items():
            self._cur.executemany(closing(table), closures)
        for table, current in self._current.items():
            self._inserts.setdefault(table, []).extend(map(table.values, current.values()))
        for table, rows in self._inserts.items():
            write(self._cur, self._dialect, table.name, table.names, rows)
        self._closures, self._inserts, self._current = {}, {}, {}

    def _store(self, table: Table, key: Key, old: Row | None, new: Row) -> None:
        self._seen[(table.name, key)] = new
        current = self._current.setdefault(table, {})
        unwritten = key in current
        if not self._buffered or (old is not None and old["valid_from"] == self.position and not unwritten):
            self._write(table, key, old, new)
            return
        if old is not None and old["valid_from"] != self.position:
            if unwritten:  # opened in this batch: written closed, as it ends here
                self._inserts.setdefault(table, []).append((*table.values(old)[:-1], self.position))
            else:
                self._closures.setdefault(table, []).append((self.position, *key, old["valid_from"]))
        current[key] = new

    def _write(self, table: Table, key: Key, old: Row | None, new: Row) -> None:
        name, where = table.name, " AND ".join(f"{k} = %s" for k in table.key)
        if old is not None and old["valid_from"] == self.position:
            data = [c for c in table.names if c not in table.key and c not in ("valid_from", "valid_to")]
            assignments = ", ".join(f"{c} = %s" for c in data)
            self._cur.execute(
                f"UPDATE {name} SET {assignments} WHERE {where} AND valid_to IS NULL", [*(new[c] for c in data), *key]
            )
        else:
            if old is not None:
                self._cur.execute(closing(table), (self.position, *key, old["valid_from"]))
            columns = ", ".join(table.names)
            marks = ", ".join(["%s"] * len(table.names))
            self._cur.execute(f"INSERT INTO {name} ({columns}) VALUES ({marks})", [new[c] for c in table.names])
