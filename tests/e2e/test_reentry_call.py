"""The re-entry round as an open call over HTTP: applications, statements without an offer, the window moved,
the panel's selection, and a lapsed offer that no longer locks a team out.

Each new route's happy path, and each rule it can break as a named problem with the log and every read (the
round's view too) left as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.e2e.conftest import Api, P, assert_problem
from tests.e2e.test_decisions import recorded

ROUND = f"/programs/{P}/re-entry-rounds/1"
CLOSES = "2026-01-31T00:00:00+00:00"  # when round 1 closes
SOURCE = {"url": "https://news.example/kakao-declines", "title": "Kakao will not apply"}


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest) -> str:
    """The rules are the domain's, the same on every store: the embedded one here (the story below runs on all)."""
    return str(request.param)


@pytest.fixture
def call(api: Api) -> Api:
    """Stage 1 has two seats and one holder (B); A is finally eliminated from stage 0; C holds a stage-0 seat.

    Round 1 refills one stage-1 seat: eliminated teams and new entrants may apply from 1 to 31 January.
    """
    api.open_program(seats=(3, 2))
    api.seat("A", "C")
    api.seat("B", stage=1)
    api.eliminate("A")
    api.team("A", "elimination/upheld", {"reason": "Objection rejected"})
    api.open_round(stage=1, seats=1, eligibility=("eliminated", "new_entrants"))
    return api


def round_view(api: Api) -> dict[str, Any]:
    return dict(api.get(ROUND))


@contextmanager
def unchanged(api: Api, *teams: str) -> Iterator[None]:
    before = round_view(api)
    with api.unchanged(*teams):
        yield
    assert round_view(api) == before


def apply(api: Api, team: str, **body: Any) -> Any:
    return api.post(f"{ROUND}/applications", {"team_code": team, "reason": "Application received", **body})


NEW_ENTRANT = {"name_ko": "모티프", "name_en": "Motif", "lead_organisation": "Motif Technologies"}


def panel_round(api: Api) -> None:
    body = {"stage": 1, "title": "Re-entry selection", "reentry_round": 1, "reason": "Panel convened"}
    assert api.ok(f"/programs/{P}/evaluation-rounds", body)["result"] == {"round": 1}
    seats = [{"member": m, "role": "member"} for m in ("Kim", "Lee", "Park")]
    api.ok(f"/programs/{P}/evaluation-rounds/1/panel", {"members": seats, "reason": "Panel appointed"})


def decide(api: Api, *selected: str) -> Any:
    body = {"selected": list(selected), "counts": {"for": 2, "against": 1, "abstain": 0}, "reason": "Panel majority"}
    return api.post(f"/programs/{P}/evaluation-rounds/1/decision", body)


# --- applications and the panel's selection ------------------------------------------------------


@pytest.mark.parametrize(
    "store", ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_an_eliminated_team_with_a_new_consortium_and_a_new_entrant_apply_and_the_panel_selects_one(
    call: Api,
) -> None:
    api = call
    consortium = {"lead_organisation": "A Holdings", "members": ["KAIST", "Rebellions"]}
    recorded(api, apply(api, "A", **consortium), "RoundApplicationSubmitted")
    recorded(api, apply(api, "N", **NEW_ENTRANT), "ApplicationSubmitted", "RoundApplicationSubmitted")
    panel_round(api)
    outcomes = [
        {"team_code": "A", "result": "fail", "scores": {"benchmark": 20}},
        {"team_code": "N", "result": "pass", "rank": 1},
    ]
    api.ok(f"/programs/{P}/evaluation-rounds/1/outcomes", {"outcomes": outcomes, "reason": "Panel scores"})
    decided = recorded(api, decide(api, "N"), "EvaluationRoundDecided", "ReEntrySelected", "SeatTaken")
    assert decided["events"][1]["data"] == {"round": 1, "stage": 1, "evaluation_round": 1}
    view = round_view(api)
    assert view["filled"] == 1
    assert [(a["team_code"], a["state"]) for a in view["applications"]] == [("A", "pending"), ("N", "selected")]
    assert view["applications"][0]["members"] == ["KAIST", "Rebellions"]
    n = api.get(f"/programs/{P}/teams/N")
    assert (n["status"], n["stage"], n["reentrant"]) == ("active", 1, True)
    assert [a["state"] for a in n["round_applications"]] == ["selected"]
    a = api.get(f"/programs/{P}/teams/A")
    assert (a["lead_organisation"], a["members"], a["status"]) == ("A Holdings", ["KAIST", "Rebellions"], "eliminated")
    assert api.standings()["stages"][1]["holders"] == ["B", "N"]
    types = [e["event_type"] for e in api.history(team="N")]
    assert types == [
        "ApplicationSubmitted",
        "RoundApplicationSubmitted",
        "RoundOutcomeRecorded",
        "ReEntrySelected",
        "SeatTaken",
    ]
    assert api.get(f"/programs/{P}/evaluation-rounds/1")["reentry_round"] == 1


def test_no_selection_seats_no_one(call: Api) -> None:
    api = call
    apply(api, "A")
    panel_round(api)
    body = {"no_selection": True, "counts": {"for": 3, "against": 0, "abstain": 0}, "reason": "No one fit"}
    recorded(api, api.post(f"/programs/{P}/evaluation-rounds/1/decision", body), "EvaluationRoundDecided")
    assert round_view(api)["filled"] == 0 and round_view(api)["applications"][0]["state"] == "pending"


@pytest.mark.parametrize(
    ("team", "body", "status", "code"),
    [
        ("C", {}, 409, "not-eligible"),  # holds a seat: neither eliminated nor new
        ("A", {"effective_at": "2026-02-01T00:00:00+00:00"}, 409, "effective-time"),  # in the future
        ("N", {"name_ko": "엔", "name_en": "N"}, 422, "invalid-value"),  # a new entrant needs its lead
        ("A", {"seats": 2}, 422, "invalid-request"),
    ],
)
def test_an_application_that_breaks_a_rule_is_refused_and_changes_nothing(
    call: Api, team: str, body: dict[str, Any], status: int, code: str
) -> None:
    with unchanged(call, "A", "C"):
        assert_problem(apply(call, team, **body), status, code)


def test_a_team_applies_once_and_only_within_the_window(call: Api) -> None:
    api = call
    apply(api, "A")
    with unchanged(api, "A"):
        assert_problem(apply(api, "A"), 409, "duplicate-application")
    api.clock.advance(days=30)  # 4 February: the round closed on 31 January
    with unchanged(api, "A"):
        assert_problem(apply(api, "N", **NEW_ENTRANT), 409, "round-closed")
    with unchanged(api):
        assert_problem(
            api.post(f"/programs/{P}/re-entry-rounds/9/applications", {"team_code": "A"}), 404, "round-not-found"
        )


def test_the_panel_cannot_select_a_team_that_did_not_apply_nor_more_than_the_seats(call: Api) -> None:
    api = call
    apply(api, "N", **NEW_ENTRANT)
    apply(api, "M", **{**NEW_ENTRANT, "lead_organisation": "M Corp"})
    panel_round(api)
    with unchanged(api, "A", "N", "M"):
        assert_problem(decide(api, "A"), 409, "not-an-applicant")
        assert_problem(decide(api, "N", "M"), 409, "seat-unavailable")


# --- statements without an offer ----------------------------------------------------------------


def test_a_public_decline_without_an_offer_shows_in_the_round_the_record_and_history(call: Api) -> None:
    api = call
    body = {
        "team_code": "A",
        "kind": "declined",
        "form": "press_report",
        "reason": "A will not apply to the re-entry call",
        "sources": [SOURCE],
    }
    answer = recorded(api, api.post(f"{ROUND}/statements", body), "RoundStatementMade")
    assert answer["result"] == {"statement": 1}
    [stated] = round_view(api)["statements"]
    assert (stated["team_code"], stated["kind"], stated["form"], stated["sources"]) == (
        "A",
        "declined",
        "press_report",
        [SOURCE],
    )
    assert stated["words"] == "A will not apply to the re-entry call"
    assert api.get(f"/programs/{P}/teams/A")["statements"] == [stated]
    assert round_view(api)["filled"] == 0 and api.get(f"/programs/{P}/teams/A")["status"] == "eliminated"
    [event] = api.history(type="RoundStatementMade")
    assert event["sources"] == [SOURCE] and event["data"]["kind"] == "declined"


def test_a_withdrawn_application_cannot_be_selected(call: Api) -> None:
    api = call
    apply(api, "A")
    body = {"team_code": "A", "kind": "withdrew_application", "form": "formal_letter", "reason": "Withdrawn"}
    recorded(api, api.post(f"{ROUND}/statements", body), "RoundStatementMade")
    assert round_view(api)["applications"][0]["state"] == "withdrawn"
    panel_round(api)
    with unchanged(api, "A"):
        assert_problem(decide(api, "A"), 409, "not-an-applicant")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"team_code": "A", "kind": "withdrew_application", "form": "formal_letter"}, 409, "not-an-applicant"),
        ({"team_code": "A", "kind": "declined", "form": "public_statement", "reason": ""}, 422, "invalid-value"),
        ({"team_code": "A", "kind": "refused", "form": "public_statement"}, 422, "invalid-request"),
        ({"team_code": "ZZ", "kind": "declined", "form": "public_statement"}, 404, "team-not-found"),
    ],
)
def test_a_statement_that_breaks_a_rule_is_refused_and_changes_nothing(
    call: Api, body: dict[str, Any], status: int, code: str
) -> None:
    with unchanged(call, "A"):
        assert_problem(call.post(f"{ROUND}/statements", {"reason": "Said so", **body}), status, code)


# --- the window moves ------------------------------------------------------------------------------


def test_an_extended_round_takes_an_application_after_its_first_deadline(call: Api) -> None:
    api = call
    api.clock.advance(hours=2)  # the round opened at 09:00 on 5 January; extended at 11:00
    body = {"closes_at": "2026-02-14T00:00:00+00:00", "reason": "Deadline extended", "sources": [SOURCE]}
    recorded(api, api.post(f"{ROUND}/extensions", body), "ReEntryRoundExtended")
    before = api.get(ROUND, as_of="2026-01-05T10:00:00+00:00")
    assert (before["closes_at"], before["last_change"]) == ("2026-01-31T00:00:00.000000+00:00", "opened")
    [moved] = api.history(type="ReEntryRoundExtended")
    assert (moved["reason"], moved["sources"]) == ("Deadline extended", [SOURCE])
    view = round_view(api)
    assert (view["closes_at"], view["first_closes_at"]) == (
        "2026-02-14T00:00:00.000000+00:00",
        "2026-01-31T00:00:00.000000+00:00",
    )
    assert (view["last_change"], view["last_change_reason"]) == ("extended", "Deadline extended")
    api.clock.advance(days=30)  # 4 February: after the first deadline, before the new one
    recorded(api, apply(api, "A"), "RoundApplicationSubmitted")
    again = api.post(f"{ROUND}/extensions", body)
    assert again.status_code == 200 and again.json()["events"] == []


def test_a_round_closed_early_takes_no_later_application(call: Api) -> None:
    api = call
    body = {"closes_at": "2026-01-10T00:00:00+00:00", "reason": "Enough applications"}
    recorded(api, api.post(f"{ROUND}/early-closures", body), "ReEntryRoundClosedEarly")
    assert round_view(api)["last_change"] == "closed_early"
    api.clock.advance(days=6)
    with unchanged(api, "A"):
        assert_problem(apply(api, "A"), 409, "round-closed")


@pytest.mark.parametrize(
    ("action", "body", "status", "code"),
    [
        ("extensions", {"closes_at": "2026-01-20T00:00:00+00:00", "reason": "x"}, 422, "invalid-value"),
        ("extensions", {"closes_at": "2026-02-14T00:00:00+00:00"}, 422, "invalid-value"),  # no reason
        ("early-closures", {"closes_at": "2026-02-14T00:00:00+00:00", "reason": "x"}, 422, "invalid-value"),
        ("early-closures", {"closes_at": "2026-01-02T00:00:00+00:00", "reason": "x"}, 422, "invalid-value"),
        ("extensions", {"closes_at": "2026-02-14T00:00:00"}, 422, "invalid-request"),  # no time zone
    ],
)
def test_a_wrong_window_change_is_refused_and_changes_nothing(
    call: Api, action: str, body: dict[str, Any], status: int, code: str
) -> None:
    with unchanged(call):
        assert_problem(call.post(f"{ROUND}/{action}", body), status, code)


def test_a_closed_round_cannot_be_extended_nor_an_unknown_one_moved(call: Api) -> None:
    api = call
    api.clock.advance(days=30)
    body = {"closes_at": "2026-02-14T00:00:00+00:00", "reason": "Too late"}
    with unchanged(api):
        assert_problem(api.post(f"{ROUND}/extensions", body), 409, "round-closed")
        assert_problem(api.post(f"/programs/{P}/re-entry-rounds/9/extensions", body), 404, "round-not-found")
        assert_problem(api.client.get(f"/programs/{P}/re-entry-rounds/9"), 404, "round-not-found")


# --- a lapsed offer (regression) --------------------------------------------------------------------


def test_a_lapsed_offer_does_not_lock_the_team_out_of_the_round(call: Api) -> None:
    api = call
    first = {"round": 1, "deadline": "2026-01-03T00:00:00+00:00", "effective_at": "2026-01-02T00:00:00+00:00"}
    api.team("A", "offers", first)
    second = recorded(
        api, api.post(f"/programs/{P}/teams/A/offers", {"round": 1, "deadline": CLOSES}), "ReEntryOffered"
    )
    assert second["result"] == {"offer": 2}
    with unchanged(api, "A"):
        assert_problem(api.post(f"/programs/{P}/teams/A/offers/1/acceptance", {}), 409, "offer-expired")
    recorded(api, api.post(f"/programs/{P}/teams/A/offers/2/acceptance", {}), "OfferAccepted", "SeatTaken")
