"""Advancements over HTTP: provisional until an objection deadline, confirmed or reversed; concluded stages;
stages named by the API's index and their name; dates outside the programme are rule breaks (409)."""

from __future__ import annotations

from tests.e2e.conftest import Api, P, assert_problem

DEADLINE = "2026-01-15T00:00:00+00:00"


def path(team: str, action: str) -> str:
    return f"/programs/{P}/teams/{team}/{action}"


def test_a_provisional_advancement_holds_the_seat_until_it_is_confirmed(api: Api) -> None:
    api.open_program(seats=(2, 1))
    api.apply("A")
    answer = api.team("A", "advancements", {"to_stage": 0, "objection_deadline": DEADLINE})
    assert [e["type"] for e in answer["events"]] == ["TeamAdvanced", "AdvancementProvisional", "SeatTaken"]
    record = api.get(f"/programs/{P}/teams/A")
    stored = "2026-01-15T00:00:00.000000+00:00"  # read models keep times to the microsecond
    assert record["advancement"] == {"stage": 0, "objection_deadline": stored, "state": "provisional", "final": False}
    assert api.standings()["stages"][0]["holders"] == ["A"]
    confirmed = api.team("A", "advancement/confirmed", {"reason": "Agreement signed"})
    assert [e["type"] for e in confirmed["events"]] == ["AdvancementConfirmed"]
    assert api.get(f"/programs/{P}/teams/A")["advancement"]["final"] is True
    with api.unchanged("A"):
        again = api.post(path("A", "advancement/confirmed"))
    assert_problem(again, 409, "no-pending-advancement")


def test_reversing_a_provisional_advancement_frees_the_seat(api: Api) -> None:
    api.open_program(seats=(1, 1))
    api.apply("A")
    api.apply("B")
    api.team("A", "advancements", {"to_stage": 0, "objection_deadline": DEADLINE})
    api.team("A", "advancement/reversed", {"reason": "Objection upheld"})
    standings = api.standings()
    assert standings["stages"][0]["holders"] == [] and standings["stages"][0]["vacancies"] == 1
    a = api.get(f"/programs/{P}/teams/A")
    assert (a["status"], a["stage"], a["advancement"]["state"]) == ("applied", 0, "reversed")
    api.advance("B", 0)  # the freed seat is there for another team
    with api.unchanged("A", "B"):
        again = api.post(path("A", "advancement/reversed"))
    assert_problem(again, 409, "no-pending-advancement")


def test_an_advancement_past_its_deadline_is_final(api: Api) -> None:
    api.open_program(seats=(2, 1))
    api.apply("A")
    api.team("A", "advancements", {"to_stage": 0, "objection_deadline": "2026-01-06T00:00:00+00:00"})
    api.clock.advance(days=2)
    with api.unchanged("A"):
        response = api.post(path("A", "advancement/reversed"))
    assert_problem(response, 409, "advancement-final")
    assert api.get(f"/programs/{P}/teams/A")["advancement"]["final"] is True


def test_an_advancement_without_a_deadline_is_final_at_once(api: Api) -> None:
    api.open_program()
    api.apply("A")
    answer = api.advance("A", 0)
    assert [e["type"] for e in answer["events"]] == ["TeamAdvanced", "SeatTaken"]
    assert api.get(f"/programs/{P}/teams/A")["advancement"] is None
    with api.unchanged("A"):
        response = api.post(path("A", "advancement/reversed"))
    assert_problem(response, 409, "no-pending-advancement")


def test_an_objection_deadline_before_the_advance_is_malformed(api: Api) -> None:
    api.open_program()
    api.apply("A")
    with api.unchanged("A"):
        response = api.post(path("A", "advancements"), {"to_stage": 0, "objection_deadline": "2025-12-02T00:00:00Z"})
    assert_problem(response, 422, "invalid-value")


def test_a_concluded_stage_takes_no_new_teams_and_shows_no_vacancy(api: Api) -> None:
    api.open_program(seats=(3, 2), finalists=1)
    api.seat("A", stage=1)
    api.ok(f"/programs/{P}/finalists", {"teams": ["A"]})
    api.apply("LATE")
    with api.unchanged("LATE"):
        response = api.post(path("LATE", "advancements"), {"to_stage": 0})
    body = assert_problem(response, 409, "stage-concluded")
    assert "stage 0 (Stage 1)" in body["detail"]
    stages = api.standings()["stages"]
    assert [(s["concluded"], s["vacancies"]) for s in stages] == [(True, 0), (True, 0)]


def test_messages_name_stages_by_the_apis_index_and_their_name(api: Api) -> None:
    api.open_program(seats=(3, 1))
    api.seat("A", stage=1)
    api.seat("B")
    response = api.post(path("B", "advancements"), {"to_stage": 1})
    assert assert_problem(response, 409, "seat-unavailable")["detail"] == "stage 1 (Stage 2) has no vacant seat"
    wrong = api.post(path("B", "advancements"), {"to_stage": 0})
    assert (
        "(active, stage 0 (Stage 1)) cannot move to stage 0 (Stage 1)"
        in assert_problem(wrong, 409, "wrong-stage")["detail"]
    )


def test_a_decision_dated_before_the_programme_opened_is_a_rule_break(api: Api) -> None:
    api.open_program()
    api.apply("A")
    with api.unchanged("A"):
        response = api.post(path("A", "advancements"), {"to_stage": 0, "effective_at": "2025-11-30T00:00:00+00:00"})
    assert_problem(response, 409, "effective-time")
