"""Every write route in the OpenAPI document, with no key, an auditor's key and the right role.

Without a key: 401. With an auditor's key: 403. With a recorder's key: every
decision succeeds, except those reserved to admins (opening a programme,
managing keys), which answer 403 until an admin asks. Refused calls write nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import Services
from api.keys import create_key
from domain.commands import RevokeKey
from domain.registry import Context
from tests.conftest import Clock

P = "ACCESS-2026"
OPENED = "2025-12-01T00:00:00+00:00"
ADMIN_ONLY = {"/programs", "/announcements", "/keys", "/keys/{key_id}/revocation", "/pools"}
POOL = {"pool_code": "NATIONAL", "title": "National GPU pool", "resource": "gpu:H100", "budget": 10}
CRITERIA = [{"code": "quality", "max_points": 10}]
AT = "2026-01-02T00:00:00+00:00"
ANNOUNCED = {
    "program_code": "ACCESS-LATER",
    "title_ko": "예고",
    "title_en": "Later",
    "agency": "MSIT",
    "finalist_count": 1,
    "effective_at": OPENED,
}
WINDOW = {"opens_at": OPENED, "closes_at": "2026-06-01T00:00:00+00:00", "effective_at": OPENED}


def post_routes(client: TestClient) -> set[str]:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {path for path, operations in paths.items() if "post" in operations}


def concrete(path: str) -> str:
    values = {
        "program": P,
        "team": "A",
        "evaluation": "1",
        "offer": "1",
        "number": "1",
        "key_id": "abcdef123456",
        "stage": "0",
        "pool": "NATIONAL",
        "exclusion": "1",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def as_problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{code}"


def test_without_a_key_every_write_is_401_and_writes_nothing(services: Services) -> None:
    with TestClient(create_app(services=services)) as anonymous:
        head = services.projector.head()
        for path in sorted(post_routes(anonymous)):
            response = anonymous.post(concrete(path), json={})
            as_problem(response, 401, "unauthenticated")
            assert response.headers["www-authenticate"].startswith("Bearer")
        wrong = anonymous.post("/programs", json={}, headers={"Authorization": "Bearer rk_000000000000_nope"})
        as_problem(wrong, 401, "unauthenticated")
        assert services.projector.head() == head


def test_an_auditor_may_read_but_every_write_is_403_and_writes_nothing(services: Services) -> None:
    auditor = create_key(services, name="auditor", role="auditor", actor="test")
    with TestClient(create_app(services=services), headers={"X-API-Key": auditor.secret}) as client:
        head = services.projector.head()
        for path in sorted(post_routes(client)):
            as_problem(client.post(concrete(path), json={}), 403, "access-denied")
        assert services.projector.head() == head
        assert client.get("/programs").status_code == 200
        assert client.get("/history").status_code == 200


def test_a_recorder_records_every_decision_but_only_an_admin_opens_programmes(  # noqa: PLR0915 (one walk through every write route, in order)
    services: Services, clock: Clock
) -> None:
    admin = create_key(services, name="admin", role="admin", actor="test")
    recorder = create_key(services, name="official", role="recorder", actor="test")
    with TestClient(create_app(services=services)) as client:
        as_admin = {"Authorization": f"Bearer {admin.secret}"}
        as_recorder = {"Authorization": f"Bearer {recorder.secret}"}
        exercised: set[str] = set()

        def post(
            route: str, body: dict[str, Any], *, status: int = 201, headers: dict[str, str] = as_recorder, **values: str
        ) -> dict[str, Any]:
            response = client.post(route.format(program=P, **values), json=body, headers=headers)
            assert response.status_code == status, response.text
            exercised.add(route)
            return dict(response.json()) if response.content else {}

        program = {
            "program_code": P,
            "title_ko": "접근 시험",
            "title_en": "Access test",
            "agency": "MSIT",
            "stages": [{"name": "One", "seats": 2, "criteria": CRITERIA}, {"name": "Two", "seats": 1}],
            "budgets": {"gpu:B200": 10},
            "finalist_count": 1,
            "effective_at": OPENED,
        }
        head = services.projector.head()
        as_problem(client.post("/programs", json=program, headers=as_recorder), 403, "access-denied")
        as_problem(client.post("/keys", json={"name": "x", "role": "admin"}, headers=as_recorder), 403, "access-denied")
        assert services.projector.head() == head
        post("/programs", program, headers=as_admin)
        as_problem(client.post("/announcements", json=ANNOUNCED, headers=as_recorder), 403, "access-denied")
        post("/announcements", ANNOUNCED, headers=as_admin)
        post(
            "/programs/{program}/stages/{stage}/amendments",
            {"name": "Two", "seats": 1, "criteria": CRITERIA},
            stage="1",
        )
        post("/programs/{program}/calls", WINDOW)
        post("/programs/{program}/calls/{stage}/extensions", {"closes_at": "2026-07-01T00:00:00+00:00"}, stage="0")
        post("/programs/{program}/calls/{stage}/early-closures", {"closes_at": "2026-06-15T00:00:00+00:00"}, stage="0")
        new_key = post("/keys", {"name": "temp", "role": "auditor"}, headers=as_admin)
        post("/keys/{key_id}/revocation", {}, status=204, headers=as_admin, key_id=new_key["key_id"])

        team = "/programs/{program}/teams/{team}"
        for code in ("A", "B", "C", "D", "E"):
            post(
                "/programs/{program}/teams",
                {
                    "team_code": code,
                    "name_ko": f"{code} 팀",
                    "name_en": code,
                    "lead_organisation": f"{code} Inc.",
                    "effective_at": AT,
                },
            )
        post(team + "/consortium-changes", {"joined": ["KAIST"]}, team="A")
        post(team + "/evaluations", {"stage": 0, "scores": {"quality": 7}}, team="A")
        post(team + "/evaluations/{evaluation}/amendments", {"scores": {"quality": 8}}, team="A", evaluation="1")
        post(team + "/advancements", {"to_stage": 0}, team="A")
        post(
            team + "/grants",
            {"resource": "gpu:B200", "quantity": 4, "period_start": "2026-01-01", "period_end": "2026-06-30"},
            team="A",
        )
        post(team + "/returns", {"resource": "gpu:B200", "quantity": 1}, team="A")
        post("/programs/{program}/budget-increases", {"resource": "gpu:B200", "amount": 5})
        as_problem(client.post("/pools", json=POOL, headers=as_recorder), 403, "access-denied")
        post("/pools", POOL, headers=as_admin)
        post("/pools/{pool}/budget-increases", {"amount": 5}, pool="NATIONAL")
        post("/programs/{program}/pooled-lines", {"resource": "gpu:H100", "pool": "NATIONAL"})
        post("/programs/{program}/resource-kinds", {"resource": "gpu:B200", "unit": "GPU"})
        post(team + "/exclusions", {"resource": "gpu", "starts_on": "2026-07-01", "reason": "Supplier"}, team="A")
        post(team + "/exclusions/{exclusion}/lifting", {"ends_on": "2026-08-01"}, team="A", exclusion="1")
        deadline = "2026-03-01T00:00:00+00:00"
        post(
            team + "/eliminations",
            {"reason_code": "screening", "reason": "Screened out", "objection_deadline": deadline},
            team="B",
        )
        post(team + "/elimination/upheld", {}, team="B")
        post(
            team + "/eliminations",
            {"reason_code": "screening", "reason": "Screened out", "objection_deadline": deadline},
            team="C",
        )
        post(team + "/elimination/reversed", {}, team="C")
        clock.advance(days=1)
        post(
            "/programs/{program}/re-entry-rounds",
            {
                "stage": 1,
                "seats": 1,
                "eligibility": ["eliminated", "applicants"],
                "opens_at": "2026-01-05T00:00:00+00:00",
                "closes_at": "2026-02-01T00:00:00+00:00",
            },
        )
        reentry = "/programs/{program}/re-entry-rounds/{number}"
        declined = {"team_code": "D", "kind": "declined", "form": "public_statement", "reason": "Will not apply"}
        post(reentry + "/statements", declined, number="1")
        applied = {"team_code": "E", "lead_organisation": "E Inc.", "reason": "Applies"}
        post(reentry + "/applications", applied, number="1")
        post(reentry + "/extensions", {"closes_at": "2026-02-10T00:00:00+00:00", "reason": "More time"}, number="1")
        post(team + "/offers", {"round": 1, "deadline": "2026-01-20T00:00:00+00:00"}, team="B")
        post(team + "/offers/{offer}/declination", {"reason": "No, thank you"}, team="B", offer="1")
        post(team + "/offers", {"round": 1, "deadline": "2026-01-20T00:00:00+00:00"}, team="C")
        post(team + "/offers/{offer}/acceptance", {"reason": "Yes"}, team="C", offer="1")
        exercise_rounds(post, team, deadline)
        post(reentry + "/early-closures", {"closes_at": "2026-01-31T00:00:00+00:00", "reason": "Filled"}, number="1")
        post(team + "/withdrawal", {"reason": "Consortium dissolved"}, team="A")
        post("/programs/{program}/finalists", {"teams": ["C"]})
        post("/programs/{program}/stages", {"name": "Three", "seats": 1}, status=409)  # none after the finalists

        assert exercised == post_routes(client)
        actors = {
            e["actor"] for e in client.get(f"/programs/{P}/history?limit=1000", headers=as_recorder).json()["events"]
        }
        assert actors == {admin_label(admin.key_id), recorder_label(recorder.key_id)}


def admin_label(key_id: str) -> str:
    return f"admin:admin (key {key_id})"


def recorder_label(key_id: str) -> str:
    return f"recorder:official (key {key_id})"


def test_open_reads_let_anyone_read_but_never_write(services: Services) -> None:
    services.settings = services.settings.model_copy(update={"open_reads": True})
    with TestClient(create_app(services=services)) as anonymous:
        assert anonymous.get("/programs").status_code == 200
        assert anonymous.get("/history").status_code == 200
        as_problem(anonymous.post("/programs", json={}), 401, "unauthenticated")
        as_problem(anonymous.get("/keys"), 401, "unauthenticated")
        revoked = create_key(services, name="gone", role="auditor", actor="test")
        services.registry.revoke_key(Context(actor="test"), RevokeKey(key_id=revoked.key_id))
        as_problem(anonymous.get("/programs", headers={"X-API-Key": revoked.secret}), 401, "unauthenticated")


def test_reads_are_closed_to_callers_without_a_key_by_default(services: Services) -> None:
    with TestClient(create_app(services=services)) as anonymous:
        as_problem(anonymous.get("/programs"), 401, "unauthenticated")
        assert anonymous.get("/health").status_code == 200


def test_the_key_is_checked_before_the_query_and_the_read_models(services: Services) -> None:
    """A read's key check and its read-model check share one trip to the thread pool; the order of answers holds."""
    auditor = create_key(services, name="auditor", role="auditor", actor="test")
    beyond = str(services.projector.head() + 100)
    with TestClient(create_app(services=services)) as anonymous:
        for given in ("x", "-1", beyond, f"0{beyond}", f"+{beyond}"):
            as_problem(anonymous.get("/programs", params={"min_position": given}), 401, "unauthenticated")
    with TestClient(create_app(services=services), headers={"X-API-Key": auditor.secret}) as client:
        for given in ("x", "-1", str(2**62 + 1)):  # invalid: 422, as before, and the read models are not asked
            as_problem(client.get("/programs", params={"min_position": given}), 422, "invalid-request")
        for given in (beyond, f"0{beyond}", f"+{beyond}"):  # plain, or left to the dependency that validates it
            as_problem(client.get("/programs", params={"min_position": given}), 404, "position-not-found")
        as_problem(client.get("/programs", headers={"X-Min-Position": beyond}), 404, "position-not-found")
        assert client.get("/programs", params={"min_position": "0"}).status_code == 200


def exercise_rounds(post: Callable[..., dict[str, Any]], team: str, deadline: str) -> None:
    """The evaluation round's writes and the advancements under objection, as the recorder."""
    rounds = "/programs/{program}/evaluation-rounds"
    post(rounds, {"stage": 0, "title": "Screening"})
    members = [{"member": "Kim", "role": "chair"}, {"member": "Lee", "role": "member"}]
    post(rounds + "/{number}/panel", {"members": members}, number="1")
    post(rounds + "/{number}/conflicts", {"member": "Lee", "team_code": "A", "reason": "Former employee"}, number="1")
    post(rounds + "/{number}/recusals", {"member": "Kim", "team_code": "D", "reason": "Co-author"}, number="1")
    post(rounds + "/{number}/outcomes", {"outcomes": [{"team_code": "A", "result": "pass", "rank": 1}]}, number="1")
    post(rounds + "/{number}/decision", {"no_selection": True}, number="1")
    held = {"to_stage": 0, "objection_deadline": deadline}
    post(team + "/advancements", held, team="D")
    post(team + "/advancement/reversed", {"reason": "Objection upheld"}, team="D")
    post(team + "/advancements", held, team="E")
    post(team + "/advancement/confirmed", {"reason": "Agreement signed"}, team="E")
