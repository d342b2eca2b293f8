"""HTTP fixtures: the app on each store, and a tiny client that records decisions in a few words.

``client`` is a Starlette ``TestClient`` around ``create_app`` on the ``services``
fixture, so every e2e test runs on memory, SQLite and PostgreSQL. ``api`` wraps it
with short builders (``open_program``, ``apply``, ``advance``, …) that assert each
set-up decision was recorded, and with ``unchanged()``, which proves a refused
request left the log and every read of the programme exactly as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from api.app import create_app
from api.bootstrap import Services
from api.keys import NewKey, create_key
from tests.conftest import Clock

P = "E2E-2026"
OPENED = "2025-12-01T00:00:00+00:00"  # the test programme opens a month before the clock's "now"
CRITERIA = [
    {"code": "benchmark", "max_points": 40},
    {"code": "expert", "max_points": 35},
    {"code": "user", "max_points": 25},
]
SCORES = {"benchmark": 30, "expert": 30, "user": 20}
GATES = {"independence": True}
BUDGETS = {"gpu:B200": 1000, "krw:data": 5_000_000, "title:K-AI": 3}
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture
def admin_key(services: Services) -> NewKey:
    """An admin key (admins may record every decision)."""
    return create_key(services, name="e2e-admin", role="admin", actor="test")


@pytest.fixture
def client(services: Services, admin_key: NewKey) -> Iterator[TestClient]:
    """A client holding the admin key."""
    with TestClient(create_app(services=services), headers={"Authorization": f"Bearer {admin_key.secret}"}) as client:
        yield client


@pytest.fixture
def api(client: TestClient, services: Services, clock: Clock, admin_key: NewKey) -> Api:
    principal = services.registry.authenticate(admin_key.secret)
    assert principal is not None
    return Api(client, services, clock, actor=principal.label)


class Api:
    """Decisions over HTTP, each checked to have been recorded (201)."""

    def __init__(self, client: TestClient, services: Services, clock: Clock, *, actor: str) -> None:
        self.client, self.services, self.clock = client, services, clock
        self.actor = actor  # what the registry records as the author of this client's decisions

    def post(self, path: str, body: dict[str, Any] | None = None, **headers: str) -> Response:
        return self.client.post(path, json=body or {}, headers=headers)

    def ok(self, path: str, body: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
        response = self.post(path, body, **headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def team(self, team: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.ok(f"/programs/{P}/teams/{team}/{action}", body)

    # --- set-up decisions -------------------------------------------------------------

    def open_program(
        self, seats: tuple[int, ...] = (3, 2), finalists: int = 1, budgets: dict[str, int] | None = None
    ) -> dict[str, Any]:
        stages = [
            {"name": f"Stage {i + 1}", "seats": n, "criteria": CRITERIA, "gates": ["independence"]}
            for i, n in enumerate(seats)
        ]
        return self.ok(
            "/programs",
            {
                "program_code": P,
                "title_ko": "시험 사업",
                "title_en": "Test programme",
                "agency": "MSIT",
                "stages": stages,
                "budgets": BUDGETS if budgets is None else budgets,
                "finalist_count": finalists,
                "effective_at": OPENED,
                "reason": "Programme announced",
            },
        )

    def apply(self, team: str, **extra: Any) -> dict[str, Any]:
        body = {
            "team_code": team,
            "name_ko": f"{team} 팀",
            "name_en": f"Team {team}",
            "lead_organisation": f"{team} Inc.",
            **extra,
        }
        return self.ok(f"/programs/{P}/teams", body)

    def seat(self, *teams: str, stage: int = 0) -> None:
        """Apply (if needed) and advance each team into ``stage``, one stage at a time."""
        for team in teams:
            self.apply(team)
            for to_stage in range(stage + 1):
                self.advance(team, to_stage)

    def advance(self, team: str, to_stage: int) -> dict[str, Any]:
        return self.team(team, "advancements", {"to_stage": to_stage})

    def evaluate(self, team: str, stage: int = 0, scores: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.team(team, "evaluations", {"stage": stage, "scores": scores or SCORES, "gates": GATES})

    def eliminate(self, team: str, deadline: str = "2026-01-15T00:00:00+00:00") -> dict[str, Any]:
        body = {"reason_code": "below_cutoff", "objection_deadline": deadline, "reason": "Lowest total"}
        return self.team(team, "eliminations", body)

    def open_round(
        self,
        stage: int = 1,
        seats: int = 1,
        eligibility: tuple[str, ...] = ("eliminated",),
        opens: str = "2026-01-01T00:00:00+00:00",
        closes: str = "2026-01-31T00:00:00+00:00",
    ) -> int:
        body = {
            "stage": stage,
            "seats": seats,
            "eligibility": list(eligibility),
            "opens_at": opens,
            "closes_at": closes,
            "reason": "Refill the empty seat",
        }
        return int(self.ok(f"/programs/{P}/re-entry-rounds", body)["result"]["round"])

    def offer(self, team: str, round_number: int = 1, deadline: str = "2026-01-20T00:00:00+00:00") -> int:
        return int(self.team(team, "offers", {"round": round_number, "deadline": deadline})["result"]["offer"])

    def grant(self, team: str, resource: str = "gpu:B200", quantity: int = 100) -> dict[str, Any]:
        body = {"resource": resource, "quantity": quantity, "period_start": "2026-01-01", "period_end": "2026-06-30"}
        return self.team(team, "grants", body)

    # --- reads ----------------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def standings(self) -> dict[str, Any]:
        return dict(self.get(f"/programs/{P}/standings"))

    def history(self, **params: Any) -> list[dict[str, Any]]:
        return list(self.get(f"/programs/{P}/history", limit=1000, **params)["events"])

    def snapshot(self, teams: tuple[str, ...]) -> dict[str, Any]:
        return {
            "head": self.services.projector.head(),
            "standings": self.standings(),
            "funding": self.get(f"/programs/{P}/funding"),
            "history": self.history(),
            "teams": [self.get(f"/programs/{P}/teams/{t}") for t in teams],
        }

    @contextmanager
    def unchanged(self, *teams: str) -> Iterator[None]:
        """The block may be refused, but must store nothing: same head, same reads."""
        before = self.snapshot(teams)
        yield
        assert self.snapshot(teams) == before


def assert_problem(response: Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem of the named type, about the request's own path."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["type"] == f"/problems/{code}", body
    assert set(body) >= PROBLEM_FIELDS
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["instance"] == response.request.url.path
    return body
