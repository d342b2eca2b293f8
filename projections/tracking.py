"""Where each read model has got to, which programme each stream belongs to, and how its runner is doing.

Each read model records the log position it has reached in
``projection_tracking``. A batch of events and the new positions commit in one
transaction, and the positions are re-read under a lock inside it, so a crash
never skips or double-applies an event and two processes catching up at once
simply take turns.

Candidacy events carry only their stream id; the projector keeps a small
insert-only ``registry_directory`` (stream id → programme and team codes) in the
same transaction so each read model can file an event under its programme.

Runners report their state, a heartbeat and their last error in
``projection_status`` (``set_status``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.pool import PREFIX as POOL_PREFIX
from domain.pool import Pool
from domain.program import Program
from domain.rounds import EvaluationRound
from projections.db import Cursor, Database
from projections.encoding import iso
from projections.schema import Codes


def positions(db: Database, names: Iterable[str], variant: str = "") -> dict[str, int]:
    """The position each of ``names`` (or its variant) has reached; 0 for one not tracked yet."""
    with db.transaction(write=False) as cur:
        return positions_in(cur, names, variant)


def positions_in(cur: Cursor, names: Iterable[str], variant: str = "") -> dict[str, int]:
    """``positions``, read in the caller's transaction."""
    cur.execute("SELECT name, position FROM projection_tracking")
    found = {r["name"]: r["position"] for r in cur.fetchall()}
    return {name: found.get(name + variant, 0) for name in names}


def locked_positions(
    cur: Cursor, dialect: str, names: list[str], variant: str, *, skip_locked: bool = False
) -> dict[str, int]:
    """The read models' positions, locked until the transaction ends (PostgreSQL; SQLite locks it all).

    ``skip_locked``: rows another transaction holds are left out instead of waited for.
    """
    lock = (" FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE") if dialect == "postgres" else ""
    marks = ", ".join(["%s"] * len(names))
    tracked = [name + variant for name in names]
    cur.execute(f"SELECT name, position FROM projection_tracking WHERE name IN ({marks}){lock}", tracked)
    return {r["name"]: r["position"] for r in cur.fetchall()}


def advance(cur: Cursor, names: list[str], variant: str, last: int) -> None:
    """In the caller's transaction: the read models have applied every event up to ``last``."""
    marks = ", ".join(["%s"] * len(names))
    cur.execute(
        f"UPDATE projection_tracking SET position = %s WHERE name IN ({marks}) AND position < %s",
        [last, *(name + variant for name in names), last],
    )


def set_status(db: Database, names: list[str], state: str, error: str | None = None) -> None:
    """Record the state of the runner (or rebuild) of ``names``, with a heartbeat of now."""
    now = iso(datetime.now(UTC))
    with db.transaction() as cur:
        for name in names:
            cur.execute(
                "INSERT INTO projection_status VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET"
                " state = excluded.state, heartbeat_at = excluded.heartbeat_at, last_error = excluded.last_error",
                (name, state, now, error),
            )


class Directory:
    """The stream directory, with the entries already read or written kept in memory."""

    def __init__(self) -> None:
        self._known: dict[UUID, Codes] = {}
        self._new: list[tuple[str, str, str | None]] = []

    def codes(self, cur: Cursor, event: DecisionEvent, *, defer: bool = False) -> Codes:
        """The codes ``event`` is filed under; a stream's first event enters it (``defer``: at the next ``flush``)."""
        key = event.originator_id
        if isinstance(event, (Program.Opened, Program.Announced)):
            codes = Codes(event.code, None)
        elif isinstance(event, Candidacy.ApplicationSubmitted):
            codes = Codes(event.program_code, event.team_code)
        elif isinstance(event, EvaluationRound.Opened):
            codes = Codes(event.program_code, None)
        elif isinstance(event, Pool.Opened):
            codes = Codes(f"{POOL_PREFIX}{event.code}", None)  # a pool belongs to no programme (``domain.pool``)
        elif key in self._known:
            return self._known[key]
        else:
            cur.execute("SELECT program_code, team_code FROM registry_directory WHERE originator_id = %s", (key.hex,))
            row = cur.fetchone()
            if row is None:
                raise LookupError(f"event at stream {key} arrived before its stream was created")
            self._known[key] = Codes(row["program_code"], row["team_code"])
            return self._known[key]
        # Creation events are always written: the batch that first saw them may have rolled back.
        self._new.append((key.hex, codes.program_code, codes.team_code))
        if not defer:
            self.flush(cur)
        self._known[key] = codes
        return codes

    def flush(self, cur: Cursor) -> None:
        """Write the entries not yet written, in the caller's transaction."""
        if self._new:
            cur.executemany(
                "INSERT INTO registry_directory (originator_id, program_code, team_code) VALUES (%s, %s, %s)"
                " ON CONFLICT (originator_id) DO NOTHING",
                self._new,
            )
            self._new = []
