"""A programme as it really runs, over HTTP: announced, calls with windows, stages added and amended, sources.

Each new write is shown accepted (201 with its events) and refused (problem+json, the log and every read
unchanged); the reads show the calls and rules version in force at a past moment, and the sources of each
decision in the history, its export and the team's record.
"""

from __future__ import annotations

from typing import Any

from api.keys import NewKey
from tests.e2e.conftest import CRITERIA, OPENED, Api, P, assert_problem

SOURCE = {"url": "https://www.msit.go.kr/notice/1", "title": "Call for applications"}


def announce(api: Api, **extra: Any) -> dict[str, Any]:
    body = {
        "program_code": P,
        "title_ko": "시험 사업",
        "title_en": "Test programme",
        "agency": "MSIT",
        "budgets": {"gpu:B200": 1000},
        "finalist_count": 1,
        "effective_at": OPENED,
        "reason": "Budget plan announced",
        "sources": [SOURCE],
        **extra,
    }
    return api.ok("/announcements", body)


def stage(seats: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": "Stage 1", "seats": seats, "criteria": CRITERIA, "gates": ["independence"], **extra}


def with_call(api: Api) -> None:
    announce(api)
    api.ok(f"/programs/{P}/stages", {**stage(), "effective_at": "2025-12-02T00:00:00+00:00"})
    call = {
        "stage": 0,
        "opens_at": "2025-12-10T00:00:00+00:00",
        "closes_at": "2025-12-20T09:00:00+00:00",
        "effective_at": "2025-12-03T00:00:00+00:00",
        "reason": "Call opened",
    }
    api.ok(f"/programs/{P}/calls", call)


def test_announcing_a_programme_records_it_with_its_sources(api: Api) -> None:
    body = announce(api)
    [event] = body["events"]
    assert (event["type"], event["rules_version"], event["sources"]) == ("ProgramAnnounced", 1, [SOURCE])
    standings = api.standings()
    assert (standings["announced"], standings["rules_version"], standings["stages"]) == (True, 1, [])


def test_announcing_twice_is_refused(api: Api) -> None:
    announce(api)
    with api.unchanged():
        assert_problem(api.post("/announcements", announce_body()), 409, "program-already-opened")


def announce_body() -> dict[str, Any]:
    return {"program_code": P, "title_ko": "a", "title_en": "a", "agency": "a", "finalist_count": 1}


def test_an_application_inside_the_call_is_taken_and_a_late_one_refused(api: Api) -> None:
    with_call(api)
    api.apply("A", effective_at="2025-12-15T00:00:00+00:00")
    with api.unchanged("A"):
        late = api.post(f"/programs/{P}/teams", application("B", "2025-12-20T09:00:01+00:00"))
    assert_problem(late, 409, "call-closed")
    with api.unchanged("A"):
        early = api.post(f"/programs/{P}/teams", application("B", "2025-12-09T00:00:00+00:00"))
    assert_problem(early, 409, "call-not-open")


def application(team: str, at: str) -> dict[str, Any]:
    return {
        "team_code": team,
        "name_ko": team,
        "name_en": team,
        "lead_organisation": f"{team} Inc.",
        "effective_at": at,
    }


def test_an_extension_shows_in_history_and_as_of(api: Api) -> None:
    with_call(api)
    moved = {"closes_at": "2025-12-24T18:00:00+00:00", "effective_at": "2025-12-19T00:00:00+00:00", "reason": "Moved"}
    body = api.ok(f"/programs/{P}/calls/0/extensions", moved)
    assert [e["type"] for e in body["events"]] == ["CallExtended"]
    api.apply("B", effective_at="2025-12-22T00:00:00+00:00")
    [call] = api.standings()["calls"]
    assert (call["closes_at"], call["first_closes_at"], call["last_change"]) == (
        "2025-12-24T18:00:00.000000+00:00",
        "2025-12-20T09:00:00.000000+00:00",
        "extended",
    )
    before = api.get(f"/programs/{P}/standings", as_of="2025-12-18T00:00:00+00:00")
    assert before["calls"][0]["closes_at"] == "2025-12-20T09:00:00.000000+00:00"
    assert before["calls"][0]["open"] is True
    assert [e["event_type"] for e in api.history(type="CallExtended")] == ["CallExtended"]


def test_an_early_close_refuses_applications_after_it(api: Api) -> None:
    with_call(api)
    closed = {"closes_at": "2025-12-15T00:00:00+00:00", "effective_at": "2025-12-14T00:00:00+00:00"}
    api.ok(f"/programs/{P}/calls/0/early-closures", closed)
    with api.unchanged():
        response = api.post(f"/programs/{P}/teams", application("C", "2025-12-16T00:00:00+00:00"))
    assert_problem(response, 409, "call-closed")
    assert api.standings()["calls"][0]["last_change"] == "closed_early"


def test_moving_a_call_that_is_closed_or_missing_is_refused(api: Api) -> None:
    with_call(api)
    with api.unchanged():
        late = api.post(f"/programs/{P}/calls/0/extensions", {"closes_at": "2025-12-30T00:00:00+00:00"})
        missing = api.post(f"/programs/{P}/calls/0/early-closures", {"closes_at": "2025-12-30T00:00:00+00:00"})
        overlap = api.post(
            f"/programs/{P}/calls",
            {"opens_at": "2025-12-15T00:00:00+00:00", "closes_at": "2025-12-30T00:00:00+00:00"},
        )
    assert_problem(late, 409, "call-closed")  # recorded now, after the call closed
    assert_problem(missing, 422, "invalid-value")  # closing later is not closing early
    assert_problem(overlap, 409, "call-overlap")


def test_a_stage_amended_before_use_makes_a_new_rules_version_shown_as_of(api: Api) -> None:
    with_call(api)
    amended = {**stage(seats=4), "effective_at": "2025-12-05T00:00:00+00:00", "reason": "Seats raised"}
    response = api.post(f"/programs/{P}/stages/0/amendments", amended)
    assert response.status_code == 201, response.text
    [event] = response.json()["events"]
    assert (event["type"], event["rules_version"]) == ("StageAmended", 3)
    now = api.standings()
    assert (now["rules_version"], now["stages"][0]["seats"]) == (3, 4)
    then = api.get(f"/programs/{P}/standings", as_of="2025-12-04T00:00:00+00:00")
    assert (then["rules_version"], then["stages"][0]["seats"]) == (2, 3)
    api.apply("A", effective_at="2025-12-15T00:00:00+00:00")
    assert api.get(f"/programs/{P}/teams/A")["rules_version"] == 3
    judged = [(e["event_type"], e["rules_version"]) for e in api.history(rules_version=3)]
    assert judged == [("StageAmended", 3), ("ApplicationSubmitted", 3)]
    assert [e["event_type"] for e in api.history(rules_version=2)] == ["StageAdded", "CallOpened"]


def test_amending_a_stage_after_its_first_evaluation_is_refused(api: Api) -> None:
    with_call(api)
    api.apply("A", effective_at="2025-12-15T00:00:00+00:00")
    body = api.evaluate("A")
    assert [e["type"] for e in body["events"]] == ["EvaluationRecorded", "StageEvaluationBegan"]
    assert api.get(f"/programs/{P}/teams/A")["evaluations"][0]["rules_version"] == 2
    with api.unchanged("A"):
        response = api.post(f"/programs/{P}/stages/0/amendments", stage(seats=5))
    assert_problem(response, 409, "stage-in-use")


def test_adding_a_stage_to_a_programme_that_does_not_exist_is_refused(api: Api) -> None:
    announce(api)
    with api.unchanged():
        assert_problem(api.post("/programs/NOPE/stages", stage()), 404, "program-not-found")


def test_sources_show_in_the_history_its_export_and_the_team_record(api: Api) -> None:
    api.open_program()
    document = {"document": "MSIT-2025-123", "title": "Selection notice"}
    api.apply("A", sources=[document, SOURCE])
    [event] = api.history(team="A")
    assert event["sources"] == [document, SOURCE]
    assert event["rules_version"] == 1
    assert api.get(f"/programs/{P}/teams/A")["sources"] == [document, SOURCE]
    export = api.client.get(f"/programs/{P}/history/export", params={"format": "csv"}).text
    assert "MSIT-2025-123" in export.splitlines()[-1]
    assert export.splitlines()[0].endswith("rules_version,sources")


def test_sources_beyond_their_bounds_are_refused(api: Api) -> None:
    api.open_program()
    for sources in (
        [SOURCE] * 11,
        [{"url": "https://x.example/" + "a" * 2000, "title": "long"}],
        [{"url": "ftp://x.example/", "title": "not http"}],
        [{"title": "names nothing"}],
        [{"url": "https://x.example/", "document": "D-1", "title": "names both"}],
        [{"url": "https://x.example/", "title": "t" * 301}],
        [{"url": "https://x.example/", "title": "t", "extra": 1}],
    ):
        with api.unchanged():
            response = api.post(f"/programs/{P}/teams", {**application("A", OPENED), "sources": sources})
        assert response.status_code == 422, (sources, response.text)


def test_the_web_timeline_shows_sources_and_rules_versions(api: Api, admin_key: NewKey) -> None:
    announce(api, sources=[SOURCE, {"document": "MSIT-2025-7", "title": "Budget <plan>"}])
    api.client.cookies.set("registry_key", admin_key.secret)
    page = api.client.get(f"/ui/programs/{P}").text
    timeline = page[page.index('id="timeline"') :]
    assert '<a href="https://www.msit.go.kr/notice/1" rel="noopener noreferrer">Call for applications</a>' in timeline
    assert '<span class="document">MSIT-2025-7</span> Budget &lt;plan&gt;' in timeline
    assert "rules v1" in timeline


def test_every_new_problem_type_is_described(api: Api) -> None:
    described = api.get("/problems")
    new = ("call-closed", "call-not-open", "call-overlap", "stage-in-use", "last-stage-too-small", "too-many-stages")
    for code in (*new, "panel-full"):
        assert len(described[code]) > 40 and described[code].endswith("."), code
