"""Read models fed from the log: standings after the story's decisions, and a rebuild giving the same rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from api.bootstrap import Services
from domain.commands import GrantFunding, WithdrawTeam
from projections.funding import program_funding
from projections.history import HistoryFilter, page
from projections.rebuild import rebuild
from projections.standings import program_standings
from tests.application.story import (
    PROGRAM,
    a_funded_first_stage,
    ctx,
    first_evaluation,
    funding,
    reentry,
    screening,
)
from tests.conftest import Clock


def the_story_up_to_reentry(services: Services, clock: Clock) -> None:
    registry = services.registry
    a_funded_first_stage(registry, clock)
    screening(registry, clock)
    funding(registry, clock)
    clock.advance(days=180)
    first_evaluation(registry, clock)


def read_models(services: Services, clock: Clock) -> tuple[Any, ...]:
    history: list[Any] = []
    cursor: int | None = 0
    while cursor is not None:
        rows, cursor = page(services.db, HistoryFilter(program_code=PROGRAM), after=cursor, limit=25)
        history += rows
    return (
        program_standings(services.db, PROGRAM, clock()),
        history,
        program_funding(services.db, PROGRAM),
    )


def test_standings_show_the_vacant_seat_and_then_its_re_entrant(services: Services, clock: Clock) -> None:
    the_story_up_to_reentry(services, clock)
    services.projector.catch_up()
    standings = program_standings(services.db, PROGRAM, clock())
    assert standings is not None
    second = standings["stages"][1]
    assert (sorted(second["holders"]), second["seats"], second["vacancies"]) == (["gaon", "hanbit", "saebyeok"], 4, 1)
    first = {t["team_code"]: t for t in standings["stages"][0]["teams"]}
    assert (first["hanbit"]["rank"], first["nuri"]["rank"], first["haneul"]["rank"]) == (1, 2, 5)
    assert first["nuri"]["outcome"] == "eliminated" and first["nuri"]["elimination"]["reason_code"] == "failed_gate"
    assert first["hanbit"]["outcome"] == "advanced"

    clock.advance(days=11)
    reentry(services.registry, clock)
    services.projector.catch_up()
    standings = program_standings(services.db, PROGRAM, clock())
    assert standings is not None
    second = standings["stages"][1]
    assert (sorted(second["holders"]), second["vacancies"]) == (["bitnara", "gaon", "hanbit", "saebyeok"], 0)
    [round_] = standings["rounds"]
    assert (round_["seats"], round_["filled"]) == (1, 1)
    assert sorted((o["team_code"], o["answer"]) for o in round_["offers"]) == [
        ("bitnara", "accepted"),
        ("haneul", "declined"),
        ("nuri", "declined"),
    ]


def test_the_projector_reaches_the_head_of_the_log(services: Services, clock: Clock) -> None:
    the_story_up_to_reentry(services, clock)
    read = services.projector.catch_up()
    head = services.projector.head()
    assert read == head
    assert set(services.projector.positions().values()) == {head}
    assert services.projector.catch_up() == 0


def test_history_lists_every_event_with_its_metadata(services: Services, clock: Clock) -> None:
    a_funded_first_stage(services.registry, clock)
    clock.advance(days=2)
    recorded = services.registry.withdraw_team(
        ctx(clock, days_ago=1, reason="자진 철회"), WithdrawTeam(program_code=PROGRAM, team_code="haneul")
    )
    services.projector.catch_up()
    _, history, _ = read_models(services, clock)
    assert [row["position"] for row in history] == list(range(1, services.projector.head() + 1))
    last = history[-2:]
    assert [(r["event_type"], r["team_code"], r["reason"]) for r in last] == [
        ("TeamWithdrew", "haneul", "자진 철회"),
        ("SeatReleased", "haneul", "자진 철회"),
    ]
    assert last[-1]["position"] == recorded.position
    assert last[0]["effective_at"] < last[0]["recorded_at"]


def test_funding_ledger_balances_grants_returns_and_budget(services: Services, clock: Clock) -> None:
    the_story_up_to_reentry(services, clock)
    services.projector.catch_up()
    ledger = program_funding(services.db, PROGRAM)
    gpus = next(b for b in ledger["budgets"] if b["resource"] == "gpu:B200")
    assert (gpus["budget"], gpus["allocated"], gpus["remaining"]) == (2560, 1024, 1536)
    assert gpus["allocated"] == services.registry.program(PROGRAM).allocated["gpu:B200"]
    nuri = next(t for t in ledger["teams"] if t["team_code"] == "nuri" and t["resource"] == "gpu:B200")
    assert (nuri["granted"], nuri["returned"], nuri["net"]) == (512, 512, 0)


def test_a_rebuild_gives_exactly_the_rows_of_live_updating(services: Services, clock: Clock) -> None:
    the_story_up_to_reentry(services, clock)
    services.projector.catch_up()  # part of the log applied live...
    clock.advance(days=11)
    reentry(services.registry, clock)
    services.registry.grant_funding(
        ctx(clock),
        GrantFunding(
            program_code=PROGRAM,
            team_code="bitnara",
            resource="gpu:B200",
            quantity=256,
            period_start=date(2026, 6, 1),  # overlaps the incumbents' grants, so they count
            period_end=date(2026, 11, 30),
        ),
    )
    services.projector.catch_up()  # ...and the rest in a second batch
    live = read_models(services, clock)
    assert live[0]["stages"][1]["vacancies"] == 0
    gpus = next(f for f in live[2]["fairness"] if f["resource"] == "gpu:B200")
    assert (gpus["team_code"], gpus["net"], gpus["incumbent_median"], gpus["shortfall"]) == ("bitnara", 256, 512, 256)

    assert rebuild(services.projector) == services.projector.head()
    assert read_models(services, clock) == live
