"""Advancements under objection: the seat is held; confirmed, reversed (seat freed) or final after the deadline.

And the rule that a concluded stage (finalists selected) takes no new teams.
"""

from __future__ import annotations

from domain import errors
from tests.unit.bdd import applied, day, facts, on, opened, refused, seated, when


def test_an_advancement_with_a_deadline_is_provisional_and_takes_the_seat() -> None:
    program = opened()
    team = applied(program, "lg")
    events = when(lambda: team.advance(on(2), program, 0, objection_deadline=day(12)), program, team)
    assert facts(events) == [
        ("SeatTaken", {"team": "lg", "stage": 0, "left_stage": None, "round": None}),
        ("TeamAdvanced", {"from_stage": None, "to_stage": 0}),
        ("AdvancementProvisional", {"stage": 0, "from_stage": None, "objection_deadline": day(12)}),
    ]
    assert team.is_provisional(day(5)) and not team.is_provisional(day(13))


def test_an_advancement_without_a_deadline_is_not_provisional() -> None:
    program = opened()
    team = applied(program, "lg")
    events = when(lambda: team.advance(on(2), program, 0), program, team)
    assert [e.type_name for e in events] == ["SeatTaken", "TeamAdvanced"]
    refused(errors.NoPendingAdvancementError, lambda: team.reverse_advancement(on(3), program), program, team)


def test_an_objection_deadline_must_follow_the_advance() -> None:
    program = opened()
    team = applied(program, "lg")
    refused(errors.InvalidValueError, lambda: team.advance(on(2), program, 0, objection_deadline=day(2)), program, team)


def test_confirming_makes_it_final_once() -> None:
    program = opened()
    team = applied(program, "lg")
    team.advance(on(2), program, 0, objection_deadline=day(12))
    events = when(lambda: team.confirm_advancement(on(20), program), program, team)  # after the deadline too
    assert facts(events) == [("AdvancementConfirmed", {"stage": 0})]
    refused(errors.NoPendingAdvancementError, lambda: team.confirm_advancement(on(21), program), program, team)


def test_reversing_frees_the_seat_and_returns_an_applicant_to_applied() -> None:
    program = opened(seats=(1, 2))
    team = applied(program, "lg")
    team.advance(on(2), program, 0, objection_deadline=day(12))
    events = when(lambda: team.reverse_advancement(on(5, reason="Objection upheld"), program), program, team)
    assert facts(events) == [
        ("SeatReleased", {"team": "lg", "stage": 0}),
        ("AdvancementReversed", {"stage": 0, "from_stage": None}),
    ]
    assert (team.status, team.stage, program.vacancies(0)) == ("applied", 0, 1)


def test_reversing_a_move_up_gives_back_the_seat_it_left() -> None:
    program = opened()
    team = seated(program, "lg")
    team.advance(on(3), program, 1, objection_deadline=day(12))
    events = when(lambda: team.reverse_advancement(on(5), program), program, team)
    assert facts(events) == [
        ("SeatReleased", {"team": "lg", "stage": 1}),
        ("SeatTaken", {"team": "lg", "stage": 0, "left_stage": None, "round": None}),
        ("AdvancementReversed", {"stage": 1, "from_stage": 0}),
    ]
    assert (team.status, team.stage, "lg" in program.holders[0], "lg" in program.holders[1]) == (
        "active",
        0,
        True,
        False,
    )


def test_after_the_deadline_an_advancement_cannot_be_reversed() -> None:
    program = opened()
    team = applied(program, "lg")
    team.advance(on(2), program, 0, objection_deadline=day(12))
    refused(errors.AdvancementFinalError, lambda: team.reverse_advancement(on(13), program), program, team)


def test_a_concluded_stage_takes_no_new_teams() -> None:
    program = opened(finalist_count=1)
    finalist = seated(program, "lg", stage=1)
    program.select_finalists(on(30), [finalist.team_code])
    late = applied(program, "kt", at=31)
    error = refused(errors.StageConcludedError, lambda: late.advance(on(32), program, 0), program, late)
    assert "stage 0 (stage 1) is concluded" in str(error)
    assert program.concluded(0) and program.concluded(1)
