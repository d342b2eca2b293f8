"""Applications and consortia: who applies, with which members, and how membership changes."""

from __future__ import annotations

from typing import Any

import pytest

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from tests.unit.bdd import PROGRAM, T0, day, eliminated, facts, on, opened, refused, seated, when


def submit(program: Program, n: float = 1, **overrides: Any) -> Candidacy:
    application: dict[str, object] = {
        "team_code": "upstage",
        "name_ko": "업스테이지 컨소시엄",
        "name_en": "Upstage consortium",
        "lead_organisation": "Upstage",
        "members": ["Upstage", "KAIST", "Nota AI", "KAIST"],
    }
    return Candidacy.submit(on(n), program, **{**application, **overrides})


# --- submit -------------------------------------------------------------------------------


def test_an_application_records_the_team_its_names_and_its_members() -> None:
    program = opened()
    team = submit(program, excluded_resources=["gpu:B200 "])
    assert facts(team.collect_events()) == [
        (
            "ApplicationSubmitted",
            {
                "program_code": PROGRAM,
                "team_code": "upstage",
                "name_ko": "업스테이지 컨소시엄",
                "name_en": "Upstage consortium",
                "lead_organisation": "Upstage",
                "members": ["KAIST", "Nota AI"],  # the lead is not its own member; repeats collapse
                "stage": 0,
                "excluded_resources": ["gpu:B200"],
                "contact": "",
            },
        )
    ]
    assert (team.status, team.applied_at, team.id) == ("applied", day(1), Candidacy.id_for(PROGRAM, "upstage"))


def test_decomposed_korean_names_are_stored_composed() -> None:
    program = opened()
    decomposed = "\u1112\u1161\u11ab\u1100\u116e\u11a8"  # 한국 as conjoining jamo
    team = submit(program, team_code=decomposed, name_ko=decomposed + " AI")
    assert (team.team_code, team.name_ko) == ("한국", "한국 AI")
    assert team.id == Candidacy.id_for(PROGRAM, "한국")


def test_an_application_names_a_stage_of_the_programme() -> None:
    program = opened(seats=(5, 4))
    assert submit(program, stage=1).stage == 1
    with pytest.raises(errors.UnknownStageError):
        submit(program, stage=2)


def test_an_application_cannot_take_effect_before_the_programme_opened() -> None:
    program = opened()
    with pytest.raises(errors.EffectiveTimeError):
        Candidacy.submit(
            on(-1, recorded=1),
            program,
            team_code="lg",
            name_ko="엘지",
            name_en="LG",
            lead_organisation="LG",
            members=[],
        )
    assert on(0).effective_at == T0  # the opening instant itself is allowed
    assert submit(program, 0).applied_at == T0


@pytest.mark.parametrize("overrides", [{"team_code": "up stage"}, {"name_en": ""}, {"lead_organisation": " "}])
def test_a_malformed_application_is_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(errors.InvalidValueError):
        submit(opened(), **overrides)


# --- change_consortium --------------------------------------------------------------------


def test_members_join_and_leave() -> None:
    program = opened()
    team = submit(program)
    events = when(lambda: team.change_consortium(on(3), program, ["SK Telecom", "KAIST"], ["Nota AI"]), program, team)
    assert facts(events) == [("ConsortiumChanged", {"joined": ["SK Telecom"], "left": ["Nota AI"]})]
    assert team.members == ["KAIST", "SK Telecom"]


def test_a_change_that_changes_nothing_records_nothing() -> None:
    program = opened()
    team = submit(program)
    assert when(lambda: team.change_consortium(on(3), program, ["KAIST", "Nota AI"], []), program, team) == []
    assert when(lambda: team.change_consortium(on(3), program, [], []), program, team) == []
    assert team.members == ["KAIST", "Nota AI"]


def test_the_lead_organisation_joining_changes_nothing() -> None:
    program = opened()
    team = submit(program)
    assert when(lambda: team.change_consortium(on(3), program, ["Upstage"], []), program, team) == []
    assert team.members == ["KAIST", "Nota AI"]


@pytest.mark.parametrize("left", [["Upstage"], ["Seoul National University"]])
def test_only_a_current_member_other_than_the_lead_can_leave(left: list[str]) -> None:
    program = opened()
    team = submit(program)
    refused(errors.MembershipError, lambda: team.change_consortium(on(3), program, [], left), program, team)


def test_a_consortium_has_at_most_a_hundred_members() -> None:
    program = opened()
    team = submit(program)
    crowd = [f"member {i}" for i in range(99)]
    refused(errors.MembershipError, lambda: team.change_consortium(on(3), program, crowd, []), program, team)


def test_a_withdrawn_or_finally_eliminated_team_cannot_change_its_consortium() -> None:
    program = opened()
    gone = seated(program, "lg")
    gone.withdraw(on(5), program)
    refused(errors.TeamInactiveError, lambda: gone.change_consortium(on(6), program, ["KT"], []), program, gone)
    out = eliminated(program, "naver", at=10, deadline=20)
    refused(errors.TeamInactiveError, lambda: out.change_consortium(on(21), program, ["KT"], []), program, out)
