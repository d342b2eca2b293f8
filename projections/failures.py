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

Failures of the database itself (a lost connection, a lock timeout) are not
contained: they are transient, nothing is recorded, and the batch is retried later.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime
from typing import Any

from projections.db import Cursor, Database
from projections.encoding import iso

DDL = (
    "CREATE TABLE IF NOT EXISTS projection_failures (name TEXT NOT NULL, program_code TEXT NOT NULL,"
    " position BIGINT NOT NULL, error TEXT NOT NULL, failed_at TEXT NOT NULL, PRIMARY KEY (name, program_code))"
)
COLUMNS = "name, program_code, position, error, failed_at"


def transient(error: BaseException) -> bool:
    """Whether the database, not the event, failed: such a batch is retried, never contained."""
    if isinstance(error, sqlite3.OperationalError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(error, psycopg.OperationalError)


def contained(cur: Cursor) -> set[tuple[str, str]]:
    """The (read model, programme) pairs stopped by a failure, read in the caller's transaction."""
    cur.execute("SELECT name, program_code FROM projection_failures")
    return {(row["name"], row["program_code"]) for row in cur.fetchall()}


def record(cur: Cursor, name: str, program_code: str, position: int, error: BaseException) -> None:
    message = f"{type(error).__name__}: {error}".strip()[:1000]
    cur.execute(
        f"INSERT INTO projection_failures ({COLUMNS}) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (name, program_code, position, message, iso(datetime.now(UTC))),
    )


def listed(db: Database, program_code: str | None = None) -> list[dict[str, Any]]:
    """Every failure (or one programme's), oldest first."""
    where, params = ("WHERE program_code = %s", (program_code,)) if program_code is not None else ("", ())
    with db.transaction(write=False) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM projection_failures {where} ORDER BY position, name", params)
        return [dict(row) for row in cur.fetchall()]


def clear(cur: Cursor, names: list[str]) -> None:
    """Forget the failures of read models rebuilt from the whole log (in the rebuild's switch)."""
    marks = ", ".join(["%s"] * len(names))
    cur.execute(f"DELETE FROM projection_failures WHERE name IN ({marks})", names)
