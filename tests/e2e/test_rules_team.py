"""Team, funding, finalist and score rules over HTTP: each refusal is a named problem and stores nothing.

The rules: a withdrawn or finally eliminated team receives no grants or evaluations;
grants stay within the remaining budget of a resource the programme has and the team
is not excluded from; finalists are at most the configured number, all in the last
stage; scores match the stage's criteria and gates and stay within each maximum.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import GATES, SCORES, Api, P, assert_problem

GRANT = {"resource": "gpu:B200", "quantity": 10, "period_start": "2026-01-01", "period_end": "2026-06-30"}
EVALUATION = {"stage": 0, "scores": SCORES, "gates": GATES}


def path(team: str, action: str) -> str:
    return f"/programs/{P}/teams/{team}/{action}"


# --- no decisions about a team that has left -------------------------------------------------


def withdrawn(api: Api) -> None:
    api.team("A", "withdrawal", {"reason": "Leaving the programme"})


def eliminated_and_upheld(api: Api) -> None:
    api.eliminate("A")
    api.team("A", "elimination/upheld", {"reason": "Objection rejected"})


def eliminated_past_the_objection_deadline(api: Api) -> None:
    api.eliminate("A", deadline="2026-01-10T00:00:00+00:00")
    api.clock.advance(days=6)  # nobody objected in time: the elimination is final


@pytest.mark.parametrize("gone", [withdrawn, eliminated_and_upheld, eliminated_past_the_objection_deadline])
def test_a_team_that_has_left_gets_no_grant_or_evaluation(api: Api, gone: Any) -> None:
    api.open_program()
    api.seat("A")
    gone(api)
    with api.unchanged("A"):
        granted = api.post(path("A", "grants"), GRANT)
        evaluated = api.post(path("A", "evaluations"), EVALUATION)
    assert_problem(granted, 409, "team-inactive")
    assert_problem(evaluated, 409, "team-inactive")


def test_a_provisionally_eliminated_team_can_still_be_evaluated(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.eliminate("A", deadline="2026-01-10T00:00:00+00:00")
    assert api.post(path("A", "evaluations"), EVALUATION).status_code == 201


# --- eliminations and objections ----------------------------------------------------------


def test_an_elimination_is_final_once_its_objection_deadline_has_passed(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.eliminate("A", deadline="2026-01-10T00:00:00+00:00")
    api.clock.advance(days=6)
    with api.unchanged("A"):
        reversed_ = api.post(path("A", "elimination/reversed"), {"reason": "Late objection"})
        back_dated = api.post(
            path("A", "elimination/reversed"), {"reason": "Dated inside", "effective_at": "2026-01-09T00:00:00+00:00"}
        )
    assert_problem(reversed_, 409, "elimination-final")
    assert_problem(back_dated, 409, "elimination-final")  # back-dating cannot reopen a closed window
    upheld = api.post(path("A", "elimination/upheld"), {"reason": "Confirmed after the window"})
    assert upheld.status_code == 201, upheld.text


def test_a_team_is_eliminated_once_and_only_an_elimination_can_be_upheld(api: Api) -> None:
    api.open_program()
    api.seat("A", "B")
    api.eliminate("A")
    with api.unchanged("A", "B"):
        again = api.post(
            path("A", "eliminations"),
            {"reason_code": "other", "objection_deadline": "2026-01-20T00:00:00+00:00", "reason": "Again"},
        )
        upheld = api.post(path("B", "elimination/upheld"))
    assert_problem(again, 409, "already-eliminated")
    assert_problem(upheld, 409, "no-pending-elimination")


# --- grants within the budget ----------------------------------------------------------


def test_a_grant_beyond_the_remaining_budget_is_refused(api: Api) -> None:
    api.open_program(budgets={"gpu:B200": 1000})
    api.seat("A", "B")
    api.grant("A", quantity=600)
    with api.unchanged("A", "B"):
        response = api.post(path("B", "grants"), {**GRANT, "quantity": 401})
    assert_problem(response, 409, "budget-exceeded")
    assert api.post(path("B", "grants"), {**GRANT, "quantity": 400}).status_code == 201


def test_a_grant_of_a_resource_the_programme_has_no_budget_for_is_refused(api: Api) -> None:
    api.open_program(budgets={"gpu:B200": 1000})
    api.seat("A")
    with api.unchanged("A"):
        response = api.post(path("A", "grants"), {**GRANT, "resource": "gpu:H100"})
    assert_problem(response, 404, "unknown-resource")


def test_a_grant_of_a_resource_the_team_is_excluded_from_is_refused(api: Api) -> None:
    api.open_program()
    api.apply("CHIP", excluded_resources=["gpu"])  # a GPU supplier receives no GPUs
    with api.unchanged("CHIP"):
        response = api.post(path("CHIP", "grants"), GRANT)
    assert_problem(response, 409, "resource-excluded")
    assert api.post(path("CHIP", "grants"), {**GRANT, "resource": "krw:data"}).status_code == 201


def test_a_grant_whose_period_ends_before_it_starts_is_refused(api: Api) -> None:
    api.open_program()
    api.seat("A")
    with api.unchanged("A"):
        response = api.post(path("A", "grants"), {**GRANT, "period_start": "2026-07-01", "period_end": "2026-06-30"})
    assert_problem(response, 422, "invalid-value")


def test_returning_more_than_the_team_holds_is_refused(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.grant("A", quantity=100)
    with api.unchanged("A"):
        response = api.post(path("A", "returns"), {"resource": "gpu:B200", "quantity": 101})
    assert_problem(response, 409, "return-exceeds-holding")


# --- finalists -------------------------------------------------------------------------


def test_more_finalists_than_configured_are_refused(api: Api) -> None:
    api.open_program(seats=(3, 2), finalists=1)
    api.seat("A", "B", stage=1)
    with api.unchanged("A", "B"):
        response = api.post(f"/programs/{P}/finalists", {"teams": ["A", "B"]})
    assert_problem(response, 409, "too-many-finalists")


def test_a_finalist_must_hold_a_seat_in_the_last_stage(api: Api) -> None:
    api.open_program(seats=(3, 2), finalists=2)
    api.seat("A", stage=1)
    api.seat("B", stage=0)
    with api.unchanged("A", "B"):
        response = api.post(f"/programs/{P}/finalists", {"teams": ["A", "B"]})
    body = assert_problem(response, 409, "finalist-not-in-last-stage")
    assert "B" in body["detail"]


def test_finalists_once_selected_are_not_replaced(api: Api) -> None:
    api.open_program(seats=(3, 2), finalists=1)
    api.seat("A", "B", stage=1)
    api.ok(f"/programs/{P}/finalists", {"teams": ["A"]})
    with api.unchanged("A", "B"):
        response = api.post(f"/programs/{P}/finalists", {"teams": ["B"]})
    assert_problem(response, 409, "finalists-already-selected")


# --- scores ----------------------------------------------------------------------------


@pytest.mark.parametrize("scores", [{**SCORES, "benchmark": 41}, {**SCORES, "user": "25.0001"}])
def test_a_score_above_its_criterions_maximum_is_refused(api: Api, scores: dict[str, Any]) -> None:
    api.open_program()
    api.seat("A")
    with api.unchanged("A"):
        response = api.post(path("A", "evaluations"), {**EVALUATION, "scores": scores})
    assert_problem(response, 409, "score-out-of-range")


@pytest.mark.parametrize(
    ("scores", "gates"),
    [
        ({"benchmark": 30, "expert": 30}, GATES),  # a criterion missing
        ({**SCORES, "style": 5}, GATES),  # a criterion the stage does not have
        (SCORES, {}),  # the gate's result missing
        (SCORES, {**GATES, "safety": True}),  # a gate the stage does not have
    ],
)
def test_scores_that_do_not_match_the_stages_criteria_are_refused(
    api: Api, scores: dict[str, Any], gates: dict[str, bool]
) -> None:
    api.open_program()
    api.seat("A")
    with api.unchanged("A"):
        response = api.post(path("A", "evaluations"), {"stage": 0, "scores": scores, "gates": gates})
    assert_problem(response, 422, "invalid-scores")


def test_an_amendment_is_held_to_the_same_criteria(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.evaluate("A")
    with api.unchanged("A"):
        over = api.post(path("A", "evaluations/1/amendments"), {"scores": {**SCORES, "expert": 36}, "gates": GATES})
        short = api.post(path("A", "evaluations/1/amendments"), {"scores": {"expert": 30}, "gates": GATES})
        missing = api.post(path("A", "evaluations/2/amendments"), {"scores": SCORES, "gates": GATES})
    assert_problem(over, 409, "score-out-of-range")
    assert_problem(short, 422, "invalid-scores")
    assert_problem(missing, 404, "evaluation-not-found")


def test_a_team_is_evaluated_only_in_its_own_stage(api: Api) -> None:
    api.open_program()
    api.seat("A")
    with api.unchanged("A"):
        response = api.post(path("A", "evaluations"), {**EVALUATION, "stage": 1})
    assert_problem(response, 409, "wrong-stage")
