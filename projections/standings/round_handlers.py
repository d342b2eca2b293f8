"""How evaluation rounds, their panels and outcomes, and provisional advancements move the standings rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.candidacy import Candidacy
from domain.rounds import EvaluationRound
from projections.encoding import iso, to_json
from projections.rows import Rows
from projections.schema import Codes
from projections.standings.tables import ADVANCEMENTS, ENTRIES, EVALUATION_ROUNDS, EXCUSES, OUTCOMES, PANEL, TEAMS

Handler = Callable[[Rows, Any, Codes], None]


def _round_opened(rows: Rows, e: EvaluationRound.Opened, c: Codes) -> None:
    rows.put(
        EVALUATION_ROUNDS,
        {
            "program_code": c.program_code,
            "round": e.round,
            "stage": e.stage,
            "title": e.title,
            "criteria": to_json(e.criteria),
            "gates": to_json(e.gates),
            "opened_at": iso(e.effective_at),
            "reentry_round": e.reentry_round,
            "decision": None,
            "version": 1,
        },
    )


def _member(rows: Rows, e: EvaluationRound.PanelMemberRegistered, c: Codes) -> None:
    rows.put(PANEL, {"program_code": c.program_code, "round": e.round, "member": e.member, "role": e.role})


def _excused(kind: str) -> Handler:
    def handle(rows: Rows, e: EvaluationRound.ConflictDeclared | EvaluationRound.MemberRecused, c: Codes) -> None:
        n = e.round
        key = (c.program_code, n, e.member, e.team)
        current = rows.get(EXCUSES, key)
        if kind == "conflict" and current is not None:
            return  # a recusal already says why the member stands aside; a conflict declared later adds nothing
        rows.put(
            EXCUSES,
            {
                "program_code": c.program_code,
                "round": n,
                "member": e.member,
                "team_code": e.team,
                "kind": kind,
                "reason": e.reason,
                "effective_at": iso(e.effective_at),
            },
        )

    return handle


def _decided(rows: Rows, e: EvaluationRound.Decided, c: Codes) -> None:
    decision = {
        "selected": e.selected,
        "no_selection": e.no_selection,
        "votes": e.votes,
        "counts": e.counts,
        "effective_at": iso(e.effective_at),
        "reason": e.reason,
    }
    rows.update(EVALUATION_ROUNDS, (c.program_code, e.round), decision=to_json(decision))


def _outcome(rows: Rows, e: Candidacy.RoundOutcomeRecorded, c: Codes) -> None:
    rows.put(
        OUTCOMES,
        {
            "program_code": c.program_code,
            "team_code": c.team_code,
            "round": e.round,
            "stage": e.stage,
            "result": e.result,
            "scores": to_json(e.scores),
            "gates": to_json(e.gates),
            "rank": e.rank,
            "panel": to_json(e.panel),
            "recusals": to_json(e.recusals),
            "effective_at": iso(e.effective_at),
        },
    )


def _provisional(rows: Rows, e: Candidacy.AdvancementProvisional, c: Codes) -> None:
    rows.put(
        ADVANCEMENTS,
        {
            "program_code": c.program_code,
            "team_code": c.team_code,
            "stage": e.stage,
            "objection_deadline": iso(e.objection_deadline),
            "state": "provisional",
        },
    )


def _confirmed(rows: Rows, e: Candidacy.AdvancementConfirmed, c: Codes) -> None:
    rows.update(ADVANCEMENTS, (c.program_code, c.team_code), state="confirmed")


def _reversed(rows: Rows, e: Candidacy.AdvancementReversed, c: Codes) -> None:
    rows.update(ADVANCEMENTS, (c.program_code, c.team_code), state="reversed")
    entry = {"program_code": c.program_code, "stage": e.stage, "team_code": c.team_code, "outcome": "reversed"}
    rows.put(ENTRIES, entry)
    if e.from_stage is None:
        rows.update(TEAMS, (c.program_code, c.team_code), status="applied", stage=e.stage)
    else:
        rows.update(TEAMS, (c.program_code, c.team_code), status="active", stage=e.from_stage)


HANDLERS: dict[type, Handler] = {
    EvaluationRound.Opened: _round_opened,
    EvaluationRound.PanelMemberRegistered: _member,
    EvaluationRound.ConflictDeclared: _excused("conflict"),
    EvaluationRound.MemberRecused: _excused("recusal"),
    EvaluationRound.Decided: _decided,
    Candidacy.RoundOutcomeRecorded: _outcome,
    Candidacy.AdvancementProvisional: _provisional,
    Candidacy.AdvancementConfirmed: _confirmed,
    Candidacy.AdvancementReversed: _reversed,
}
