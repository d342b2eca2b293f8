"""Seats: advancing into a stage takes a seat, withdrawing frees it, and no stage holds more than its seats."""

from __future__ import annotations

import pytest

from domain import errors
from tests.unit.bdd import applied, day, eliminated, facts, names, on, opened, refused, seated, when

# --- advance ------------------------------------------------------------------------------


def test_an_applicant_advancing_into_the_first_stage_takes_a_seat() -> None:
    program = opened()
    team = applied(program, "lg")
    events = when(lambda: team.advance(on(2), program, 0), program, team)
    assert facts(events) == [
        ("SeatTaken", {"team": "lg", "stage": 0, "left_stage": None, "round": None}),
        ("TeamAdvanced", {"from_stage": None, "to_stage": 0}),
    ]
    assert (team.status, team.stage, program.holders[0]) == ("active", 0, {"lg"})


def test_a_seated_team_advancing_moves_its_seat_to_the_next_stage() -> None:
    program = opened()
    team = seated(program, "lg", stage=0)
    events = when(lambda: team.advance(on(100), program, 1), program, team)
    assert facts(events) == [
        ("SeatTaken", {"team": "lg", "stage": 1, "left_stage": 0, "round": None}),
        ("TeamAdvanced", {"from_stage": 0, "to_stage": 1}),
    ]
    assert (team.stage, program.holders) == (1, [set(), {"lg"}])
    assert (program.vacancies(0), program.vacancies(1)) == (5, 3)


def test_a_full_stage_refuses_another_team() -> None:
    program = opened(seats=(2, 1), finalist_count=1)
    seated(program, "lg")
    seated(program, "upstage")
    latecomer = applied(program, "naver")
    refused(errors.SeatUnavailableError, lambda: latecomer.advance(on(3), program, 0), program, latecomer)
    assert program.holders[0] == {"lg", "upstage"}


def test_a_full_next_stage_refuses_a_seated_team() -> None:
    program = opened(seats=(2, 1), finalist_count=1)
    seated(program, "lg", stage=1)
    team = seated(program, "upstage", stage=0)
    refused(errors.SeatUnavailableError, lambda: team.advance(on(100), program, 1), program, team)
    assert (team.stage, program.holders) == (0, [{"upstage"}, {"lg"}])


@pytest.mark.parametrize(("status", "to_stage"), [("applied", 1), ("active", 0), ("active", 2)])
def test_a_team_advances_only_into_the_next_stage(status: str, to_stage: int) -> None:
    program = opened(seats=(5, 4, 2))
    team = applied(program, "lg") if status == "applied" else seated(program, "lg", stage=0)
    refused(errors.WrongStageError, lambda: team.advance(on(50), program, to_stage), program, team)


def test_advancing_into_a_stage_the_programme_does_not_have_is_refused() -> None:
    program = opened(seats=(5, 4))
    team = seated(program, "lg", stage=1)
    refused(errors.UnknownStageError, lambda: team.advance(on(50), program, 2), program, team)


def test_a_provisionally_eliminated_team_does_not_advance() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    refused(errors.WrongStageError, lambda: team.advance(on(15), program, 1), program, team)


def test_a_finally_eliminated_team_does_not_advance() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    refused(errors.TeamInactiveError, lambda: team.advance(on(21), program, 1), program, team)


def test_a_withdrawn_team_does_not_advance() -> None:
    program = opened()
    team = applied(program, "lg")
    team.withdraw(on(2), program)
    refused(errors.TeamInactiveError, lambda: team.advance(on(3), program, 0), program, team)


def test_an_advance_cannot_take_effect_before_the_programme_opened() -> None:
    program = opened()
    team = applied(program, "lg", at=0)
    refused(errors.EffectiveTimeError, lambda: team.advance(on(-1, recorded=2), program, 0), program, team)


# --- withdraw -----------------------------------------------------------------------------


def test_a_seated_team_withdrawing_frees_its_seat() -> None:
    program = opened()
    team = seated(program, "lg", stage=1)
    events = when(lambda: team.withdraw(on(120), program), program, team)
    assert facts(events) == [
        ("SeatReleased", {"team": "lg", "stage": 1}),
        ("TeamWithdrew", {"stage": 1, "was_seated": True}),
    ]
    assert (team.status, program.vacancies(1)) == ("withdrawn", 4)


def test_an_applicant_withdrawing_frees_no_seat() -> None:
    program = opened()
    team = applied(program, "lg")
    events = when(lambda: team.withdraw(on(2), program), program, team)
    assert facts(events) == [("TeamWithdrew", {"stage": 0, "was_seated": False})]


def test_a_freed_seat_can_be_taken_by_another_team() -> None:
    program = opened(seats=(1, 1), finalist_count=1)
    leaving = seated(program, "lg")
    waiting = applied(program, "upstage")
    leaving.withdraw(on(3), program)
    events = when(lambda: waiting.advance(on(4), program, 0), program, waiting)
    assert names(events) == ["SeatTaken", "TeamAdvanced"]
    assert program.holders[0] == {"upstage"}


def test_a_team_withdraws_only_once() -> None:
    program = opened()
    team = seated(program, "lg")
    team.withdraw(on(3), program)
    refused(errors.TeamInactiveError, lambda: team.withdraw(on(4), program), program, team)


def test_a_finally_eliminated_team_cannot_withdraw() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    refused(errors.TeamInactiveError, lambda: team.withdraw(on(25), program), program, team)


def test_an_elimination_is_final_only_after_its_deadline() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    assert not team.is_finally_eliminated(day(20))
    assert team.is_finally_eliminated(day(20.001))
