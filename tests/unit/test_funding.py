"""Funding: grants within the remaining budget, exclusions, and returns no larger than what is held."""

from __future__ import annotations

from datetime import date

import pytest

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from tests.unit.bdd import applied, eliminated, facts, names, on, opened, refused, seated, when


def grant(team: Candidacy, program: Program, resource: str, quantity: int, n: float = 5) -> None:
    team.grant_funding(
        on(n),
        program,
        resource=resource,
        quantity=quantity,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 7, 31),
    )


# --- grant_funding ------------------------------------------------------------------------


def test_a_grant_commits_the_programmes_budget_and_adds_to_the_teams_holding() -> None:
    program = opened(budgets={"gpu:B200": 1024})
    team = seated(program, "lg")
    events = when(lambda: grant(team, program, "gpu:B200", 512), program, team)
    assert facts(events) == [
        ("FundsCommitted", {"team": "lg", "resource": "gpu:B200", "quantity": 512}),
        (
            "FundingGranted",
            {
                "grant": 1,
                "resource": "gpu:B200",
                "quantity": 512,
                "period_start": "2026-02-01",
                "period_end": "2026-07-31",
                "budget_line": "gpu:B200",
                "drawn": 512,
            },
        ),
    ]
    assert (team.holdings, program.remaining("gpu:B200")) == ({"gpu:B200": 512}, 512)


def test_grants_may_use_the_whole_budget_but_no_more() -> None:
    program = opened(budgets={"gpu:B200": 1024})
    first, second, third = (seated(program, t) for t in ("lg", "upstage", "skt"))
    grant(first, program, "gpu:B200", 512)
    grant(second, program, "gpu:B200", 512)
    assert program.remaining("gpu:B200") == 0
    refused(errors.BudgetExceededError, lambda: grant(third, program, "gpu:B200", 1), program, third)


def test_a_budget_increase_makes_room_for_another_grant() -> None:
    program = opened(budgets={"gpu:B200": 512})
    incumbent, reentrant = seated(program, "lg"), seated(program, "kakao")
    grant(incumbent, program, "gpu:B200", 512)
    program.increase_budget(on(40), "gpu:B200", 512)
    assert names(when(lambda: grant(reentrant, program, "gpu:B200", 512, 41), program)) == ["FundsCommitted"]
    assert program.remaining("gpu:B200") == 0


def test_a_grant_of_a_resource_without_a_budget_is_refused() -> None:
    program = opened(budgets={"gpu:B200": 1024})
    team = seated(program, "lg")
    refused(errors.UnknownResourceError, lambda: grant(team, program, "gpu:H100", 1), program, team)


@pytest.mark.parametrize(("excluded", "resource"), [("gpu:B200", "gpu:B200"), ("gpu", "gpu:B200")])
def test_a_team_excluded_from_a_resource_receives_none_of_it(excluded: str, resource: str) -> None:
    program = opened()
    team = applied(program, "rebellions", excluded=[excluded])
    team.advance(on(2), program, 0)
    refused(errors.ResourceExcludedError, lambda: grant(team, program, resource, 8), program, team)
    assert names(when(lambda: grant(team, program, "krw:data", 100), team)) == ["FundingGranted"]


def test_a_withdrawn_team_receives_no_grant() -> None:
    program = opened()
    team = seated(program, "lg")
    team.withdraw(on(4), program)
    refused(errors.TeamInactiveError, lambda: grant(team, program, "gpu:B200", 8), program, team)


def test_a_finally_eliminated_team_receives_no_grant() -> None:
    program = opened()
    upheld = eliminated(program, "lg", at=10, deadline=20)
    upheld.uphold_elimination(on(12), program)
    refused(errors.TeamInactiveError, lambda: grant(upheld, program, "gpu:B200", 8, 13), program, upheld)
    lapsed = eliminated(program, "upstage", at=10, deadline=20)
    refused(errors.TeamInactiveError, lambda: grant(lapsed, program, "gpu:B200", 8, 21), program, lapsed)


@pytest.mark.parametrize("quantity", [0, -8])
def test_a_grant_is_a_positive_quantity(quantity: int) -> None:
    program = opened()
    team = seated(program, "lg")
    refused(errors.InvalidValueError, lambda: grant(team, program, "gpu:B200", quantity), program, team)


def test_a_grants_period_must_not_end_before_it_starts() -> None:
    program = opened()
    team = seated(program, "lg")
    refused(
        errors.InvalidValueError,
        lambda: team.grant_funding(
            on(5), program, resource="gpu:B200", quantity=8, period_start=date(2026, 7, 1), period_end=date(2026, 6, 30)
        ),
        program,
        team,
    )


def test_a_grant_cannot_take_effect_before_the_programme_opened() -> None:
    program = opened()
    team = seated(program, "lg")
    refused(errors.EffectiveTimeError, lambda: grant(team, program, "gpu:B200", 8, -1), program, team)


# --- return_funding -----------------------------------------------------------------------


def test_a_return_releases_the_budget_for_others() -> None:
    program = opened(budgets={"gpu:B200": 512})
    team = seated(program, "lg")
    grant(team, program, "gpu:B200", 512)
    events = when(lambda: team.return_funding(on(30), program, resource="gpu:B200", quantity=200), program, team)
    assert facts(events) == [
        ("FundsReleased", {"team": "lg", "resource": "gpu:B200", "quantity": 200}),
        ("FundingReturned", {"resource": "gpu:B200", "quantity": 200, "budget_line": "gpu:B200", "released": 200}),
    ]
    assert (team.holdings["gpu:B200"], program.remaining("gpu:B200")) == (312, 200)


def test_an_eliminated_team_can_return_what_it_holds() -> None:
    program = opened()
    team = seated(program, "lg")
    grant(team, program, "gpu:B200", 512)
    team.eliminate(
        on(10, reason="lowest score"), program, reason_code="below_cutoff", objection_deadline=on(20).effective_at
    )
    team.uphold_elimination(on(15), program)
    events = when(lambda: team.return_funding(on(30), program, resource="gpu:B200", quantity=512), program, team)
    assert names(events) == ["FundsReleased", "FundingReturned"]
    assert (team.holdings["gpu:B200"], program.allocated["gpu:B200"]) == (0, 0)


@pytest.mark.parametrize(("resource", "quantity"), [("gpu:B200", 513), ("krw:data", 1)])
def test_a_return_cannot_exceed_what_the_team_holds(resource: str, quantity: int) -> None:
    program = opened()
    team = seated(program, "lg")
    grant(team, program, "gpu:B200", 512)
    refused(
        errors.ReturnExceedsHoldingError,
        lambda: team.return_funding(on(30), program, resource=resource, quantity=quantity),
        program,
        team,
    )


def test_a_return_is_a_positive_quantity() -> None:
    program = opened()
    team = seated(program, "lg")
    grant(team, program, "gpu:B200", 512)
    refused(
        errors.InvalidValueError,
        lambda: team.return_funding(on(30), program, resource="gpu:B200", quantity=0),
        program,
        team,
    )
