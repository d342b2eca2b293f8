"""Resource kinds, their units and equivalences, and grants drawing on a budget line of an equivalent kind."""

from __future__ import annotations

from datetime import date

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from tests.unit.bdd import facts, on, opened, refused, seated, when


def gpus(**budgets: int) -> Program:
    """A programme declaring B200 (the reference) and H100 at 2 H100 = 1 B200, and a KRW pot."""
    program = opened(budgets={"gpu:B200": 1024, "gpu:H100": 2048, "krw:data": 10_000, **budgets})
    program.declare_resource_kind(on(1), resource="gpu:B200", unit="GPU")
    program.declare_resource_kind(
        on(1), resource="gpu:H100", unit="GPU", quantity=2, equals="gpu:B200", equals_quantity=1
    )
    program.declare_resource_kind(on(1), resource="krw:data", unit="KRW")
    return program


def grant(team: Candidacy, program: Program, resource: str, quantity: int, line: str = "") -> None:
    team.grant_funding(
        on(5),
        program,
        resource=resource,
        quantity=quantity,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 7, 31),
        budget_line=line,
    )


# --- declare_resource_kind ----------------------------------------------------------------


def test_a_kind_is_declared_with_its_unit_and_its_worth_in_an_equivalent_kind() -> None:
    program = opened()
    program.declare_resource_kind(on(1), resource="gpu:B200", unit="GPU")
    events = when(
        lambda: program.declare_resource_kind(
            on(1), resource="gpu:H100", unit="GPU", quantity=2, equals="gpu:B200", equals_quantity=1
        ),
        program,
    )
    assert facts(events) == [
        (
            "ResourceKindDeclared",
            {"resource": "gpu:H100", "unit": "GPU", "quantity": 2, "equals": "gpu:B200", "equals_quantity": 1},
        )
    ]
    assert program.convert("gpu:B200", 768, "gpu:H100") == 1536
    assert program.convert("gpu:H100", 512, "gpu:B200") == 256


def test_the_same_declaration_again_changes_nothing() -> None:
    program = gpus()
    declare = lambda: program.declare_resource_kind(  # noqa: E731
        on(2), resource="gpu:H100", unit="GPU", quantity=2, equals="gpu:B200", equals_quantity=1
    )
    assert when(declare, program) == []


def test_a_kind_declared_again_differently_is_refused() -> None:
    program = gpus()
    declare = lambda: program.declare_resource_kind(  # noqa: E731
        on(2), resource="gpu:H100", unit="GPU", quantity=3, equals="gpu:B200", equals_quantity=1
    )
    refused(errors.ResourceKindConflictError, declare, program)


def test_a_krw_pot_cannot_be_declared_equivalent_to_gpus() -> None:
    program = gpus()
    declare = lambda: program.declare_resource_kind(  # noqa: E731
        on(2), resource="krw:data", unit="KRW", quantity=1_000_000, equals="gpu:B200", equals_quantity=1
    )
    refused(errors.UnitMismatchError, declare, program)


def test_an_equivalence_to_an_undeclared_kind_is_refused() -> None:
    program = opened()
    declare = lambda: program.declare_resource_kind(  # noqa: E731
        on(2), resource="gpu:H100", unit="GPU", quantity=2, equals="gpu:B200", equals_quantity=1
    )
    refused(errors.UnknownResourceError, declare, program)


# --- grants on an equivalent line -----------------------------------------------------------


def test_a_grant_of_b200_may_draw_on_the_h100_line_at_the_declared_rate() -> None:
    program = gpus()
    team = seated(program, "kakao")
    events = when(lambda: grant(team, program, "gpu:B200", 768, "gpu:H100"), program, team)
    assert facts(events)[0] == ("FundsCommitted", {"team": "kakao", "resource": "gpu:H100", "quantity": 1536})
    granted = facts(events)[1][1]
    assert (granted["resource"], granted["quantity"], granted["budget_line"], granted["drawn"]) == (
        "gpu:B200",
        768,
        "gpu:H100",
        1536,
    )
    assert (program.remaining("gpu:H100"), program.remaining("gpu:B200"), team.holdings) == (
        512,
        1024,
        {"gpu:B200": 768},
    )


def test_a_grant_that_would_overdraw_the_equivalent_line_is_refused() -> None:
    program = gpus()
    team = seated(program, "kakao")
    refused(errors.BudgetExceededError, lambda: grant(team, program, "gpu:B200", 1025, "gpu:H100"), program, team)


def test_a_krw_grant_cannot_draw_on_a_gpu_line() -> None:
    program = gpus()
    team = seated(program, "kakao")
    refused(errors.NotEquivalentError, lambda: grant(team, program, "krw:data", 100, "gpu:B200"), program, team)


def test_a_quantity_that_is_not_a_whole_number_of_the_lines_units_is_refused() -> None:
    program = gpus()
    team = seated(program, "kakao")
    refused(errors.NotEquivalentError, lambda: grant(team, program, "gpu:H100", 3, "gpu:B200"), program, team)


def test_a_return_gives_back_to_the_line_the_grant_drew_on() -> None:
    program = gpus()
    team = seated(program, "kakao")
    grant(team, program, "gpu:B200", 768, "gpu:H100")
    back = lambda: team.return_funding(  # noqa: E731
        on(30), program, resource="gpu:B200", quantity=256, budget_line="gpu:H100"
    )
    events = when(back, program, team)
    assert facts(events)[0] == ("FundsReleased", {"team": "kakao", "resource": "gpu:H100", "quantity": 512})
    assert program.remaining("gpu:H100") == 1024


def test_a_return_to_a_line_the_team_never_drew_on_is_refused() -> None:
    program = gpus()
    team = seated(program, "kakao")
    grant(team, program, "gpu:B200", 100)
    back = lambda: team.return_funding(  # noqa: E731
        on(30), program, resource="gpu:B200", quantity=50, budget_line="gpu:H100"
    )
    refused(errors.ReturnExceedsHoldingError, back, program, team)
