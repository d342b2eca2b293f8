"""A pool shared across programmes: its budget, the budget lines that draw on it, and grants it refuses."""

from __future__ import annotations

from datetime import date

from domain import errors
from domain.candidacy import Candidacy
from domain.pool import Pool
from domain.program import Program
from tests.unit.bdd import facts, on, opened, refused, seated, when


def national(budget: int = 1000) -> Pool:
    return Pool.open(on(0), pool_code="NATIONAL-GPU", title="National GPU pool", resource="gpu:H100", budget=budget)


def pooled(pool: Pool) -> Program:
    program = opened(budgets={"krw:data": 100})
    program.pool_budget_line(on(1), resource="gpu:H100", pool=pool.code, pool_resource=pool.resource)
    return program


def grant(team: Candidacy, program: Program, pool: Pool | None, quantity: int) -> None:
    team.grant_funding(
        on(5),
        program,
        resource="gpu:H100",
        quantity=quantity,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 7, 31),
        pool=pool,
    )


def test_a_pool_opens_with_its_kind_and_budget_and_grows_by_increases() -> None:
    pool = national()
    assert facts(when(lambda: pool.increase_budget(on(3), 500), pool)) == [("PoolBudgetIncreased", {"amount": 500})]
    assert (pool.budget, pool.remaining) == (1500, 1500)


def test_a_programmes_line_that_draws_on_the_pool_takes_each_grant_from_it() -> None:
    pool = national()
    program = pooled(pool)
    team = seated(program, "lg")
    events = when(lambda: grant(team, program, pool, 600), program, pool, team)
    assert facts(events)[:2] == [
        ("FundsCommitted", {"team": "lg", "resource": "gpu:H100", "quantity": 600}),
        ("PoolDrawn", {"program_code": "sovereign-ai", "team_code": "lg", "quantity": 600}),
    ]
    assert pool.remaining == 400


def test_a_grant_that_would_exhaust_the_pool_is_refused_whichever_programme_asks() -> None:
    pool = national()
    first, second = pooled(pool), pooled(pool)
    grant(seated(first, "lg"), first, pool, 900)
    team = seated(second, "naver")
    refused(errors.PoolExhaustedError, lambda: grant(team, second, pool, 101), second, pool, team)
    assert len(when(lambda: grant(team, second, pool, 100), pool)) == 1
    assert pool.remaining == 0


def test_a_return_on_a_pooled_line_gives_the_units_back_to_the_pool() -> None:
    pool = national()
    program = pooled(pool)
    team = seated(program, "lg")
    grant(team, program, pool, 600)
    back = lambda: team.return_funding(on(30), program, resource="gpu:H100", quantity=100, pool=pool)  # noqa: E731
    assert ("PoolReleased", {"program_code": "sovereign-ai", "team_code": "lg", "quantity": 100}) in facts(
        when(back, program, pool, team)
    )
    assert pool.remaining == 500


def test_linking_a_line_to_the_same_pool_again_changes_nothing() -> None:
    pool = national()
    program = pooled(pool)
    link = lambda: program.pool_budget_line(on(2), resource="gpu:H100", pool=pool.code, pool_resource=pool.resource)  # noqa: E731
    assert when(link, program) == []


def test_a_line_with_a_budget_of_its_own_cannot_draw_on_a_pool() -> None:
    pool = national()
    program = opened(budgets={"gpu:H100": 10})
    link = lambda: program.pool_budget_line(on(2), resource="gpu:H100", pool=pool.code, pool_resource=pool.resource)  # noqa: E731
    refused(errors.BudgetLinePooledError, link, program)


def test_a_line_of_another_kind_than_the_pools_cannot_draw_on_it() -> None:
    pool = national()
    program = opened(budgets={})
    link = lambda: program.pool_budget_line(on(2), resource="gpu:B200", pool=pool.code, pool_resource=pool.resource)  # noqa: E731
    refused(errors.NotEquivalentError, link, program)


def test_a_pooled_line_is_not_increased_by_the_programme() -> None:
    program = pooled(national())
    refused(errors.BudgetLinePooledError, lambda: program.increase_budget(on(3), "gpu:H100", 10), program)


def test_a_pool_opened_with_a_negative_budget_is_refused() -> None:
    try:
        national(-1)
    except errors.InvalidValueError as error:
        assert "whole number" in str(error)
    else:
        raise AssertionError("a negative pool budget was accepted")
