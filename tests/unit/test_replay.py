"""Replay: folding an aggregate's events from nothing rebuilds exactly the state its commands left."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from domain.candidacy import Candidacy
from domain.program import Program
from tests.unit.bdd import PASSING, day, eliminated, in_round, on, opened, seated


def state(aggregate: Aggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def replayed(aggregate: Aggregate) -> Aggregate:
    events = aggregate.collect_events()
    folded = events[0].mutate(None)
    for event in events[1:]:
        folded = event.mutate(folded)
    assert folded is not None
    return folded


def a_whole_programme() -> tuple[Program, list[Candidacy]]:
    """Every kind of decision at least once: the story of the design brief, shortened."""
    program = opened(seats=(3, 2), finalist_count=2)
    lg, upstage = seated(program, "lg"), seated(program, "upstage")
    naver = eliminated(program, "naver", at=10, deadline=20)
    for team in (lg, upstage):
        team.grant_funding(
            on(3),
            program,
            resource="gpu:B200",
            quantity=512,
            period_start=date(2026, 2, 1),
            period_end=date(2026, 7, 31),
        )
    lg.change_consortium(on(4), program, ["SK Telecom"], ["lg University"])
    number = lg.record_evaluation(on(90), program, stage=0, scores=PASSING, gates={"independence": True}, panel=["Kim"])
    lg.amend_evaluation(on(91), program, evaluation=number, scores=PASSING, gates={"independence": True}, panel=["Lee"])
    upstage.record_evaluation(on(90), program, stage=0, scores=PASSING, gates={"independence": False}, panel=["Kim"])
    upstage.eliminate(on(92, reason="failed gate"), program, reason_code="failed_gate", objection_deadline=day(102))
    upstage.reverse_elimination(on(95), program)
    lg.advance(on(100), program, 1)
    upstage.return_funding(on(96), program, resource="gpu:B200", quantity=12)
    upstage.withdraw(on(97), program)
    in_round(program, stage=1, seats=1, opens=110, closes=120)
    naver.offer_reentry(on(111), program, round_number=1, deadline=day(115))
    naver.accept_offer(on(112), program, 1)
    program.increase_budget(on(113), "gpu:B200", 512)
    program.select_finalists(on(200), ["lg", "naver"])
    return program, [lg, upstage, naver]


def test_replaying_the_programme_rebuilds_its_state() -> None:
    program, _ = a_whole_programme()
    expected = state(program)
    assert state(replayed(program)) == expected
    assert expected["holders"] == [set(), {"lg", "naver"}]
    assert expected["finalists"] == ["lg", "naver"]
    assert expected["allocated"]["gpu:B200"] == 1012


def test_replaying_each_candidacy_rebuilds_its_state() -> None:
    _, teams = a_whole_programme()
    for team in teams:
        expected = state(team)
        assert state(replayed(team)) == expected
    assert [t.status for t in teams] == ["active", "withdrawn", "active"]
    assert teams[2].reentrant and teams[0].evaluations[1].panel == ("Lee",)


def test_versions_count_every_event() -> None:
    program, teams = a_whole_programme()
    for aggregate in (program, *teams):
        version = aggregate.version
        assert len(aggregate.collect_events()) == version
