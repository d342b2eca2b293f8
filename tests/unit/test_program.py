"""The programme itself: opening it, increasing a budget, and selecting the finalists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import errors
from domain.program import Program
from domain.values import Stage
from tests.unit.bdd import (
    PROGRAM,
    T0,
    applied,
    facts,
    on,
    opened,
    refused,
    seated,
    when,
)


def open_with(**overrides: object) -> Program:
    arguments: dict[str, object] = {
        "program_code": PROGRAM,
        "title_ko": "독자 AI",
        "title_en": "Sovereign AI",
        "agency": "MSIT",
        "stages": [Stage.make("stage 1", 5, [], []), Stage.make("stage 2", 4, [], [])],
        "budgets": {"gpu:B200": 100},
        "finalist_count": 2,
    }
    return Program.open(on(0), **{**arguments, **overrides})  # type: ignore[arg-type]


# --- open -------------------------------------------------------------------------------


def test_opening_a_programme_records_its_whole_definition() -> None:
    program = opened(seats=(5, 4))
    [(name, payload)] = facts(program.collect_events())
    assert name == "ProgramOpened"
    assert payload["code"] == PROGRAM
    assert payload["title_ko"] == "독자 AI 파운데이션 모델"
    assert [(s["name"], s["seats"], s["gates"]) for s in payload["stages"]] == [
        ("stage 1", 5, ["independence"]),
        ("stage 2", 4, ["independence"]),
    ]
    assert [(c["code"], c["max_points"]) for c in payload["stages"][0]["criteria"]] == [
        ("bench", Decimal(40)),
        ("expert", Decimal(35)),
        ("user", Decimal(25)),
    ]
    assert payload["budgets"] == {"gpu:B200": 2048, "krw:data": 10_000_000_000, "title:K-AI": 5}
    assert payload["finalist_count"] == 2
    assert program.id == Program.id_for(PROGRAM)
    assert (program.opened_at, program.holders, program.allocated["gpu:B200"]) == (T0, [set(), set()], 0)


def test_opening_carries_who_decided_when_and_why() -> None:
    [event] = opened().collect_events()
    assert isinstance(event, Program.Opened)
    assert (event.actor, event.effective_at, event.recorded_at, event.reason) == (
        "official@msit.go.kr",
        T0,
        T0,
        "panel decision",
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"finalist_count": 5},  # more finalists than the last stage's 4 seats
        {"finalist_count": 0},
        {"stages": []},
        {"budgets": {"gpu:B200": -1}},
        {"budgets": {"B200": 10}},
        {"program_code": "no spaces allowed"},
        {"title_en": " "},
    ],
)
def test_a_malformed_programme_is_not_opened(overrides: dict[str, object]) -> None:
    with pytest.raises(errors.InvalidValueError):
        open_with(**overrides)


def test_a_programme_id_is_the_same_for_composed_and_decomposed_codes() -> None:
    assert Program.id_for("cafe\u0301-ai") == Program.id_for("café-ai")


# --- increase_budget ----------------------------------------------------------------------


def test_a_budget_increase_adds_to_the_resource() -> None:
    program = opened()
    events = when(lambda: program.increase_budget(on(3), "gpu:B200", 512), program)
    assert facts(events) == [("BudgetIncreased", {"resource": "gpu:B200", "amount": 512})]
    assert program.budgets["gpu:B200"] == 2560
    assert program.remaining("gpu:B200") == 2560


def test_a_budget_increase_may_add_a_new_resource() -> None:
    program = opened()
    when(lambda: program.increase_budget(on(3), "gpu:H100", 1024), program)
    assert program.remaining("gpu:H100") == 1024


@pytest.mark.parametrize("amount", [0, -10])
def test_a_budget_increase_must_be_positive(amount: int) -> None:
    program = opened()
    refused(errors.InvalidValueError, lambda: program.increase_budget(on(3), "gpu:B200", amount), program)


def test_a_budget_increase_cannot_take_effect_before_the_programme_opened() -> None:
    program = opened()
    stamp = on(-1, recorded=3)
    refused(errors.EffectiveTimeError, lambda: program.increase_budget(stamp, "gpu:B200", 1), program)


# --- select_finalists ---------------------------------------------------------------------


def last_stage_with(*teams: str) -> Program:
    program = opened(seats=(5, 4), finalist_count=2)
    for team in teams:
        seated(program, team, stage=1)
    return program


def test_finalists_holding_seats_in_the_last_stage_are_selected() -> None:
    program = last_stage_with("lg", "upstage", "skt")
    events = when(lambda: program.select_finalists(on(200), ["upstage", "lg"]), program)
    assert facts(events) == [("FinalistsSelected", {"teams": ["lg", "upstage"]})]
    assert program.finalists == ["lg", "upstage"]


def test_selecting_the_same_finalists_again_changes_nothing() -> None:
    program = last_stage_with("lg", "upstage")
    program.select_finalists(on(200), ["lg", "upstage"])
    assert when(lambda: program.select_finalists(on(201), ["upstage", "lg"]), program) == []
    assert program.finalists == ["lg", "upstage"]


def test_finalists_are_selected_only_once() -> None:
    program = last_stage_with("lg", "upstage", "skt")
    program.select_finalists(on(200), ["lg", "upstage"])
    refused(errors.FinalistsAlreadySelectedError, lambda: program.select_finalists(on(201), ["lg", "skt"]), program)


def test_finalists_are_at_most_the_configured_number() -> None:
    program = last_stage_with("lg", "upstage", "skt")
    refused(
        errors.TooManyFinalistsError,
        lambda: program.select_finalists(on(200), ["lg", "upstage", "skt"]),
        program,
    )


def test_a_finalist_must_hold_a_seat_in_the_last_stage() -> None:
    program = last_stage_with("lg")
    seated(program, "naver", stage=0)
    applied(program, "kakao")
    for outsider in ("naver", "kakao", "nobody"):
        refused(
            errors.FinalistNotInLastStageError,
            lambda outsider=outsider: program.select_finalists(on(200), ["lg", outsider]),  # type: ignore[misc]
            program,
        )


def test_a_team_that_left_the_last_stage_cannot_be_a_finalist() -> None:
    program = last_stage_with("lg", "upstage")
    seat_holder = seated(program, "skt", stage=1)
    seat_holder.withdraw(on(150), program)
    refused(errors.FinalistNotInLastStageError, lambda: program.select_finalists(on(200), ["skt"]), program)


@pytest.mark.parametrize("teams", [[], ["lg", "lg"]])
def test_finalists_are_a_non_empty_list_without_repeats(teams: list[str]) -> None:
    program = last_stage_with("lg", "upstage")
    refused(errors.InvalidValueError, lambda: program.select_finalists(on(200), teams), program)


def test_finalists_cannot_be_selected_before_the_programme_opened() -> None:
    program = last_stage_with("lg")
    refused(errors.EffectiveTimeError, lambda: program.select_finalists(on(-1, recorded=200), ["lg"]), program)
