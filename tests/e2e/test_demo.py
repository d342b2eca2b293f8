"""The demo story read back over HTTP: the empty stage-2 seat, its refilling, the finalists, fairness.

The demo is recorded through the application service (``api.demo``), then read
through the API, which is how an auditor would see it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from api import demo
from api.bootstrap import Services
from tests.conftest import Clock
from tests.e2e.conftest import Api

STANDINGS = f"/programs/{demo.PROGRAM}/standings"
BEFORE_ACCEPTANCE = "a panel chooses the re-entrant"


@pytest.fixture
def recorded_until_acceptance(services: Services, clock: Clock) -> int:
    clock.now = datetime(2026, 9, 1, tzinfo=UTC)  # after the story's last decision
    done = demo.load(services.registry, until=BEFORE_ACCEPTANCE)
    services.projector.catch_up()
    return done


def stage2(api: Api) -> dict[str, Any]:
    return dict(api.get(STANDINGS)["stages"][1])


def run_the_rest(services: Services, done: int) -> None:
    for _name, step in demo.steps()[done:]:
        step(services.registry)
    services.projector.catch_up()


def test_one_stage_2_seat_stays_empty_until_the_panel_chooses_the_re_entrant(
    api: Api, services: Services, recorded_until_acceptance: int
) -> None:
    before = stage2(api)
    assert sorted(before["holders"]) == ["HANBIT", "MIRAE", "SEOGANG"]
    assert (before["seats"], before["vacancies"]) == (4, 1)
    eliminated = {t["team_code"]: t for t in api.get(STANDINGS)["stages"][0]["teams"] if t["outcome"] == "eliminated"}
    assert {code: t["elimination"]["reason_code"] for code, t in eliminated.items()} == {
        "NURI": "failed_gate",
        "BADA": "below_cutoff",
    }
    run_the_rest(services, recorded_until_acceptance)
    after = api.get(STANDINGS)
    assert sorted(after["stages"][1]["holders"]) == ["HANBIT", "HWARANG", "MIRAE", "SEOGANG"]
    assert after["stages"][1]["vacancies"] == 0
    assert after["finalists"] == ["HANBIT", "SEOGANG"]


def test_the_call_records_declines_without_an_offer_an_invitation_declined_two_applications_and_the_choice(
    api: Api, services: Services, recorded_until_acceptance: int
) -> None:
    (open_call,) = api.get(STANDINGS)["rounds"]
    assert (open_call["closes_at"], open_call["first_closes_at"]) == (
        "2026-02-16T09:00:00.000000+00:00",  # extended once, from 13 February 18:00 in Seoul
        "2026-02-13T09:00:00.000000+00:00",
    )
    assert [(a["team_code"], a["state"]) for a in open_call["applications"]] == [
        ("NURI", "pending"),
        ("HWARANG", "pending"),
    ]
    run_the_rest(services, recorded_until_acceptance)
    (round_,) = api.get(STANDINGS)["rounds"]
    assert (round_["stage"], round_["seats"], round_["filled"]) == (1, 1, 1)
    said = [(s["team_code"], s["kind"], s["form"]) for s in round_["statements"]]
    assert said == [
        ("GAON", "declined", "public_statement"),
        ("SORI", "declined", "press_report"),
        ("NURI", "intends_to_apply", "press_report"),
    ]
    assert {o["team_code"]: o["answer"] for o in round_["offers"]} == {"DAON": "declined"}  # the direct way in
    applied = [(a["team_code"], a["lead_organisation"], a["state"]) for a in round_["applications"]]
    assert applied == [("NURI", "Nuri Holdings", "pending"), ("HWARANG", "Hwarang Labs", "selected")]
    nuri = api.get(f"/programs/{demo.PROGRAM}/teams/NURI")
    assert (nuri["status"], nuri["members"]) == ("eliminated", ["Korea University", "Haedal Semiconductor"])
    hwarang = api.get(f"/programs/{demo.PROGRAM}/teams/{demo.RE_ENTRANT}")
    assert (hwarang["status"], hwarang["stage"], hwarang["reentrant"]) == ("active", 1, True)


def test_the_funding_ledger_shows_the_re_entrant_against_the_incumbents(
    api: Api, services: Services, recorded_until_acceptance: int
) -> None:
    run_the_rest(services, recorded_until_acceptance)
    funding = api.get(f"/programs/{demo.PROGRAM}/funding")
    fairness = {line["resource"]: line for line in funding["fairness"]}
    assert {line["team_code"] for line in funding["fairness"]} == {demo.RE_ENTRANT}
    assert set(fairness) == {"gpu:B200", "krw:data", "title:K-AI"}  # B200 and H100 are one class, KRW apart
    gpus = fairness["gpu:B200"]
    assert (gpus["net"], gpus["incumbent_median"], gpus["verdict"]) == (768, 768, "parity")  # 512 B200 + 512 H100
    assert all(len(team["grants_not_counted"]) == 1 for team in gpus["computation"][1:])  # stage 1's had ended
    assert fairness["krw:data"]["net"] == 10_000_000_000 == fairness["krw:data"]["incumbent_median"]
    assert all(line["shortfall"] == 0 for line in fairness.values())
    (exclusion,) = funding["exclusions"]
    assert (exclusion["team_code"], exclusion["resource"]) == ("BADA", "gpu")
    titles = next(b for b in funding["budgets"] if b["resource"] == "title:K-AI")
    assert (titles["budget"], titles["allocated"]) == (6, 6)  # raised by one rather than taken from an incumbent
