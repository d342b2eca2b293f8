"""A read model that cannot apply an event stops for that event's programme only, says so, and a rebuild recovers.

The failure is injected by putting, in the projector's place for ``standings``, a read model that
refuses every event of one programme (as a value too large for a column once did). Writes go on;
every other programme stays current (lag 0 at every step, recorded in ``timeline``); the
failure (read model, programme, position, error) is shown by /health, /ready, /metrics,
``registry projections status`` and the log; reads of the stopped programme answer 503
``read-model-failed``, and reads across programmes name it in ``Read-Model-Failed``. Once the
cause is gone, a rebuild applies everything again and clears the failure.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from typer.testing import CliRunner

from api.bootstrap import Services
from api.cli import app as cli
from domain.events import DecisionEvent
from projections.rebuild import rebuild
from projections.rows import Rows
from projections.schema import Codes, Projection
from tests.e2e.conftest import OPENED, Api, P, assert_problem

OTHER = "OTHER-2026"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> str:
    """On the two stores the command line can open (the CLI's status is part of what is checked)."""
    return str(request.param)


class Refusing:
    """The real read model, except that it cannot apply any event of ``program``."""

    def __init__(self, real: Projection, program: str) -> None:
        self.real, self.program = real, program
        self.name, self.tables, self.layout = real.name, real.tables, real.layout

    def ddl(self) -> list[str]:
        return self.real.ddl()

    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None:
        if codes.program_code == self.program:
            raise OverflowError(f"{type(event).__name__} does not fit its column")
        self.real.handle(rows, event, codes)


def open_other(api: Api) -> None:
    stage = {"name": "Only", "seats": 3, "criteria": [{"code": "c", "max_points": 10}], "gates": []}
    body = {"program_code": OTHER, "title_ko": "다른 사업", "title_en": "Other", "agency": "MSIT", "stages": [stage]}
    api.ok("/programs", {**body, "budgets": {}, "finalist_count": 1, "effective_at": OPENED, "reason": "Opened"})


def apply_to(api: Api, program: str, team: str) -> int:
    body = {"team_code": team, "name_ko": f"{team} 팀", "name_en": team, "lead_organisation": f"{team} Inc."}
    return int(api.ok(f"/programs/{program}/teams", body)["position"])


def teams_in(api: Api, program: str, *teams: str) -> set[str]:
    """Which of ``teams`` the programme's team records (the standings read model) show."""
    return {team for team in teams if api.client.get(f"/programs/{program}/teams/{team}").status_code == 200}


def test_a_failing_event_stops_only_its_programme_and_a_rebuild_recovers(
    api: Api, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    api.open_program()
    open_other(api)
    real = services.projector.projections["standings"]
    timeline: list[dict[str, Any]] = []

    def note(step: str) -> None:
        health = api.get("/health")
        timeline.append(
            {
                "step": step,
                "head": health["log_head"],
                "lag": {row["name"]: row["lag_events"] for row in health["projections"]},
                "failures": [(f["name"], f["program_code"], f["position"]) for f in health["failures"]],
            }
        )
        assert all(row["lag_events"] == 0 for row in health["projections"]), timeline[-1]

    note("both programmes open")
    services.projector.projections["standings"] = Refusing(real, P)
    with caplog.at_level(logging.ERROR, logger="registry.projections"):
        poisoned = apply_to(api, P, "A")  # the write is recorded; the read model cannot apply it
    note("an event of P the standings cannot apply")
    apply_to(api, OTHER, "X")
    apply_to(api, OTHER, "Y")
    note("two more events of the other programme")

    assert teams_in(api, OTHER, "X", "Y") == {"X", "Y"}  # the other programme is current
    refused = assert_problem(api.client.get(f"/programs/{P}/standings"), 503, "read-model-failed")
    assert refused["failures"] == [
        {**refused["failures"][0], "name": "standings", "program_code": P, "position": poisoned}
    ]
    assert "OverflowError" in refused["failures"][0]["error"] and str(poisoned) in refused["detail"]
    assert_problem(api.client.get(f"/programs/{P}/teams/A"), 503, "read-model-failed")
    across = api.client.get("/programs")
    assert across.status_code == 200 and across.headers["read-model-failed"] == P
    assert api.get(f"/programs/{OTHER}/history")["events"]

    ready = api.get("/ready")
    assert [(f["name"], f["program_code"], f["position"]) for f in ready["failures"]] == [("standings", P, poisoned)]
    metrics = api.client.get("/metrics").text
    assert f'registry_projection_failed_position{{program="{P}",read_model="standings"}} {poisoned}.0' in metrics
    status = CliRunner().invoke(cli, ["projections", "status", "--database-url", services.settings.database_url])
    assert status.exit_code == 0 and "Failures" in status.output and P in status.output, status.output
    assert any(f"stopped for programme {P} at position {poisoned}" in r.getMessage() for r in caplog.records)

    services.projector.projections["standings"] = real  # the cause fixed
    rebuild(services.projector, ["standings"])
    note("rebuilt after the fix")
    assert api.get("/health")["failures"] == []
    assert teams_in(api, P, "A") == {"A"} and teams_in(api, OTHER, "X", "Y") == {"X", "Y"}
    assert "read-model-failed" not in api.client.get("/programs").headers
    print("\ncontainment timeline:", *timeline, sep="\n  ")
    assert [step["failures"] for step in timeline] == [
        [],
        [("standings", P, poisoned)],
        [("standings", P, poisoned)],
        [],
    ]
