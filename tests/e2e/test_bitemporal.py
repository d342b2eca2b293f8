"""Two time axes: what was true on a date (as_of) and what the registry said on a date (known_at).

A decision back-dated to before an earlier query date changes as_of answers
only for known_at after it was recorded; an elimination reversed after an
objection shows the team eliminated between the two effective dates and active
before and after.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from domain.commands import AdvanceTeam, EliminateTeam, OpenProgram, ReverseElimination, SubmitApplication, WithdrawTeam
from domain.registry import Context
from tests.conftest import Clock

P = "TIME-2026"


def day(n: int, hour: int = 12) -> datetime:
    return datetime(2026, 1, 1, hour, tzinfo=UTC) + timedelta(days=n - 1)


def at(client: TestClient, path: str, **times: datetime) -> dict[str, Any]:
    answer = client.get(path, params={k: v.isoformat() for k, v in times.items()})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def status(client: TestClient, team: str, **times: datetime) -> str:
    return str(at(client, f"/programs/{P}/teams/{team}", **times)["status"])


def setup(services: Services, clock: Clock) -> None:
    clock.now = day(10)
    r = services.registry
    r.open_program(
        Context(actor="t", effective_at=day(1)),
        OpenProgram(
            program_code=P,
            title_ko="시간",
            title_en="Time",
            agency="A",
            stages=[{"name": "Only", "seats": 3}],
            budgets={},
            finalist_count=1,
        ),
    )
    for team in ("A", "B"):
        r.submit_application(
            Context(actor="t", effective_at=day(2)),
            SubmitApplication(program_code=P, team_code=team, name_ko="팀", name_en=team, lead_organisation="L"),
        )
        r.advance_team(Context(actor="t", effective_at=day(3)), AdvanceTeam(program_code=P, team_code=team, to_stage=0))
    services.projector.catch_up()


def test_a_back_dated_decision_changes_the_past_only_for_those_who_know_of_it(
    client: TestClient, services: Services, clock: Clock
) -> None:
    setup(services, clock)
    clock.now = day(15)
    assert status(client, "A", as_of=day(15)) == "active"

    clock.now = day(20)  # recorded on the 20th, effective on the 12th
    services.registry.withdraw_team(
        Context(actor="t", effective_at=day(12), reason="Back-dated withdrawal"),
        WithdrawTeam(program_code=P, team_code="A"),
    )
    services.projector.catch_up()

    assert status(client, "A", as_of=day(15), known_at=day(16)) == "active"  # what the registry said on the 16th
    assert status(client, "A", as_of=day(15), known_at=day(21)) == "withdrawn"  # what it says since the 20th
    assert status(client, "A", as_of=day(15)) == "withdrawn"  # known_at defaults to now
    assert status(client, "A", as_of=day(11)) == "active"  # before it took effect
    answer = at(client, f"/programs/{P}/standings", as_of=day(15), known_at=day(16))
    assert (answer["as_of"], answer["known_at"]) == (
        "2026-01-15T12:00:00.000000+00:00",
        "2026-01-16T12:00:00.000000+00:00",
    )
    assert answer["stages"][0]["holders"] == ["A", "B"]
    assert at(client, f"/programs/{P}/standings", as_of=day(15))["stages"][0]["holders"] == ["B"]
    history = at(client, f"/programs/{P}/history", as_of=day(15), known_at=day(16))
    assert "TeamWithdrew" not in [e["event_type"] for e in history["events"]]
    assert "TeamWithdrew" in [e["event_type"] for e in at(client, f"/programs/{P}/history", as_of=day(15))["events"]]


def test_a_reversed_elimination_is_eliminated_only_between_the_two_effective_dates(
    client: TestClient, services: Services, clock: Clock
) -> None:
    setup(services, clock)
    clock.now = day(32)
    services.registry.eliminate_team(
        Context(actor="t", effective_at=day(32), reason="Below the cut-off"),
        EliminateTeam(program_code=P, team_code="B", reason_code="below_cutoff", objection_deadline=day(42)),
    )
    clock.now = day(37)
    services.registry.reverse_elimination(
        Context(actor="t", effective_at=day(36), reason="Objection upheld"),
        ReverseElimination(program_code=P, team_code="B"),
    )
    services.projector.catch_up()

    assert status(client, "B", as_of=day(31)) == "active"
    eliminated = at(client, f"/programs/{P}/teams/B", as_of=day(34))
    assert eliminated["status"] == "eliminated"
    assert eliminated["elimination"]["final"] is False  # provisional: the objection window was still open
    assert status(client, "B", as_of=day(40)) == "active"
    assert status(client, "B", as_of=day(40), known_at=day(35)) == "eliminated"  # before the reversal was recorded
    assert status(client, "B") == "active"
