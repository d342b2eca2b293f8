"""Concurrent decisions: a lost race is decided again on fresh state, never silently lost or doubled.

A race is staged deterministically: between a decision's load and its save, a
competing decision is recorded (through the same registry, or through a second
registry over the same database). The store then refuses the stale save, and
``Registry`` must reload and decide again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from api.bootstrap import Services, build
from domain import errors
from domain.commands import AdvanceTeam, ChangeConsortium, IncreaseBudget, WithdrawTeam
from domain.registry import MAX_ATTEMPTS, Recorded, Registry
from tests.application.story import PROGRAM, a_funded_first_stage, ctx, grant, submit
from tests.conftest import Clock


def race(monkeypatch: pytest.MonkeyPatch, registry: Registry, rival: Callable[[], Any], times: int = 1) -> list[Any]:
    """Run ``rival`` just before each of ``registry``'s next ``times`` saves; returns the rivals' results."""
    results: list[Any] = []
    racing: list[bool] = []  # non-empty while a rival runs, so the rival's own save does not race
    save = registry.save

    def racing_save(*aggregates: Any, **kwargs: Any) -> Any:
        if len(results) < times and not racing:
            racing.append(True)
            try:
                results.append(rival())
            finally:
                racing.clear()
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(registry, "save", racing_save)
    return results


def seat_holders(registry: Registry, stage: int) -> set[str]:
    return registry.program(PROGRAM).holders[stage]


def test_two_teams_racing_for_the_last_seat_exactly_one_wins(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = services.registry
    a_funded_first_stage(registry, clock, seats=(4, 4))  # four of the five funded teams seated; one seat left
    registry.withdraw_team(ctx(clock), WithdrawTeam(program_code=PROGRAM, team_code="hanbit"))
    head = services.projector.head()
    rivals = race(
        monkeypatch,
        registry,
        lambda: registry.advance_team(ctx(clock), AdvanceTeam(program_code=PROGRAM, team_code="bitnara", to_stage=0)),
    )
    with pytest.raises(errors.SeatUnavailableError):
        registry.advance_team(ctx(clock), AdvanceTeam(program_code=PROGRAM, team_code="dasom", to_stage=0))
    assert [e.type_name for e in rivals[0].events] == ["TeamAdvanced", "SeatTaken"]
    assert seat_holders(registry, 0) == {"nuri", "saebyeok", "gaon", "bitnara"}
    assert registry.candidacy(PROGRAM, "dasom").status == "applied"
    assert services.projector.head() == head + 2  # only the winner's two events were stored


def test_a_lost_race_that_still_fits_is_decided_again_and_stored(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = services.registry
    a_funded_first_stage(registry, clock)
    rivals = race(monkeypatch, registry, lambda: grant(registry, clock, "hanbit", "gpu:B200", 1024))
    retried = grant(registry, clock, "nuri", "gpu:B200", 1024)
    assert retried.position is not None and rivals[0].position is not None
    assert retried.position > rivals[0].position
    program = registry.program(PROGRAM)
    assert (program.allocated["gpu:B200"], program.remaining("gpu:B200")) == (2048, 512)
    assert [registry.candidacy(PROGRAM, t).holdings for t in ("hanbit", "nuri")] == [{"gpu:B200": 1024}] * 2


def test_a_lost_race_that_no_longer_fits_fails_with_the_rule(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = services.registry
    a_funded_first_stage(registry, clock)
    race(monkeypatch, registry, lambda: grant(registry, clock, "hanbit", "gpu:B200", 2048))
    with pytest.raises(errors.BudgetExceededError):
        grant(registry, clock, "nuri", "gpu:B200", 1024)
    assert registry.program(PROGRAM).allocated["gpu:B200"] == 2048
    assert registry.candidacy(PROGRAM, "nuri").holdings == {}


def test_decisions_about_different_teams_do_not_contend(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = services.registry
    a_funded_first_stage(registry, clock)
    saves: list[int] = []
    save = registry.save

    def counted_save(*aggregates: Any, **kwargs: Any) -> Any:
        saves.append(len(aggregates))
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(registry, "save", counted_save)
    rivals = race(
        monkeypatch,
        registry,
        lambda: registry.change_consortium(
            ctx(clock), ChangeConsortium(program_code=PROGRAM, team_code="hanbit", joined=["KT"], left=[])
        ),
    )
    registry.change_consortium(
        ctx(clock), ChangeConsortium(program_code=PROGRAM, team_code="nuri", joined=["Naver"], left=[])
    )
    assert rivals[0].position is not None
    assert len(saves) == 2  # the rival's save and ours, with no retry
    assert registry.candidacy(PROGRAM, "nuri").members[-1] == "Naver"


def test_a_decision_that_keeps_losing_gives_up_and_stores_nothing(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = services.registry
    a_funded_first_stage(registry, clock)
    rivals = race(
        monkeypatch,
        registry,
        lambda: registry.increase_budget(
            ctx(clock), IncreaseBudget(program_code=PROGRAM, resource="krw:data", amount=1)
        ),
        times=MAX_ATTEMPTS,
    )
    with pytest.raises(errors.ConcurrentUpdateError):
        grant(registry, clock, "nuri", "gpu:B200", 8)
    assert len(rivals) == MAX_ATTEMPTS
    assert services.projector.head() == rivals[-1].position
    assert registry.candidacy(PROGRAM, "nuri").holdings == {}
    assert registry.program(PROGRAM).budgets["krw:data"] == 50_000_000_000 + MAX_ATTEMPTS


@pytest.fixture
def second(services: Services, clock: Clock) -> Iterator[Services]:
    """Another registry process over the same database."""
    other = build(services.settings, clock=clock)
    yield other
    other.close()


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_registries_over_one_database_never_overfill_a_stage(
    services: Services, second: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_funded_first_stage(services.registry, clock, seats=(4, 4))
    submit(second.registry, clock, "newcomer", "새내기", "Newcomer")
    services.registry.withdraw_team(ctx(clock), WithdrawTeam(program_code=PROGRAM, team_code="nuri"))
    rivals = race(
        monkeypatch,
        services.registry,
        lambda: second.registry.advance_team(
            ctx(clock), AdvanceTeam(program_code=PROGRAM, team_code="newcomer", to_stage=0)
        ),
    )
    with pytest.raises(errors.SeatUnavailableError):
        services.registry.advance_team(ctx(clock), AdvanceTeam(program_code=PROGRAM, team_code="dasom", to_stage=0))
    assert isinstance(rivals[0], Recorded)
    for registry in (services.registry, second.registry):
        assert seat_holders(registry, 0) == {"hanbit", "saebyeok", "gaon", "newcomer"}
    assert services.projector.head() == second.projector.head() == rivals[0].position
