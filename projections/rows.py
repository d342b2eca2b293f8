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
- ``MemoryRows`` keeps the current rows in memory, streams finished versions out
  in bulk (``COPY`` on PostgreSQL), and makes the tables match its state at
  each checkpoint (rebuilds: millions of events, a checkpoint every few
  thousand batches).

Both run the same handlers over the same positions, so they produce the same
rows; the rebuild property test holds them to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any, Protocol

from projections.db import Cursor, Row
from projections.writer import BulkWriteError, Writer

__all__ = ["BulkWriteError", "MemoryRows", "Rows", "SqlRows", "Table", "plus", "versions_at"]

Key = tuple[Any, ...]
Change = Any  # a new value, or a function of the old one (see ``plus``)
FLUSH_ROWS = 5_000  # finished versions buffered per table before they are streamed out


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


class _Versions:
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


class SqlRows(_Versions):
    """Writes each change at once with the caller's cursor (inside its transaction).

    Rows read or written are remembered for the transaction, so a batch of events
    about one team reads its row once. Only one transaction applies a read model
    at a time (its tracking row is locked), so what is remembered stays true.
    """

    def __init__(self, cur: Cursor) -> None:
        self._cur = cur
        self._seen: dict[tuple[str, Key], Row | None] = {}

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
        columns = ", ".join(table.names)
        marks = ", ".join(["%s"] * len(table.names))
        self._cur.execute(
            f"INSERT INTO {table.name} ({columns}) VALUES ({marks}) ON CONFLICT ({', '.join(table.key)}) DO NOTHING",
            [row[c] for c in table.names],
        )

    def _store(self, table: Table, key: Key, old: Row | None, new: Row) -> None:
        name, where = table.name, " AND ".join(f"{k} = %s" for k in table.key)
        if old is not None and old["valid_from"] == self.position:
            data = [c for c in table.names if c not in table.key and c not in ("valid_from", "valid_to")]
            assignments = ", ".join(f"{c} = %s" for c in data)
            self._cur.execute(
                f"UPDATE {name} SET {assignments} WHERE {where} AND valid_to IS NULL", [*(new[c] for c in data), *key]
            )
        else:
            if old is not None:
                self._cur.execute(
                    f"UPDATE {name} SET valid_to = %s WHERE {where} AND valid_to IS NULL", [self.position, *key]
                )
            columns = ", ".join(table.names)
            marks = ", ".join(["%s"] * len(table.names))
            self._cur.execute(f"INSERT INTO {name} ({columns}) VALUES ({marks})", [new[c] for c in table.names])
        self._seen[(table.name, key)] = new


@dataclass(slots=True)
class _Current:
    row: Row
    saved: bool  # this version is in the table as the current one (as of the last checkpoint)


@dataclass
class MemoryRows(_Versions):
    """Keeps current rows in memory and writes in bulk; the tables match it after each ``checkpoint``.

    Between checkpoints, finished versions and appended rows are streamed into
    the tables (inside the checkpoint's transaction); current versions are
    written at the checkpoint, after the versions the tables held as current
    have been closed.

    Memory stays bounded: after a checkpoint, when more than ``keep`` current
    rows are held, the rows of the programmes touched longest ago are dropped
    (the tables hold them) and read back, all of a programme's at once, the
    next time one of them is needed. A resumed build (``load``) starts that way,
    with every programme in the tables only. A programme neither dropped nor
    resumed has no rows in the tables: one seen for the first time (its opening)
    is not looked for there.
    """

    tables: Sequence[Table]
    variant: str = ""
    dialect: str = "postgres"
    keep: int = 100_000
    _current: dict[str, dict[Key, _Current]] = field(default_factory=dict)
    _out: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    _closures: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    _unsaved: dict[str, dict[Key, _Current]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for table in self.tables:
            self._current[table.name] = {}
            self._out[table.name] = []
            self._closures[table.name] = []
            self._unsaved[table.name] = {}
        self._writer: Writer | None = None
        self._touched: dict[Any, int] = {}  # programme → the last position that wrote one of its rows
        self._in_memory: set[Any] = set()  # programmes whose current rows are all in memory
        self._dropped: set[Any] = set()  # programmes whose current rows were dropped from memory (in the tables)
        self._resumed = False  # True once resumed: any programme not in memory may be in the tables

    @contextmanager
    def writing(self, cur: Cursor) -> Iterator[None]:
        """Write through ``cur`` until the block ends (the transaction that ends with the next checkpoint).

        Batches of rows are handed to a ``Writer`` as they fill, so on PostgreSQL
        they are copied in while the build goes on; before anything that reads
        the tables or must come after those rows (a read-back, a checkpoint's
        closures, the commit) every batch is waited for.
        """
        writer = self._writer = Writer(cur, self.dialect)
        try:
            yield
            writer.drain()
        except BaseException as error:
            writer.close(abandon=True)  # nothing more is written
            refused = writer.error
            if isinstance(error, Exception) and refused is not None and refused is not error:
                raise refused from error  # what failed the transaction: a statement after it only saw that
            raise
        finally:
            writer.close(abandon=True)  # drained: nothing is left
            self._writer = None

    def load(self) -> None:
        """Resume from the tables: the current rows an earlier checkpoint left are read when needed."""
        self._resumed = True

    def get(self, table: Table, key: Key) -> Row | None:
        scope = key[0]
        if scope not in self._in_memory and (self._resumed or scope in self._dropped):
            self._read_back(scope)
        found = self._current[table.name].get(key)
        return None if found is None else found.row

    def _read_back(self, scope: Any) -> None:
        """Bring one programme's current rows back from the tables."""
        cur = self._cursor()
        for table in self.tables:
            if table.versioned:
                cur.execute(
                    f"SELECT * FROM {table.name}{self.variant} WHERE {table.key[0]} = %s AND valid_to IS NULL",
                    (scope,),
                )
                self._current[table.name].update((table.key_of(r), _Current(r, True)) for r in cur.fetchall())
        self._in_memory.add(scope)
        self._touched[scope] = self.position

    def append(self, table: Table, row: Row) -> None:
        self._emit(table, row)

    def _store(self, table: Table, key: Key, old: Row | None, new: Row) -> None:
        current = self._current[table.name]
        if old is not None and old["valid_from"] != self.position:
            finished = current[key]
            if finished.saved:
                self._closures[table.name].append((self.position, *key, old["valid_from"]))
            else:  # the old version, closed at this position (``valid_to`` is the last column)
                self._emit_values(table, (*table.values(old)[:-1], self.position))
        current[key] = self._unsaved[table.name][key] = _Current(new, False)
        self._in_memory.add(key[0])
        self._touched[key[0]] = self.position

    def _emit(self, table: Table, row: Row) -> None:
        self._emit_values(table, table.values(row))

    def _emit_values(self, table: Table, values: tuple[Any, ...]) -> None:
        out = self._out[table.name]
        out.append(values)
        if len(out) >= FLUSH_ROWS:
            self._write(table, out)
            self._out[table.name] = []  # the batch is the writer's now

    def checkpoint(self) -> None:
        """Make the tables hold exactly this state (the caller then commits with the tracking positions).

        The versions to close were current at the last checkpoint; their
        successors are written after them, so a key never has two current rows.
        """
        self._cursor()  # every batch written before the closures
        for table in self.tables:
            self._close(table, self._closures[table.name])
            self._closures[table.name] = []
            unsaved = self._unsaved[table.name].values()
            self._write(table, self._out[table.name] + [table.values(c.row) for c in unsaved])
            self._out[table.name] = []
            for current in unsaved:
                current.saved = True
            self._unsaved[table.name] = {}
        self._writer_now().drain()
        self._forget_oldest()

    def _forget_oldest(self) -> None:
        """Drop the rows of the programmes touched longest ago, down to half of ``keep`` (all are saved now)."""
        held = Counter(key[0] for rows in self._current.values() for key in rows)
        if sum(held.values()) <= self.keep:
            return
        kept, room = set(), self.keep // 2
        for scope in sorted(held, key=lambda s: self._touched.get(s, 0), reverse=True):
            if held[scope] > room:
                break
            kept.add(scope)
            room -= held[scope]
        for name, rows in self._current.items():
            self._current[name] = {key: row for key, row in rows.items() if key[0] in kept}
        self._dropped |= self._in_memory - kept
        self._in_memory = kept

    def _close(self, table: Table, closures: list[tuple[Any, ...]]) -> None:
        if not closures:
            return
        where = " AND ".join(f"{k} = %s" for k in table.key)
        self._cursor().executemany(
            f"UPDATE {table.name}{self.variant} SET valid_to = %s WHERE {where} AND valid_from = %s", closures
        )

    def _write(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._writer_now().write(table.name + self.variant, table.names, rows)

    def _writer_now(self) -> Writer:
        if self._writer is None:
            raise RuntimeError("write through MemoryRows.writing(cursor)")
        return self._writer

    def _cursor(self) -> Cursor:
        """The transaction's cursor, once every batch handed over is in the tables (to read them, or follow them)."""
        writer = self._writer_now()
        writer.drain()
        return writer.cursor
