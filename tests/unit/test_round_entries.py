"""Re-entry rounds as open calls: applications in the window, statements without offers, windows that move,
and the panel's selection seating the applicants it chooses."""

from __future__ import annotations

import pytest

from domain import errors
from domain.candidacy import Candidacy, TeamStatus
from domain.program import Program
from domain.rounds import EvaluationRound
from tests.unit.bdd import (
    applied,
    day,
    eliminated,
    facts,
    given,
    in_round,
    names,
    on,
    opened,
    refused,
    seated,
    when,
)


def vacant_stage_two() -> Program:
    """Stage 2 (index 1) has four seats and three incumbents: one seat is vacant."""
    program = opened(seats=(5, 4))
    for team in ("lg", "upstage", "skt"):
        seated(program, team, stage=1)
    return program


def open_call(program: Program, **fields: object) -> int:
    """Round 1: one seat of stage 1, eliminated teams, applicants and new entrants eligible, day 30 to 40."""
    eligibility = ("eliminated", "applicants", "new_entrants")
    return in_round(program, eligibility=fields.pop("eligibility", eligibility), **fields)  # type: ignore[arg-type]


def apply(team: Candidacy, program: Program, n: float = 32, **consortium: object) -> None:
    team.apply_to_round(
        on(n),
        program,
        round_number=1,
        lead_organisation=consortium.get("lead"),  # type: ignore[arg-type]
        members=consortium.get("members"),  # type: ignore[arg-type]
    )


def new_entrant(program: Program, code: str = "motif", n: float = 33) -> Candidacy:
    team = Candidacy.submit(
        on(n),
        program,
        team_code=code,
        name_ko=f"{code} 컨소시엄",
        name_en=f"{code} consortium",
        lead_organisation=f"{code} Technologies",
        members=[f"{code} University"],
        stage=1,
        through_round=True,
    )
    apply(team, program, n)
    return team


# --- applying to a round ---------------------------------------------------------------------


def test_a_finally_eliminated_team_applies_with_a_new_consortium() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao", at=10, deadline=20)  # final after day 20
    open_call(program)
    events = when(lambda: apply(team, program, 32, lead="Kakao Brain", members=["KAIST", "Rebellions"]), program, team)
    assert facts(events) == [
        (
            "RoundApplicationSubmitted",
            {"round": 1, "stage": 1, "lead_organisation": "Kakao Brain", "members": ["KAIST", "Rebellions"]},
        )
    ]
    assert team.is_finally_eliminated(day(32)) and (team.lead_organisation, team.members) == (
        "Kakao Brain",
        ["KAIST", "Rebellions"],
    )


def test_an_application_without_a_consortium_keeps_the_teams_own() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)
    [event] = when(lambda: apply(team, program), team)
    assert (event.lead_organisation, event.members) == ("kakao Corp", ["kakao University", "kakao Labs"])  # type: ignore[attr-defined]


def test_a_new_entrant_enters_the_programme_through_the_round() -> None:
    program = vacant_stage_two()
    open_call(program)
    team = new_entrant(program)
    assert names(team.collect_events()) == ["ApplicationSubmitted", "RoundApplicationSubmitted"]
    assert (team.status, team.stage, team.has_pending_application(1)) == (TeamStatus.APPLIED, 1, True)


def test_an_earlier_applicant_applies_when_the_round_takes_applicants() -> None:
    program = vacant_stage_two()
    team = applied(program, "mirae", at=1)
    open_call(program)
    assert names(when(lambda: apply(team, program), team)) == ["RoundApplicationSubmitted"]


def test_a_team_applies_to_a_round_once() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)
    apply(team, program)
    refused(errors.DuplicateApplicationError, lambda: apply(team, program, 33), program, team)


@pytest.mark.parametrize("n", [29.5, 40.5])
def test_an_application_outside_the_rounds_window_is_refused(n: float) -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)  # day 30 to day 40
    refused(errors.RoundClosedError, lambda: apply(team, program, n), program, team)


def test_a_team_the_round_does_not_make_eligible_is_refused() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program, eligibility=["new_entrants"])
    refused(errors.NotEligibleError, lambda: apply(team, program), program, team)
    incumbent = seated(program, "naver", stage=0)
    refused(errors.NotEligibleError, lambda: apply(incumbent, program), program, incumbent)


def test_a_team_that_withdrew_from_the_programme_cannot_apply() -> None:
    program = vacant_stage_two()
    team = applied(program, "mirae")
    team.withdraw(on(5), program)
    open_call(program)
    refused(errors.TeamInactiveError, lambda: apply(team, program), program, team)


def test_an_application_to_an_unknown_round_is_refused() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    refused(errors.RoundNotFoundError, lambda: apply(team, program), program, team)


# --- statements without an offer --------------------------------------------------------------


def test_a_public_decline_without_an_offer_is_recorded_and_takes_no_seat() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)
    stamp = on(31, reason="We will not apply to the re-entry call")
    events = when(
        lambda: team.state_on_round(stamp, program, round_number=1, kind="declined", form="public_statement"),
        program,
        team,
    )
    assert facts(events) == [
        ("RoundStatementMade", {"statement": 1, "round": 1, "kind": "declined", "form": "public_statement"})
    ]
    assert events[0].reason == "We will not apply to the re-entry call"
    assert team.status == TeamStatus.ELIMINATED and program.round_fills.get(1, 0) == 0


def test_an_intent_to_apply_may_come_before_the_round_opens() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)  # opens day 30
    stamp = on(29.5, reason="Intends to apply, says its chief executive")
    events = when(
        lambda: team.state_on_round(stamp, program, round_number=1, kind="intends_to_apply", form="press_report"),
        team,
    )
    assert names(events) == ["RoundStatementMade"]


@pytest.mark.parametrize(
    ("kind", "form", "reason"),
    [("rejected", "press_report", "x"), ("declined", "tweet", "x"), ("declined", "formal_letter", "")],
)
def test_a_malformed_statement_is_refused(kind: str, form: str, reason: str) -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)
    stamp = on(31, reason=reason)
    refused(
        errors.InvalidValueError,
        lambda: team.state_on_round(stamp, program, round_number=1, kind=kind, form=form),
        program,
        team,
    )


def test_a_statement_about_an_unknown_round_is_refused() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    stamp = on(31, reason="Declined")
    refused(
        errors.RoundNotFoundError,
        lambda: team.state_on_round(stamp, program, round_number=1, kind="declined", form="formal_letter"),
        team,
    )


def test_only_an_applicant_withdraws_its_application_and_it_can_then_apply_again() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)
    stamp = on(33, reason="Application withdrawn by letter")

    def withdraw() -> int:
        return team.state_on_round(stamp, program, round_number=1, kind="withdrew_application", form="formal_letter")

    refused(errors.NotAnApplicantError, withdraw, team)
    apply(team, program, 32)
    assert names(when(withdraw, team)) == ["RoundStatementMade"]
    assert not team.has_pending_application(1)
    assert names(when(lambda: apply(team, program, 34), team)) == ["RoundApplicationSubmitted"]


# --- the round's window moves ----------------------------------------------------------------


def extend(program: Program, n: float, closes: float, reason: str = "Deadline extended") -> None:
    program.extend_reentry_round(on(n, reason=reason), round_number=1, closes_at=day(closes))


def close_early(program: Program, n: float, closes: float, reason: str = "Closed early") -> None:
    program.close_reentry_round_early(on(n, reason=reason), round_number=1, closes_at=day(closes))


def test_an_extension_is_an_event_and_a_date_after_the_first_deadline_is_then_taken() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)  # closes day 40
    refused(errors.RoundClosedError, lambda: apply(team, program, 43), program, team)
    events = when(lambda: extend(program, 38, 45), program)
    assert facts(events) == [("ReEntryRoundExtended", {"round": 1, "closes_at": day(45)})]
    assert events[0].reason == "Deadline extended"
    assert names(when(lambda: apply(team, program, 43), team)) == ["RoundApplicationSubmitted"]


def test_an_offer_answered_after_the_first_deadline_is_taken_once_the_round_is_extended() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)
    extend(program, 38, 50)
    team.offer_reentry(on(39), program, round_number=1, deadline=day(48))
    assert names(when(lambda: team.accept_offer(on(45), program, 1), program, team)) == [
        "SeatTaken",
        "OfferAccepted",
    ]


@pytest.mark.parametrize(
    ("n", "closes", "reason", "error"),
    [
        (38, 35, "Deadline extended", errors.InvalidValueError),  # sooner is not an extension
        (41, 45, "Deadline extended", errors.RoundClosedError),  # the round closed on day 40
        (38, 45, "", errors.InvalidValueError),  # a reason is needed
    ],
)
def test_a_wrong_extension_is_refused(n: float, closes: float, reason: str, error: type[Exception]) -> None:
    program = vacant_stage_two()
    open_call(program)
    refused(error, lambda: extend(program, n, closes, reason), program)


def test_extending_to_the_same_closing_time_changes_nothing() -> None:
    program = vacant_stage_two()
    open_call(program)
    assert when(lambda: extend(program, 38, 40), program) == []


def test_closing_early_is_an_event_and_later_applications_are_refused() -> None:
    program = vacant_stage_two()
    team = eliminated(program, "kakao")
    open_call(program)
    events = when(lambda: close_early(program, 33, 35), program)
    assert facts(events) == [("ReEntryRoundClosedEarly", {"round": 1, "closes_at": day(35)})]
    refused(errors.RoundClosedError, lambda: apply(team, program, 36), program, team)


@pytest.mark.parametrize(("n", "closes"), [(33, 45), (33, 32), (33, 29)])
def test_a_wrong_early_close_is_refused(n: float, closes: float) -> None:
    program = vacant_stage_two()
    open_call(program)
    refused(errors.InvalidValueError, lambda: close_early(program, n, closes), program)


def test_moving_an_unknown_round_is_refused() -> None:
    program = vacant_stage_two()
    refused(errors.RoundNotFoundError, lambda: extend(program, 38, 45), program)


# --- the panel judges the applications ----------------------------------------------------------


def panel_for(program: Program, **fields: object) -> EvaluationRound:
    r = EvaluationRound.open(
        on(41),
        program,
        number=1,
        stage=fields.get("stage", 1),  # type: ignore[arg-type]
        title="Re-entry selection",
        criteria=None,
        gates=None,
        reentry_round=1,
    )
    for member in ("Kim", "Lee", "Park"):
        r.register_member(on(41), program, member=member, role="member")
    return r


def test_a_panel_opened_for_a_round_of_another_stage_is_refused() -> None:
    program = vacant_stage_two()
    open_call(program)
    with pytest.raises(errors.InvalidValueError):
        panel_for(program, stage=0)


def test_the_panel_judges_an_eliminated_applicant_but_not_a_team_that_did_not_apply() -> None:
    program = vacant_stage_two()
    kakao, ncsoft = eliminated(program, "kakao"), eliminated(program, "ncsoft")
    open_call(program)
    apply(kakao, program)
    r = panel_for(program)

    def outcome(team: Candidacy) -> None:
        judged = r.judge(program, team.team_code, {}, {}, None)
        team.record_round_outcome(
            on(42), program, round_number=1, stage=1, result="pass", rank=1, reentry_round=1, **judged
        )

    assert names(when(lambda: outcome(kakao), kakao)) == ["RoundOutcomeRecorded"]
    refused(errors.NotAnApplicantError, lambda: outcome(ncsoft), ncsoft)


def test_a_selected_applicant_takes_the_rounds_seat() -> None:
    program = vacant_stage_two()
    kakao = eliminated(program, "kakao")
    open_call(program)
    apply(kakao, program)
    panel_for(program)
    events = when(lambda: kakao.selected_in_round(on(42), program, round_number=1, evaluation_round=1), program, kakao)
    assert facts(events) == [
        ("SeatTaken", {"team": "kakao", "stage": 1, "left_stage": None, "round": 1}),
        ("ReEntrySelected", {"round": 1, "stage": 1, "evaluation_round": 1}),
    ]
    assert (kakao.status, kakao.stage, kakao.reentrant) == (TeamStatus.ACTIVE, 1, True)
    assert program.round_fills[1] == 1 and program.vacancies(1) == 0


def test_the_panel_selects_no_more_than_the_rounds_seats() -> None:
    program = vacant_stage_two()
    kakao = eliminated(program, "kakao")
    open_call(program)
    apply(kakao, program)
    motif = new_entrant(program)
    kakao.selected_in_round(on(42), program, round_number=1, evaluation_round=1)
    given(program, kakao, motif)
    refused(
        errors.SeatUnavailableError,
        lambda: motif.selected_in_round(on(42), program, round_number=1, evaluation_round=1),
        program,
        motif,
    )


def test_a_team_without_a_pending_application_cannot_be_selected() -> None:
    program = vacant_stage_two()
    kakao = eliminated(program, "kakao")
    open_call(program)
    refused(
        errors.NotAnApplicantError,
        lambda: kakao.selected_in_round(on(42), program, round_number=1, evaluation_round=1),
        program,
        kakao,
    )


def test_a_new_entrant_is_refused_by_a_round_that_does_not_take_new_entrants() -> None:
    program = vacant_stage_two()
    open_call(program, eligibility=["eliminated"])
    refused(errors.NotEligibleError, lambda: new_entrant(program), program)


def test_a_selection_or_withdrawal_cannot_take_effect_before_the_application() -> None:
    program = vacant_stage_two()
    kakao = eliminated(program, "kakao")
    open_call(program)
    apply(kakao, program, 35)
    refused(
        errors.EffectiveTimeError,
        lambda: kakao.selected_in_round(on(34, recorded=36), program, round_number=1, evaluation_round=1),
        program,
        kakao,
    )
    stamp = on(34, recorded=36, reason="Withdrawn")
    refused(
        errors.EffectiveTimeError,
        lambda: kakao.state_on_round(stamp, program, round_number=1, kind="withdrew_application", form="formal_letter"),
        kakao,
    )
