"""Re-entry: rounds for vacant seats, offers to eligible teams while open, one answer before the deadline."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from tests.unit.bdd import applied, day, eliminated, facts, in_round, names, on, opened, refused, seated, when


def stage_two_with_vacancies(vacancies: int = 1) -> Program:
    """Stage 2 has four seats; ``4 - vacancies`` incumbents hold them."""
    program = opened(seats=(5, 4))
    for team in ("lg", "upstage", "skt", "naver")[: 4 - vacancies]:
        seated(program, team, stage=1)
    return program


def offer(team: Candidacy, program: Program, n: float = 31, *, round_number: int = 1, deadline: float = 35) -> int:
    return team.offer_reentry(on(n), program, round_number=round_number, deadline=day(deadline))


# --- open_reentry_round -------------------------------------------------------------------


def test_a_round_is_opened_for_vacant_seats() -> None:
    program = stage_two_with_vacancies(1)
    events = when(lambda: in_round(program, seats=1, eligibility=["new_entrants", "eliminated"]), program)
    assert facts(events) == [
        (
            "ReEntryRoundOpened",
            {
                "round": 1,
                "stage": 1,
                "seats": 1,
                "eligibility": ["eliminated", "new_entrants"],
                "opens_at": day(30),
                "closes_at": day(40),
            },
        )
    ]
    assert program.reentry_round(1).is_open(day(30)) and not program.reentry_round(1).is_open(day(40.5))


def test_a_round_cannot_offer_more_seats_than_are_vacant() -> None:
    program = stage_two_with_vacancies(1)
    refused(errors.SeatUnavailableError, lambda: in_round(program, seats=2), program)


@pytest.mark.parametrize(
    ("eligibility", "opens", "closes"),
    [([], 30, 40), (["friends"], 30, 40), (["eliminated"], 40, 40), (["eliminated"], 40, 30)],
)
def test_a_malformed_round_is_refused(eligibility: Sequence[str], opens: float, closes: float) -> None:
    program = stage_two_with_vacancies(1)
    refused(
        errors.InvalidValueError,
        lambda: in_round(program, eligibility=eligibility, opens=opens, closes=closes),
        program,
    )


def test_a_round_for_a_stage_the_programme_does_not_have_is_refused() -> None:
    program = stage_two_with_vacancies(1)
    refused(errors.UnknownStageError, lambda: in_round(program, stage=2), program)


def test_a_round_cannot_take_effect_before_the_programme_opened() -> None:
    program = stage_two_with_vacancies(1)
    refused(
        errors.EffectiveTimeError,
        lambda: program.open_reentry_round(
            on(-1, recorded=29), stage=1, seats=1, eligibility=["eliminated"], opens_at=day(30), closes_at=day(40)
        ),
        program,
    )


# --- offer_reentry ------------------------------------------------------------------------


def test_an_eliminated_team_is_offered_re_entry_while_the_round_is_open() -> None:
    program = stage_two_with_vacancies(1)
    team = eliminated(program, "kakao", at=10, deadline=20)
    in_round(program)
    events = when(lambda: offer(team, program, 31, deadline=35), program, team)
    assert facts(events) == [("ReEntryOffered", {"offer": 1, "round": 1, "stage": 1, "deadline": day(35)})]


@pytest.mark.parametrize(("eligibility", "applied_on"), [("applicants", 1), ("new_entrants", 30)])
def test_earlier_applicants_and_new_entrants_are_eligible_when_the_round_says_so(
    eligibility: str, applied_on: float
) -> None:
    program = stage_two_with_vacancies(1)
    in_round(program, eligibility=[eligibility])
    team = applied(program, "kt", at=applied_on)
    assert names(when(lambda: offer(team, program), team)) == ["ReEntryOffered"]


@pytest.mark.parametrize(("eligibility", "applied_on"), [("applicants", 30), ("new_entrants", 1)])
def test_an_applicant_outside_the_rounds_eligibility_is_refused(eligibility: str, applied_on: float) -> None:
    program = stage_two_with_vacancies(1)
    in_round(program, eligibility=[eligibility])
    team = applied(program, "kt", at=applied_on)
    refused(errors.NotEligibleError, lambda: offer(team, program), program, team)


def test_an_eliminated_team_is_not_eligible_for_a_round_of_applicants() -> None:
    program = stage_two_with_vacancies(1)
    team = eliminated(program, "kakao")
    in_round(program, eligibility=["applicants", "new_entrants"])
    refused(errors.NotEligibleError, lambda: offer(team, program), program, team)


def test_seated_and_withdrawn_teams_are_not_eligible() -> None:
    program = stage_two_with_vacancies(2)
    incumbent = seated(program, "kt", stage=0)
    gone = applied(program, "ncsoft")
    gone.withdraw(on(5), program)
    in_round(program, eligibility=["eliminated", "applicants", "new_entrants"])
    for team in (incumbent, gone):
        refused(errors.NotEligibleError, lambda team=team: offer(team, program), program, team)  # type: ignore[misc]


@pytest.mark.parametrize("n", [29, 40.5])
def test_no_offer_is_made_outside_the_rounds_opening_hours(n: float) -> None:
    program = stage_two_with_vacancies(1)
    team = eliminated(program, "kakao")
    in_round(program, opens=30, closes=40)
    refused(errors.RoundClosedError, lambda: offer(team, program, n, deadline=40), program, team)


def test_an_offer_in_an_unknown_round_is_refused() -> None:
    program = stage_two_with_vacancies(1)
    team = eliminated(program, "kakao")
    refused(errors.RoundNotFoundError, lambda: offer(team, program), program, team)


@pytest.mark.parametrize("deadline", [31, 30, 41])
def test_an_offers_deadline_falls_after_the_offer_and_by_the_close(deadline: float) -> None:
    program = stage_two_with_vacancies(1)
    team = eliminated(program, "kakao")
    in_round(program, opens=30, closes=40)
    refused(errors.InvalidValueError, lambda: offer(team, program, 31, deadline=deadline), program, team)


def test_a_team_holds_one_unanswered_offer_per_round() -> None:
    program = stage_two_with_vacancies(1)
    team = eliminated(program, "kakao")
    in_round(program)
    offer(team, program)
    refused(errors.OfferPendingError, lambda: offer(team, program, 32), program, team)


# --- accept_offer / decline_offer ---------------------------------------------------------


def offered(program: Program, *teams: str, seats: int = 1) -> list[Candidacy]:
    """Eliminated teams, each offered re-entry in one round (deadline day 35, closing day 40)."""
    candidacies = [eliminated(program, team) for team in teams]
    in_round(program, seats=seats)
    for team in candidacies:
        offer(team, program)
    return candidacies


def test_accepting_an_offer_takes_the_rounds_seat() -> None:
    program = stage_two_with_vacancies(1)
    [team] = offered(program, "kakao")
    events = when(lambda: team.accept_offer(on(33), program, 1), program, team)
    assert facts(events) == [
        ("SeatTaken", {"team": "kakao", "stage": 1, "left_stage": None, "round": 1}),
        ("OfferAccepted", {"offer": 1, "round": 1, "stage": 1}),
    ]
    assert (team.status, team.stage, team.reentrant, team.elimination) == ("active", 1, True, None)
    assert (program.vacancies(1), program.round_fills) == (0, {1: 1})


def test_declining_an_offer_records_the_answer_and_takes_no_seat() -> None:
    program = stage_two_with_vacancies(1)
    [team] = offered(program, "kakao")
    events = when(lambda: team.decline_offer(on(33, reason="we focus on our own model"), program, 1), program, team)
    assert facts(events) == [("OfferDeclined", {"offer": 1, "round": 1})]
    assert (events[0].reason, team.offers[1].answer, team.status) == (
        "we focus on our own model",
        "declined",
        "eliminated",
    )


@pytest.mark.parametrize("first", ["accept_offer", "decline_offer"])
@pytest.mark.parametrize("second", ["accept_offer", "decline_offer"])
def test_an_offer_is_answered_once(first: str, second: str) -> None:
    program = stage_two_with_vacancies(1)
    [team] = offered(program, "kakao")
    getattr(team, first)(on(33), program, 1)
    refused(errors.OfferAlreadyAnsweredError, lambda: getattr(team, second)(on(34), program, 1), program, team)


@pytest.mark.parametrize("answer", ["accept_offer", "decline_offer"])
def test_an_offer_is_answered_before_its_deadline(answer: str) -> None:
    program = stage_two_with_vacancies(1)
    [team] = offered(program, "kakao")  # deadline day 35, round closes day 40
    refused(errors.OfferExpiredError, lambda: getattr(team, answer)(on(36), program, 1), program, team)


def test_answering_an_offer_that_was_never_made_is_refused() -> None:
    program = stage_two_with_vacancies(1)
    [team] = offered(program, "kakao")
    refused(errors.OfferNotFoundError, lambda: team.accept_offer(on(33), program, 2), program, team)


def test_a_round_fills_no_more_than_its_own_seats() -> None:
    program = stage_two_with_vacancies(2)
    first, second = offered(program, "kakao", "ncsoft", seats=1)
    first.accept_offer(on(33), program, 1)
    assert program.vacancies(1) == 1
    error = refused(errors.SeatUnavailableError, lambda: second.accept_offer(on(34), program, 1), program, second)
    assert "round 1" in str(error)


def test_an_open_round_holds_its_seats_against_ordinary_advances() -> None:
    program = stage_two_with_vacancies(1)
    [team] = offered(program, "kakao")
    kt = seated(program, "kt", stage=0, at=2)
    refused(errors.SeatUnavailableError, lambda: kt.advance(on(32), program, 1), program, kt)
    assert names(when(lambda: team.accept_offer(on(33), program, 1), program, team)) == ["SeatTaken", "OfferAccepted"]


def test_an_acceptance_needs_a_vacant_seat_in_the_stage() -> None:
    program = stage_two_with_vacancies(1)
    [team] = offered(program, "kakao")
    seated(program, "kt", stage=1, at=25)  # back-dated to before the round opened, so not held off by it
    refused(errors.SeatUnavailableError, lambda: team.accept_offer(on(33), program, 1), program, team)


def test_two_rounds_cannot_hold_the_same_vacancy() -> None:
    program = stage_two_with_vacancies(1)
    in_round(program)
    refused(errors.SeatUnavailableError, lambda: in_round(program, opens=31, closes=39), program)


def test_a_team_that_withdrew_cannot_accept_its_offer() -> None:
    program = stage_two_with_vacancies(1)
    in_round(program, eligibility=["applicants"])
    team = applied(program, "kt")
    offer(team, program)
    team.withdraw(on(32), program)
    refused(errors.TeamInactiveError, lambda: team.accept_offer(on(33), program, 1), program, team)


def test_a_back_dated_acceptance_before_the_round_opened_is_refused() -> None:
    program = stage_two_with_vacancies(1)
    [team] = offered(program, "kakao")
    refused(errors.RoundClosedError, lambda: team.accept_offer(on(29, recorded=33), program, 1), program, team)


# --- lapsed offers (regression: a lapsed offer locked the team out of its round) ----------


def test_an_offer_that_lapsed_unanswered_does_not_block_a_new_offer_in_the_round() -> None:
    program = stage_two_with_vacancies(1)
    team = eliminated(program, "kakao")
    in_round(program)  # open day 30 to day 40
    offer(team, program, 31, deadline=33)
    events = when(lambda: offer(team, program, 34, deadline=38), program, team)
    assert facts(events) == [("ReEntryOffered", {"offer": 2, "round": 1, "stage": 1, "deadline": day(38)})]


def test_a_lapsed_offer_cannot_be_accepted_but_its_successor_can() -> None:
    program = stage_two_with_vacancies(1)
    team = eliminated(program, "kakao")
    in_round(program)
    offer(team, program, 31, deadline=33)
    offer(team, program, 34, deadline=38)
    refused(errors.OfferExpiredError, lambda: team.accept_offer(on(35), program, 1), program, team)
    assert names(when(lambda: team.accept_offer(on(35), program, 2), program, team)) == [
        "SeatTaken",
        "OfferAccepted",
    ]
