"""Eliminations: provisional until upheld or until the objection deadline; reversal gives the seat back."""

from __future__ import annotations

from datetime import date

import pytest

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from tests.unit.bdd import applied, day, eliminated, facts, names, on, opened, refused, seated, when


def eliminate(team: Candidacy, program: Program, n: float = 10, **fields: object) -> None:
    arguments: dict[str, object] = {"reason_code": "failed_gate", "objection_deadline": day(n + 10)}
    team.eliminate(on(n, reason="failed the independence gate"), program, **{**arguments, **fields})  # type: ignore[arg-type]


# --- eliminate ----------------------------------------------------------------------------


def test_eliminating_a_seated_team_frees_its_seat() -> None:
    program = opened()
    team = seated(program, "lg", stage=1)
    events = when(lambda: eliminate(team, program, 100), program, team)
    assert facts(events) == [
        ("SeatReleased", {"team": "lg", "stage": 1}),
        (
            "TeamEliminated",
            {"stage": 1, "reason_code": "failed_gate", "objection_deadline": day(110), "was_seated": True},
        ),
    ]
    assert events[1].reason == "failed the independence gate"
    assert (team.status, program.vacancies(1)) == ("eliminated", 4)


def test_eliminating_an_applicant_at_screening_frees_no_seat() -> None:
    program = opened()
    team = applied(program, "kakao")
    events = when(lambda: eliminate(team, program, 3, reason_code="screening"), program, team)
    assert facts(events) == [
        ("TeamEliminated", {"stage": 0, "reason_code": "screening", "objection_deadline": day(13), "was_seated": False})
    ]


def test_a_team_is_eliminated_only_once() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    refused(errors.AlreadyEliminatedError, lambda: eliminate(team, program, 12), program, team)


def test_a_withdrawn_team_cannot_be_eliminated() -> None:
    program = opened()
    team = seated(program, "lg")
    team.withdraw(on(5), program)
    refused(errors.TeamInactiveError, lambda: eliminate(team, program, 10), program, team)


@pytest.mark.parametrize(
    "fields",
    [
        {"reason_code": "disliked"},
        {"objection_deadline": day(10)},  # not after the elimination itself
        {"objection_deadline": day(9)},
    ],
)
def test_a_malformed_elimination_is_refused(fields: dict[str, object]) -> None:
    program = opened()
    team = seated(program, "lg")
    refused(errors.InvalidValueError, lambda: eliminate(team, program, 10, **fields), program, team)


def test_an_elimination_needs_a_reason() -> None:
    program = opened()
    team = seated(program, "lg")
    refused(
        errors.InvalidValueError,
        lambda: team.eliminate(on(10, reason=""), program, reason_code="other", objection_deadline=day(20)),
        program,
        team,
    )


# --- uphold_elimination -------------------------------------------------------------------


def test_upholding_an_elimination_makes_it_final() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    events = when(lambda: team.uphold_elimination(on(15), program), program, team)
    assert facts(events) == [("EliminationUpheld", {})]
    assert team.elimination is not None and team.elimination.upheld
    assert team.is_finally_eliminated(day(15))


def test_only_a_pending_elimination_can_be_upheld() -> None:
    program = opened()
    active = seated(program, "lg")
    refused(errors.NoPendingEliminationError, lambda: active.uphold_elimination(on(15), program), program, active)
    upheld = eliminated(program, "upstage", at=10, deadline=20)
    upheld.uphold_elimination(on(15), program)
    refused(errors.NoPendingEliminationError, lambda: upheld.uphold_elimination(on(16), program), program, upheld)


def test_upholding_after_the_objection_deadline_confirms_the_elimination() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    events = when(lambda: team.uphold_elimination(on(21), program), program, team)
    assert names(events) == ["EliminationUpheld"]
    refused(errors.NoPendingEliminationError, lambda: team.uphold_elimination(on(22), program), program, team)


# --- reverse_elimination ------------------------------------------------------------------


def test_reversing_an_elimination_gives_the_seat_back() -> None:
    program = opened()
    team = eliminated(program, "lg", stage=1, at=110, deadline=120)
    events = when(lambda: team.reverse_elimination(on(115), program), program, team)
    assert facts(events) == [
        ("SeatTaken", {"team": "lg", "stage": 1, "left_stage": None, "round": None}),
        ("EliminationReversed", {"stage": 1, "was_seated": True}),
    ]
    assert (team.status, team.stage, team.elimination, program.holders[1]) == ("active", 1, None, {"lg"})


def test_reversing_a_screening_elimination_makes_the_team_an_applicant_again() -> None:
    program = opened()
    team = applied(program, "kakao")
    eliminate(team, program, 3, reason_code="screening")
    events = when(lambda: team.reverse_elimination(on(5), program), program, team)
    assert facts(events) == [("EliminationReversed", {"stage": 0, "was_seated": False})]
    assert team.status == "applied"


def test_a_reversal_needs_a_free_seat() -> None:
    program = opened(seats=(1, 1), finalist_count=1)
    team = eliminated(program, "lg", at=10, deadline=20)
    seated(program, "upstage", at=11)
    refused(errors.SeatUnavailableError, lambda: team.reverse_elimination(on(15), program), program, team)
    assert team.status == "eliminated"


def test_only_a_pending_elimination_can_be_reversed() -> None:
    program = opened()
    active = seated(program, "lg")
    refused(errors.NoPendingEliminationError, lambda: active.reverse_elimination(on(15), program), program, active)
    upheld = eliminated(program, "upstage", at=10, deadline=20)
    upheld.uphold_elimination(on(12), program)
    refused(errors.NoPendingEliminationError, lambda: upheld.reverse_elimination(on(15), program), program, upheld)


def test_an_elimination_cannot_be_reversed_after_its_objection_deadline() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    refused(errors.EliminationFinalError, lambda: team.reverse_elimination(on(21), program), program, team)


def test_a_reversal_recorded_after_the_deadline_is_refused_even_when_back_dated_inside_it() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    refused(errors.EliminationFinalError, lambda: team.reverse_elimination(on(19, recorded=25), program), program, team)
    events = when(lambda: team.reverse_elimination(on(15, recorded=19), program), program, team)
    assert names(events) == ["SeatTaken", "EliminationReversed"]


def test_back_dating_cannot_reach_a_finally_eliminated_team() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    refused(
        errors.TeamInactiveError,
        lambda: team.grant_funding(
            on(19, recorded=25),
            program,
            resource="gpu:B200",
            quantity=1,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 2, 1),
        ),
        program,
        team,
    )
