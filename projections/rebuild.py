"""Blue/green rebuilds and verification, without taking the read side down.

A rebuild writes into shadow tables beside the live ones (``standings_teams__next``
and so on), tracked under ``<name>__next``, while readers and the live runner
keep using the live tables. Each batch commits its rows with its position, so a
rebuild stopped at any point (Ctrl-C, kill -9) resumes where it stopped. When
the shadow has caught up, one transaction drops the live tables, renames the
shadow ones into their place and hands the shadow's position to the live
tracking row; events after that position are then applied by the next catch-up
as usual. Readers see either the old tables or the new ones, never neither.

``verify`` builds a scratch copy (``__verify``) up to the live position and
compares the two row by row inside one snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from projections import documents, failures, schema
from projections.db import Cursor
from projections.projector import DOCUMENTED, Progress, Projector
from projections.rows import Table
from projections.schema import INDEX_NAME, Projection, renamed
from projections.tracking import set_status

NEXT = "__next"
SCRATCH = "__verify"


def rebuild(projector: Projector, names: Iterable[str] | None = None, progress: Progress | None = None) -> int:
    """Rebuild ``names`` (default: all) beside the live tables, then switch; returns the events read."""
    chosen = projector.select(names)
    _prepare(projector, chosen, NEXT, resume=True)
    set_status(projector.db, chosen, "rebuilding")
    done = projector.build(chosen, variant=NEXT, progress=progress)
    if projector.db.dialect == "postgres":  # built here, the switch only renames them (SQLite builds them there)
        with projector.db.transaction() as cur:
            for name in chosen:
                for statement in _indexes(projector.projections[name], NEXT):
                    cur.execute(statement)
        # and the events recorded while they were built, so the switch does not set the read models back by them
        so_far = done
        done += projector.build(
            chosen, variant=NEXT, progress=progress and (lambda n, total: progress(so_far + n, so_far + total))
        )
    with projector.exclusive(), projector.db.transaction() as cur:
        _lock_live(projector, cur, chosen)
        for name in chosen:
            _switch(projector, cur, projector.projections[name])
        marks = ", ".join(["%s"] * len(chosen))
        cur.execute(f"DELETE FROM projection_status WHERE name IN ({marks})", chosen)  # a runner re-reports
        if DOCUMENTED in chosen:
            documents.clear(cur)  # written from the old rows
    projector.refresh_documents(chosen)
    return done


def _prepare(projector: Projector, names: list[str], variant: str, *, resume: bool) -> None:
    with projector.db.transaction() as cur:
        for name in names:
            cur.execute("SELECT position FROM projection_tracking WHERE name = %s", (name + variant,))
            if resume and cur.fetchone() is not None:
                continue  # an interrupted rebuild: its tables and position are intact
            projection = projector.projections[name]
            _drop(cur, projection, variant)
            cur.execute("DELETE FROM projection_tracking WHERE name = %s", (name + variant,))
            failures.clear(cur, [name + variant])  # an earlier build's, abandoned
            schema.create(cur, projection, variant, indexes=False)  # built once at the end (see ``build``)


def _drop(cur: Cursor, projection: Projection, variant: str) -> None:
    for table in projection.tables:
        cur.execute(f"DROP TABLE IF EXISTS {table}{variant}")


def _lock_live(projector: Projector, cur: Cursor, names: list[str]) -> None:
    if projector.db.dialect == "postgres":
        marks = ", ".join(["%s"] * len(names))
        cur.execute(f"SELECT position FROM projection_tracking WHERE name IN ({marks}) FOR UPDATE", names)


def _switch(projector: Projector, cur: Cursor, projection: Projection) -> None:
    """In the caller's transaction: the shadow tables become the live ones, with their position."""
    if projector.db.dialect == "postgres":
        for statement in _indexes(projection, NEXT):  # IF NOT EXISTS: usually built before the switch
            cur.execute(statement)
    _drop(cur, projection, "")
    for table in projection.tables:
        cur.execute(f"ALTER TABLE {table}{NEXT} RENAME TO {table}")
        if projector.db.dialect == "postgres":  # the primary key's index keeps its shadow name otherwise
            cur.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", (table,))
            key = cur.fetchone()
            if key is not None and key["conname"] != f"{table}_pkey":
                cur.execute(f'ALTER TABLE {table} RENAME CONSTRAINT "{key["conname"]}" TO {table}_pkey')
    for statement in projection.ddl():
        index = INDEX_NAME.search(statement)
        if index is None:
            continue
        if projector.db.dialect == "postgres":
            cur.execute(f"ALTER INDEX {index.group(1)}{NEXT} RENAME TO {index.group(1)}")
        else:  # SQLite cannot rename an index: drop the shadow's and build it under its name
            cur.execute(f"DROP INDEX IF EXISTS {index.group(1)}{NEXT}")
            cur.execute(statement)
    cur.execute("SELECT position FROM projection_tracking WHERE name = %s", (projection.name + NEXT,))
    row = cur.fetchone()
    position = 0 if row is None else row["position"]
    cur.execute("UPDATE projection_tracking SET position = %s WHERE name = %s", (position, projection.name))
    cur.execute("DELETE FROM projection_tracking WHERE name = %s", (projection.name + NEXT,))
    failures.switch(cur, projection.name, NEXT)  # rebuilt from the whole log: only what failed in the rebuild stays


def _indexes(projection: Projection, variant: str) -> list[str]:
    return [statement for statement in renamed(projection, variant) if INDEX_NAME.search(statement)]


@dataclass(frozen=True)
class Difference:
    table: str
    side: str  # "live only" or "rebuild only"
    row: dict[str, Any]


def verify(projector: Projector, names: list[str], *, limit: int = 20, attempts: int = 10) -> list[Difference]:
    """Rebuild into scratch tables up to the live position and list rows that differ (empty: all equal)."""
    differences: list[Difference] = []
    for name in names:
        projection = projector.projections[name]
        _prepare(projector, [name], SCRATCH, resume=False)
        try:
            for _ in range(attempts):
                live = projector.positions()[name]
                projector.build([name], variant=SCRATCH, stop=live)
                found = _compare(projector, projection, live, limit)
                if found is not None:
                    differences += found[:limit]
                    break
            else:
                raise RuntimeError(f"{name} kept moving; could not compare it at one position")
        finally:
            with projector.db.transaction() as cur:
                _drop(cur, projection, SCRATCH)
                cur.execute("DELETE FROM projection_tracking WHERE name = %s", (name + SCRATCH,))
                failures.clear(cur, [name + SCRATCH])
    return differences


def _compare(projector: Projector, projection: Projection, position: int, limit: int) -> list[Difference] | None:
    """The differences at ``position``, read in one snapshot; None if the live model moved on meanwhile."""
    with projector.db.transaction(write=False) as cur:
        if projector.db.dialect == "postgres":
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute(
            "SELECT name, position FROM projection_tracking WHERE name IN (%s, %s)",
            (projection.name, projection.name + SCRATCH),
        )
        reached = {r["name"]: r["position"] for r in cur.fetchall()}
        if reached.get(projection.name) != position or reached.get(projection.name + SCRATCH, 0) < position:
            return None
        found: list[Difference] = []
        for table in projection.layout:
            found += _only_in(cur, table, "", SCRATCH, "live only", limit)
            found += _only_in(cur, table, SCRATCH, "", "rebuild only", limit)
        return found


def _only_in(cur: Cursor, table: Table, side: str, other: str, label: str, limit: int) -> list[Difference]:
    """Rows of one side missing from the other, compared by the database (every row has a key, so sets will do)."""
    columns = ", ".join(table.names)
    cur.execute(
        f"SELECT {columns} FROM {table.name}{side} EXCEPT SELECT {columns} FROM {table.name}{other}"
        f" ORDER BY {columns} LIMIT %s",
        (limit,),
    )
    return [Difference(table.name, label, dict(row)) for row in cur.fetchall()]
