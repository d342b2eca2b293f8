"""The timeline: one row per decision, its consequences folded in, a page of decisions at a time.

A decision about a team is saved in one transaction with what it did to other records:
``TeamAdvanced`` on the team's stream and ``SeatTaken`` on the programme's,
``FundingGranted`` and ``FundsCommitted``. Such events carry the decision's stamp (the
same recorded and effective times, actor, reason and correlation id), name the same
team, sit at the next log positions and belong to another stream. An event that follows
a decision so is one of its consequences and is shown inside the decision's row; a
second event on the decision's own stream starts a row of its own (two decisions
stamped alike, as a script with a fixed clock records them). A round's outcomes are
many decisions in one transaction, whose seats are saved after all of them: an event
of the transaction joins the latest row of the transaction about the same team that
has none of its stream yet. So a new kind of decision folds its consequences without a
list of pairs here.
"""

from __future__ import annotations

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


TRANSACTION = ("recorded_at", "effective_at", "actor", "reason", "correlation_id")


def _joins(event: dict[str, Any], row: Decision) -> bool:
    """Whether ``event``, saved in the transaction of ``row``, is one of the row's consequences."""
    streams = {row.event["originator_id"], *(c["originator_id"] for c in row.consequences)}
    return (
        row.event["team_code"] is not None
        and event["team_code"] == row.event["team_code"]
        and (event["originator_id"] not in streams)
    )


def _same_transaction(event: dict[str, Any], before: dict[str, Any]) -> bool:
    """Whether ``event``, at the position after ``before``, was saved with it (stamped alike)."""
    return event["position"] == before["position"] + 1 and all(event[f] == before[f] for f in TRANSACTION)


def decisions(events: list[dict[str, Any]]) -> list[Decision]:
    """Events in log order, grouped into decisions: each event is a new row or a consequence of one before it."""
    rows: list[Decision] = []
    transaction: list[Decision] = []  # the rows of the transaction the previous event belongs to
    for i, event in enumerate(events):
        if i == 0 or not _same_transaction(event, events[i - 1]):
            transaction = []
        row = next((r for r in reversed(transaction) if _joins(event, r)), None)
        if row is None:
            row = Decision(event, [])
            rows.append(row)
            transaction.append(row)
        else:
            row.consequences.append(event)
    return rows


def page(db: Database, where: history.HistoryFilter, after: int) -> tuple[list[Decision], int | None]:
    """The decisions after log position ``after``, and the cursor of the next page (None on the last).

    A page never splits a transaction (unless one fills the whole page): when the page is cut
    inside one, it starts the next page.
    """
    events, cursor = history.page(db, where, after=after, limit=EVENTS_PER_PAGE)
    if cursor is not None:  # the page's last transaction may continue on the next page: it starts that page
        start = len(events) - 1
        while start > 0 and _same_transaction(events[start], events[start - 1]):
            start -= 1
        if start > 0:
            events, cursor = events[:start], events[start - 1]["position"]
    return decisions(events), cursor
