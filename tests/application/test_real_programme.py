"""The programme of DESIGN.md §1a, told step by step on the in-memory store, SQLite and PostgreSQL.

The steps are in ``tests.application.real_programme``; each refused step there
is checked to append nothing. Here the standings are read the way the API reads
a past moment (``projections.as_of.read_store``): the rules version, stages and
call in force, who held which seat and who was out, at fourteen effective times,
and as known at four recorded times: around a stage recorded five days after it
took effect, before a selection's reversal was recorded and before a re-entry
round's extension was recorded. The re-entry call is read as its round's view
and the second stage's seats before and after its extension and its selection.
The funding read model's fairness report sets the re-entrant's GPUs beside the
incumbents' in B200 over its grant's period: parity with 768 B200, a shortfall
with 512.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.bootstrap import Services
from projections import funding, standings
from projections.as_of import Moment, read_store
from projections.standings.round_replies import evaluation_round
from tests.application.real_programme import (
    ADVANCED,
    APPLICANTS,
    CONFLICTED,
    DECLINED,
    END,
    FUNDED,
    GATE_FAILED,
    NEW_CONSORTIUM,
    NEW_ENTRANT,
    PRESENTED_IN,
    PROGRAM,
    RESERVE,
    REVERSED,
    WRITTEN_PASS,
    day,
    run,
)
from tests.application.story import CRITERIA
from tests.conftest import Clock
from tests.unit.bdd import decisions

FIRST, SECOND = ("1차", 5), ("2차", 4)


def at(services: Services, moment: Moment) -> dict[str, Any]:
    """The standings as the API answers ``GET /programs/{p}/standings?as_of=…&known_at=…``."""
    with read_store(services.registry, services.db, moment, PROGRAM) as source:
        found = standings.program_standings(source.db, PROGRAM, moment.as_of or day(END), source.position)
    assert found is not None
    return found


def rules(found: dict[str, Any]) -> tuple[int, list[tuple[str, int]], list[tuple[str, bool]]]:
    """The rules version, the stages (name, seats) and the calls (closing date, open) in force."""
    calls = [(c["closes_at"][:10], c["open"]) for c in found["calls"]]
    return found["rules_version"], [(s["name"], s["seats"]) for s in found["stages"]], calls


def seats(found: dict[str, Any], stage: int) -> tuple[list[str], int]:
    held = found["stages"][stage]
    return sorted(held["holders"]), held["vacancies"]


def teams(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    everyone = [*found["applicants"], *(t for s in found["stages"] for t in s["teams"])]
    return {t["team_code"]: t for t in everyone}


def statuses(found: dict[str, Any], codes: list[str]) -> set[str]:
    every = teams(found)
    return {every[c]["status"] for c in codes}


def the_call_its_extension_and_the_applications_in_time(services: Services) -> None:
    assert rules(at(services, Moment(day(5)))) == (1, [], [])
    opened = at(services, Moment(day(30)))
    assert rules(opened) == (2, [FIRST], [("2025-07-17", True)])
    assert [t["team_code"] for t in opened["applicants"]] == sorted(APPLICANTS[:8])  # days 16 to 30
    extended = at(services, Moment(day(49)))
    assert rules(extended) == (2, [FIRST], [("2025-07-22", True)])
    assert sorted(t["team_code"] for t in extended["applicants"]) == sorted(APPLICANTS)
    assert extended["calls"][0]["last_change"] == "extended"
    assert "nabi" not in teams(at(services, Moment(None)))  # the late application left no trace


def screening_rounds_publish_pass_fail_lists_and_provisional_selections(services: Services) -> None:
    written = at(services, Moment(day(65)))
    assert statuses(written, WRITTEN_PASS) == {"applied"} and statuses(written, APPLICANTS[10:]) == {"eliminated"}
    assert {t["round_outcome"]["scores"] == {} for t in teams(written).values()} == {True}  # no score published
    assert {teams(written)[t]["elimination"]["final"] for t in APPLICANTS[10:]} == {False}

    held = at(services, Moment(day(78)))
    assert seats(held, 0) == (sorted(PRESENTED_IN), 0)
    assert {teams(held)[t]["advancement"]["final"] for t in PRESENTED_IN} == {False}  # held until day 85
    top = teams(held)["hanbit"]["round_outcome"]
    assert (top["scores"], top["rank"]) == ({"presentation": "91"}, 1)
    assert teams(held)[RESERVE]["round_outcome"]["recusals"][0]["member"] == "Park"

    refilled = at(services, Moment(day(82)))
    assert seats(refilled, 0) == (sorted(FUNDED), 0)
    reversed_team = teams(refilled)[REVERSED]
    assert (reversed_team["status"], reversed_team["advancement"]["state"]) == ("applied", "reversed")
    confirmed = at(services, Moment(day(90)))
    assert {teams(confirmed)[t]["advancement"]["state"] for t in FUNDED if t != RESERVE} == {"confirmed"}
    assert rules(confirmed) == (2, [FIRST], [("2025-07-22", False)])


def a_stage_added_late_and_the_stage_one_evaluation(services: Services) -> None:
    added = at(services, Moment(day(130)))
    assert rules(added)[:2] == (3, [FIRST, SECOND])
    assert seats(added, 1) == ([], 4)
    weights = [(c["code"], c["max_points"]) for c in added["stages"][1]["criteria"]]
    assert weights == [("bench", "40"), ("expert", "35"), ("user", "25")]
    assert added["stages"][1]["gates"] == ["independence"]

    evaluated = at(services, Moment(day(185)))
    assert seats(evaluated, 1) == (sorted(ADVANCED), 1)  # one seat stays empty
    failed = teams(evaluated)[GATE_FAILED]
    assert (failed["status"], failed["elimination"]["reason_code"]) == ("eliminated", "failed_gate")
    assert (failed["round_outcome"]["scores"], failed["round_outcome"]["gates"]) == ({}, {"independence": False})
    scored = teams(evaluated)["hanbit"]["round_outcome"]
    assert (scored["scores"], scored["rank"]) == ({"bench": "36", "expert": "31", "user": "21"}, 1)
    member, team = CONFLICTED
    assert member not in teams(evaluated)[team]["round_outcome"]["panel"]
    assert teams(evaluated)[RESERVE]["elimination"]["reason_code"] == "below_cutoff"
    assert teams(at(services, Moment(day(195))))[GATE_FAILED]["elimination"]["final"] is True


def reentry_round(found: dict[str, Any]) -> dict[str, Any]:
    (only,) = found["rounds"]
    return dict(only)


def the_reentry_call_its_statements_extension_and_selection(services: Services) -> None:
    before = reentry_round(at(services, Moment(day(210))))
    assert (before["open"], before["closes_at"][:10], before["last_change"]) == (True, "2026-01-08", "opened")
    said = [(s["team_code"], s["kind"], s["form"]) for s in before["statements"]]
    assert said == [
        (DECLINED[0], "declined", "public_statement"),
        (DECLINED[1], "declined", "formal_letter"),
        (DECLINED[2], "declined", "press_report"),
        (GATE_FAILED, "intends_to_apply", "press_report"),
    ]
    assert before["statements"][0]["sources"][0]["url"] == "https://news.example/reentry-declines"
    assert (before["offers"], before["applications"], before["filled"]) == ([], [], 0)  # no offer to anyone
    # Day 221: past the first deadline. As known on day 214 the round had closed; the extension recorded on day 215
    # kept it open.
    assert reentry_round(at(services, Moment(day(221), known_at=day(214))))["open"] is False
    extended = reentry_round(at(services, Moment(day(221))))
    assert (extended["open"], extended["closes_at"][:10], extended["first_closes_at"][:10]) == (
        True,
        "2026-01-18",
        "2026-01-08",
    )
    assert extended["last_change"] == "extended"

    applied = at(services, Moment(day(238)))
    lead, members = NEW_CONSORTIUM
    entries = [
        (a["team_code"], a["lead_organisation"], a["members"], a["state"])
        for a in reentry_round(applied)["applications"]
    ]
    assert entries == [(GATE_FAILED, lead, members, "pending"), (NEW_ENTRANT, "Motif Technologies", [], "pending")]
    assert seats(applied, 1) == (sorted(ADVANCED), 1)
    assert teams(applied)[GATE_FAILED]["status"] == "eliminated"  # applying changes no standing

    selected = at(services, Moment(day(245)))
    assert seats(selected, 1) == (sorted([*ADVANCED, NEW_ENTRANT]), 0)
    after = reentry_round(selected)
    assert after["filled"] == 1
    assert [(a["team_code"], a["state"]) for a in after["applications"]] == [
        (GATE_FAILED, "pending"),  # not selected
        (NEW_ENTRANT, "selected"),
    ]
    judged = evaluation_round(services.db, PROGRAM, 4)  # the panel's round for the re-entry round's applicants
    assert judged is not None and judged["reentry_round"] == 1
    assert [(c["code"], int(c["max_points"])) for c in judged["criteria"]] == [
        (c["code"], c["max_points"]) for c in CRITERIA
    ]  # the same criteria as the stage-1 evaluation
    vote = judged["decision"]
    assert (vote["selected"], vote["votes"]) == ([NEW_ENTRANT], {"Kim": "for", "Park": "for", "Choi": "against"})
    entrant = standings.team_record(services.db, PROGRAM, NEW_ENTRANT, day(END))
    assert entrant is not None and (entrant["stage"], entrant["reentrant"]) == (1, True)
    again = standings.team_record(services.db, PROGRAM, GATE_FAILED, day(END))
    assert again is not None and (again["status"], again["lead_organisation"]) == ("eliminated", lead)
    assert [s["kind"] for s in again["statements"]] == ["intends_to_apply"]
    assert [a["state"] for a in again["round_applications"]] == ["pending"]


def fairness(services: Services) -> dict[str, dict[str, Any]]:
    """The re-entrant's fairness lines by reference kind."""
    lines = funding.program_funding(services.db, PROGRAM)["fairness"]
    assert {line["team_code"] for line in lines} == {NEW_ENTRANT}
    return {line["resource"]: line for line in lines}


def the_reentrant_is_funded_in_an_equivalent_kind_at_parity_over_the_period(services: Services) -> None:
    gpus = fairness(services)["gpu:B200"]
    assert (gpus["verdict"], gpus["net"], gpus["incumbent_median"], gpus["shortfall"]) == ("parity", 768, 768, 0)
    assert (gpus["unit"], gpus["period_start"], gpus["period_end"]) == (
        "GPU",
        str(day(245).date()),
        str(day(425).date()),
    )
    shown = {team["team_code"]: team for team in gpus["computation"]}
    assert sorted(shown) == sorted([NEW_ENTRANT, *ADVANCED])
    (own,) = shown[NEW_ENTRANT]["grants_counted"]
    assert (own["resource"], own["quantity"], own["in_reference"]) == ("gpu:B200", 768, 768)
    incumbent = shown[ADVANCED[0]]
    counted = [(g["resource"], g["quantity"], g["factor"], g["in_reference"]) for g in incumbent["grants_counted"]]
    assert counted == [("gpu:B200", 512, "1", 512), ("gpu:H100", 512, "1/2", 256)]  # 512 B200 + 512 H100
    assert incumbent["total"] == 768
    # The first stage's grants ended before the period: shown, not counted.
    assert [g["why"] for g in incumbent["grants_not_counted"]] == ["ended before the period"]
    money = fairness(services)["krw:data"]  # a KRW pot is its own class, never counted in GPUs
    assert (money["unit"], money["verdict"], money["net"]) == ("KRW", "parity", 10_000_000_000)
    lines = {b["resource"]: b for b in funding.program_funding(services.db, PROGRAM)["budgets"]}
    assert lines["gpu:H100"]["allocated"] == 3 * 512 + 768 * 2  # the re-entrant's B200 drawn on the H100 line


def what_the_registry_said_on_a_recorded_day(services: Services) -> None:
    # The second stage took effect on day 120 but was recorded on day 125.
    assert rules(at(services, Moment(day(122), known_at=day(123))))[:2] == (2, [FIRST])
    assert rules(at(services, Moment(day(122), known_at=day(126))))[:2] == (3, [FIRST, SECOND])
    # As known on day 79, before the reversal was recorded, the reversed team still held its seat.
    before = at(services, Moment(day(80), known_at=day(79)))
    assert seats(before, 0) == (sorted(PRESENTED_IN), 0)


def test_the_record_shows_the_panel_who_stood_aside_and_the_rules_version_of_each_decision(
    services: Services, clock: Clock
) -> None:
    run(services, clock)
    record = standings.team_record(services.db, PROGRAM, CONFLICTED[1], day(END))
    assert record is not None
    assert [(r["round"], r["member"], r["kind"]) for r in record["recusals"]] == [(3, CONFLICTED[0], "conflict")]
    assert [(o["round"], o["result"]) for o in record["round_outcomes"]] == [(1, "pass"), (2, "pass"), (3, "pass")]
    assert record["rules_version"] == 3
    stored = services.registry.recorder.select_notifications(start=1, limit=1000)
    events = decisions(services.registry.mapper.to_domain_event(n) for n in stored)
    versions = {(e.type_name, e.rules_version) for e in events}
    assert ("ProgramAnnounced", 1) in versions and ("StageAdded", 3) in versions
    assert {v for name, v in versions if name == "RoundOutcomeRecorded"} == {2, 3}
    assert {v for name, v in versions if name == "EvaluationRoundDecided"} == {3}
    assert min(v for _, v in versions) == 1


def test_the_standings_and_rules_in_force_at_each_moment_of_the_programme(services: Services, clock: Clock) -> None:
    run(services, clock)
    the_call_its_extension_and_the_applications_in_time(services)
    screening_rounds_publish_pass_fail_lists_and_provisional_selections(services)
    a_stage_added_late_and_the_stage_one_evaluation(services)
    the_reentry_call_its_statements_extension_and_selection(services)
    the_reentrant_is_funded_in_an_equivalent_kind_at_parity_over_the_period(services)
    what_the_registry_said_on_a_recorded_day(services)


@pytest.mark.parametrize("store", ["memory"], indirect=True)
def test_a_smaller_grant_to_the_reentrant_shows_its_shortfall_in_equivalent_units(
    services: Services, clock: Clock
) -> None:
    run(services, clock, reentrant_gpus=512)
    gpus = fairness(services)["gpu:B200"]
    assert (gpus["verdict"], gpus["net"], gpus["incumbent_median"], gpus["shortfall"]) == ("shortfall", 512, 768, 256)
    assert fairness(services)["krw:data"]["verdict"] == "parity"
