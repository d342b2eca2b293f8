"""Events stored before ApplicationSubmitted gained ``contact`` (version 2) still load and project the same.

``tests/fixtures/demo_stored_v1.jsonl`` is the demo programme exactly as the
version-1 code stored it (made by ``tests/fixtures/make_golden.py`` from the
story the demo told then, kept as ``tests/fixtures/golden_story.py``, and
committed). Loaded raw into an empty store, its events upcast on read, the
aggregates rebuild, and every read-model row equals the row those events made
before events carried a rules version and sources (``demo_rows_v1.json``: the
rows of every read model that the code of commit 1f1bcbb built from the same
events, loaded the same way into a ``memory://`` store); the columns added since hold
their defaults for them. The same story recorded today stores the same events,
plus the programme events that did not exist then (a stage's first evaluation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from api.bootstrap import Services, build
from api.settings import Settings
from domain.candidacy import Candidacy
from domain.commands import OpenProgram, SubmitApplication
from domain.rounds import EvaluationRound
from tests.conftest import Clock, database_url
from tests.fixtures import golden_story
from tests.fixtures.golden_story import PROGRAM
from tests.fixtures.make_golden import RECORDED_AT
from tests.unit.bdd import decisions, on, opened

GOLDEN = Path(__file__).parent.parent / "fixtures" / "demo_stored_v1.jsonl"
GOLDEN_ROWS = Path(__file__).parent.parent / "fixtures" / "demo_rows_v1.json"
# Columns added after the fixture was made, and what they hold for events stored before them.
ADDED: dict[str, dict[str, object]] = {
    "standings_programs": {"rules_version": 1, "announced": 0},
    "standings_teams": {"rules_version": 0, "sources": "[]"},
    "standings_scores": {"rules_version": 0},
    "history_events": {"rules_version": 0, "sources": "[]"},
    "standings_rounds": {"change": "opened", "change_reason": "Refill the empty stage-2 seat"},  # the round's reason
    "funding_budgets": {"pool": None},
}
NEW_TABLES = {
    "standings_calls",
    "standings_evaluation_rounds",
    "standings_panel",
    "standings_excuses",
    "standings_outcomes",
    "standings_advancements",
    "standings_round_applications",
    "standings_statements",
    "funding_kinds",
    "funding_exclusions",
    "funding_pools",
    "funding_pool_draws",
}
NEW_EVENTS = {"registry:StageEvaluationBegan", "registry:ResourceKindDeclared", "registry:ExclusionImposed"}
pytestmark = pytest.mark.parametrize(
    "store", ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)


def stored_v1() -> list[StoredEvent]:
    lines = [orjson.loads(line) for line in GOLDEN.read_bytes().splitlines()]
    return [
        StoredEvent(UUID(line["originator_id"]), line["originator_version"], line["topic"], line["state"].encode())
        for line in lines
    ]


def rows(services: Services) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    with services.db.transaction(write=False) as cur:
        for projection in services.projector.projections.values():
            for table in projection.tables:
                cur.execute(f"SELECT * FROM {table}")
                found[table] = sorted(cur.fetchall(), key=repr)
    return found


def test_version_1_events_load_upcast_and_project_like_todays(
    services: Services, clock: Clock, store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    events = stored_v1()
    assert sum(e.topic == "registry:ApplicationSubmitted" for e in events) == 16
    assert all(b"class_version" not in e.state for e in events)  # the file really is version 1
    services.registry.recorder.insert_events(events)
    services.projector.catch_up()

    team = services.registry.candidacy(PROGRAM, "HWARANG")
    assert (team.contact, team.status, team.reentrant) == ("", "active", True)
    assert services.projector.head() == len(events)

    found = rows(services)
    assert all(not found.pop(table) for table in NEW_TABLES)
    grants = found.pop("funding_grants")  # a table added since: version-1 grants drew their own kind's line
    assert len(grants) == sum(e.topic == "registry:FundingGranted" for e in events) and all(
        g["budget_line"] == g["resource"] and g["drawn"] == g["quantity"] for g in grants
    )
    for table, defaults in ADDED.items():
        for row in found[table]:
            assert {column: row.pop(column) for column in defaults} == defaults
    for row in found["standings_rounds"]:  # a round not moved since it opened closes when it was first to close
        assert row.pop("first_closes_at") == row["closes_at"]
    for row in found["history_events"]:  # grants and returns gained their budget line (version 2)
        row["data"] = without_budget_line(row["event_type"], row["data"])
    assert normalised(found) == normalised(orjson.loads(GOLDEN_ROWS.read_bytes()))

    clock.now = RECORDED_AT
    (tmp_path / "today").mkdir()
    today_url = database_url(store, tmp_path / "today", request) if store != "postgres" else None
    today = build(Settings(database_url=today_url or "memory://"), clock=clock)
    try:
        golden_story.load(today.registry)
        stored_today = today.registry.recorder.select_notifications(start=1, limit=1000)
        assert [n.topic for n in stored_today if n.topic not in NEW_EVENTS] == [e.topic for e in events]
        upgraded = [n for n in stored_today if n.topic == "registry:ApplicationSubmitted"]
        assert all(b'"class_version":2' in n.state for n in upgraded)
    finally:
        today.close()


def without_budget_line(event_type: str, data: str) -> str:
    """A version-1 grant's or return's history data: its upcast budget line is its own kind's, taken off."""
    fields = orjson.loads(data)
    moved = {"FundingGranted": ("drawn", "quantity"), "FundingReturned": ("released", "quantity")}.get(event_type)
    if moved is None:
        return data
    assert fields.pop("budget_line") == fields["resource"] and fields.pop(moved[0]) == fields[moved[1]]
    return orjson.dumps(fields).decode()


def normalised(tables: dict[str, list[Any]]) -> dict[str, list[str]]:
    """Each table's rows as sorted JSON text, so rows read from any store compare with the fixture's."""
    return {
        table: sorted(orjson.dumps(row, option=orjson.OPT_SORT_KEYS, default=str).decode() for row in found)
        for table, found in tables.items()
    }


def test_old_events_decode_with_the_envelope_defaults(services: Services) -> None:
    services.registry.recorder.insert_events(stored_v1())
    events = decisions(services.registry.events.get(services.registry.program(PROGRAM).id))
    assert {(e.rules_version, tuple(e.sources)) for e in events} == {(0, ())}
    assert all("rules_version" not in e.payload() and "sources" not in e.payload() for e in events)


def test_a_new_application_carries_its_contact(services: Services) -> None:
    from domain.registry import Context

    ctx = Context(actor="test")
    services.registry.open_program(
        ctx,
        OpenProgram(
            program_code="V2",
            title_ko="이",
            title_en="Two",
            agency="A",
            stages=[{"name": "S", "seats": 1}],
            budgets={},
            finalist_count=1,
        ),
    )
    services.registry.submit_application(
        ctx,
        SubmitApplication(
            program_code="V2",
            team_code="C",
            name_ko="씨",
            name_en="C",
            lead_organisation="L",
            contact="team-c@example.org",
        ),
    )
    assert services.registry.candidacy("V2", "C").contact == "team-c@example.org"
    assert isinstance(services.registry.candidacy("V2", "C"), Candidacy)


def test_an_evaluation_round_opened_before_rounds_judged_re_entry_applications_loads_with_none(
    services: Services,
) -> None:
    """``EvaluationRoundOpened`` version 2 added ``reentry_round``; a version-1 event reads it as None."""
    r = EvaluationRound.open(on(3), opened(), number=1, stage=0, title="Written screening", criteria=None, gates=None)
    [event] = r.collect_events()
    stored = services.registry.mapper.to_stored_event(event)
    state = orjson.loads(stored.state)
    assert state.pop("class_version") == 2 and state.pop("reentry_round") is None
    v1 = StoredEvent(stored.originator_id, stored.originator_version, stored.topic, orjson.dumps(state))
    services.registry.recorder.insert_events([v1])
    loaded: EvaluationRound = services.registry.repository.get(r.id)
    assert (loaded.title, loaded.reentry_round) == ("Written screening", None)
