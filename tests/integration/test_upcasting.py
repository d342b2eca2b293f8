"""Events stored before ApplicationSubmitted gained ``contact`` (version 2) still load and project the same.

``tests/fixtures/demo_stored_v1.jsonl`` is the demo programme exactly as the
version-1 code stored it (made by ``tests/fixtures/make_golden.py`` and
committed). Loaded raw into an empty store, its events upcast on read, the
aggregates rebuild, and every read-model row equals the rows of the same story
recorded today at the same server time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from api import demo
from api.bootstrap import Services, build
from api.settings import Settings
from domain.candidacy import Candidacy
from domain.commands import OpenProgram, SubmitApplication
from tests.conftest import Clock, database_url
from tests.fixtures.make_golden import RECORDED_AT

GOLDEN = Path(__file__).parent.parent / "fixtures" / "demo_stored_v1.jsonl"
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

    team = services.registry.candidacy(demo.PROGRAM, "HWARANG")
    assert (team.contact, team.status, team.reentrant) == ("", "active", True)
    assert services.projector.head() == len(events)

    clock.now = RECORDED_AT
    (tmp_path / "today").mkdir()
    today_url = database_url(store, tmp_path / "today", request) if store != "postgres" else None
    today = build(Settings(database_url=today_url or "memory://"), clock=clock)
    try:
        demo.load(today.registry)
        today.projector.catch_up()
        assert rows(services) == rows(today)
        stored_today = today.registry.recorder.select_notifications(start=1, limit=1000)
        assert [n.topic for n in stored_today] == [e.topic for e in events]
        upgraded = [n for n in stored_today if n.topic == "registry:ApplicationSubmitted"]
        assert all(b'"class_version":2' in n.state for n in upgraded)
    finally:
        today.close()


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
