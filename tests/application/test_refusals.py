"""A refused decision raises its named error and leaves the log exactly as it was, on every store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from api.bootstrap import Services
from domain import errors
from domain.commands import (
    AcceptOffer,
    AdvanceTeam,
    ChangeConsortium,
    OfferReEntry,
    OpenReEntryRound,
    ReturnFunding,
    SelectFinalists,
    UpholdElimination,
    WithdrawTeam,
)
from domain.registry import Context, Registry
from tests.application.story import (
    GPU_SUPPLIER,
    PROGRAM,
    a_funded_first_stage,
    ctx,
    evaluate,
    grant,
    open_programme,
    scores,
    submit,
)
from tests.conftest import Clock

Decision = Callable[[Registry, Clock], Any]

REFUSALS: dict[str, tuple[type[errors.RegistryError], Decision]] = {
    "open the same programme twice": (errors.ProgramAlreadyOpenedError, open_programme),
    "decide in a programme that does not exist": (
        errors.ProgramNotFoundError,
        lambda r, c: r.advance_team(
            ctx(c), AdvanceTeam(program_code="no-such-programme", team_code="hanbit", to_stage=0)
        ),
    ),
    "decide about a team that never applied": (
        errors.TeamNotFoundError,
        lambda r, c: r.withdraw_team(ctx(c), WithdrawTeam(program_code=PROGRAM, team_code="ghost")),
    ),
    "apply twice": (errors.DuplicateApplicationError, lambda r, c: submit(r, c, "hanbit", "한빛", "Hanbit")),
    "advance into a full stage": (
        errors.SeatUnavailableError,
        lambda r, c: r.advance_team(ctx(c), AdvanceTeam(program_code=PROGRAM, team_code="dasom", to_stage=0)),
    ),
    "advance into the stage already held": (
        errors.WrongStageError,
        lambda r, c: r.advance_team(ctx(c), AdvanceTeam(program_code=PROGRAM, team_code="hanbit", to_stage=0)),
    ),
    "grant beyond the budget": (errors.BudgetExceededError, lambda r, c: grant(r, c, "hanbit", "gpu:B200", 2561)),
    "grant a resource without a budget": (
        errors.UnknownResourceError,
        lambda r, c: grant(r, c, "hanbit", "gpu:H100", 1),
    ),
    "grant GPUs to a GPU supplier": (
        errors.ResourceExcludedError,
        lambda r, c: grant(r, c, GPU_SUPPLIER, "gpu:B200", 1),
    ),
    "return more than is held": (
        errors.ReturnExceedsHoldingError,
        lambda r, c: r.return_funding(
            ctx(c), ReturnFunding(program_code=PROGRAM, team_code="hanbit", resource="gpu:B200", quantity=1)
        ),
    ),
    "take effect after being recorded": (
        errors.EffectiveTimeError,
        lambda r, c: r.withdraw_team(ctx(c, days_ago=-1), WithdrawTeam(program_code=PROGRAM, team_code="hanbit")),
    ),
    "take effect before the programme opened": (
        errors.EffectiveTimeError,
        lambda r, c: r.withdraw_team(ctx(c, days_ago=60), WithdrawTeam(program_code=PROGRAM, team_code="hanbit")),
    ),
    "give a naive effective time": (
        errors.InvalidValueError,
        lambda r, c: r.withdraw_team(
            Context(actor="x", effective_at=datetime(2026, 2, 1)),
            WithdrawTeam(program_code=PROGRAM, team_code="hanbit"),
        ),
    ),
    "score above a criterion's maximum": (
        errors.ScoreOutOfRangeError,
        lambda r, c: evaluate(r, c, "hanbit", 0, scores(41, 30, 20)),
    ),
    "score a criterion the stage does not have": (
        errors.InvalidScoresError,
        lambda r, c: evaluate(r, c, "hanbit", 0, {**scores(30, 30, 20), "style": 1}),
    ),
    "evaluate in the wrong stage": (
        errors.WrongStageError,
        lambda r, c: evaluate(r, c, "hanbit", 1, scores(30, 30, 20)),
    ),
    "uphold an elimination that never happened": (
        errors.NoPendingEliminationError,
        lambda r, c: r.uphold_elimination(ctx(c), UpholdElimination(program_code=PROGRAM, team_code="hanbit")),
    ),
    "select a finalist outside the last stage": (
        errors.FinalistNotInLastStageError,
        lambda r, c: r.select_finalists(ctx(c), SelectFinalists(program_code=PROGRAM, teams=["hanbit"])),
    ),
    "select more finalists than configured": (
        errors.TooManyFinalistsError,
        lambda r, c: r.select_finalists(
            ctx(c), SelectFinalists(program_code=PROGRAM, teams=["hanbit", "nuri", "gaon"])
        ),
    ),
    "offer re-entry in a round never opened": (
        errors.RoundNotFoundError,
        lambda r, c: r.offer_reentry(
            ctx(c),
            OfferReEntry(program_code=PROGRAM, team_code="dasom", round_number=1, deadline=c() + timedelta(days=3)),
        ),
    ),
    "answer an offer never made": (
        errors.OfferNotFoundError,
        lambda r, c: r.accept_offer(ctx(c), AcceptOffer(program_code=PROGRAM, team_code="dasom", offer=1)),
    ),
    "open a round for more seats than are vacant": (
        errors.SeatUnavailableError,
        lambda r, c: r.open_reentry_round(
            ctx(c),
            OpenReEntryRound(
                program_code=PROGRAM,
                stage=0,
                seats=1,
                eligibility=["eliminated"],
                opens_at=c(),
                closes_at=c() + timedelta(days=9),
            ),
        ),
    ),
    "let the lead organisation leave": (
        errors.MembershipError,
        lambda r, c: r.change_consortium(
            ctx(c),
            ChangeConsortium(program_code=PROGRAM, team_code="hanbit", joined=[], left=["Hanbit AI consortium Inc."]),
        ),
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_decision_changes_nothing(case: str, services: Services, clock: Clock) -> None:
    error, decision = REFUSALS[case]
    registry = services.registry
    a_funded_first_stage(registry, clock)
    clock.advance(days=1)
    head = services.projector.head()
    versions = (registry.program(PROGRAM).version, registry.candidacy(PROGRAM, "hanbit").version)
    with pytest.raises(error) as raised:
        decision(registry, clock)
    assert type(raised.value) is error
    assert services.projector.head() == head
    assert (registry.program(PROGRAM).version, registry.candidacy(PROGRAM, "hanbit").version) == versions


def test_the_log_grows_only_by_allowed_decisions(services: Services, clock: Clock) -> None:
    registry = services.registry
    a_funded_first_stage(registry, clock)
    head = services.projector.head()
    allowed = grant(registry, clock, "hanbit", "gpu:B200", 512)
    with pytest.raises(errors.BudgetExceededError):
        grant(registry, clock, "nuri", "gpu:B200", 2049)
    assert services.projector.head() == head + 2 == allowed.position
