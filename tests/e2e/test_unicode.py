"""Korean names survive every hop unchanged, as NFC: request → stored event → read models → CLI.

Names typed on some systems arrive decomposed (NFD: conjoining jamo); the registry
stores NFC so that visually equal names compare equal. A code in Hangul is a
valid team code and works in URLs.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from typer.testing import CliRunner

from api import cli
from api.bootstrap import Services
from tests.e2e.conftest import Api, P

TEAM = "한빛"
NAME = "한빛 AI"
LEAD = "한빛 주식회사"
MEMBERS = ["카이스트", "서울대학교"]


def nfd(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text  # otherwise the test would prove nothing
    return decomposed


def korean_team(api: Api) -> dict[str, Any]:
    api.open_program()
    response = api.ok(
        f"/programs/{P}/teams",
        {
            "team_code": nfd(TEAM),
            "name_ko": nfd(NAME),
            "name_en": "Hanbit AI",
            "lead_organisation": nfd(LEAD),
            "members": [nfd(m) for m in MEMBERS],
            "reason": nfd("접수 완료"),
        },
    )
    api.advance(TEAM, 0)
    return response


def test_a_decomposed_korean_name_is_stored_and_answered_as_nfc(api: Api, services: Services) -> None:
    response = korean_team(api)
    assert response["events"][0]["data"]["name_ko"] == NAME
    assert response["events"][0]["reason"] == "접수 완료"
    stored = services.registry.candidacy(P, TEAM)
    assert (stored.team_code, stored.name_ko, stored.lead_organisation, stored.members) == (TEAM, NAME, LEAD, MEMBERS)


def test_korean_names_come_back_unchanged_from_every_read_model(api: Api) -> None:
    korean_team(api)
    record = api.get(f"/programs/{P}/teams/{TEAM}")
    assert (record["team_code"], record["name_ko"], record["lead_organisation"]) == (TEAM, NAME, LEAD)
    assert record["members"] == MEMBERS
    standings = api.standings()
    assert standings["title_ko"] == "시험 사업"
    (entry,) = standings["stages"][0]["teams"]
    assert (entry["team_code"], entry["name_ko"], entry["members"]) == (TEAM, NAME, MEMBERS)
    assert standings["stages"][0]["holders"] == [TEAM]
    history = api.history(team=TEAM)
    assert [e["event_type"] for e in history] == ["ApplicationSubmitted", "TeamAdvanced", "SeatTaken"]
    assert history[0]["data"]["name_ko"] == NAME
    assert history[0]["data"]["members"] == MEMBERS
    assert history[0]["reason"] == "접수 완료"


def test_a_decomposed_team_code_in_the_url_finds_the_team(api: Api) -> None:
    korean_team(api)
    path = f"/programs/{P}/teams/{nfd(TEAM)}"
    assert (
        api.post(
            f"{path}/grants",
            {"resource": "krw:data", "quantity": 5, "period_start": "2026-01-01", "period_end": "2026-06-30"},
        ).status_code
        == 201
    )
    assert api.get(path)["name_ko"] == NAME
    assert [e["event_type"] for e in api.history(team=nfd(TEAM))][-2:] == ["FundingGranted", "FundsCommitted"]


def korean_programme(api: Api) -> None:
    body = {
        "program_code": nfd("독자-AI"),
        "title_ko": nfd("독자 AI 파운데이션 모델"),
        "title_en": "Sovereign AI",
        "agency": nfd("과학기술정보통신부"),
        "stages": [{"name": nfd("1차 단계"), "seats": 2}],
        "finalist_count": 1,
    }
    api.ok("/programs", body)


def test_a_korean_programme_is_listed_in_nfc(api: Api) -> None:
    korean_programme(api)
    listed = {p["program_code"]: p for p in api.get("/programs")}
    assert listed["독자-AI"]["title_ko"] == "독자 AI 파운데이션 모델"
    assert listed["독자-AI"]["agency"] == "과학기술정보통신부"
    assert api.get("/programs/독자-AI/standings")["stages"][0]["name"] == "1차 단계"


def test_a_decomposed_programme_code_in_the_url_finds_the_programme(api: Api) -> None:
    korean_programme(api)
    path = f"/programs/{nfd('독자-AI')}"
    application = {"team_code": "A", "name_ko": "가", "name_en": "A", "lead_organisation": "A Inc."}
    assert api.post(f"{path}/teams", application).status_code == 201
    assert api.get(f"{path}/standings")["program_code"] == "독자-AI"
    assert api.get(f"{path}/teams/A")["team_code"] == "A"
    assert [e["event_type"] for e in api.get(f"{path}/history")["events"]] == ["ProgramOpened", "ApplicationSubmitted"]


@pytest.mark.parametrize("store", ["sqlite"])  # the CLI opens the same SQLite file as the API
def test_the_cli_prints_the_korean_names_as_stored(api: Api, services: Services) -> None:
    korean_team(api)
    result = CliRunner().invoke(cli.app, ["standings", P, "--database-url", services.settings.database_url])
    assert result.exit_code == 0, result.output
    assert "시험 사업" in result.output
    assert TEAM in result.output and NAME in result.output
    assert unicodedata.normalize("NFD", NAME) not in result.output
    assert "1 of 3 seats held, 2 vacant" in result.output
