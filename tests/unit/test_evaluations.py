"""Evaluations: scores on exactly the stage's criteria within their maxima, gate results, amendments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from tests.unit.bdd import PASSING, applied, eliminated, facts, names, on, opened, points, refused, seated, when

PANEL = ["Kim", "Lee", "Park"]


def evaluate(team: Candidacy, program: Program, n: float = 90, **fields: Any) -> int:
    evaluation = {"stage": team.stage, "scores": PASSING, "gates": {"independence": True}, "panel": PANEL}
    return team.record_evaluation(on(n), program, **{**evaluation, **fields})


# --- record_evaluation ----------------------------------------------------------------------


def test_an_evaluation_records_scores_gates_and_panel() -> None:
    program = opened()
    team = seated(program, "lg")
    scores = {"bench": Decimal("38.5"), "expert": 30, "user": 25}
    events = when(lambda: evaluate(team, program, scores=scores, gates={"independence": False}), program, team)
    assert facts(events) == [
        (
            "EvaluationRecorded",
            {
                "evaluation": 1,
                "stage": 0,
                "scores": {"bench": Decimal("38.5"), "expert": Decimal(30), "user": Decimal(25)},
                "gates": {"independence": False},
                "panel": PANEL,
            },
        )
    ]
    assert team.evaluations[1].total == Decimal("93.5")


def test_evaluations_are_numbered_in_order() -> None:
    program = opened()
    team = seated(program, "lg")
    assert [evaluate(team, program, 90), evaluate(team, program, 91)] == [1, 2]


def test_an_applicant_can_be_evaluated_in_the_stage_it_applied_to() -> None:
    program = opened()
    team = applied(program, "lg")
    assert names(when(lambda: evaluate(team, program, 2), team)) == ["EvaluationRecorded"]


def test_scores_at_the_maxima_and_at_zero_are_accepted() -> None:
    program = opened()
    team = seated(program, "lg")
    number = evaluate(team, program, scores=points(40, 0, 25))
    assert team.evaluations[number].total == Decimal(65)


@pytest.mark.parametrize(
    "scores",
    [
        {"bench": Decimal("40.01"), "expert": 30, "user": 20},
        {"bench": 30, "expert": 36, "user": 20},
        {"bench": 30, "expert": 30, "user": -1},
        {"bench": Decimal("NaN"), "expert": 30, "user": 20},
    ],
)
def test_a_score_outside_its_criterion_range_is_refused(scores: dict[str, Any]) -> None:
    program = opened()
    team = seated(program, "lg")
    refused(errors.ScoreOutOfRangeError, lambda: evaluate(team, program, scores=scores), program, team)


@pytest.mark.parametrize(
    ("scores", "gates"),
    [
        ({"bench": 30, "expert": 30}, {"independence": True}),  # a criterion missing
        ({**PASSING, "style": 5}, {"independence": True}),  # a criterion the stage does not have
        (PASSING, {}),  # the gate missing
        (PASSING, {"independence": True, "safety": True}),  # a gate the stage does not have
        (PASSING, {"independence": "yes"}),  # a gate result that is not true or false
    ],
)
def test_scores_and_gates_must_be_exactly_the_stages(scores: dict[str, Any], gates: dict[str, Any]) -> None:
    program = opened()
    team = seated(program, "lg")
    refused(errors.InvalidScoresError, lambda: evaluate(team, program, scores=scores, gates=gates), program, team)


def test_an_evaluation_in_another_stage_is_refused() -> None:
    program = opened()
    team = seated(program, "lg", stage=0)
    refused(errors.WrongStageError, lambda: evaluate(team, program, stage=1), program, team)


def test_a_withdrawn_team_receives_no_evaluation() -> None:
    program = opened()
    team = seated(program, "lg")
    team.withdraw(on(50), program)
    refused(errors.TeamInactiveError, lambda: evaluate(team, program, 90), program, team)


def test_a_team_whose_elimination_was_upheld_receives_no_evaluation() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    team.uphold_elimination(on(12), program)
    refused(errors.TeamInactiveError, lambda: evaluate(team, program, 13), program, team)


def test_a_team_past_its_objection_deadline_receives_no_evaluation() -> None:
    program = opened()
    team = eliminated(program, "lg", at=10, deadline=20)
    assert names(when(lambda: evaluate(team, program, 19), team)) == ["EvaluationRecorded"]
    refused(errors.TeamInactiveError, lambda: evaluate(team, program, 21), program, team)


def test_an_evaluation_cannot_take_effect_before_the_programme_opened() -> None:
    program = opened()
    team = seated(program, "lg")
    stamp = on(-1, recorded=90)
    refused(
        errors.EffectiveTimeError,
        lambda: team.record_evaluation(
            stamp, program, stage=0, scores=PASSING, gates={"independence": True}, panel=PANEL
        ),
        program,
        team,
    )


# --- amend_evaluation -----------------------------------------------------------------------


def test_an_amendment_corrects_an_earlier_evaluation() -> None:
    program = opened()
    team = seated(program, "lg")
    number = evaluate(team, program)
    corrected = points(35, 30, 20)
    events = when(
        lambda: team.amend_evaluation(
            on(95), program, evaluation=number, scores=corrected, gates={"independence": True}, panel=PANEL
        ),
        program,
        team,
    )
    assert facts(events) == [
        (
            "EvaluationAmended",
            {
                "evaluation": 1,
                "stage": 0,
                "scores": {"bench": Decimal(35), "expert": Decimal(30), "user": Decimal(20)},
                "gates": {"independence": True},
                "panel": PANEL,
            },
        )
    ]
    assert team.evaluations[1].total == Decimal(85)


def test_an_amendment_restating_the_evaluation_changes_nothing() -> None:
    program = opened()
    team = seated(program, "lg")
    number = evaluate(team, program)
    same = points("30.0", 30, 20)
    events = when(
        lambda: team.amend_evaluation(
            on(95), program, evaluation=number, scores=same, gates={"independence": True}, panel=PANEL
        ),
        program,
        team,
    )
    assert events == []


def test_an_amendment_of_a_missing_evaluation_is_refused() -> None:
    program = opened()
    team = seated(program, "lg")
    evaluate(team, program)
    refused(
        errors.EvaluationNotFoundError,
        lambda: team.amend_evaluation(
            on(95), program, evaluation=2, scores=PASSING, gates={"independence": True}, panel=PANEL
        ),
        program,
        team,
    )


def test_an_amendment_is_held_to_the_same_ranges_as_the_evaluation() -> None:
    program = opened()
    team = seated(program, "lg")
    number = evaluate(team, program)
    too_high = points(41, 30, 20)
    refused(
        errors.ScoreOutOfRangeError,
        lambda: team.amend_evaluation(
            on(95), program, evaluation=number, scores=too_high, gates={"independence": True}, panel=PANEL
        ),
        program,
        team,
    )
    refused(
        errors.InvalidScoresError,
        lambda: team.amend_evaluation(on(95), program, evaluation=number, scores=PASSING, gates={}, panel=PANEL),
        program,
        team,
    )


def test_an_amendment_keeps_the_stage_of_the_original_after_the_team_advanced() -> None:
    program = opened()
    team = seated(program, "lg", stage=0)
    number = evaluate(team, program)
    team.advance(on(100), program, 1)
    events = when(
        lambda: team.amend_evaluation(
            on(101), program, evaluation=number, scores=PASSING, gates={"independence": False}, panel=PANEL
        ),
        team,
    )
    assert [(e.type_name, e.payload()["stage"]) for e in events] == [("EvaluationAmended", 0)]
