"""A past moment read from the versioned rows answers exactly what its definition does.

The definition (DESIGN.md §4): an event counts at a moment when
``effective_at <= as_of`` and ``recorded_at <= known_at``, and the counted
events are applied in log order. ``reference`` does just that, into an empty
read store, from every event of the log. ``projections.as_of`` must give the same
standings, funding and team records for every moment tried, whether it reads the
rows valid at a log position or replays a few late events on top of them.

The generated runs back-date some decisions (by a minute to an hour and a half),
so moments that need the replay are tried as well as those that do not; the
test reports how many of each it saw.
"""

from __future__ import annotations

import random
import tempfile
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.domain import Aggregate
from hypothesis import event, given, settings

from api.bootstrap import Services, build
from api.settings import Settings
from domain.commands import AdvanceTeam, GrantFunding, SubmitApplication
from domain.registry import Context
from projections import funding, standings
from projections.as_of import Moment, read_store
from projections.db import Database, SQLiteDatabase
from projections.funding import FundingProjection
from projections.projector import Projector
from projections.standings import StandingsProjection
from tests import scratch
from tests.conftest import Clock
from tests.depth import examples
from tests.integration import attempts, strategies
from tests.integration.attempts import Step
from tests.integration.test_rebuild import FAST, decide, in_programme, logged

MOMENTS = 12
TICK = timedelta(microseconds=1)


def answers(db: Database, code: str, now: datetime, position: int | None) -> dict[str, Any]:
    found = standings.program_standings(db, code, now, position)
    if found is None:
        return {"standings": None}
    seated = [t["team_code"] for s in found["stages"] for t in s["teams"]]
    teams = [t["team_code"] for t in found["applicants"]] + seated
    return {
        "standings": found,
        "funding": funding.program_funding(db, code, position),
        "teams": {team: standings.team_record(db, code, team, now, position) for team in sorted(set(teams))},
    }


def reference(services: Services, moment: Moment, code: str, now: datetime) -> dict[str, Any]:
    """The definition, literally: the counted events of the whole log, in log order, into an empty store."""
    db = SQLiteDatabase(":memory:")
    try:
        projector = Projector(services.registry, db, [StandingsProjection(), FundingProjection()])
        projector.setup()
        created, counted = set(), []
        for position, item in logged(services.projector):
            counts = (moment.as_of is None or item.effective_at <= moment.as_of) and (
                moment.known_at is None or item.recorded_at <= moment.known_at
            )
            if not in_programme(item) or not counts:
                continue
            if isinstance(item, Aggregate.Created):  # a programme opened or announced, an application, a round
                created.add(item.originator_id)
            if item.originator_id in created:  # nothing to apply to before the team's application counts
                counted.append((position, item))
        if counted:
            projector.apply(list(projector.projections), counted)
        return answers(db, code, now, None)
    finally:
        db.close()


def moments(services: Services, rng: random.Random) -> list[Moment]:
    """Moments at, and just before, the times events took effect and were recorded, and between them."""
    stamps = [item for _, item in logged(services.projector) if in_programme(item)]
    effective = sorted({e.effective_at for e in stamps})
    recorded = sorted({e.recorded_at for e in stamps})
    chosen = []
    for _ in range(MOMENTS):
        as_of = rng.choice([None, rng.choice(effective), rng.choice(effective) - TICK])
        known_at = rng.choice([None, rng.choice(recorded), rng.choice(recorded) - TICK])
        chosen.append(Moment(as_of, known_at))
    return chosen


def check_moments(services: Services, clock: Clock, steps: list[Step]) -> None:
    decide(services, clock, steps)
    rng = random.Random(len(steps))
    replays = 0
    for moment in moments(services, rng):
        now = moment.as_of or clock.now
        with read_store(services.registry, services.db, moment, attempts.PROGRAM) as source:
            fast = answers(source.db, attempts.PROGRAM, now, source.position)
            replays += source.replayed is not None
        assert fast == reference(services, moment, attempts.PROGRAM, now), moment
    event(f"moments that replayed late events: {min(replays, 3)}{'+' if replays >= 3 else ''}")


@settings(FAST, max_examples=examples(12, 50))
@given(steps=strategies.runs())
def test_past_moments_answer_as_their_definition_on_sqlite(steps: list[Step]) -> None:
    clock = Clock()
    with tempfile.TemporaryDirectory() as folder:
        services = build(Settings(database_url=f"sqlite:///{folder}/registry.sqlite3"), clock=clock)
        try:
            check_moments(services, clock, steps)
        finally:
            services.close()


@pytest.mark.postgres
@settings(FAST, max_examples=examples(4, 16))
@given(steps=strategies.runs(max_decisions=40))
def test_past_moments_answer_as_their_definition_on_postgres(
    postgres_server_url: str, registry_schema: str, steps: list[Step]
) -> None:
    clock = Clock()
    scratch.clear(postgres_server_url, registry_schema)
    services = build(Settings(database_url=postgres_server_url, pool_size=2), clock=clock)
    try:
        check_moments(services, clock, steps)
    finally:
        services.close()


def application(services: Services, team: str, effective_at: datetime | None = None) -> None:
    services.registry.submit_application(
        Context(actor="official:test", effective_at=effective_at, reason="접수"),
        SubmitApplication(
            program_code=attempts.PROGRAM,
            team_code=team,
            name_ko=team,
            name_en=team,
            lead_organisation="KAIST",
            members=["KAIST"],
        ),
    )


@pytest.fixture
def opened(services: Services, clock: Clock) -> Services:
    attempts.open_programme(services.registry, clock.now)
    clock.advance(hours=1)
    application(services, "AAA")
    services.projector.catch_up()
    return services


def test_a_decision_recorded_while_a_past_page_is_read_does_not_show_in_it(opened: Services, clock: Clock) -> None:
    moment = Moment(None, clock.now + TICK)  # nothing recorded so far is excluded
    with read_store(opened.registry, opened.db, moment, attempts.PROGRAM) as source:
        clock.advance(hours=1)
        application(opened, "BBB")
        opened.projector.catch_up()
        found = standings.program_standings(source.db, attempts.PROGRAM, clock.now, source.position)
    assert found is not None
    assert [t["team_code"] for t in found["applicants"]] == ["AAA"]


def test_a_read_model_behind_the_others_does_not_leak_later_rows(opened: Services, clock: Clock) -> None:
    before_grant = clock.now + TICK
    clock.advance(hours=1)
    opened.registry.grant_funding(
        Context(actor="official:test", reason="배정"),
        GrantFunding(
            program_code=attempts.PROGRAM,
            team_code="AAA",
            resource="gpu:B200",
            quantity=10,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 2, 1),
        ),
    )
    opened.projector.catch_up(["funding", "history"])  # the standings runner lags behind
    with read_store(opened.registry, opened.db, Moment(before_grant, None), attempts.PROGRAM) as source:
        ledger = funding.program_funding(source.db, attempts.PROGRAM, source.position)
    assert ledger["teams"] == []


def test_a_seat_back_dated_before_the_application_leaves_the_moment_between_readable(
    services: Services, clock: Clock
) -> None:
    opened_at = clock.now
    attempts.open_programme(services.registry, opened_at)
    clock.advance(days=5)
    application(services, "AAA")  # effective when recorded
    clock.advance(days=1)
    services.registry.advance_team(
        Context(actor="official:test", effective_at=opened_at + timedelta(days=1), reason="선정"),
        AdvanceTeam(program_code=attempts.PROGRAM, team_code="AAA", to_stage=0),
    )
    services.projector.catch_up()
    moment = Moment(opened_at + timedelta(days=2), None)
    with read_store(services.registry, services.db, moment, attempts.PROGRAM) as source:
        found = standings.program_standings(source.db, attempts.PROGRAM, clock.now, source.position)
    assert found is not None and found["stages"][0]["holders"] == [] and found["applicants"] == []
