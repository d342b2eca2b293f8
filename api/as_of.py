"""Standings on a past date, answered by replaying the log.

The read models hold only the present. To show a programme as it was *as of* an
effective time and as the registry *knew* it at a recorded time, this module
builds a scratch read store in memory and applies, in log order, only the events
whose ``effective_at <= as_of`` and ``recorded_at <= known_at``. The page then
queries it with the same read-model queries as the live view, so both views
agree by construction.

This replays the whole log on every request: fine for a programme of thousands
of events; a later issue makes it fast (snapshots of the read models per date).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import Notification

from api.bootstrap import Services
from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.program import Program
from projections import all_projections
from projections.db import Database, SQLiteDatabase
from projections.engine import OUTSIDE_PROGRAMMES, Projector

PAGE = 1000
CREATIONS = (Program.Opened, Candidacy.ApplicationSubmitted)


@dataclass(frozen=True)
class Moment:
    """The two times a page answers for; None means "everything recorded so far"."""

    as_of: datetime | None = None
    known_at: datetime | None = None

    @property
    def latest(self) -> bool:
        return self.as_of is None and self.known_at is None

    def admits(self, event: DecisionEvent) -> bool:
        return (self.as_of is None or event.effective_at <= self.as_of) and (
            self.known_at is None or event.recorded_at <= self.known_at
        )


@dataclass(frozen=True)
class Source:
    """Where a page reads from: the live read models, or a replay of part of the log."""

    db: Database
    head: int  # the last log position when the page was built
    applied: int | None  # events replayed into a scratch store; None for the live read models


@contextmanager
def read_store(services: Services, moment: Moment) -> Iterator[Source]:
    """The live read models for the latest view; otherwise a scratch store replayed up to ``moment``."""
    head = services.projector.head()
    if moment.latest:
        yield Source(services.db, head, None)
        return
    db = SQLiteDatabase(":memory:")
    try:
        applied = replay(services, db, moment, head)
        yield Source(db, head, applied)
    finally:
        db.close()


def replay(services: Services, db: Database, moment: Moment, head: int) -> int:
    """Apply the events up to ``head`` that ``moment`` admits into ``db``; returns how many."""
    projector = Projector(services.registry, db, all_projections())
    projector.setup()
    names = list(projector.projections)
    streams: set[UUID] = set()
    position, applied = 0, 0
    while position < head:
        page = services.registry.recorder.select_notifications(start=position + 1, limit=PAGE, stop=head)
        if not page:
            break
        batch = _admitted(services, moment, page, streams)
        if batch:
            projector._apply(names, batch)
            applied += len(batch)
        position = page[-1].id
    return applied


def _admitted(
    services: Services, moment: Moment, page: Sequence[Notification], streams: set[UUID]
) -> list[tuple[int, DecisionEvent]]:
    """The page's events that belong to a programme, fall within ``moment`` and whose stream exists by then."""
    chosen: list[tuple[int, DecisionEvent]] = []
    for notification in page:
        event = services.registry.mapper.to_domain_event(notification)
        if isinstance(event, OUTSIDE_PROGRAMMES) or not isinstance(event, DecisionEvent) or not moment.admits(event):
            continue
        if isinstance(event, CREATIONS):
            streams.add(event.originator_id)
        # A back-dated decision about a team whose application is not admitted has nothing to apply to.
        if event.originator_id in streams:
            chosen.append((notification.id, event))
    return chosen
