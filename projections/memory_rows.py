"""``MemoryRows``: the bulk store a rebuild writes read-model rows through (see ``projections.rows``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from projections.db import Cursor, Row
from projections.rows import Key, Table, VersionedRows, closing
from projections.writer import Writer

FLUSH_ROWS = 5_000  # finished versions buffered per table before they are streamed out


@dataclass(slots=True)
class _Current:
    row: Row
    saved: bool  # this version is in the table as the current one (as of the last checkpoint)


@dataclass
class MemoryRows(VersionedRows):
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
        if key[0] not in self._in_memory and (self._resumed or key[0] in self._dropped):
            self._read_back(key[0])
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
        self._cursor().executemany(closing(table, self.variant), closures)

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
