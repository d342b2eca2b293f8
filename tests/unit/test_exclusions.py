"""Exclusions of a team from a resource for a period: imposed, lifted, and the grants they refuse."""

from __future__ import annotations

from datetime import date

from domain import errors
from domain.candidacy import Candidacy
from domain.program import Program
from tests.unit.bdd import facts, on, opened, refused, seated, when

MAR, JUN, SEP = date(2026, 3, 1), date(2026, 6, 30), date(2026, 9, 30)


def grant(team: Candidacy, program: Program, resource: str, start: date, end: date) -> None:
    team.grant_funding(on(5), program, resource=resource, quantity=8, period_start=start, period_end=end)


def excluded(resource: str = "gpu", ends_on: date | None = JUN) -> tuple[Program, Candidacy]:
    program = opened()
    team = seated(program, "rebellions")
    team.impose_exclusion(
        on(3, reason="supplies GPUs to the state"), program, resource=resource, starts_on=MAR, ends_on=ends_on
    )
    return program, team


def test_an_exclusion_is_imposed_after_the_team_applied_with_its_period_and_reason() -> None:
    program = opened()
    team = seated(program, "rebellions")
    impose = lambda: team.impose_exclusion(  # noqa: E731
        on(3, reason="supplies GPUs to the state"), program, resource="gpu", starts_on=MAR, ends_on=JUN
    )
    events = when(impose, team)
    assert facts(events) == [
        ("ExclusionImposed", {"exclusion": 1, "resource": "gpu", "starts_on": "2026-03-01", "ends_on": "2026-06-30"})
    ]
    assert events[0].reason == "supplies GPUs to the state"


def test_a_grant_of_an_excluded_kind_in_the_excluded_period_is_refused() -> None:
    program, team = excluded()
    refused(errors.ResourceExcludedError, lambda: grant(team, program, "gpu:B200", JUN, SEP), program, team)


def test_an_exclusion_of_one_kind_leaves_other_kinds_and_other_periods_free() -> None:
    program, team = excluded("gpu:B200")
    refused(
        errors.ResourceExcludedError, lambda: grant(team, program, "gpu:B200", date(2026, 2, 1), MAR), program, team
    )
    assert len(when(lambda: grant(team, program, "krw:data", MAR, JUN), team)) == 1
    assert len(when(lambda: grant(team, program, "gpu:B200", date(2026, 7, 1), SEP), team)) == 1


def test_an_open_ended_exclusion_refuses_every_later_grant_until_it_is_lifted() -> None:
    program, team = excluded(ends_on=None)
    refused(
        errors.ResourceExcludedError,
        lambda: grant(team, program, "gpu:B200", date(2027, 1, 1), date(2027, 6, 1)),
        program,
        team,
    )
    lift = lambda: team.lift_exclusion(on(40, reason="lease ended"), program, exclusion=1, ends_on=date(2026, 8, 31))  # noqa: E731
    assert facts(when(lift, team)) == [("ExclusionLifted", {"exclusion": 1, "ends_on": "2026-08-31"})]
    assert len(when(lambda: grant(team, program, "gpu:B200", date(2026, 9, 1), SEP), team)) == 1


def test_lifting_an_exclusion_that_already_ends_by_then_changes_nothing() -> None:
    program, team = excluded()
    assert when(lambda: team.lift_exclusion(on(40), program, exclusion=1, ends_on=SEP), team) == []


def test_lifting_an_exclusion_that_does_not_exist_is_refused() -> None:
    program, team = excluded()
    refused(errors.ExclusionNotFoundError, lambda: team.lift_exclusion(on(40), program, exclusion=2, ends_on=JUN), team)


def test_an_exclusion_that_ends_before_it_starts_is_refused() -> None:
    program = opened()
    team = seated(program, "rebellions")
    impose = lambda: team.impose_exclusion(on(3), program, resource="gpu", starts_on=JUN, ends_on=MAR)  # noqa: E731
    refused(errors.InvalidValueError, impose, team)


def test_an_exclusion_of_a_malformed_resource_is_refused() -> None:
    program = opened()
    team = seated(program, "rebellions")
    impose = lambda: team.impose_exclusion(on(3), program, resource="GPU!", starts_on=MAR, ends_on=None)  # noqa: E731
    refused(errors.InvalidValueError, impose, team)
