"""Rules that change after opening: stages added and amended until they are used, each change a new rules version."""

from __future__ import annotations

from decimal import Decimal

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from domain.values import Stage
from tests.unit.bdd import CRITERIA, PASSING, applied, decisions, facts, on, opened, refused, seated, when

WEIGHTS = [
    {"code": "bench", "name": "Benchmark", "max_points": 40},
    {"code": "expert", "name": "Expert", "max_points": 35},
    {"code": "user", "name": "User", "max_points": 25},
]


def test_a_programme_opens_under_rules_version_one() -> None:
    program = opened()
    [event] = decisions(program.collect_events())
    assert (event.rules_version, program.rules_version) == (1, 1)


def test_adding_a_stage_makes_the_next_rules_version() -> None:
    program = opened(seats=(5,), finalist_count=2)
    stage = Stage.make("stage 2", 4, WEIGHTS, ["independence"])
    events = when(lambda: program.add_stage(on(30, reason="stage 2 announced"), stage), program)
    assert facts(events) == [("StageAdded", {"stage": 1, "definition": stage.as_record()})]
    assert (events[0].rules_version, program.rules_version, program.stages[1]) == (2, 2, stage)
    assert program.holders == [set(), set()]


def test_adding_a_last_stage_with_fewer_seats_than_finalists_is_refused() -> None:
    program = opened(seats=(5,), finalist_count=2)
    refused(errors.LastStageTooSmallError, lambda: program.add_stage(on(3), Stage.make("tiny", 1, [], [])), program)


def test_a_twenty_first_stage_is_refused_as_the_records_forbid_it() -> None:
    program = opened(seats=(5,) * 19)
    assert program.add_stage(on(3), Stage.make("stage 20", 5, [], [])) == 19  # the twentieth is the last allowed
    refused(errors.TooManyStagesError, lambda: program.add_stage(on(4), Stage.make("stage 21", 5, [], [])), program)


def test_adding_a_stage_after_the_finalists_were_chosen_is_refused() -> None:
    program = opened(seats=(5, 4), finalist_count=1)
    seated(program, "A", stage=1)
    program.select_finalists(on(5), ["A"])
    add = lambda: program.add_stage(on(6), Stage.make("stage 3", 2, [], []))  # noqa: E731
    refused(errors.FinalistsAlreadySelectedError, add, program)


def test_amending_an_unused_stage_records_its_whole_new_definition() -> None:
    program = opened(seats=(5, 4))
    amended = Stage.make("stage 2", 3, [{"code": "bench", "max_points": 50}], [])
    events = when(lambda: program.amend_stage(on(40, reason="weights announced"), 1, amended), program)
    assert facts(events) == [("StageAmended", {"stage": 1, "definition": amended.as_record()})]
    assert (events[0].rules_version, program.stages[1].seats) == (2, 3)
    assert program.stages[1].criteria[0].max_points == Decimal(50)


def test_restating_a_stage_as_it_stands_records_nothing() -> None:
    program = opened(seats=(5, 4))
    same = Stage.make("stage 2", 4, CRITERIA, ["independence"])
    assert when(lambda: program.amend_stage(on(3), 1, same), program) == []
    assert program.rules_version == 1


def test_amending_a_stage_with_a_seat_taken_is_refused() -> None:
    program = opened(seats=(5, 4))
    seated(program, "A", stage=0)
    refused(errors.StageInUseError, lambda: program.amend_stage(on(3), 0, Stage.make("s", 6, [], [])), program)


def test_amending_a_stage_after_its_first_evaluation_is_refused() -> None:
    program = opened(seats=(5, 4))
    team = applied(program, "A")
    events = when(
        lambda: team.record_evaluation(on(3), program, stage=0, scores=PASSING, gates={"independence": True}, panel=[]),
        team,
        program,
    )
    assert [e.type_name for e in events] == ["EvaluationRecorded", "StageEvaluationBegan"]
    assert facts(events)[1] == ("StageEvaluationBegan", {"stage": 0, "team": "A"})
    refused(errors.StageInUseError, lambda: program.amend_stage(on(4), 0, Stage.make("s", 6, [], [])), program)


def test_only_the_first_evaluation_in_a_stage_tells_the_programme() -> None:
    program = opened(seats=(5, 4))
    first, second = applied(program, "A"), applied(program, "B")
    first.record_evaluation(on(3), program, stage=0, scores=PASSING, gates={"independence": True}, panel=[])
    events = when(
        lambda: second.record_evaluation(
            on(3), program, stage=0, scores=PASSING, gates={"independence": True}, panel=[]
        ),
        second,
        program,
    )
    assert [e.type_name for e in events] == ["EvaluationRecorded"]


def outcome(team: Candidacy, program: Program, *, scores: dict[str, Decimal], gates: dict[str, bool]) -> None:
    """A round's outcome for ``team`` in stage 0, as the round service records it after the round judged it."""
    fields: dict[str, object] = {"result": "fail", "rank": None, "panel": [], "recusals": []}
    team.record_round_outcome(on(3), program, round_number=1, stage=0, scores=scores, gates=gates, **fields)  # type: ignore[arg-type]


def test_a_round_outcome_fixes_the_stage_as_an_evaluation_does() -> None:
    program = opened(seats=(5, 4))
    team = applied(program, "A")
    events = when(lambda: outcome(team, program, scores={"bench": Decimal(12)}, gates={}), team, program)
    assert [e.type_name for e in events] == ["RoundOutcomeRecorded", "StageEvaluationBegan"]
    assert facts(events)[1] == ("StageEvaluationBegan", {"stage": 0, "team": "A"})
    refused(errors.StageInUseError, lambda: program.amend_stage(on(4), 0, Stage.make("s", 6, [], [])), program)


def test_a_failed_gate_without_scores_fixes_the_stage_once() -> None:
    program = opened(seats=(5, 4))
    first, second = applied(program, "A"), applied(program, "B")
    events = when(lambda: outcome(first, program, scores={}, gates={"independence": False}), first, program)
    assert [e.type_name for e in events] == ["RoundOutcomeRecorded", "StageEvaluationBegan"]
    later = when(lambda: outcome(second, program, scores={}, gates={}), second, program)
    assert [e.type_name for e in later] == ["RoundOutcomeRecorded"]
    refused(errors.StageInUseError, lambda: program.amend_stage(on(4), 0, Stage.make("s", 6, [], [])), program)


def test_a_round_outcome_refused_for_the_teams_stage_does_not_fix_the_stage() -> None:
    program = opened(seats=(5, 4))
    team = applied(program, "A")
    fields: dict[str, object] = {"result": "pass", "scores": {}, "gates": {}, "rank": 1, "panel": [], "recusals": []}
    wrong = lambda: team.record_round_outcome(on(3), program, round_number=1, stage=1, **fields)  # type: ignore[arg-type]  # noqa: E731
    refused(errors.WrongStageError, wrong, team, program)
    assert program.fixed_stages == set()


def test_an_evaluation_refused_for_its_scores_does_not_fix_the_stage() -> None:
    program = opened(seats=(5, 4))
    team = applied(program, "A")
    bad = {**PASSING, "bench": Decimal(41)}

    def evaluate() -> None:
        team.record_evaluation(on(3), program, stage=0, scores=bad, gates={"independence": True}, panel=[])

    refused(errors.ScoreOutOfRangeError, evaluate, team, program)
    assert 0 not in program.fixed_stages


def test_amending_a_stage_that_does_not_exist_is_refused() -> None:
    program = opened(seats=(5, 4))
    refused(errors.UnknownStageError, lambda: program.amend_stage(on(3), 2, Stage.make("s", 1, [], [])), program)


def test_decisions_are_stamped_with_the_rules_version_they_were_judged_under() -> None:
    program = opened(seats=(5, 4))
    program.amend_stage(on(3), 1, Stage.make("stage 2", 3, [], []))
    team = applied(program, "A")
    events = when(lambda: team.advance(on(4).under(program.rules_version), program, 0), team, program)
    assert [(e.type_name, e.rules_version) for e in events] == [("TeamAdvanced", 2), ("SeatTaken", 2)]
