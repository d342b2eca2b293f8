"""A programme run the way the real one was, on the in-memory store, SQLite and PostgreSQL.

It is announced with its budget plan before it has stages or a call; its first
stage and then its call follow; a late application is refused until the call is
extended; a second stage is added after opening and amended before it is used;
the first stage's rules are fixed once teams take seats in it. The standings
show the rules version, stages and call in force at eight moments, two of them
as known at a recorded time, and every decision carries its rules version and
sources.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.bootstrap import Services
from domain import errors
from domain.commands import (
    AddStage,
    AdvanceTeam,
    AmendStage,
    AnnounceProgram,
    ExtendCall,
    OpenCall,
    RecordEvaluation,
    SubmitApplication,
)
from domain.registry import Context
from domain.values import Source
from projections import standings
from projections.as_of import Moment, read_store
from tests.application.story import CRITERIA, scores
from tests.conftest import Clock
from tests.unit.bdd import decisions

PROGRAM = "sovereign-ai"
START = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
NOTICE = Source.make(url="https://www.msit.go.kr/notice/2025-06", title="Programme announced")


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def ctx(clock: Clock, effective: float, *, recorded: float | None = None, reason: str = "notice") -> Context:
    clock.now = day(effective if recorded is None else recorded)
    return Context(actor="official@msit.go.kr", effective_at=day(effective), reason=reason, sources=(NOTICE,))


def stage(name: str, seats: int) -> dict[str, Any]:
    return {"name": name, "seats": seats, "criteria": CRITERIA, "gates": ["independence"]}


def apply(services: Services, clock: Clock, team: str, at: float) -> None:
    command = SubmitApplication(
        program_code=PROGRAM, team_code=team, name_ko=team, name_en=team, lead_organisation=team
    )
    services.registry.submit_application(ctx(clock, at), command)


def run(services: Services, clock: Clock) -> None:
    registry = services.registry
    announcement = AnnounceProgram(
        program_code=PROGRAM,
        title_ko="독자 AI 파운데이션 모델",
        title_en="Sovereign AI Foundation Model",
        agency="과학기술정보통신부",
        budgets={"gpu:B200": 2560},
        finalist_count=2,
    )
    registry.announce_program(ctx(clock, 0, reason="budget plan announced"), announcement)
    registry.add_stage(ctx(clock, 10), AddStage(program_code=PROGRAM, stage=stage("1차", 5)))
    registry.open_call(ctx(clock, 12), OpenCall(program_code=PROGRAM, stage=0, opens_at=day(15), closes_at=day(45)))
    apply(services, clock, "hanbit", 20)
    apply(services, clock, "nuri", 30)
    registry.extend_call(
        ctx(clock, 44, reason="deadline moved"), ExtendCall(program_code=PROGRAM, stage=0, closes_at=day(50))
    )
    apply(services, clock, "gaon", 48)
    with pytest.raises(errors.CallClosedError):
        apply(services, clock, "late", 52)
    registry.add_stage(
        ctx(clock, 60, reason="stage 2 announced"), AddStage(program_code=PROGRAM, stage=stage("2차", 4))
    )
    amended = AmendStage(program_code=PROGRAM, index=1, stage=stage("2차", 3))
    registry.amend_stage(ctx(clock, 70, recorded=75, reason="three seats"), amended)  # recorded five days late
    for team in ("hanbit", "nuri", "gaon"):
        registry.advance_team(ctx(clock, 80), AdvanceTeam(program_code=PROGRAM, team_code=team, to_stage=0))
    with pytest.raises(errors.StageInUseError):
        registry.amend_stage(ctx(clock, 85), AmendStage(program_code=PROGRAM, index=0, stage=stage("1차", 6)))
    evaluation = RecordEvaluation(
        program_code=PROGRAM,
        team_code="hanbit",
        stage=0,
        scores=scores(36, 31, 21),
        gates={"independence": True},
        panel=[],
    )
    registry.record_evaluation(ctx(clock, 90), evaluation)
    clock.now = day(100)
    services.projector.catch_up()


def at(services: Services, moment: Moment) -> dict[str, Any]:
    with read_store(services.registry, services.db, moment, PROGRAM) as source:
        found = standings.program_standings(source.db, PROGRAM, moment.as_of or day(100), source.position)
    assert found is not None
    return found


def rules(found: dict[str, Any]) -> tuple[int, list[tuple[str, int]], list[tuple[str, bool]]]:
    """The rules version, the stages (name, seats) and the calls (closing day, open) in force."""
    calls = [(c["closes_at"][:10], c["open"]) for c in found["calls"]]
    return found["rules_version"], [(s["name"], s["seats"]) for s in found["stages"]], calls


def test_the_standings_show_the_rules_and_call_in_force_at_each_moment(services: Services, clock: Clock) -> None:
    run(services, clock)
    first, second = ("1차", 5), ("2차", 4)
    assert rules(at(services, Moment(day(5)))) == (1, [], [])
    assert rules(at(services, Moment(day(11)))) == (2, [first], [])
    assert rules(at(services, Moment(day(13)))) == (2, [first], [("2025-07-17", False)])  # opens on day 15
    assert rules(at(services, Moment(day(30)))) == (2, [first], [("2025-07-17", True)])
    assert rules(at(services, Moment(day(46)))) == (2, [first], [("2025-07-22", True)])  # extended on day 44
    assert rules(at(services, Moment(day(61)))) == (3, [first, second], [("2025-07-22", False)])
    assert rules(at(services, Moment(day(71)))) == (4, [first, ("2차", 3)], [("2025-07-22", False)])
    assert rules(at(services, Moment(day(71), known_at=day(72)))) == (3, [first, second], [("2025-07-22", False)])
    # as known on day 40, before the extension was recorded; whether it is open is judged now (day 100)
    assert rules(at(services, Moment(None, known_at=day(40)))) == (2, [first], [("2025-07-17", False)])
    assert at(services, Moment(day(31)))["applicants"][0]["team_code"] == "hanbit"
    assert {t["team_code"] for t in at(services, Moment(day(49)))["applicants"]} == {"hanbit", "nuri", "gaon"}


def test_every_decision_records_its_rules_version_and_sources(services: Services, clock: Clock) -> None:
    run(services, clock)
    record = standings.team_record(services.db, PROGRAM, "hanbit", day(100))
    assert record is not None
    assert [(e["stage"], e["rules_version"]) for e in record["evaluations"]] == [(0, 4)]
    assert (record["rules_version"], record["sources"]) == (4, [NOTICE.as_record()])
    program = services.registry.program(PROGRAM)
    versions = [(e.type_name, e.rules_version) for e in decisions(services.registry.events.get(program.id))]
    assert versions == [
        ("ProgramAnnounced", 1),
        ("StageAdded", 2),
        ("CallOpened", 2),
        ("CallExtended", 2),
        ("StageAdded", 3),
        ("StageAmended", 4),
        ("SeatTaken", 4),
        ("SeatTaken", 4),
        ("SeatTaken", 4),
    ]  # the stage's rules were fixed by its first seat, so its first evaluation tells the programme nothing new
    assert all(list(e.sources) == [NOTICE.as_record()] for e in decisions(services.registry.events.get(program.id)))
