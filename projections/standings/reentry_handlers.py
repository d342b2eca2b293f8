"""How re-entry rounds as open calls move the standings rows: windows moved, applications, statements, selections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.candidacy import Candidacy
from domain.program import Program
from projections.encoding import iso, to_json
from projections.rows import Rows
from projections.schema import Codes
from projections.standings.tables import ROUND_APPLICATIONS, ROUNDS, STATEMENTS, TEAMS

Handler = Callable[[Rows, Any, Codes], None]


def _moved(change: str) -> Handler:
    def handle(rows: Rows, e: Program.ReEntryRoundExtended | Program.ReEntryRoundClosedEarly, c: Codes) -> None:
        rows.update(
            ROUNDS, (c.program_code, e.round), closes_at=iso(e.closes_at), change=change, change_reason=e.reason
        )

    return handle


def _applied(rows: Rows, e: Candidacy.RoundApplicationSubmitted, c: Codes) -> None:
    members = to_json(e.members)
    rows.put(
        ROUND_APPLICATIONS,
        {
            "program_code": c.program_code,
            "round": e.round,
            "team_code": c.team_code,
            "lead_organisation": e.lead_organisation,
            "members": members,
            "applied_at": iso(e.effective_at),
            "state": "pending",
        },
    )
    rows.update(TEAMS, (c.program_code, c.team_code), lead_organisation=e.lead_organisation, members=members)


def _stated(rows: Rows, e: Candidacy.RoundStatementMade, c: Codes) -> None:
    rows.put(
        STATEMENTS,
        {
            "program_code": c.program_code,
            "team_code": c.team_code,
            "statement": e.statement,
            "round": e.round,
            "kind": e.kind,
            "form": e.form,
            "words": e.reason,
            "sources": to_json(list(e.sources)),
            "effective_at": iso(e.effective_at),
        },
    )
    if e.kind == "withdrew_application":
        rows.update(ROUND_APPLICATIONS, (c.program_code, e.round, c.team_code), state="withdrawn")


def _selected(rows: Rows, e: Candidacy.ReEntrySelected, c: Codes) -> None:
    rows.update(ROUND_APPLICATIONS, (c.program_code, e.round, c.team_code), state="selected")
    rows.update(
        TEAMS,
        (c.program_code, c.team_code),
        status="active",
        stage=e.stage,
        reentrant=1,
        elimination_reason=None,
        elimination_detail=None,
        objection_deadline=None,
        elimination_upheld=None,
    )


HANDLERS: dict[type, Handler] = {
    Program.ReEntryRoundExtended: _moved("extended"),
    Program.ReEntryRoundClosedEarly: _moved("closed_early"),
    Candidacy.RoundApplicationSubmitted: _applied,
    Candidacy.RoundStatementMade: _stated,
    Candidacy.ReEntrySelected: _selected,
}
