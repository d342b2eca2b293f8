"""How events change the standings rows: one handler per event type that moves them.

Every programme event also gets a row in ``standings_moments`` and moves its
record's version (the ETag), whatever else it does here.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.pool import Pool
from domain.program import Program
from domain.rounds import EvaluationRound
from projections.encoding import iso, to_json
from projections.rows import Rows, Table, plus
from projections.schema import Codes
from projections.standings import reentry_handlers, round_handlers
from projections.standings.rules import RULE_HANDLERS, put_stage
from projections.standings.tables import (
    ALL,
    ENTRIES,
    EVALUATION_ROUNDS,
    MOMENTS,
    NAME,
    OFFERS,
    PROGRAMS,
    ROUNDS,
    SCORES,
    TABLES,
    TEAMS,
)


class StandingsProjection:
    name = NAME
    tables: tuple[str, ...] = TABLES
    layout: tuple[Table, ...] = ALL

    def ddl(self) -> list[str]:
        return [statement for table in ALL for statement in table.ddl()]

    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None:
        if isinstance(event, Pool.Event):
            return  # a shared pool is no programme's: its ledger is in the funding read model
        rows.append(
            MOMENTS,
            {
                "program_code": codes.program_code,
                "position": rows.position,
                "effective_at": iso(event.effective_at),
                "recorded_at": iso(event.recorded_at),
            },
        )
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(rows, event, codes)
        # Every event moves its record's version (the ETag), including events with no other effect here.
        if isinstance(event, Program.Event):
            rows.update(PROGRAMS, (codes.program_code,), version=event.originator_version)
        elif isinstance(event, EvaluationRound.Event):
            key = (codes.program_code, event.round)  # type: ignore[attr-defined]  # every round event names it
            rows.update(EVALUATION_ROUNDS, key, version=event.originator_version)
        else:
            last: dict[str, Any] = {"rules_version": event.rules_version, "sources": to_json(list(event.sources))}
            rows.update(TEAMS, (codes.program_code, codes.team_code), version=event.originator_version, **last)


Handler = Callable[[Rows, Any, Codes], None]


def _opened(rows: Rows, e: Program.Opened, c: Codes) -> None:
    rows.put(
        PROGRAMS,
        {
            "program_code": e.code,
            "title_ko": e.title_ko,
            "title_en": e.title_en,
            "agency": e.agency,
            "opened_at": iso(e.effective_at),
            "finalist_count": e.finalist_count,
            "finalists": "[]",
            "version": 1,
            "rules_version": 1,
            "announced": int(isinstance(e, Program.Announced)),
        },
    )
    for i, s in enumerate(e.stages):
        put_stage(rows, e.code, i, s)


def _set_entry(rows: Rows, c: Codes, stage: int, team: str, outcome: str) -> None:
    rows.put(ENTRIES, {"program_code": c.program_code, "stage": stage, "team_code": team, "outcome": outcome})


def _seat_taken(rows: Rows, e: Program.SeatTaken, c: Codes) -> None:
    if e.left_stage is not None:
        _set_entry(rows, c, e.left_stage, e.team, "advanced")
    _set_entry(rows, c, e.stage, e.team, "seated")
    if e.round is not None:
        rows.update(ROUNDS, (c.program_code, e.round), filled=plus(1))


def _round_opened(rows: Rows, e: Program.ReEntryRoundOpened, c: Codes) -> None:
    rows.put(
        ROUNDS,
        {
            "program_code": c.program_code,
            "round": e.round,
            "stage": e.stage,
            "seats": e.seats,
            "filled": 0,
            "eligibility": to_json(e.eligibility),
            "opens_at": iso(e.opens_at),
            "closes_at": iso(e.closes_at),
            "first_closes_at": iso(e.closes_at),
            "change": "opened",
            "change_reason": e.reason,
        },
    )


def _finalists(rows: Rows, e: Program.FinalistsSelected, c: Codes) -> None:
    rows.update(PROGRAMS, (c.program_code,), finalists=to_json(e.teams))
    for team in e.teams:
        rows.update(TEAMS, (c.program_code, team), finalist=1)


def _team_update(rows: Rows, c: Codes, **changes: Any) -> None:
    rows.update(TEAMS, (c.program_code, c.team_code), **changes)


def _applied(rows: Rows, e: Candidacy.ApplicationSubmitted, c: Codes) -> None:
    rows.put(
        TEAMS,
        {
            "program_code": c.program_code,
            "team_code": c.team_code,
            "name_ko": e.name_ko,
            "name_en": e.name_en,
            "lead_organisation": e.lead_organisation,
            "members": to_json(e.members),
            "status": "applied",
            "stage": e.stage,
            "applied_at": iso(e.effective_at),
            "reentrant": 0,
            "finalist": 0,
            "elimination_reason": None,
            "elimination_detail": None,
            "objection_deadline": None,
            "elimination_upheld": None,
            "version": 1,
            "rules_version": e.rules_version,
            "sources": "[]",
        },
    )


def _consortium(rows: Rows, e: Candidacy.ConsortiumChanged, c: Codes) -> None:
    def members(old: str) -> str:
        return to_json([m for m in orjson.loads(old) if m not in e.left] + list(e.joined))

    _team_update(rows, c, members=members)


def _scored(e: Candidacy.EvaluationRecorded | Candidacy.EvaluationAmended) -> dict[str, Any]:
    total = sum(e.scores.values(), Decimal(0))
    return {
        "scores": to_json(e.scores),
        "gates": to_json(e.gates),
        "total": str(total),
        "passed": int(all(e.gates.values())),
    }


def _evaluated(rows: Rows, e: Candidacy.EvaluationRecorded, c: Codes) -> None:
    key = {"program_code": c.program_code, "team_code": c.team_code, "stage": e.stage}
    rows.put(SCORES, {**key, "evaluation": e.evaluation, **_scored(e), "amended": 0, "rules_version": e.rules_version})


def _amended(rows: Rows, e: Candidacy.EvaluationAmended, c: Codes) -> None:
    key = (c.program_code, c.team_code, e.stage)
    current = rows.get(SCORES, key)
    if current is not None and current["evaluation"] == e.evaluation:
        rows.update(SCORES, key, **_scored(e), amended=1, rules_version=e.rules_version)


def _advanced(rows: Rows, e: Candidacy.TeamAdvanced, c: Codes) -> None:
    _team_update(rows, c, status="active", stage=e.to_stage)


def _eliminated(rows: Rows, e: Candidacy.TeamEliminated, c: Codes) -> None:
    _team_update(
        rows,
        c,
        status="eliminated",
        elimination_reason=e.reason_code,
        elimination_detail=e.reason,
        objection_deadline=iso(e.objection_deadline),
        elimination_upheld=0,
    )
    if e.was_seated:
        _set_entry(rows, c, e.stage, c.team_code or "", "eliminated")


def _upheld(rows: Rows, e: Candidacy.EliminationUpheld, c: Codes) -> None:
    _team_update(rows, c, elimination_upheld=1)


CLEARED = {"elimination_reason": None, "elimination_detail": None, "objection_deadline": None}


def _reversed(rows: Rows, e: Candidacy.EliminationReversed, c: Codes) -> None:
    status = "active" if e.was_seated else "applied"
    _team_update(rows, c, status=status, stage=e.stage, **CLEARED, elimination_upheld=None)


def _offered(rows: Rows, e: Candidacy.ReEntryOffered, c: Codes) -> None:
    rows.put(
        OFFERS,
        {
            "program_code": c.program_code,
            "team_code": c.team_code,
            "offer": e.offer,
            "round": e.round,
            "stage": e.stage,
            "deadline": iso(e.deadline),
            "answer": None,
        },
    )


def _answer(rows: Rows, c: Codes, offer: int, answer: str) -> None:
    rows.update(OFFERS, (c.program_code, c.team_code, offer), answer=answer)


def _accepted(rows: Rows, e: Candidacy.OfferAccepted, c: Codes) -> None:
    _answer(rows, c, e.offer, "accepted")
    _team_update(rows, c, status="active", stage=e.stage, reentrant=1, **CLEARED, elimination_upheld=None)


def _declined(rows: Rows, e: Candidacy.OfferDeclined, c: Codes) -> None:
    _answer(rows, c, e.offer, "declined")


def _withdrew(rows: Rows, e: Candidacy.TeamWithdrew, c: Codes) -> None:
    _team_update(rows, c, status="withdrawn")
    if e.was_seated:
        _set_entry(rows, c, e.stage, c.team_code or "", "withdrawn")


_HANDLERS: dict[type, Handler] = {
    Program.Opened: _opened,
    Program.Announced: _opened,
    **RULE_HANDLERS,
    Program.SeatTaken: _seat_taken,
    Program.ReEntryRoundOpened: _round_opened,
    Program.FinalistsSelected: _finalists,
    Candidacy.ApplicationSubmitted: _applied,
    Candidacy.ConsortiumChanged: _consortium,
    Candidacy.EvaluationRecorded: _evaluated,
    Candidacy.EvaluationAmended: _amended,
    Candidacy.TeamAdvanced: _advanced,
    Candidacy.TeamEliminated: _eliminated,
    Candidacy.EliminationUpheld: _upheld,
    Candidacy.EliminationReversed: _reversed,
    Candidacy.ReEntryOffered: _offered,
    Candidacy.OfferAccepted: _accepted,
    Candidacy.OfferDeclined: _declined,
    Candidacy.TeamWithdrew: _withdrew,
    **round_handlers.HANDLERS,
    **reentry_handlers.HANDLERS,
}
