"""Korean and decomposed names survive the store: what goes in as NFD comes back NFC, on every store."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pytest

from api.bootstrap import Services
from domain import errors
from domain.candidacy import Candidacy
from domain.commands import AdvanceTeam, OpenProgram, SubmitApplication
from projections.standings import program_standings
from tests.application.story import PROGRAM, ctx, open_programme
from tests.conftest import Clock

HANGUL = "한국어 모델 연구소"
NFD_HANGUL = unicodedata.normalize("NFD", HANGUL)
LATIN = "Société Générale d'IA"
NFD_LATIN = unicodedata.normalize("NFD", LATIN)


def test_decomposed_names_round_trip_composed(services: Services, clock: Clock) -> None:
    assert NFD_HANGUL != HANGUL and NFD_LATIN != LATIN
    registry = services.registry
    open_programme(registry, clock)
    registry.submit_application(
        ctx(clock),
        SubmitApplication(
            program_code=PROGRAM,
            team_code=unicodedata.normalize("NFD", "한국-société"),
            name_ko=NFD_HANGUL,
            name_en=NFD_LATIN,
            lead_organisation=NFD_HANGUL,
            members=[NFD_LATIN, "서울대학교"],
        ),
    )
    team = registry.candidacy(PROGRAM, "한국-société")
    assert (team.team_code, team.name_ko, team.name_en, team.lead_organisation) == (
        "한국-société",
        HANGUL,
        LATIN,
        HANGUL,
    )
    assert team.members == [LATIN, "서울대학교"]
    assert all(unicodedata.is_normalized("NFC", s) for s in (team.team_code, team.name_ko, *team.members))
    assert registry.candidacy(PROGRAM, unicodedata.normalize("NFD", "한국-société")).id == team.id


def test_korean_programme_and_team_codes_are_stored_and_found(services: Services, clock: Clock) -> None:
    registry = services.registry
    registry.open_program(
        ctx(clock),
        OpenProgram(
            program_code="독자-ai",
            title_ko="독자 AI 파운데이션 모델",
            title_en="Sovereign AI",
            agency="과학기술정보통신부",
            stages=[{"name": "1차", "seats": 2}],
            budgets={"gpu:B200": 10},
            finalist_count=1,
        ),
    )
    registry.submit_application(
        ctx(clock),
        SubmitApplication(
            program_code="독자-ai",
            team_code="엘지",
            name_ko="엘지 AI 연구원",
            name_en="LG AI Research",
            lead_organisation="엘지",
            members=["카이스트"],
        ),
    )
    registry.advance_team(ctx(clock), AdvanceTeam(program_code="독자-ai", team_code="엘지", to_stage=0))
    program = registry.program(unicodedata.normalize("NFD", "독자-ai"))
    assert (program.code, program.title_ko, program.agency, program.holders) == (
        "독자-ai",
        "독자 AI 파운데이션 모델",
        "과학기술정보통신부",
        [{"엘지"}],
    )
    assert registry.candidacy("독자-ai", "엘지").name_ko == "엘지 AI 연구원"


def test_a_duplicate_application_under_the_other_normal_form_is_refused(services: Services, clock: Clock) -> None:
    registry = services.registry
    open_programme(registry, clock)
    application = SubmitApplication(
        program_code=PROGRAM, team_code="café", name_ko="카페", name_en="Café", lead_organisation="Café"
    )
    registry.submit_application(ctx(clock), application)
    head = services.projector.head()
    with pytest.raises(errors.DuplicateApplicationError):
        registry.submit_application(ctx(clock), replace(application, team_code="cafe\u0301"))
    assert services.projector.head() == head
    assert Candidacy.id_for(PROGRAM, "cafe\u0301") == registry.candidacy(PROGRAM, "café").id


def test_names_read_back_from_the_standings_are_composed(services: Services, clock: Clock) -> None:
    registry = services.registry
    open_programme(registry, clock)
    registry.submit_application(
        ctx(clock),
        SubmitApplication(
            program_code=PROGRAM,
            team_code="hangul",
            name_ko=NFD_HANGUL,
            name_en=NFD_LATIN,
            lead_organisation="Lead",
            members=[NFD_LATIN],
        ),
    )
    services.projector.catch_up()
    standings = program_standings(services.db, PROGRAM, clock())
    assert standings is not None
    [applicant] = standings["applicants"]
    assert (applicant["name_ko"], applicant["name_en"], applicant["members"]) == (HANGUL, LATIN, [LATIN])
