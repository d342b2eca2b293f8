"""Requests the registry must refuse before any rule is weighed: bad dates, unknown names, bad input.

Effective times after the decision was recorded or before the programme opened are
409 ``effective-time`` (well formed, but the records forbid them); unknown programmes
and teams are 404; a second application is 409; input that does not match the schema
is 422 ``invalid-request`` naming the field; a wrong method is 405. Each is a problem document, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import GATES, OPENED, SCORES, Api, P, assert_problem

FUTURE = "2026-01-05T09:00:01+00:00"  # one second after the test clock's "now"
BEFORE_OPENING = "2025-11-30T23:59:59+00:00"
GRANT = {"resource": "gpu:B200", "quantity": 10, "period_start": "2026-01-01", "period_end": "2026-06-30"}
APPLICATION = {"team_code": "NEW", "name_ko": "새 팀", "name_en": "New team", "lead_organisation": "New Inc."}
# path and body of a decision that would be accepted with a valid effective time
DECISIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "apply": (f"/programs/{P}/teams", APPLICATION),
    "advance": (f"/programs/{P}/teams/B/advancements", {"to_stage": 0}),
    "evaluate": (f"/programs/{P}/teams/A/evaluations", {"stage": 0, "scores": SCORES, "gates": GATES}),
    "grant": (f"/programs/{P}/teams/A/grants", GRANT),
    "withdraw": (f"/programs/{P}/teams/A/withdrawal", {}),
    "budget": (f"/programs/{P}/budget-increases", {"resource": "gpu:B200", "amount": 5}),
    "round": (
        f"/programs/{P}/re-entry-rounds",
        {
            "stage": 1,
            "seats": 1,
            "eligibility": ["eliminated"],
            "opens_at": "2026-01-01T00:00:00+00:00",
            "closes_at": "2026-01-31T00:00:00+00:00",
        },
    ),
}


@pytest.fixture
def running(api: Api) -> Api:
    """A programme with A seated in stage 1 and B applied."""
    api.open_program()
    api.seat("A")
    api.apply("B")
    return api


# --- effective time ---------------------------------------------------------------------


@pytest.mark.parametrize("decision", sorted(DECISIONS))
def test_a_decision_dated_after_it_was_recorded_or_before_the_opening_is_refused(running: Api, decision: str) -> None:
    where, body = DECISIONS[decision]
    for when in (BEFORE_OPENING, FUTURE, "2026-01-05T18:00:01+09:00"):  # the last is also one second after now
        with running.unchanged("A", "B"):
            response = running.post(where, {**body, "effective_at": when})
        assert_problem(response, 409, "effective-time")
    assert running.post(where, {**body, "effective_at": OPENED}).status_code == 201  # the bound itself is fine


def test_a_programme_cannot_be_opened_in_the_future(running: Api) -> None:
    body = {
        "program_code": "LATER",
        "title_ko": "나중",
        "title_en": "Later",
        "agency": "MSIT",
        "stages": [{"name": "Only", "seats": 1}],
        "finalist_count": 1,
        "effective_at": FUTURE,
    }
    with running.unchanged("A"):
        response = running.post("/programs", body)
    assert_problem(response, 409, "effective-time")


# --- unknown programmes and teams ------------------------------------------------------------


def test_reading_an_unknown_programme_is_not_found(running: Api) -> None:
    for where in (
        "/programs/NOPE",
        "/programs/NOPE/standings",
        "/programs/NOPE/funding",
        "/programs/NOPE/history",
        "/programs/NOPE/teams/A",
    ):
        assert_problem(running.client.get(where), 404, "program-not-found")


def test_deciding_in_an_unknown_programme_is_not_found(running: Api) -> None:
    with running.unchanged("A"):
        applied = running.post("/programs/NOPE/teams", APPLICATION)
        advanced = running.post("/programs/NOPE/teams/A/advancements", {"to_stage": 0})
        budget = running.post("/programs/NOPE/budget-increases", {"resource": "gpu:B200", "amount": 5})
    for response in (applied, advanced, budget):
        assert_problem(response, 404, "program-not-found")


def test_an_unknown_team_is_not_found(running: Api) -> None:
    assert_problem(running.client.get(f"/programs/{P}/teams/GHOST"), 404, "team-not-found")
    with running.unchanged("A"):
        advanced = running.post(f"/programs/{P}/teams/GHOST/advancements", {"to_stage": 0})
        granted = running.post(f"/programs/{P}/teams/GHOST/grants", GRANT)
        finalists = running.post(f"/programs/{P}/finalists", {"teams": ["GHOST"]})
    assert_problem(advanced, 404, "team-not-found")
    assert_problem(granted, 404, "team-not-found")
    assert_problem(finalists, 409, "finalist-not-in-last-stage")


def test_an_unknown_round_is_not_found(running: Api) -> None:
    with running.unchanged("A"):
        response = running.post(f"/programs/{P}/teams/A/offers", {"round": 3, "deadline": FUTURE})
    assert_problem(response, 404, "round-not-found")


# --- duplicates --------------------------------------------------------------------------


def test_a_team_applies_to_a_programme_once(running: Api) -> None:
    with running.unchanged("B"):
        response = running.post(f"/programs/{P}/teams", {**APPLICATION, "team_code": "B"})
    assert_problem(response, 409, "duplicate-application")


def test_a_programme_is_opened_once(running: Api) -> None:
    body = {
        "program_code": P,
        "title_ko": "다시",
        "title_en": "Again",
        "agency": "MSIT",
        "stages": [{"name": "Only", "seats": 1}],
        "finalist_count": 1,
    }
    with running.unchanged("A"):
        response = running.post("/programs", body)
    assert_problem(response, 409, "program-already-opened")


# --- malformed input ---------------------------------------------------------------------


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


MALFORMED: dict[str, tuple[str, dict[str, Any], str]] = {  # case: (path, JSON text, a field the problem must name)
    "unknown field": (f"/programs/{P}/teams", {**APPLICATION, "colour": "red"}, "colour"),
    "missing field": (f"/programs/{P}/teams", without(APPLICATION, "name_en"), "name_en"),
    "naive effective_at": (
        f"/programs/{P}/teams",
        {**APPLICATION, "effective_at": "2026-01-02T10:00:00"},
        "effective_at",
    ),
    "naive deadline": (
        f"/programs/{P}/teams/A/eliminations",
        {"reason_code": "below_cutoff", "objection_deadline": "2026-01-15T00:00:00", "reason": "Lowest"},
        "objection_deadline",
    ),
    "negative quantity": (f"/programs/{P}/teams/A/grants", {**GRANT, "quantity": -5}, "quantity"),
    "zero quantity": (f"/programs/{P}/teams/A/grants", {**GRANT, "quantity": 0}, "quantity"),
    "fractional quantity": (f"/programs/{P}/teams/A/grants", {**GRANT, "quantity": 1.5}, "quantity"),
    "negative score": (
        f"/programs/{P}/teams/A/evaluations",
        {"stage": 0, "scores": {**SCORES, "user": -1}, "gates": GATES},
        "user",
    ),
    "unknown reason code": (
        f"/programs/{P}/teams/A/eliminations",
        {"reason_code": "dislike", "objection_deadline": "2026-01-15T00:00:00+00:00", "reason": "x"},
        "reason_code",
    ),
    "bad team code": (f"/programs/{P}/teams", {**APPLICATION, "team_code": "no spaces"}, "team_code"),
}
RAW = {  # case: (path, raw body text)
    "NaN score": (
        f"/programs/{P}/teams/A/evaluations",
        '{"stage": 0, "scores": {"benchmark": NaN, "expert": 30, "user": 20}, "gates": {"independence": true}}',
    ),
    "Infinity quantity": (
        f"/programs/{P}/teams/A/grants",
        '{"resource": "gpu:B200", "quantity": Infinity, "period_start": "2026-01-01", "period_end": "2026-06-30"}',
    ),
    "malformed JSON": (f"/programs/{P}/teams", '{"team_code": "X", "name_ko": '),
    "not an object": (f"/programs/{P}/teams", "[1, 2, 3]"),
    "empty body": (f"/programs/{P}/teams/A/grants", ""),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_input_that_does_not_match_the_schema_is_refused(running: Api, case: str) -> None:
    where, body, field = MALFORMED[case]
    with running.unchanged("A"):
        response = running.post(where, body)
    problem = assert_problem(response, 422, "invalid-request")
    assert any(field in issue["location"] for issue in problem["errors"]), problem


def test_a_nul_character_in_text_is_refused_on_every_store(running: Api) -> None:
    """PostgreSQL text cannot hold U+0000, so the registry must refuse it up front, on every store alike."""
    quiet = TestClient(running.client.app, headers=dict(running.client.headers), raise_server_exceptions=False)
    before = running.snapshot(("A",))
    named = quiet.post(f"/programs/{P}/teams", json={**APPLICATION, "name_ko": "새\u0000팀"})
    reasoned = quiet.post(f"/programs/{P}/teams/A/withdrawal", json={"reason": "Leaving\u0000"})
    for response in (named, reasoned):
        assert response.status_code == 422, response.text
        assert response.json()["type"] in {"/problems/invalid-request", "/problems/invalid-value"}
    assert running.snapshot(("A",)) == before


def test_a_nul_character_in_a_path_or_query_is_answered_not_a_server_error(running: Api) -> None:
    quiet = TestClient(running.client.app, headers=dict(running.client.headers), raise_server_exceptions=False)
    assert_problem(quiet.get("/programs/%00/standings"), 404, "program-not-found")
    assert_problem(quiet.get(f"/programs/{P}/teams/%00"), 404, "team-not-found")
    for query in ("team=%00", "type=%00"):
        response = quiet.get(f"/programs/{P}/history?{query}")
        assert response.status_code in (200, 422), response.text  # no such events, or a refused filter
        assert response.status_code == 422 or response.json()["events"] == []


def test_a_body_that_is_not_valid_json_of_the_right_shape_is_refused(running: Api) -> None:
    for where, text in RAW.values():
        with running.unchanged("A"):
            response = running.client.post(where, content=text, headers={"content-type": "application/json"})
        assert_problem(response, 422, "invalid-request")


def test_a_malformed_query_is_refused(running: Api) -> None:
    for query in ("limit=0", "limit=1001", "cursor=-1", "effective_from=2026-01-01T00:00:00", "recorded_to=yesterday"):
        assert_problem(running.client.get(f"/programs/{P}/history?{query}"), 422, "invalid-request")


def test_a_malformed_path_parameter_is_refused(running: Api) -> None:
    with running.unchanged("A"):
        response = running.post(f"/programs/{P}/teams/A/evaluations/first/amendments", {"scores": SCORES})
    assert_problem(response, 422, "invalid-request")


# --- methods -----------------------------------------------------------------------------


WRONG_METHODS = [  # method, path, the methods the path does allow
    ("DELETE", f"/programs/{P}", {"GET"}),
    ("PUT", f"/programs/{P}/teams/A", {"GET"}),
    ("GET", f"/programs/{P}/teams/A/grants", {"POST"}),
    ("PATCH", "/programs", {"GET", "POST"}),
]


def test_a_wrong_method_is_a_405_problem(running: Api) -> None:
    for method, where, allowed in WRONG_METHODS:
        with running.unchanged("A"):
            response = running.client.request(method, where, json={})
        assert_problem(response, 405, "method-not-allowed")
        # Starlette names only the first route's methods when two routes share a path (GET and
        # POST /programs are two routes), so Allow may list fewer than the path allows, never others.
        listed = set(response.headers["allow"].split(", "))
        assert listed and listed <= allowed
        assert method not in listed
