"""The stored signed checkpoints: an append-only table beside the events, ordered by tree size.

Each row holds a signed note over the Merkle tree of the first ``tree_size``
leaves, the size of the checkpoint before it (``previous_size``, unique: two
processes that sign at once cannot both extend the same checkpoint, the loser's
row is dropped), when it was signed, and the leaves it adds — for each leaf after
``previous_size``, 8 bytes of log position and the 32-byte event hash — so that a
verifier can name the exact first event where the log and the signed history
part. Witness cosignatures live in their own append-only table.

Beside a row, in ``registry_checkpoint_edges``, the Merkle tree's right edge at
its size (``audit.merkle.Frontier.edge``): with it the next signer reads only the
leaves added since, not the whole log. It is a cache the signer checks against
the signed root, never evidence: verification recomputes every root from the
leaves. Rows stored before the table existed (or imported) have none.

``audit`` owns what the rows mean; this module only reads and writes them, on
SQLite, PostgreSQL, or (for tests) in the memory recorder's lists (``eventstore.memory``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

CHECKPOINT_DDL = [
    "CREATE TABLE IF NOT EXISTS registry_checkpoints (tree_size BIGINT PRIMARY KEY,"
    " previous_size BIGINT NOT NULL UNIQUE, signed_at TEXT NOT NULL, note TEXT NOT NULL, leaves {blob} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS registry_cosignatures (tree_size BIGINT NOT NULL, witness TEXT NOT NULL,"
    " line TEXT NOT NULL, PRIMARY KEY (tree_size, witness))",
    "CREATE TABLE IF NOT EXISTS registry_checkpoint_edges (tree_size BIGINT PRIMARY KEY, edge {blob} NOT NULL)",
]


def checkpoint_ddl(blob: str) -> list[str]:
    return [statement.replace("{blob}", blob) for statement in CHECKPOINT_DDL]


@dataclass(frozen=True)
class StoredCheckpoint:
    tree_size: int
    previous_size: int
    signed_at: str
    note: str
    leaves: bytes  # (8-byte big-endian position, 32-byte event hash) per leaf after previous_size
    edge: bytes = b""  # the tree's right edge at tree_size (audit.merkle.Frontier.edge); b"" when not stored


def append_statement(mark: str) -> str:
    """The insert of one row, only if it extends the last stored checkpoint (``mark``: the dialect's placeholder)."""
    return (
        "INSERT INTO registry_checkpoints (tree_size, previous_size, signed_at, note, leaves)"
        " SELECT {m}, {m}, {m}, {m}, {m}"
        " WHERE (SELECT COALESCE(MAX(tree_size), 0) FROM registry_checkpoints) = {m}"
        " ON CONFLICT DO NOTHING RETURNING tree_size"
    ).replace("{m}", mark)


def append_params(row: StoredCheckpoint) -> tuple[int, int, str, str, bytes, int]:
    return (row.tree_size, row.previous_size, row.signed_at, row.note, row.leaves, row.previous_size)


class CheckpointTable:
    """Reads and appends rows through the event store's own recorder (its connection and dialect)."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.mark = "?" if isinstance(recorder, SQLiteApplicationRecorder) else "%s"
        self.memory = not isinstance(recorder, (SQLiteApplicationRecorder, PostgresApplicationRecorder))

    def append(self, row: StoredCheckpoint) -> bool:
        """Store ``row`` if it extends the last stored checkpoint; False when another process got there first."""
        if self.memory:
            with self.recorder.checkpoint_lock:
                last = self.recorder.checkpoints[-1].tree_size if self.recorder.checkpoints else 0
                if row.previous_size != last or row.tree_size <= last:
                    return False
                self.recorder.checkpoints.append(row)
                return True
        with self.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(append_statement(self.mark), append_params(row))
            stored = bool(cursor.fetchall())
            if stored and row.edge:
                sql = f"INSERT INTO registry_checkpoint_edges (tree_size, edge) VALUES ({self.mark}, {self.mark})"
                cursor.execute(sql, (row.tree_size, row.edge))
            return stored

    def rows(self, *, after: int = 0, limit: int | None = None, leaves: bool = True) -> list[StoredCheckpoint]:
        """Stored checkpoints with a tree size above ``after``, smallest first."""
        if self.memory:
            found = [row for row in list(self.recorder.checkpoints) if row.tree_size > after]
            return found if limit is None else found[:limit]
        column = "leaves" if leaves else "''"
        sql = (
            f"SELECT tree_size, previous_size, signed_at, note, {column} AS leaves FROM registry_checkpoints"
            f" WHERE tree_size > {self.mark} ORDER BY tree_size"
        ) + ("" if limit is None else f" LIMIT {int(limit)}")
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, (after,))
            return [_row(found) for found in cursor.fetchall()]

    def last(self, *, edge: bool = False) -> StoredCheckpoint | None:
        """The stored checkpoint of the largest tree size, without its leaves (with its right edge if ``edge``)."""
        if self.memory:
            return self.recorder.checkpoints[-1] if self.recorder.checkpoints else None
        sql = (
            "SELECT c.tree_size, previous_size, signed_at, note, '' AS leaves, "
            + ("e.edge" if edge else "''")
            + " AS edge FROM registry_checkpoints AS c"
            + (" LEFT JOIN registry_checkpoint_edges AS e ON e.tree_size = c.tree_size" if edge else "")
            + " ORDER BY c.tree_size DESC LIMIT 1"
        )
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql)
            found = cursor.fetchone()
        return None if found is None else _row(found)

    def add_cosignature(self, tree_size: int, witness: str, line: str) -> None:
        if self.memory:
            with self.recorder.checkpoint_lock:
                self.recorder.cosignatures.setdefault((tree_size, witness), line)
            return
        m = self.mark
        sql = (
            "INSERT INTO registry_cosignatures (tree_size, witness, line)"
            f" VALUES ({m}, {m}, {m}) ON CONFLICT DO NOTHING"
        )
        with self.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(sql, (tree_size, witness, line))

    def cosignatures(self, sizes: list[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {size: [] for size in sizes}
        if self.memory:
            for (size, _), line in sorted(self.recorder.cosignatures.items()):
                if size in found:
                    found[size].append(line)
            return found
        if not sizes:
            return found
        marks = ", ".join([self.mark] * len(sizes))
        sql = f"SELECT tree_size, line FROM registry_cosignatures WHERE tree_size IN ({marks}) ORDER BY witness"
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, tuple(sizes))
            for row in cursor.fetchall():
                found[row["tree_size"]].append(row["line"])
        return found


def _row(found: Any) -> StoredCheckpoint:
    return StoredCheckpoint(
        int(found["tree_size"]),
        int(found["previous_size"]),
        str(found["signed_at"]),
        str(found["note"]),
        bytes(found["leaves"] or b""),
        bytes(found["edge"] or b"") if "edge" in found.keys() else b"",  # noqa: SIM118 (sqlite3.Row: `in` asks the values)
    )
