"""The whole story of the design brief, end to end, on the in-memory store, SQLite and PostgreSQL.

Fifteen consortia apply, five are funded, one of the top four fails the independence
gate and the lowest scorer is cut, so stage 2 opens with a vacant seat; the
eliminations are upheld, a re-entry round refills the seat after two refusals, the
budget grows rather than cutting the incumbents, and two finalists are chosen.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.bootstrap import Services
from domain import errors
from domain.commands import EliminateTeam, IncreaseBudget, SelectFinalists, UpholdElimination
from tests.application.story import (
    FUNDED,
    GPU_SUPPLIER,
    PROGRAM,
    TEAMS,
    a_funded_first_stage,
    ctx,
    evaluate,
    first_evaluation,
    funding,
    grant,
    reentry,
    scores,
    screening,
)
from tests.conftest import Clock


def test_the_sovereign_ai_programme_from_application_to_finalists(services: Services, clock: Clock) -> None:
    registry = services.registry
    log = a_funded_first_stage(registry, clock)
    log += screening(registry, clock)
    program = registry.program(PROGRAM)
    assert (program.holders[0], program.vacancies(0)) == (set(FUNDED), 0)
    assert {registry.candidacy(PROGRAM, t).status for t, _, _ in TEAMS[5:]} == {"eliminated"}

    log += funding(registry, clock)
    with pytest.raises(errors.ResourceExcludedError):
        grant(registry, clock, GPU_SUPPLIER, "gpu:B200", 512)
    assert registry.program(PROGRAM).allocated == {"gpu:B200": 2048, "krw:data": 25_000_000_000, "title:K-AI": 5}

    clock.advance(days=180)
    log += first_evaluation(registry, clock)
    program = registry.program(PROGRAM)
    assert program.holders == [set(), {"hanbit", "saebyeok", "gaon"}]
    assert (program.vacancies(1), program.allocated["gpu:B200"]) == (1, 1024)
    assert registry.candidacy(PROGRAM, "nuri").evaluations[1].gates == {"independence": False}
    assert registry.candidacy(PROGRAM, "haneul").holdings["gpu:B200"] == 0

    clock.advance(days=5)
    log += [
        registry.uphold_elimination(ctx(clock), UpholdElimination(program_code=PROGRAM, team_code=team))
        for team in ("nuri", "haneul")
    ]
    clock.advance(days=6)  # the objection window is over
    assert registry.candidacy(PROGRAM, "nuri").is_finally_eliminated(clock())
    with pytest.raises(errors.TeamInactiveError):
        evaluate(registry, clock, "haneul", 0, scores(40, 35, 25))

    log += reentry(registry, clock)
    program = registry.program(PROGRAM)
    assert (program.holders[1], program.vacancies(1)) == ({"hanbit", "saebyeok", "gaon", "bitnara"}, 0)
    bitnara = registry.candidacy(PROGRAM, "bitnara")
    assert (bitnara.status, bitnara.stage, bitnara.reentrant, bitnara.offers[1].answer) == (
        "active",
        1,
        True,
        "accepted",
    )
    assert registry.candidacy(PROGRAM, "nuri").offers[1].answer == "declined"

    log.append(
        registry.increase_budget(
            ctx(clock, reason="형평성"), IncreaseBudget(program_code=PROGRAM, resource="gpu:B200", amount=512)
        )
    )
    log.append(grant(registry, clock, "bitnara", "gpu:B200", 512))
    clock.advance(days=180)
    for team, total in (("hanbit", 92), ("bitnara", 88), ("saebyeok", 80), ("gaon", 75)):
        log.append(evaluate(registry, clock, team, 1, scores(total - 60, 35, 25)))
    log.append(
        registry.select_finalists(
            ctx(clock, reason="최종 2개 팀"), SelectFinalists(program_code=PROGRAM, teams=["hanbit", "bitnara"])
        )
    )

    program = registry.program(PROGRAM)
    assert program.finalists == ["bitnara", "hanbit"]
    assert (program.budgets["gpu:B200"], program.allocated["gpu:B200"]) == (3072, 1536)
    assert registry.candidacy(PROGRAM, "hanbit").evaluations[2].total == 92
    positions = [r.position or 0 for r in log]
    assert all(p > 0 for p in positions)
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert positions[-1] == services.projector.head()


def test_a_decision_touching_seats_records_both_streams_in_one_save(services: Services, clock: Clock) -> None:
    log = a_funded_first_stage(services.registry, clock, seats=(5, 4))
    advanced = log[-1]
    assert [e.type_name for e in advanced.events] == ["TeamAdvanced", "SeatTaken"]
    assert [e.originator_id for e in advanced.events] == [
        services.registry.candidacy(PROGRAM, FUNDED[-1]).id,
        services.registry.program(PROGRAM).id,
    ]
    assert advanced.positions[1] == advanced.positions[0] + 1


def test_stored_events_carry_who_decided_when_and_why(services: Services, clock: Clock) -> None:
    a_funded_first_stage(services.registry, clock)
    clock.advance(days=3)
    recorded = services.registry.eliminate_team(
        ctx(clock, days_ago=2, reason="최하위 점수", actor="panel-chair@msit.go.kr"),
        EliminateTeam(
            program_code=PROGRAM,
            team_code="haneul",
            reason_code="below_cutoff",
            objection_deadline=clock() + timedelta(days=10),
        ),
    )
    stream = list(services.registry.events.get(services.registry.candidacy(PROGRAM, "haneul").id))
    eliminated = stream[-1]
    assert eliminated == recorded.events[0]
    assert (eliminated.type_name, eliminated.actor, eliminated.reason) == (
        "TeamEliminated",
        "panel-chair@msit.go.kr",
        "최하위 점수",
    )
    assert (eliminated.effective_at, eliminated.recorded_at) == (clock() - timedelta(days=2), clock())
