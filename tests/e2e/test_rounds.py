"""Evaluation rounds over HTTP: a round's outcomes for the field in one request, its panel, conflicts and decision.

Each write's happy path, and each rule it can break as a named problem with the
log and every read (the round's too) left as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.e2e.conftest import Api, P, assert_problem

DEADLINE = "2026-01-15T00:00:00+00:00"
ROUNDS = f"/programs/{P}/evaluation-rounds"


def open_round(api: Api, stage: int = 0, **extra: Any) -> int:
    body = {"stage": stage, "title": "Written screening", "reason": "Screening notice", **extra}
    return int(api.ok(ROUNDS, body)["result"]["round"])


def panel(api: Api, number: int = 1, **members: str) -> None:
    seats = [{"member": m, "role": r} for m, r in (members or {"Kim": "chair", "Lee": "member"}).items()]
    api.ok(f"{ROUNDS}/{number}/panel", {"members": seats, "reason": "Panel appointed"})


def round_view(api: Api, number: int = 1) -> dict[str, Any]:
    return dict(api.get(f"{ROUNDS}/{number}"))


@contextmanager
def unchanged(api: Api, *teams: str, number: int = 1) -> Iterator[None]:
    """Nothing stored: the log, the programme's reads and the round's are as they were."""
    before = round_view(api, number)
    with api.unchanged(*teams):
        yield
    assert round_view(api, number) == before


def field(api: Api, *teams: str) -> None:
    for team in teams:
        api.apply(team)


# --- the round and its outcomes --------------------------------------------------------------


def test_a_screening_round_records_the_field_advancing_and_eliminating_in_one_request(api: Api) -> None:
    api.open_program(seats=(3, 2))
    field(api, "A", "B", "C", "D", "E")
    assert open_round(api, criteria=[{"code": "written", "max_points": 100}], gates=["independence"]) == 1
    body = {
        "outcomes": [
            {"team_code": "A", "result": "pass", "scores": {"written": 91}, "rank": 1, "advance_to": 0},
            {"team_code": "B", "result": "pass", "advance_to": 0},
            {"team_code": "C", "result": "pass", "advance_to": 0},
            {"team_code": "D", "result": "fail", "eliminate": "screening", "objection_deadline": DEADLINE},
            {
                "team_code": "E",
                "result": "fail",
                "gates": {"independence": False},
                "eliminate": "failed_gate",
                "objection_deadline": DEADLINE,
            },
        ],
        "reason": "Screening results notice",
    }
    answer = api.ok(f"{ROUNDS}/1/outcomes", body)
    types = [e["type"] for e in answer["events"]]
    assert types.count("RoundOutcomeRecorded") == 5 and types.count("SeatTaken") == 3
    assert types.count("TeamEliminated") == 2 and types[0] == "OutcomesRecorded"
    standings = api.standings()
    assert standings["stages"][0]["holders"] == ["A", "B", "C"]
    a = next(t for t in standings["stages"][0]["teams"] if t["team_code"] == "A")
    assert a["round_outcome"]["scores"] == {"written": "91"} and a["round_outcome"]["rank"] == 1
    e = api.get(f"/programs/{P}/teams/E")
    assert e["status"] == "eliminated" and e["elimination"]["reason_code"] == "failed_gate"
    assert e["round_outcomes"][0] | {"effective_at": None} == {
        "round": 1,
        "stage": 0,
        "result": "fail",
        "scores": {},
        "gates": {"independence": False},
        "rank": None,
        "panel": [],
        "recusals": [],
        "effective_at": None,
    }
    view = round_view(api)
    assert [o["team_code"] for o in view["outcomes"]] == ["A", "B", "C", "D", "E"]  # ranked first
    assert view["criteria"] == [{"code": "written", "name": "written", "max_points": "100"}]
    assert api.get(ROUNDS)["rounds"] == [
        {
            "round": 1,
            "stage": 0,
            "title": "Written screening",
            "opened_at": view["opened_at"],
            "reentry_round": None,
            "decided": False,
        }
    ]


def test_an_advance_without_a_seat_stores_no_outcome_at_all(api: Api) -> None:
    api.open_program(seats=(2, 1))
    field(api, "A", "B", "C")
    open_round(api)
    outcomes = [{"team_code": t, "result": "pass", "advance_to": 0} for t in ("A", "B", "C")]
    with unchanged(api, "A", "B", "C"):
        response = api.post(f"{ROUNDS}/1/outcomes", {"outcomes": outcomes})
    body = assert_problem(response, 409, "seat-unavailable")
    assert "stage 0 (Stage 1)" in body["detail"]


def test_a_team_has_one_outcome_per_round(api: Api) -> None:
    api.open_program()
    field(api, "A")
    open_round(api)
    api.ok(f"{ROUNDS}/1/outcomes", {"outcomes": [{"team_code": "A", "result": "pass"}]})
    with unchanged(api, "A"):
        response = api.post(f"{ROUNDS}/1/outcomes", {"outcomes": [{"team_code": "A", "result": "fail"}]})
    assert_problem(response, 409, "outcome-already-recorded")


@pytest.mark.parametrize(
    ("outcome", "status", "code"),
    [
        ({"scores": {"charisma": 3}}, 422, "invalid-scores"),
        ({"scores": {"benchmark": 41}}, 409, "score-out-of-range"),
        ({"result": "fail", "advance_to": 0}, 422, "invalid-value"),
        ({"eliminate": "screening"}, 422, "invalid-value"),  # no objection deadline
        ({"panel": ["Park"]}, 409, "not-on-panel"),
    ],
)
def test_a_malformed_or_forbidden_outcome_is_refused(api: Api, outcome: dict[str, Any], status: int, code: str) -> None:
    api.open_program()
    field(api, "A", "B")
    open_round(api)
    panel(api)
    outcomes = [{"team_code": "B", "result": "pass"}, {"team_code": "A", **outcome}]
    with unchanged(api, "A", "B"):
        response = api.post(f"{ROUNDS}/1/outcomes", {"outcomes": outcomes})
    assert_problem(response, status, code)


def test_outcomes_of_an_unknown_round_or_team_are_not_found(api: Api) -> None:
    api.open_program()
    field(api, "A")
    open_round(api)
    assert_problem(
        api.post(f"{ROUNDS}/2/outcomes", {"outcomes": [{"team_code": "A"}]}), 404, "evaluation-round-not-found"
    )
    assert_problem(api.post(f"{ROUNDS}/1/outcomes", {"outcomes": [{"team_code": "Z"}]}), 404, "team-not-found")
    assert_problem(api.client.get(f"{ROUNDS}/2"), 404, "evaluation-round-not-found")


def test_opening_a_round_for_an_unknown_stage_is_refused(api: Api) -> None:
    api.open_program()
    with api.unchanged():
        response = api.post(ROUNDS, {"stage": 5, "title": "Nowhere"})
    body = assert_problem(response, 404, "unknown-stage")
    assert "no stage 5 (its stages are 0 to 1)" in body["detail"]


def test_a_rounds_outcomes_fix_the_stages_rules_and_carry_the_rules_version(api: Api) -> None:
    api.open_program(seats=(3, 2))
    field(api, "A", "B")
    open_round(api, criteria=[{"code": "written", "max_points": 100}])
    body = {"outcomes": [{"team_code": "A", "result": "pass"}, {"team_code": "B", "result": "fail"}]}
    events = api.ok(f"{ROUNDS}/1/outcomes", {**body, "reason": "Pass list"})["events"]
    assert [e["type"] for e in events][-1] == "StageEvaluationBegan"  # no seat taken: the outcomes fixed the stage
    assert {e["rules_version"] for e in events} == {1}
    amended = {"name": "Stage 1", "seats": 4, "criteria": [], "gates": [], "reason": "More seats"}
    with api.unchanged("A", "B"):
        refused = api.post(f"/programs/{P}/stages/0/amendments", amended)
    assert_problem(refused, 409, "stage-in-use")


# --- panels, conflicts, recusals ------------------------------------------------------------


def test_a_conflicted_member_cannot_judge_the_team_and_the_record_says_who_sat_and_why(api: Api) -> None:
    api.open_program()
    field(api, "A", "B")
    open_round(api)
    panel(api)
    api.ok(f"{ROUNDS}/1/conflicts", {"member": "Lee", "team_code": "A", "reason": "Former employee of A"})
    with unchanged(api, "A"):
        refused = api.post(f"{ROUNDS}/1/outcomes", {"outcomes": [{"team_code": "A", "panel": ["Kim", "Lee"]}]})
    assert_problem(refused, 409, "conflict-of-interest")
    api.ok(f"{ROUNDS}/1/recusals", {"member": "Kim", "team_code": "B", "reason": "Co-authored with B's lead"})
    api.ok(f"{ROUNDS}/1/outcomes", {"outcomes": [{"team_code": "A", "result": "pass"}, {"team_code": "B"}]})
    a = api.get(f"/programs/{P}/teams/A")
    assert a["round_outcome"]["panel"] == ["Kim"]
    assert a["round_outcome"]["recusals"] == [{"member": "Lee", "kind": "conflict", "reason": "Former employee of A"}]
    assert [(r["member"], r["kind"]) for r in a["recusals"]] == [("Lee", "conflict")]
    b = api.get(f"/programs/{P}/teams/B")
    assert b["round_outcome"]["panel"] == ["Lee"]
    history = api.history(type="MemberRecused")
    assert [(h["data"]["member"], h["data"]["team"], h["reason"]) for h in history] == [
        ("Kim", "B", "Co-authored with B's lead")
    ]
    assert [(s["member"], s["role"]) for s in round_view(api)["panel"]] == [("Kim", "chair"), ("Lee", "member")]


def test_panel_registration_rules(api: Api) -> None:
    api.open_program()
    field(api, "A")
    open_round(api)
    panel(api, Kim="chair")
    again = api.post(f"{ROUNDS}/1/panel", {"members": [{"member": "Kim", "role": "chair"}]})
    assert again.status_code == 200 and again.json()["events"] == []
    with unchanged(api, "A"):
        response = api.post(f"{ROUNDS}/1/panel", {"members": [{"member": "Kim", "role": "member"}]})
    assert_problem(response, 409, "already-on-panel")
    with unchanged(api, "A"):
        stranger = api.post(f"{ROUNDS}/1/conflicts", {"member": "Park", "team_code": "A", "reason": "Shares"})
    assert_problem(stranger, 409, "not-on-panel")
    with unchanged(api, "A"):
        unexplained = api.post(f"{ROUNDS}/1/recusals", {"member": "Kim", "team_code": "A"})
    assert_problem(unexplained, 422, "invalid-value")


# --- the decision ---------------------------------------------------------------------------


def test_a_round_is_decided_once_by_its_vote_and_a_conflicted_member_may_not_vote(api: Api) -> None:
    api.open_program()
    field(api, "A", "B")
    open_round(api)
    panel(api, Kim="chair", Lee="member", Park="member")
    api.ok(f"{ROUNDS}/1/conflicts", {"member": "Park", "team_code": "B", "reason": "Adviser to B"})
    votes = {"Kim": "for", "Lee": "against", "Park": "abstain"}
    with unchanged(api, "A", "B"):
        refused = api.post(f"{ROUNDS}/1/decision", {"selected": ["B"], "votes": votes})
    assert_problem(refused, 409, "conflict-of-interest")
    api.ok(f"{ROUNDS}/1/decision", {"selected": ["A"], "votes": {"Kim": "for", "Lee": "for"}, "reason": "Majority"})
    decision = round_view(api)["decision"]
    assert decision | {"effective_at": None} == {
        "selected": ["A"],
        "no_selection": False,
        "votes": {"Kim": "for", "Lee": "for"},
        "counts": {"for": 2, "against": 0, "abstain": 0},
        "effective_at": None,
        "reason": "Majority",
    }
    with unchanged(api, "A", "B"):
        twice = api.post(f"{ROUNDS}/1/decision", {"no_selection": True})
    assert_problem(twice, 409, "round-already-decided")


def test_no_selection_is_a_valid_decision(api: Api) -> None:
    api.open_program()
    open_round(api)
    api.ok(f"{ROUNDS}/1/decision", {"no_selection": True, "counts": {"for": 3, "against": 2}, "reason": "None fit"})
    decision = round_view(api)["decision"]
    assert (decision["selected"], decision["no_selection"], decision["counts"]) == ([], True, {"for": 3, "against": 2})
    assert round_view(api)["decided"] is True


def test_a_decision_both_selecting_and_not_is_malformed(api: Api) -> None:
    api.open_program()
    field(api, "A")
    open_round(api)
    with unchanged(api, "A"):
        response = api.post(f"{ROUNDS}/1/decision", {"selected": ["A"], "no_selection": True})
    assert_problem(response, 422, "invalid-value")


NEW_PROBLEMS = (
    "evaluation-round-not-found",
    "stage-concluded",
    "no-pending-advancement",
    "advancement-final",
    "not-on-panel",
    "already-on-panel",
    "conflict-of-interest",
    "outcome-already-recorded",
    "round-already-decided",
)


def test_every_new_problem_type_says_what_to_do(api: Api) -> None:
    described = api.get("/problems")
    for code in NEW_PROBLEMS:
        description = described[code]
        assert description.endswith(".") and " " in description, (code, description)
        assert api.get(f"/problems/{code}") == {"type": f"/problems/{code}", "description": description}
    assert "recorded" in described["effective-time"]


def test_a_round_decision_guarded_by_a_stale_etag_is_refused(api: Api) -> None:
    api.open_program()
    open_round(api)
    first = api.client.get(f"{ROUNDS}/1")
    assert first.headers["ETag"] == '"1"'
    panel(api)
    assert api.client.get(f"{ROUNDS}/1").headers["ETag"] == '"3"'  # two members, two events
    with unchanged(api):
        response = api.post(f"{ROUNDS}/1/decision", {"no_selection": True}, **{"If-Match": first.headers["ETag"]})
    assert_problem(response, 412, "precondition-failed")
    api.ok(f"{ROUNDS}/1/decision", {"no_selection": True}, **{"If-Match": '"3"'})
