"""Accepted decisions over HTTP: 201 with the events recorded and their log position; 200 for a no-op.

Every write endpoint is exercised once, and each reply (built as plain data, ``api.deps.recorded_response``)
is held to the documented ``RecordedResponse``. A decision that touches a seat or a budget
records one event on the team and one on the programme, in that order, in one
response. The caller's ``X-Request-ID`` and ``X-Actor`` are stored on every event.
"""

from __future__ import annotations

from typing import Any

from httpx2 import Response

from api.schemas import RecordedResponse
from tests.e2e.conftest import GATES, OPENED, SCORES, Api, P

TEAM = f"/programs/{P}/teams"


def recorded(api: Api, response: Response, *types: str) -> dict[str, Any]:
    """201, the named events in order, and a position that is the new head of the log."""
    assert response.status_code == 201, response.text
    body = dict(response.json())
    assert RecordedResponse.model_validate(body, strict=True).model_dump(mode="json") == body  # as documented
    assert [e["type"] for e in body["events"]] == list(types)
    positions = [e["position"] for e in body["events"]]
    assert positions == sorted(set(positions))
    assert body["position"] == positions[-1] == api.services.projector.head()
    assert response.headers["x-log-position"] == str(body["position"])
    return body


def nothing_recorded(api: Api, response: Response, head: int) -> None:
    assert response.status_code == 200, response.text
    assert RecordedResponse.model_validate(response.json(), strict=True).model_dump(mode="json") == response.json()
    assert response.json()["events"] == []
    assert response.json()["position"] is None
    assert "x-log-position" not in response.headers
    assert api.services.projector.head() == head


def test_opening_a_programme_and_increasing_a_budget(api: Api) -> None:
    opened = recorded(
        api,
        api.client.post(
            "/programs",
            json={
                "program_code": P,
                "title_ko": "시험",
                "title_en": "Test",
                "agency": "MSIT",
                "finalist_count": 1,
                "stages": [{"name": "Only", "seats": 2}],
                "budgets": {"gpu:B200": 10},
                "effective_at": OPENED,
            },
        ),
        "ProgramOpened",
    )
    assert opened["events"][0]["data"]["code"] == P
    assert opened["events"][0]["effective_at"] == "2025-12-01T00:00:00.000000+00:00"
    recorded(api, api.post(f"/programs/{P}/budget-increases", {"resource": "gpu:B200", "amount": 5}), "BudgetIncreased")
    recorded(api, api.post(f"/programs/{P}/budget-increases", {"resource": "gpu:H100", "amount": 7}), "BudgetIncreased")
    budgets = {b["resource"]: b["budget"] for b in api.get(f"/programs/{P}/funding")["budgets"]}
    assert budgets == {"gpu:B200": 15, "gpu:H100": 7}


def test_a_team_applies_changes_its_consortium_is_evaluated_and_advances(api: Api) -> None:
    api.open_program()
    application = {"team_code": "A", "name_ko": "가", "name_en": "A", "lead_organisation": "A Inc.", "members": ["X"]}
    recorded(api, api.post(TEAM, application), "ApplicationSubmitted")
    change = recorded(
        api, api.post(f"{TEAM}/A/consortium-changes", {"joined": ["Y"], "left": ["X"]}), "ConsortiumChanged"
    )
    assert change["events"][0]["data"] == {"joined": ["Y"], "left": ["X"]}
    seated = recorded(api, api.post(f"{TEAM}/A/advancements", {"to_stage": 0}), "TeamAdvanced", "SeatTaken")
    assert seated["events"][0]["data"] == {"from_stage": None, "to_stage": 0}
    assert seated["events"][1]["data"] == {"team": "A", "stage": 0, "left_stage": None, "round": None}
    evaluation = {"stage": 0, "scores": SCORES, "gates": GATES, "panel": ["Chair"]}
    recorded(api, api.post(f"{TEAM}/A/evaluations", evaluation), "EvaluationRecorded")
    amendment = {"scores": {**SCORES, "user": 21}, "gates": GATES, "reason": "Arithmetic error"}
    recorded(api, api.post(f"{TEAM}/A/evaluations/1/amendments", amendment), "EvaluationAmended")
    moved = recorded(api, api.post(f"{TEAM}/A/advancements", {"to_stage": 1}), "TeamAdvanced", "SeatTaken")
    assert moved["events"][1]["data"]["left_stage"] == 0
    record = api.get(f"{TEAM}/A")
    assert (record["status"], record["stage"], record["members"]) == ("active", 1, ["Y"])
    assert record["evaluations"][0]["total"] == "81" and record["evaluations"][0]["amended"]


def test_an_elimination_is_reversed_or_upheld(api: Api) -> None:
    api.open_program()
    api.seat("A", "B")
    deadline = {"reason_code": "failed_gate", "objection_deadline": "2026-01-15T00:00:00+00:00"}
    recorded(api, api.post(f"{TEAM}/A/eliminations", {**deadline, "reason": "Gate"}), "TeamEliminated", "SeatReleased")
    recorded(
        api,
        api.post(f"{TEAM}/A/elimination/reversed", {"reason": "Objection upheld"}),
        "EliminationReversed",
        "SeatTaken",
    )
    recorded(api, api.post(f"{TEAM}/B/eliminations", {**deadline, "reason": "Gate"}), "TeamEliminated", "SeatReleased")
    recorded(api, api.post(f"{TEAM}/B/elimination/upheld", {"reason": "Objection rejected"}), "EliminationUpheld")
    stage = api.standings()["stages"][0]
    assert stage["holders"] == ["A"]
    assert api.get(f"{TEAM}/B")["elimination"]["final"] is True


def test_a_re_entry_round_offers_and_answers(api: Api) -> None:
    api.open_program()
    api.seat("A", "B")
    api.eliminate("A")
    api.eliminate("B")
    body = {
        "stage": 1,
        "seats": 1,
        "eligibility": ["eliminated"],
        "opens_at": "2026-01-01T00:00:00+00:00",
        "closes_at": "2026-01-31T00:00:00+00:00",
    }
    opened = recorded(api, api.post(f"/programs/{P}/re-entry-rounds", body), "ReEntryRoundOpened")
    assert opened["result"] == {"round": 1}
    offer = {"round": 1, "deadline": "2026-01-20T00:00:00+00:00"}
    assert recorded(api, api.post(f"{TEAM}/A/offers", offer), "ReEntryOffered")["result"] == {"offer": 1}
    assert recorded(api, api.post(f"{TEAM}/B/offers", offer), "ReEntryOffered")["result"] == {"offer": 1}
    recorded(api, api.post(f"{TEAM}/A/offers/1/declination", {"reason": "No, thanks"}), "OfferDeclined")
    accepted = recorded(
        api, api.post(f"{TEAM}/B/offers/1/acceptance", {"reason": "We accept"}), "OfferAccepted", "SeatTaken"
    )
    assert accepted["events"][1]["data"] == {"team": "B", "stage": 1, "left_stage": None, "round": 1}
    standings = api.standings()
    assert standings["stages"][1]["holders"] == ["B"]
    assert standings["rounds"][0]["filled"] == 1
    assert api.get(f"{TEAM}/B")["reentrant"] is True


def test_funding_is_granted_and_returned(api: Api) -> None:
    api.open_program(budgets={"gpu:B200": 1000})
    api.seat("A")
    grant = {"resource": "gpu:B200", "quantity": 600, "period_start": "2026-01-01", "period_end": "2026-06-30"}
    recorded(api, api.post(f"{TEAM}/A/grants", grant), "FundingGranted", "FundsCommitted")
    recorded(
        api,
        api.post(f"{TEAM}/A/returns", {"resource": "gpu:B200", "quantity": 200}),
        "FundingReturned",
        "FundsReleased",
    )
    funding = api.get(f"/programs/{P}/funding")
    assert funding["budgets"] == [
        {"resource": "gpu:B200", "budget": 1000, "allocated": 400, "remaining": 600, "pool": None}
    ]
    assert funding["teams"] == [{"team_code": "A", "resource": "gpu:B200", "granted": 600, "returned": 200, "net": 400}]


def test_a_seated_team_withdraws_and_frees_its_seat_an_applicant_just_withdraws(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.apply("B")
    recorded(
        api, api.post(f"{TEAM}/A/withdrawal", {"reason": "Merging with another team"}), "TeamWithdrew", "SeatReleased"
    )
    recorded(api, api.post(f"{TEAM}/B/withdrawal"), "TeamWithdrew")
    assert api.standings()["stages"][0]["vacancies"] == 3


def test_finalists_are_selected(api: Api) -> None:
    api.open_program(seats=(3, 2), finalists=2)
    api.seat("A", "B", stage=1)
    selected = recorded(api, api.post(f"/programs/{P}/finalists", {"teams": ["B", "A"]}), "FinalistsSelected")
    assert selected["events"][0]["data"] == {"teams": ["A", "B"]}
    assert api.standings()["finalists"] == ["A", "B"]


# --- no-ops ---------------------------------------------------------------------------------


def test_a_decision_that_changes_nothing_answers_200_with_no_events(api: Api) -> None:
    api.open_program(seats=(3, 2), finalists=1)
    api.seat("A", stage=1)
    api.evaluate("A", stage=1)
    api.ok(f"/programs/{P}/finalists", {"teams": ["A"]})
    api.team("A", "consortium-changes", {"joined": ["X"]})
    head = api.services.projector.head()
    with api.unchanged("A"):
        nothing_recorded(api, api.post(f"{TEAM}/A/consortium-changes", {"joined": ["X"]}), head)
        nothing_recorded(api, api.post(f"{TEAM}/A/consortium-changes", {}), head)
        nothing_recorded(api, api.post(f"/programs/{P}/finalists", {"teams": ["A"]}), head)
        restated = {"scores": SCORES, "gates": GATES}
        nothing_recorded(api, api.post(f"{TEAM}/A/evaluations/1/amendments", restated), head)


# --- who and which request ----------------------------------------------------------------------


def test_the_request_id_and_the_authenticated_actor_are_stored_on_every_event(api: Api) -> None:
    api.open_program()
    api.apply("A")
    response = api.post(f"{TEAM}/A/advancements", {"to_stage": 0, "reason": "Selected"}, **{"X-Request-ID": "req-7f3a"})
    body = recorded(api, response, "TeamAdvanced", "SeatTaken")
    stored = [e for e in api.history() if e["position"] in {e["position"] for e in body["events"]}]
    assert [e["event_type"] for e in stored] == ["TeamAdvanced", "SeatTaken"]
    for event in [*body["events"], *stored]:
        assert (event["correlation_id"], event["actor"]) == ("req-7f3a", api.actor)
        assert event["reason"] == "Selected"
        assert event["recorded_at"] == event["effective_at"] == "2026-01-05T09:00:00.000000+00:00"


def test_without_a_request_id_each_request_gets_its_own(api: Api) -> None:
    api.open_program()
    first = api.apply("A")["events"][0]
    second = api.apply("B")["events"][0]
    assert first["correlation_id"] and second["correlation_id"]
    assert first["correlation_id"] != second["correlation_id"]
    history = {e["position"]: (e["correlation_id"], e["actor"]) for e in api.history(type="ApplicationSubmitted")}
    assert history == {
        first["position"]: (first["correlation_id"], api.actor),
        second["position"]: (second["correlation_id"], api.actor),
    }


def test_every_answer_carries_the_request_id_its_events_record(api: Api) -> None:
    api.open_program()
    given = api.post(
        f"/programs/{P}/teams",
        {"team_code": "G", "name_ko": "지", "name_en": "G", "lead_organisation": "L"},
        **{"X-Request-ID": "trace-42"},
    )
    assert given.headers["x-request-id"] == "trace-42"
    generated = api.post(
        f"/programs/{P}/teams", {"team_code": "H", "name_ko": "에이치", "name_en": "H", "lead_organisation": "L"}
    )
    request_id = generated.headers["x-request-id"]
    assert len(request_id) == 32
    assert [e["correlation_id"] for e in generated.json()["events"]] == [request_id]
    assert api.client.get("/health").headers["x-request-id"]
