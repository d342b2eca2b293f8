"""Calls for applications: applications dated outside their stage's call are refused; calls move only by events."""

from __future__ import annotations

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from domain.values import Stage
from tests.unit.bdd import CRITERIA, PROGRAM, applied, day, decisions, facts, on, opened, refused, when


def with_call(opens: float = 1, closes: float = 10) -> Program:
    program = opened()
    program.open_call(on(0), stage=0, opens_at=day(opens), closes_at=day(closes))
    return program


def announced(stages: int = 0) -> Program:
    program: Program = Program.announce(
        on(0),
        program_code=PROGRAM,
        title_ko="독자 AI",
        title_en="Sovereign AI",
        agency="MSIT",
        stages=[Stage.make(f"stage {i + 1}", 5, CRITERIA, []) for i in range(stages)],
        budgets={"gpu:B200": 100},
        finalist_count=2,
    )
    return program


def test_opening_a_call_records_its_window() -> None:
    program = opened()
    events = when(lambda: program.open_call(on(0), stage=0, opens_at=day(1), closes_at=day(10)), program)
    assert facts(events) == [("CallOpened", {"stage": 0, "opens_at": day(1), "closes_at": day(10)})]


def test_an_application_within_the_window_is_taken() -> None:
    program = with_call()
    team = applied(program, "A", at=10)
    assert [e.type_name for e in decisions(team.collect_events())] == ["ApplicationSubmitted"]


def test_an_application_before_the_call_opens_is_refused() -> None:
    program = with_call(opens=3)
    refused(errors.CallNotOpenError, lambda: applied(program, "A", at=2), program)


def test_a_late_application_is_refused() -> None:
    program = with_call(closes=10)
    refused(errors.CallClosedError, lambda: applied(program, "A", at=10.5), program)


def test_a_stage_without_a_call_takes_no_application_once_the_programme_uses_calls() -> None:
    program = with_call()
    error = refused(errors.CallNotOpenError, lambda: applied_to(program, stage=1), program)
    assert "no call" in str(error)


def applied_to(program: Program, stage: int) -> Candidacy:
    return Candidacy.submit(
        on(2), program, team_code="B", name_ko="B", name_en="B", lead_organisation="B Corp", stage=stage
    )


def test_a_programme_without_calls_takes_applications_as_before() -> None:
    program = opened()
    applied(program, "A", at=400)  # no call, no window


def test_extending_a_call_lets_a_later_application_in() -> None:
    program = with_call(closes=10)
    events = when(lambda: program.extend_call(on(9, reason="briefing moved"), stage=0, closes_at=day(12)), program)
    assert facts(events) == [("CallExtended", {"stage": 0, "closes_at": day(12)})]
    assert events[0].reason == "briefing moved"
    applied(program, "A", at=11)


def test_extending_a_call_that_has_closed_is_refused() -> None:
    program = with_call(closes=10)
    refused(errors.CallClosedError, lambda: program.extend_call(on(11), stage=0, closes_at=day(12)), program)


def test_extending_to_an_earlier_time_is_refused() -> None:
    program = with_call(closes=10)
    refused(errors.InvalidValueError, lambda: program.extend_call(on(5), stage=0, closes_at=day(8)), program)


def test_extending_to_the_same_closing_time_records_nothing() -> None:
    program = with_call(closes=10)
    assert when(lambda: program.extend_call(on(5), stage=0, closes_at=day(10)), program) == []


def test_closing_a_call_early_refuses_later_applications() -> None:
    program = with_call(closes=10)
    events = when(lambda: program.close_call_early(on(5), stage=0, closes_at=day(6)), program)
    assert facts(events) == [("CallClosedEarly", {"stage": 0, "closes_at": day(6)})]
    refused(errors.CallClosedError, lambda: applied(program, "A", at=7), program)


def test_closing_a_call_before_the_decision_to_close_it_is_refused() -> None:
    program = with_call(closes=10)
    refused(errors.InvalidValueError, lambda: program.close_call_early(on(5), stage=0, closes_at=day(4)), program)


def test_moving_a_call_that_does_not_exist_is_refused() -> None:
    program = opened()
    refused(errors.CallNotOpenError, lambda: program.extend_call(on(5), stage=0, closes_at=day(12)), program)


def test_a_second_call_while_the_first_runs_is_refused() -> None:
    program = with_call(closes=10)
    call = lambda: program.open_call(on(5), stage=0, opens_at=day(8), closes_at=day(20))  # noqa: E731
    refused(errors.CallOverlapError, call, program)


def test_a_call_that_closes_before_it_opens_is_refused() -> None:
    program = opened()
    refused(
        errors.InvalidValueError, lambda: program.open_call(on(0), stage=0, opens_at=day(5), closes_at=day(5)), program
    )


# --- announced before the call --------------------------------------------------------------


def test_announcing_records_the_plan_and_rules_version_one() -> None:
    program = announced()
    [event] = decisions(program.collect_events())
    assert event.type_name == "ProgramAnnounced"
    assert event.payload() == {
        "code": PROGRAM,
        "title_ko": "독자 AI",
        "title_en": "Sovereign AI",
        "agency": "MSIT",
        "stages": [],
        "budgets": {"gpu:B200": 100},
        "finalist_count": 2,
    }
    assert (event.rules_version, program.rules_version, program.announced) == (1, 1, True)


def test_an_announced_programme_takes_no_application_before_its_call() -> None:
    program = announced(stages=1)
    refused(errors.CallNotOpenError, lambda: applied(program, "A", at=1), program)
    program.open_call(on(2), stage=0, opens_at=day(3), closes_at=day(30))
    applied(program, "A", at=4)


def test_decisions_about_an_announced_programme_are_dated_from_the_announcement() -> None:
    program = announced()
    refused(errors.EffectiveTimeError, lambda: program.increase_budget(on(-1, recorded=1), "gpu:B200", 10), program)


def test_an_announcement_with_more_finalists_than_its_last_stage_seats_is_refused() -> None:
    stage = Stage.make("only", 1, [], [])
    make = lambda: Program.announce(  # noqa: E731
        on(0),
        program_code=PROGRAM,
        title_ko="a",
        title_en="a",
        agency="a",
        stages=[stage],
        budgets={},
        finalist_count=2,
    )
    refused(errors.InvalidValueError, make)
