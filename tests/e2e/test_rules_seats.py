"""Seats and re-entry over HTTP: a refused decision answers a named problem and stores nothing.

The rules: a stage never holds more teams than its seats (nor a re-entry round more
re-entrants than it refills); an eliminated team comes back only through a round it
is eligible for, while that round is open; an offer is answered once, before its
deadline.
"""

from __future__ import annotations

from tests.e2e.conftest import Api, P, assert_problem


def path(team: str, action: str) -> str:
    return f"/programs/{P}/teams/{team}/{action}"


# --- seat capacity -------------------------------------------------------------------------


def test_advancing_into_a_full_stage_is_refused(api: Api) -> None:
    api.open_program(seats=(2, 1))
    api.seat("A", "B")
    api.apply("C")
    with api.unchanged("C"):
        response = api.post(path("C", "advancements"), {"to_stage": 0})
    assert_problem(response, 409, "seat-unavailable")
    assert api.standings()["stages"][0]["holders"] == ["A", "B"]


def test_a_seated_team_cannot_move_into_a_full_next_stage(api: Api) -> None:
    api.open_program(seats=(3, 1))
    api.seat("A", stage=1)
    api.seat("B")
    with api.unchanged("A", "B"):
        response = api.post(path("B", "advancements"), {"to_stage": 1})
    assert_problem(response, 409, "seat-unavailable")


def test_accepting_an_offer_when_the_round_has_filled_its_seats_is_refused(api: Api) -> None:
    api.open_program(seats=(3, 3))
    api.seat("A", "B", "C")
    api.advance("A", 1)
    api.eliminate("B")
    api.eliminate("C")
    api.open_round(stage=1, seats=1)
    api.offer("B")
    api.offer("C")
    api.team("B", "offers/1/acceptance")
    assert api.standings()["stages"][1]["vacancies"] == 1  # the stage has room; the round has not
    with api.unchanged("B", "C"):
        response = api.post(path("C", "offers/1/acceptance"))
    assert_problem(response, 409, "seat-unavailable")
    assert api.standings()["rounds"][0]["filled"] == 1


def test_accepting_an_offer_into_a_stage_filled_since_is_refused(api: Api) -> None:
    api.open_program(seats=(3, 2))
    api.seat("A", "B", "C")
    api.advance("A", 1)
    api.eliminate("B")
    api.open_round(stage=1, seats=1)
    api.offer("B")
    with api.unchanged("B", "C"):  # while the round is open, its seat is held against ordinary advances
        held = api.post(path("C", "advancements"), {"to_stage": 1})
    assert_problem(held, 409, "seat-unavailable")
    # a decision dated before the round opened gives the last stage-2 seat to an incumbent
    api.team("C", "advancements", {"to_stage": 1, "effective_at": "2025-12-31T00:00:00+00:00"})
    with api.unchanged("B", "C"):
        response = api.post(path("B", "offers/1/acceptance"))
    assert_problem(response, 409, "seat-unavailable")


def test_opening_a_round_for_more_seats_than_are_vacant_is_refused(api: Api) -> None:
    api.open_program(seats=(3, 2))
    api.seat("A", stage=1)
    with api.unchanged("A"):
        response = api.post(
            f"/programs/{P}/re-entry-rounds",
            {
                "stage": 1,
                "seats": 2,
                "eligibility": ["eliminated"],
                "opens_at": "2026-01-01T00:00:00+00:00",
                "closes_at": "2026-01-31T00:00:00+00:00",
            },
        )
    assert_problem(response, 409, "seat-unavailable")


# --- eligibility and the round's window -----------------------------------------------------


def test_a_team_the_round_is_not_open_to_gets_no_offer(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.apply("B")  # an applicant, but the round is only for eliminated teams
    api.open_round(stage=1, eligibility=("eliminated",))
    with api.unchanged("A", "B"):
        seated = api.post(path("A", "offers"), {"round": 1, "deadline": "2026-01-20T00:00:00+00:00"})
        applicant = api.post(path("B", "offers"), {"round": 1, "deadline": "2026-01-20T00:00:00+00:00"})
    assert_problem(seated, 409, "not-eligible")
    assert_problem(applicant, 409, "not-eligible")


def test_a_new_entrant_is_not_eligible_for_a_round_open_only_to_earlier_applicants(api: Api) -> None:
    api.open_program()
    api.open_round(stage=1, eligibility=("applicants",))
    api.apply("LATE")  # applied after the round opened: a new entrant
    with api.unchanged("LATE"):
        response = api.post(path("LATE", "offers"), {"round": 1, "deadline": "2026-01-20T00:00:00+00:00"})
    assert_problem(response, 409, "not-eligible")


def test_no_offer_is_made_after_the_round_closed(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.eliminate("A")
    api.open_round(stage=1, opens="2026-01-01T00:00:00+00:00", closes="2026-01-04T00:00:00+00:00")
    with api.unchanged("A"):
        response = api.post(path("A", "offers"), {"round": 1, "deadline": "2026-01-04T00:00:00+00:00"})
    assert_problem(response, 409, "round-closed")


def test_no_offer_is_made_before_the_round_opens(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.eliminate("A")
    api.open_round(stage=1, opens="2026-01-10T00:00:00+00:00", closes="2026-01-31T00:00:00+00:00")
    with api.unchanged("A"):
        response = api.post(path("A", "offers"), {"round": 1, "deadline": "2026-01-20T00:00:00+00:00"})
    assert_problem(response, 409, "round-closed")


def test_an_acceptance_dated_outside_the_rounds_window_is_refused(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.eliminate("A")
    api.open_round(stage=1, opens="2026-01-02T00:00:00+00:00", closes="2026-01-31T00:00:00+00:00")
    api.offer("A", deadline="2026-01-20T00:00:00+00:00")
    with api.unchanged("A"):  # back-dated to before the round opened
        response = api.post(path("A", "offers/1/acceptance"), {"effective_at": "2026-01-01T12:00:00+00:00"})
    assert_problem(response, 409, "round-closed")


# --- one answer per offer, before its deadline -------------------------------------------


def test_an_accepted_offer_cannot_be_answered_again(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.eliminate("A")
    api.open_round()
    api.offer("A")
    api.team("A", "offers/1/acceptance")
    with api.unchanged("A"):
        again = api.post(path("A", "offers/1/acceptance"))
        declined = api.post(path("A", "offers/1/declination"))
    assert_problem(again, 409, "offer-already-answered")
    assert_problem(declined, 409, "offer-already-answered")


def test_a_declined_offer_cannot_be_accepted(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.eliminate("A")
    api.open_round()
    api.offer("A")
    api.team("A", "offers/1/declination", {"reason": "We continue on our own"})
    with api.unchanged("A"):
        response = api.post(path("A", "offers/1/acceptance"))
    assert_problem(response, 409, "offer-already-answered")


def test_an_offer_cannot_be_answered_after_its_deadline(api: Api) -> None:
    api.open_program()
    api.seat("A")
    api.eliminate("A")
    api.open_round()
    api.offer("A", deadline="2026-01-06T00:00:00+00:00")
    api.clock.advance(days=2)  # the round is still open; the offer is not
    with api.unchanged("A"):
        accepted = api.post(path("A", "offers/1/acceptance"))
        declined = api.post(path("A", "offers/1/declination"))
    assert_problem(accepted, 409, "offer-expired")
    assert_problem(declined, 409, "offer-expired")


def test_answering_an_offer_that_does_not_exist_is_not_found(api: Api) -> None:
    api.open_program()
    api.seat("A")
    with api.unchanged("A"):
        response = api.post(path("A", "offers/7/acceptance"))
    assert_problem(response, 404, "offer-not-found")
