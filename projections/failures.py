"""Failures contained to one programme: a read model that cannot apply an event stops for that programme only.

When a batch of events fails to apply (a value too large for a column, a defect in
a handler), the projector applies the batch again event by event, each read model's
change in its own savepoint. The event that fails is rolled back and recorded here
(read model, programme, log position, error); from then on that read model skips
that programme's events, while every other programme and read model moves on. A
programme with a failure is never served silently old: its reads answer 503
``read-model-failed`` naming the failure, and ``/health``, ``/ready``, ``/metrics``
and ``registry projections status`` show it. A rebuild of the read model, after the
cause is fixed, applies everything again and clears its failures.

The bulk paths (a catch-up far behind, a rebuild, a verification: ``Projector.build``)
keep rows in memory between checkpoints, so there the failing event rolls back the
build's transaction since its last checkpoint; the failure is recorded, and the build
goes on from that checkpoint with that read model applying that programme's events up
to the failing one only. A rebuild records its failures under its shadow's name
(``standings__next``): nobody is shown them, and they replace the read model's own
when the rebuild switches in.

Failures of the database itself (a lost connection, a lock timeout) are not
contained: they are transient, nothing is recorded, and the batch is retried later.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from projections.db import Cursor, Database
from projections.encoding import iso

DDL = (
    "CREATE TABLE IF NOT EXISTS projection_failures (name TEXT NOT NULL, program_code TEXT NOT NULL,"
    " position BIGINT NOT NULL, error TEXT NOT NULL, failed_at TEXT NOT NULL, PRIMARY KEY (name, program_code))"
)
COLUMNS = "name, program_code, position, error, failed_at"
VARIANT = "__"  # what starts a variant's suffix in a read model's name (``standings__next``)


class HandlerFailedError(Exception):
    """A read model could not apply an event of a programme; raised by a bulk build to be contained."""

    def __init__(self, name: str, program_code: str, position: int, error: Exception) -> None:
        super().__init__(f"{name} could not apply the event at position {position} ({program_code}): {error}")
        self.name, self.program_code, self.position, self.error = name, program_code, position, error
        self.done = 0  # events the build had applied and committed before it


def transient(error: BaseException) -> bool:
    """Whether the database, not the event, failed: such a batch is retried, never contained."""
    if isinstance(error, sqlite3.OperationalError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(error, psycopg.OperationalError)


def contained(cur: Cursor, variant: str = "") -> dict[tuple[str, str], int]:
    """The (read model, programme) pairs of ``variant`` stopped by a failure, with the position of the event that
    failed (events from there on are not applied), read in the caller's transaction."""
    cur.execute("SELECT name, program_code, position FROM projection_failures")
    return {
        (base, row["program_code"]): row["position"]
        for row in cur.fetchall()
        for base, suffix in [_split(row["name"])]
        if suffix == variant
    }


def stopped(skip: Mapping[tuple[str, str], int], name: str, program_code: str, position: int) -> bool:
    """Whether the read model ``name`` skips this event of the programme (it failed at or before it)."""
    failed_at = skip.get((name, program_code))
    return failed_at is not None and position >= failed_at


def _split(name: str) -> tuple[str, str]:
    """A tracked name's read model and variant: ``standings__next`` is (``standings``, ``__next``)."""
    base, mark, rest = name.partition(VARIANT)
    return base, mark + rest


def record(cur: Cursor, name: str, program_code: str, position: int, error: BaseException) -> None:
    """Record a failure; of two of one read model and programme, the earlier event's is kept (a build that goes
    on from a checkpoint before a recorded failure may fail earlier, if its read model has changed meanwhile)."""
    message = f"{type(error).__name__}: {error}".strip()[:1000]
    cur.execute(
        f"INSERT INTO projection_failures ({COLUMNS}) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (name, program_code) DO UPDATE SET position = excluded.position, error = excluded.error,"
        " failed_at = excluded.failed_at WHERE excluded.position < projection_failures.position",
        (name, program_code, position, message, iso(datetime.now(UTC))),
    )


def listed(db: Database, program_code: str | None = None) -> list[dict[str, Any]]:
    """Every failure (or one programme's), oldest first."""
    with db.transaction(write=False) as cur:
        return listed_in(cur, program_code)


def listed_in(cur: Cursor, program_code: str | None = None) -> list[dict[str, Any]]:
    """``listed``, read in the caller's transaction (a watcher reads them on its own connection)."""
    where, params = ("WHERE program_code = %s", (program_code,)) if program_code is not None else ("", ())
    cur.execute(f"SELECT {COLUMNS} FROM projection_failures {where} ORDER BY position, name", params)
    return [dict(row) for row in cur.fetchall() if not _split(row["name"])[1]]  # a rebuild's: not yet


def clear(cur: Cursor, names: list[str]) -> None:
    """Forget the failures of ``names`` (tracked names: a variant's are forgotten with its tables)."""
    marks = ", ".join(["%s"] * len(names))
    cur.execute(f"DELETE FROM projection_failures WHERE name IN ({marks})", names)


def switch(cur: Cursor, name: str, variant: str) -> None:
    """The failures a rebuild from the whole log found replace the read model's own (in the rebuild's switch)."""
    clear(cur, [name])
    cur.execute("UPDATE projection_failures SET name = %s WHERE name = %s", (name, name + variant))
