"""Standings served from stored documents: the same answer as the rows give, an ETag, 304, the clock, rebuilds."""

from __future__ import annotations

from typing import Any

from api.bootstrap import Services
from projections import documents
from projections.rebuild import rebuild
from tests.conftest import Clock
from tests.e2e.conftest import Api, P

STANDINGS = f"/programs/{P}/standings"


def stored(services: Services) -> list[dict[str, Any]]:
    with services.db.transaction(write=False) as cur:
        cur.execute(f"SELECT * FROM {documents.TABLE} ORDER BY program_code")
        return [dict(row) for row in cur.fetchall()]


def forget_documents(services: Services) -> None:
    with services.db.transaction() as cur:
        documents.clear(cur)


def a_programme_in_play(api: Api) -> None:
    api.open_program()
    api.seat("A", "B", "C")
    api.evaluate("A")
    api.apply("D")
    api.eliminate("C")


def test_the_stored_document_answers_exactly_what_the_rows_do(api: Api, services: Services) -> None:
    a_programme_in_play(api)
    assert [d["program_code"] for d in stored(services)] == [P]
    from_document = api.client.get(STANDINGS)
    forget_documents(services)
    from_rows = api.client.get(STANDINGS)
    assert from_document.status_code == from_rows.status_code == 200
    assert from_document.json() == from_rows.json()
    assert from_document.headers["ETag"] == from_rows.headers["ETag"]


def test_the_etag_names_the_programme_version_and_last_position(api: Api, services: Services) -> None:
    a_programme_in_play(api)
    head = services.projector.head()
    version = api.standings()["version"]
    tag = api.client.get(STANDINGS).headers["ETag"]
    assert tag.startswith(f'"{version}.{head}.')


def test_if_none_match_answers_304_until_a_decision_changes_the_standings(api: Api) -> None:
    a_programme_in_play(api)
    tag = api.client.get(STANDINGS).headers["ETag"]
    unchanged = api.client.get(STANDINGS, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304
    assert unchanged.headers["ETag"] == tag and unchanged.content == b""
    assert api.client.get(STANDINGS, headers={"If-None-Match": f'W/{tag}, "other"'}).status_code == 304
    api.evaluate("B")  # a team's decision: the programme's version stays, its standings change
    changed = api.client.get(STANDINGS, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert any(t["evaluation"] for s in changed.json()["stages"] for t in s["teams"] if t["team_code"] == "B")


def test_a_stale_if_none_match_gets_the_whole_answer(api: Api) -> None:
    a_programme_in_play(api)
    answer = api.client.get(STANDINGS, headers={"If-None-Match": '"1.1.0"'})
    assert answer.status_code == 200 and answer.json()["program_code"] == P


def test_a_document_is_not_served_once_the_clock_passes_a_deadline_in_it(api: Api, clock: Clock) -> None:
    a_programme_in_play(api)  # C's objection deadline is 2026-01-15; the clock says 2026-01-05
    before = api.client.get(STANDINGS)
    assert team(before.json(), "C")["elimination"]["final"] is False
    clock.advance(days=20)
    after = api.client.get(STANDINGS)
    assert team(after.json(), "C")["elimination"]["final"] is True
    assert after.headers["ETag"] != before.headers["ETag"]
    assert api.client.get(STANDINGS, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200


def test_an_advancement_becomes_final_when_its_objection_deadline_passes(api: Api, clock: Clock) -> None:
    api.open_program()
    api.apply("A")
    api.team("A", "advancements", {"to_stage": 0, "objection_deadline": "2026-01-08T00:00:00+00:00"})
    assert team(api.standings(), "A")["advancement"]["final"] is False
    clock.advance(days=5)
    assert team(api.standings(), "A")["advancement"]["final"] is True


def test_as_of_answers_come_from_the_rows_and_carry_no_etag(api: Api) -> None:
    a_programme_in_play(api)
    past = api.client.get(STANDINGS, params={"as_of": "2025-12-02T00:00:00+00:00"})
    assert past.status_code == 200
    assert "ETag" not in past.headers
    assert [t["team_code"] for t in past.json()["applicants"]] == []


def test_if_match_with_a_standings_etag_guards_a_programme_decision(api: Api) -> None:
    a_programme_in_play(api)
    tag = api.client.get(STANDINGS).headers["ETag"]
    body = {"resource": "gpu:B200", "amount": 10, "reason": "More GPUs"}
    assert api.post(f"/programs/{P}/budget-increases", body, **{"If-Match": tag}).status_code == 201
    assert api.post(f"/programs/{P}/budget-increases", body, **{"If-Match": tag}).status_code == 412


def test_a_rebuild_writes_the_same_documents(api: Api, services: Services) -> None:
    a_programme_in_play(api)
    live = stored(services)
    rebuild(services.projector)
    assert stored(services) == live


def test_an_unknown_programme_is_404_with_or_without_documents(api: Api) -> None:
    a_programme_in_play(api)
    assert api.client.get("/programs/NOPE-1/standings").status_code == 404


def team(standings: dict[str, Any], code: str) -> dict[str, Any]:
    teams = [*standings["applicants"], *(t for s in standings["stages"] for t in s["teams"])]
    return next(t for t in teams if t["team_code"] == code)
