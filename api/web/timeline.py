"""The timeline: one row per decision, its consequences folded in, a page of decisions at a time.

A decision about a team is saved in one transaction with what it did to other records:
``TeamAdvanced`` on the team's stream and ``SeatTaken`` on the programme's,
``FundingGranted`` and ``FundsCommitted``. Such events carry the decision's stamp (the
same recorded and effective times, actor, reason and correlation id), name the same
team, sit at the next log positions and belong to another stream. An event that follows
a decision so is one of its consequences and is shown inside the decision's row; a
second event on the decision's own stream starts a row of its own (two decisions
stamped alike, as a script with a fixed clock records them). So a new kind of decision
folds its consequences without a list of pairs here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections import history
from projections.db import Database

EVENTS_PER_PAGE = 60


@dataclass(frozen=True)
class Decision:
    """A timeline row: the decision's event, and the events saved with it."""

    event: dict[str, Any]
    consequences: list[dict[str, Any]]

    @property
    def positions(self) -> list[int]:
        return [self.event["position"], *(c["position"] for c in self.consequences)]

    @property
    def days_late(self) -> int:
        """How many whole days after taking effect it was recorded (back-dating shows)."""
        lag = datetime.fromisoformat(self.event["recorded_at"]) - datetime.fromisoformat(self.event["effective_at"])
        return lag.days


STAMP = ("recorded_at", "effective_at", "actor", "reason", "correlation_id", "team_code")


def _follows_from(event: dict[str, Any], row: Decision) -> bool:
    """Whether ``event`` is a consequence of the decision in ``row`` (see the module docstring)."""
    decision = row.event
    return (
        decision["team_code"] is not None
        and all(event[field] == decision[field] for field in STAMP)
        and event["position"] == row.positions[-1] + 1
        and event["originator_id"] not in {decision["originator_id"], *(c["originator_id"] for c in row.consequences)}
    )


def decisions(events: Iterable[dict[str, Any]]) -> list[Decision]:
    """Events in log order, grouped into decisions: each event is a new row or a consequence of the last."""
    rows: list[Decision] = []
    for event in events:
        if rows and _follows_from(event, rows[-1]):
            rows[-1].consequences.append(event)
        else:
            rows.append(Decision(event, []))
    return rows


def page(db: Database, where: history.HistoryFilter, after: int) -> tuple[list[Decision], int | None]:
    """The decisions after log position ``after``, and the cursor of the next page (None on the last).

    A page never splits a decision: when the page is cut inside a transaction, that decision
    starts the next page.
    """
    events, cursor = history.page(db, where, after=after, limit=EVENTS_PER_PAGE)
    rows = decisions(events)
    if cursor is not None and len(rows) > 1:
        rows.pop()  # it may continue on the next page
        cursor = rows[-1].positions[-1]
    return rows, cursor
