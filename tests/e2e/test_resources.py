"""Resources over HTTP: kinds and equivalences, exclusions, shared pools and the fairness report.

Every new route is exercised: its 201, its 200 when nothing changes, and each
rule break as a problem+json that leaves the log and every read unchanged.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, P, assert_problem

TEAM = f"/programs/{P}/teams"
KINDS = f"/programs/{P}/resource-kinds"
B200 = {"resource": "gpu:B200", "unit": "GPU"}
H100 = {"resource": "gpu:H100", "unit": "GPU", "quantity": 2, "equals": "gpu:B200", "equals_quantity": 1}
BUDGETS = {"gpu:B200": 4096, "gpu:H100": 8192, "krw:data": 5_000_000}


def grant(
    resource: str, quantity: int, start: str = "2026-01-01", end: str = "2026-06-30", **extra: Any
) -> dict[str, Any]:
    return {"resource": resource, "quantity": quantity, "period_start": start, "period_end": end, **extra}


def with_kinds(api: Api) -> None:
    api.open_program(seats=(3, 3), budgets=BUDGETS)
    api.ok(KINDS, B200)
    api.ok(KINDS, H100)
    api.ok(KINDS, {"resource": "krw:data", "unit": "KRW"})


def with_reentrant(api: Api) -> None:
    """Incumbents A and B hold stage 1; C, eliminated in stage 0, re-enters stage 1 through a round."""
    with_kinds(api)
    api.seat("A", "B", stage=1)
    api.seat("C")
    api.eliminate("C")
    api.open_round()
    api.offer("C")
    api.team("C", "offers/1/acceptance", {"reason": "We accept"})


# --- resource kinds ----------------------------------------------------------------------


def test_kinds_are_declared_and_shown_with_their_reference_and_factor(api: Api) -> None:
    with_kinds(api)
    assert api.post(KINDS, H100).status_code == 200  # the same declaration again changes nothing
    kinds = {k["resource"]: k for k in api.get(f"/programs/{P}/funding")["kinds"]}
    assert kinds["gpu:H100"] == {"resource": "gpu:H100", "unit": "GPU", "reference": "gpu:B200", "factor": "1/2"}
    assert kinds["krw:data"]["reference"] == "krw:data"


def test_kind_declarations_that_break_a_rule_are_named_problems_and_store_nothing(api: Api) -> None:
    with_kinds(api)
    with api.unchanged():
        conflict = api.post(KINDS, {**H100, "quantity": 3})
        units = api.post(KINDS, {"resource": "krw:grant", "unit": "KRW", "equals": "gpu:B200", "equals_quantity": 1})
        unknown = api.post(KINDS, {**H100, "resource": "gpu:A100", "equals": "gpu:GB300"})
        malformed = api.post(KINDS, {"resource": "B200", "unit": "GPU"})
    assert_problem(conflict, 409, "resource-kind-conflict")
    assert_problem(units, 409, "unit-mismatch")
    assert_problem(unknown, 404, "unknown-resource")
    assert_problem(malformed, 422, "invalid-request")


def test_a_grant_draws_on_the_line_of_an_equivalent_kind(api: Api) -> None:
    with_kinds(api)
    api.seat("A")
    api.team("A", "grants", grant("gpu:B200", 768, budget_line="gpu:H100"))
    funding = api.get(f"/programs/{P}/funding")
    lines = {b["resource"]: b for b in funding["budgets"]}
    assert (lines["gpu:H100"]["allocated"], lines["gpu:B200"]["allocated"]) == (1536, 0)
    assert funding["grants"][0] | {"budget_line": "gpu:H100", "drawn": 1536} == funding["grants"][0]
    with api.unchanged("A"):
        krw = api.post(f"{TEAM}/A/grants", grant("krw:data", 10, budget_line="gpu:B200"))
        odd = api.post(f"{TEAM}/A/grants", grant("gpu:H100", 3, budget_line="gpu:B200"))
    assert_problem(krw, 409, "not-equivalent")
    assert_problem(odd, 409, "not-equivalent")


# --- exclusions --------------------------------------------------------------------------


def test_an_exclusion_refuses_grants_in_its_period_until_it_is_lifted(api: Api) -> None:
    with_kinds(api)
    api.seat("A")
    imposed = api.team("A", "exclusions", {"resource": "gpu", "starts_on": "2026-01-01", "reason": "Leases GPUs"})
    assert imposed["result"] == {"exclusion": 1}
    with api.unchanged("A"):
        refused = api.post(f"{TEAM}/A/grants", grant("gpu:B200", 10))
        unknown = api.post(f"{TEAM}/A/exclusions/2/lifting", {"ends_on": "2026-03-31"})
        backwards = api.post(f"{TEAM}/A/exclusions/1/lifting", {"ends_on": "2025-12-01"})
        nonsense = api.post(f"{TEAM}/A/exclusions", {"resource": "GPU!", "starts_on": "2026-01-01"})
    assert "exclusion 1" in assert_problem(refused, 409, "resource-excluded")["detail"]
    assert_problem(unknown, 404, "exclusion-not-found")
    assert_problem(backwards, 422, "invalid-value")
    assert_problem(nonsense, 422, "invalid-request")
    api.team("A", "exclusions/1/lifting", {"ends_on": "2026-03-31", "reason": "Lease ended"})
    assert api.post(f"{TEAM}/A/exclusions/1/lifting", {"ends_on": "2026-04-30"}).status_code == 200
    api.team("A", "grants", grant("gpu:B200", 10, start="2026-04-01"))
    (shown,) = api.get(f"/programs/{P}/funding")["exclusions"]
    assert (shown["ends_on"], shown["reason"], shown["lifted_reason"]) == ("2026-03-31", "Leases GPUs", "Lease ended")


# --- shared pools --------------------------------------------------------------------------


def test_a_pool_opens_grows_feeds_a_programme_and_shows_its_ledger(api: Api) -> None:
    api.open_program(budgets={"krw:data": 10})
    api.ok("/pools", {"pool_code": "NATIONAL", "title": "National GPU pool", "resource": "gpu:H100", "budget": 100})
    api.ok("/pools/NATIONAL/budget-increases", {"amount": 50})
    api.ok(f"/programs/{P}/pooled-lines", {"resource": "gpu:H100", "pool": "NATIONAL"})
    api.seat("A")
    api.team("A", "grants", grant("gpu:H100", 120))
    with api.unchanged("A"):
        exhausted = api.post(f"{TEAM}/A/grants", grant("gpu:H100", 31))
        increased = api.post(f"/programs/{P}/budget-increases", {"resource": "gpu:H100", "amount": 5})
        again = api.post("/pools", {"pool_code": "NATIONAL", "title": "Again", "resource": "gpu:H100", "budget": 1})
        nowhere = api.post(f"/programs/{P}/pooled-lines", {"resource": "gpu:B200", "pool": "NOWHERE"})
        missing = api.post("/pools/NOWHERE/budget-increases", {"amount": 5})
    assert_problem(exhausted, 409, "pool-exhausted")
    assert_problem(increased, 409, "budget-line-pooled")
    assert_problem(again, 409, "pool-already-opened")
    assert_problem(nowhere, 404, "pool-not-found")
    assert_problem(missing, 404, "pool-not-found")
    ledger = api.get("/pools/NATIONAL")
    assert (ledger["budget"], ledger["drawn"], ledger["remaining"]) == (150, 120, 30)
    assert ledger["draws"] == [{"program_code": P, "team_code": "A", "drawn": 120, "released": 0, "net": 120}]
    assert ledger["programmes"] == [{"program_code": P, "net": 120}]
    assert [p["pool_code"] for p in api.get("/pools")] == ["NATIONAL"]
    assert_problem(api.client.get("/pools/NOWHERE"), 404, "pool-not-found")
    budgets = {b["resource"]: b for b in api.get(f"/programs/{P}/funding")["budgets"]}
    assert (budgets["gpu:H100"]["pool"], budgets["gpu:H100"]["allocated"]) == ("NATIONAL", 120)


# --- fairness --------------------------------------------------------------------------------


def fairness(api: Api) -> dict[str, Any]:
    (line,) = [f for f in api.get(f"/programs/{P}/funding")["fairness"] if f["resource"] == "gpu:B200"]
    return dict(line)


def test_fairness_compares_in_equivalent_units_over_the_re_entrants_period(api: Api) -> None:
    with_reentrant(api)
    for team in ("A", "B"):  # each incumbent: 512 B200 + 512 H100 for stage 2, and an old grant that ended
        api.team(team, "grants", grant("gpu:H100", 1024, start="2025-12-01", end="2025-12-31"))
        api.team(team, "grants", grant("gpu:B200", 512))
        api.team(team, "grants", grant("gpu:H100", 512))
    api.team("C", "grants", grant("gpu:B200", 768))
    line = fairness(api)
    assert (line["team_code"], line["period_start"], line["period_end"]) == ("C", "2026-01-01", "2026-06-30")
    assert (line["net"], line["incumbent_median"], line["shortfall"], line["verdict"]) == (768, 768, 0, "parity")
    incumbent = line["computation"][1]
    assert [(g["resource"], g["factor"], g["in_reference"]) for g in incumbent["grants_counted"]] == [
        ("gpu:B200", "1", 512),
        ("gpu:H100", "1/2", 256),
    ]
    assert incumbent["grants_not_counted"][0]["why"] == "ended before the period"
    assert incumbent["total"] == 768


def test_a_smaller_grant_shows_the_shortfall_and_an_excluded_incumbent_is_left_out(api: Api) -> None:
    with_reentrant(api)
    api.team("A", "grants", grant("gpu:B200", 512))
    api.team("A", "grants", grant("gpu:H100", 512))
    api.team("B", "grants", grant("gpu:B200", 100))
    api.team("B", "exclusions", {"resource": "gpu", "starts_on": "2026-02-01", "reason": "Supplies GPUs"})
    api.team("C", "grants", grant("gpu:B200", 512))
    line = fairness(api)
    assert (line["net"], line["incumbent_median"], line["shortfall"], line["verdict"]) == (512, 768, 256, "shortfall")
    assert [c["team_code"] for c in line["computation"]] == ["C", "A", "B"]
    assert line["computation"][2]["excluded"][0]["resource"] == "gpu"
