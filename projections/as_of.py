"""A programme as it stood at a past moment: *as of* an effective time, as *known at* a recorded time.

An event counts at a moment when ``effective_at <= as_of`` and
``recorded_at <= known_at``; the counted events are applied in log order. The
read models keep every version of every row, each valid over a range of log
positions (``projections.rows``), and one row per programme event saying when
it took effect and was recorded (``standings_moments``). So a moment is
answered in two steps:

1. Find ``p``, the last position before the programme's first event that does
   *not* count (and no further than the read models have applied). Every
   programme event up to ``p`` counts, so the rows valid at ``p`` are exactly
   the programme after them; they stay as they are whatever is recorded later.
2. Find the events after ``p`` that count anyway: decisions back-dated to
   before the moment, or recorded before it by a process whose commit came
   later. Usually there are none, and the page reads the rows valid at ``p``:
   the same queries as the present, with one more condition.

   When there are some, they are replayed on top of the rows at ``p`` in a
   scratch store: only those events, never the whole log.

Both steps read indexes: the moments table's, and each read-model table's
index of current rows and of closed rows (``projections.rows.versions_at``),
so the cost of a moment grows with how much changed after it, not with the
whole history of the programme. ``bench`` scenario f measures it against the
present on a programme of 100,000 events.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification

from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.registry import Registry
from projections.db import Cursor, Database, SQLiteDatabase
from projections.encoding import iso
from projections.funding import FundingProjection
from projections.projector import Projector
from projections.rows import versions_at
from projections.schema import Codes
from projections.standings import StandingsProjection

SPARSE = 20  # fetch events one by one when they are this much sparser than the positions they span


@dataclass(frozen=True)
class Moment:
    """The two times a page answers for; None means "everything recorded so far"."""

    as_of: datetime | None = None
    known_at: datetime | None = None

    @property
    def latest(self) -> bool:
        return self.as_of is None and self.known_at is None


@dataclass(frozen=True)
class Source:
    """Where a page reads a programme from, and at which log position (None: the current rows of ``db``)."""

    db: Database
    position: int | None = None
    base: int | None = None  # the log position whose rows the page starts from (None: the present)
    replayed: int | None = None  # later events replayed on top in a scratch store; None when none were needed


@contextmanager
def read_store(registry: Registry, db: Database, moment: Moment, program_code: str) -> Iterator[Source]:
    """The read models in ``db`` as ``program_code`` stood at ``moment`` (see the module docstring).

    ``registry`` is the event store the read models were built from: the events
    that count anyway are read from it.
    """
    if moment.latest:
        yield Source(db)
        return
    with db.transaction(write=False) as cur:
        if db.dialect == "postgres":  # one snapshot for the positions, the moments and the rows after
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        position, late = _resolve(cur, moment, program_code)
    if not late:
        yield Source(db, position, position)
        return
    scratch = SQLiteDatabase(":memory:")
    try:
        replayed = _replay(registry, db, scratch, program_code, position, late)
        yield Source(scratch, None, position, replayed)
    finally:
        scratch.close()


def _resolve(cur: Cursor, moment: Moment, program_code: str) -> tuple[int, list[int]]:
    """The position whose rows show the moment and the later events that count too.

    The position is never past what both read models have applied, so the rows
    read at it are fixed: a decision recorded while the page is built changes nothing.
    """
    cur.execute("SELECT name, position FROM projection_tracking WHERE name IN (%s, %s)", SEEDED_NAMES)
    reached = {r["name"]: int(r["position"]) for r in cur.fetchall()}
    position = min(reached.get(name, 0) for name in SEEDED_NAMES)
    for column, bound in (("effective_at", moment.as_of), ("recorded_at", moment.known_at)):
        if bound is not None:
            cur.execute(
                f"SELECT MIN(position) AS first FROM standings_moments WHERE program_code = %s AND {column} > %s",
                (program_code, iso(bound)),
            )
            row = cur.fetchone()
            if row is not None and row["first"] is not None:
                position = min(position, int(row["first"]) - 1)
    conditions, params = _admitted(moment)
    cur.execute(
        f"SELECT position FROM standings_moments WHERE program_code = %s AND position > %s AND {conditions}"
        " ORDER BY position",
        (program_code, position, *params),
    )
    return position, [int(r["position"]) for r in cur.fetchall()]


def _admitted(moment: Moment) -> tuple[str, list[str]]:
    conditions, params = ["1 = 1"], []
    for column, bound in (("effective_at", moment.as_of), ("recorded_at", moment.known_at)):
        if bound is not None:
            conditions.append(f"{column} <= %s")
            params.append(iso(bound))
    return " AND ".join(conditions), params


SEEDED = (StandingsProjection(), FundingProjection())
SEEDED_NAMES = tuple(projection.name for projection in SEEDED)


def _replay(
    registry: Registry, live: Database, scratch: Database, program_code: str, position: int, late: list[int]
) -> int:
    """Copy the programme's rows at ``position`` into ``scratch`` and apply the ``late`` events on top."""
    projector = Projector(registry, scratch, list(SEEDED))
    projector.setup()
    names = list(projector.projections)
    directory = _seed(live, scratch, program_code, position)
    with scratch.transaction() as cur:
        cur.execute("UPDATE projection_tracking SET position = %s", (position,))
        cur.execute("SELECT team_code FROM standings_teams")
        teams = {r["team_code"] for r in cur.fetchall()}
    applied: list[tuple[int, DecisionEvent]] = []
    for notification in _events_at(registry, late):
        event: DecisionEvent = registry.mapper.to_domain_event(notification)  # type: ignore[assignment]
        if isinstance(event, Candidacy.ApplicationSubmitted):
            teams.add(event.team_code)
        elif isinstance(event, Candidacy.Event):
            codes = directory.get(event.originator_id.hex)
            if codes is None or codes.team_code not in teams:
                continue  # about a team whose application does not count at this moment
        applied.append((notification.id, event))
    if applied:
        projector.apply(names, applied)
    return len(applied)


def _seed(live: Database, scratch: Database, program_code: str, position: int) -> dict[str, Codes]:
    """Copy the programme's rows valid at ``position`` and its streams' directory entries into ``scratch``."""
    tables = [  # a shared pool's rows are no programme's (``pool_key``): a past view of a programme needs none
        table
        for projection in SEEDED
        for table in projection.layout
        if table.versioned and table.key[0] == "program_code"
    ]
    copied: dict[str, list[dict[str, Any]]] = {}
    with live.transaction(write=False) as cur:
        for table in tables:
            cur.execute(*versions_at(table.name, "program_code = %s", [program_code], position))
            copied[table.name] = [{**r, "valid_to": None} for r in cur.fetchall()]
        cur.execute("SELECT * FROM registry_directory WHERE program_code = %s", (program_code,))
        directory = cur.fetchall()
    with scratch.transaction() as cur:
        for table in tables:
            columns, marks = ", ".join(table.names), ", ".join(["%s"] * len(table.names))
            rows = [[r[c] for c in table.names] for r in copied[table.name]]
            cur.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)
        cur.executemany(
            "INSERT INTO registry_directory (originator_id, program_code, team_code) VALUES (%s, %s, %s)",
            [(d["originator_id"], d["program_code"], d["team_code"]) for d in directory],
        )
    return {d["originator_id"]: Codes(d["program_code"], d["team_code"]) for d in directory}


def _events_at(registry: Registry, positions: Sequence[int]) -> Iterator[Notification]:
    """The stored events at ``positions`` (ascending), one by one if sparse, else by scanning their span."""
    recorder = registry.recorder
    if len(positions) * SPARSE < positions[-1] - positions[0]:
        for position in positions:
            yield from recorder.select_notifications(start=position, limit=1, stop=position)
        return
    wanted, start = set(positions), positions[0]
    while start <= positions[-1]:
        page = recorder.select_notifications(start=start, limit=1000, stop=positions[-1])
        if not page:
            return
        yield from (n for n in page if n.id in wanted)
        start = page[-1].id + 1
