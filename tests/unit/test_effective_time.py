"""Every team decision is refused when it claims to take effect before its programme opened.

Each case is first run on time, to show the state allows it, then back-dated to the
day before opening on a fresh copy of the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from domain.values import Stamp
from tests.unit.bdd import PASSING, day, eliminated, in_round, on, opened, refused, seated, when

Setup = Callable[[Program], Candidacy]
Action = Callable[[Candidacy, Program, Stamp], object]


def a_seated_team(program: Program) -> Candidacy:
    return seated(program, "lg")


def an_evaluated_team(program: Program) -> Candidacy:
    team = seated(program, "lg")
    team.record_evaluation(on(5), program, stage=0, scores=PASSING, gates={"independence": True}, panel=["Kim"])
    return team


def a_funded_team(program: Program) -> Candidacy:
    team = seated(program, "lg")
    team.grant_funding(
        on(5), program, resource="gpu:B200", quantity=8, period_start=date(2026, 2, 1), period_end=date(2026, 3, 1)
    )
    return team


def an_eliminated_team(program: Program) -> Candidacy:
    return eliminated(program, "lg", at=10, deadline=20)


def an_eliminated_team_and_a_round(program: Program) -> Candidacy:
    team = eliminated(program, "lg", at=10, deadline=20)
    in_round(program, stage=0, opens=30, closes=40)
    return team


def an_offered_team(program: Program) -> Candidacy:
    team = an_eliminated_team_and_a_round(program)
    team.offer_reentry(on(31), program, round_number=1, deadline=day(35))
    return team


CASES: dict[str, tuple[Setup, float, Action]] = {
    "change_consortium": (a_seated_team, 5, lambda t, p, s: t.change_consortium(s, p, ["KT"], [])),
    "record_evaluation": (
        a_seated_team,
        5,
        lambda t, p, s: t.record_evaluation(s, p, stage=0, scores=PASSING, gates={"independence": False}, panel=[]),
    ),
    "amend_evaluation": (
        an_evaluated_team,
        6,
        lambda t, p, s: t.amend_evaluation(s, p, evaluation=1, scores=PASSING, gates={"independence": False}, panel=[]),
    ),
    "advance": (a_seated_team, 5, lambda t, p, s: t.advance(s, p, 1)),
    "eliminate": (
        a_seated_team,
        5,
        lambda t, p, s: t.eliminate(s, p, reason_code="other", objection_deadline=day(30)),
    ),
    "uphold_elimination": (an_eliminated_team, 15, lambda t, p, s: t.uphold_elimination(s, p)),
    "reverse_elimination": (an_eliminated_team, 15, lambda t, p, s: t.reverse_elimination(s, p)),
    "offer_reentry": (
        an_eliminated_team_and_a_round,
        31,
        lambda t, p, s: t.offer_reentry(s, p, round_number=1, deadline=day(35)),
    ),
    "accept_offer": (an_offered_team, 33, lambda t, p, s: t.accept_offer(s, p, 1)),
    "decline_offer": (an_offered_team, 33, lambda t, p, s: t.decline_offer(s, p, 1)),
    "withdraw": (a_seated_team, 5, lambda t, p, s: t.withdraw(s, p)),
    "grant_funding": (
        a_seated_team,
        5,
        lambda t, p, s: t.grant_funding(
            s, p, resource="gpu:B200", quantity=8, period_start=date(2026, 2, 1), period_end=date(2026, 3, 1)
        ),
    ),
    "return_funding": (a_funded_team, 6, lambda t, p, s: t.return_funding(s, p, resource="gpu:B200", quantity=8)),
}


@pytest.mark.parametrize("command", sorted(CASES))
def test_a_decision_taking_effect_before_the_programme_opened_is_refused(command: str) -> None:
    setup, on_time, action = CASES[command]
    program = opened()
    team = setup(program)
    assert when(lambda: action(team, program, on(on_time)), team) != []

    program = opened()
    team = setup(program)
    refused(errors.EffectiveTimeError, lambda: action(team, program, on(-1, recorded=on_time)), program, team)
