"""Bounds by design: loose values are refused, and every accepted value fits every read model's columns.

Integers are JSON integers; scores have at most 4 decimal places and 12 digits (and ``-0.0`` is
zero); names refuse control and format characters (free text keeps them, shown inert); budgets
and all a programme ever commits of a resource stay at most 10^15. A property test records
sequences of accepted decisions at those bounds and proves the read models apply them (no
failure, lag 0) and that a rebuild gives the same reads, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import Services
from domain.values import MAX_AMOUNT
from projections.rebuild import rebuild
from tests.e2e.conftest import OPENED, Api, P, assert_problem

MAX_POINTS = 10**6


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_integers_must_be_json_integers(api: Api) -> None:
    api.open_program()
    api.seat("A")
    for quantity in ("10", True, 10.5, "1e3"):
        body = {"resource": "gpu:B200", "quantity": quantity, "period_start": "2026-01-01", "period_end": "2026-06-30"}
        with api.unchanged("A"):
            assert_problem(api.post(f"/programs/{P}/teams/A/grants", body), 422, "invalid-request")
    with api.unchanged("A"):
        assert_problem(api.post(f"/programs/{P}/teams/A/advancements", {"to_stage": "1"}), 422, "invalid-request")


def test_scores_have_bounded_precision_and_no_negative_zero(api: Api) -> None:
    api.open_program()
    api.seat("A")
    for loose in ("1E-999999999", "0.00001", "1234567890123", 1e-7):
        with api.unchanged("A"):
            response = api.post(
                f"/programs/{P}/teams/A/evaluations",
                {"stage": 0, "scores": {"benchmark": loose, "expert": 1, "user": 1}, "gates": {"independence": True}},
            )
            assert_problem(response, 422, "invalid-request")
    recorded = api.evaluate("A", scores={"benchmark": "-0.0", "expert": "12.3456", "user": 0})
    scores = recorded["events"][0]["data"]["scores"]
    assert not str(scores["benchmark"]).startswith("-"), scores
    assert str(api.history(team="A")[-1]["data"]["scores"]["benchmark"]).lstrip("0.") == ""


def test_a_score_written_as_a_json_number_is_recorded_as_written(api: Api) -> None:
    api.open_program()
    api.seat("A")
    recorded = api.evaluate("A", scores={"benchmark": 30.1, "expert": 12.3456, "user": 0.5})
    scores = recorded["events"][0]["data"]["scores"]
    assert {k: str(v) for k, v in scores.items()} == {"benchmark": "30.1", "expert": "12.3456", "user": "0.5"}


def test_names_and_codes_refuse_invisible_characters_free_text_keeps_them(api: Api) -> None:
    api.open_program()
    for sneaky in ("\u202e", "\u200b", "\u2066", "\u0085"):
        for field in ("name_en", "lead_organisation", "team_code"):
            body = {
                "team_code": "A",
                "name_ko": "에이",
                "name_en": "A",
                "lead_organisation": "A Inc.",
                field: f"A{sneaky}B",
            }
            with api.unchanged():
                assert api.post(f"/programs/{P}/teams", body).status_code == 422, (field, sneaky)
    kept = api.apply("A", reason="gnp\u202eexe.pdf")
    assert kept["events"][0]["reason"] == "gnp\u202eexe.pdf"


def test_a_budget_cannot_grow_past_the_largest_total_kept(api: Api) -> None:
    api.open_program(budgets={"gpu:B200": MAX_AMOUNT - 1})
    api.ok(f"/programs/{P}/budget-increases", {"resource": "gpu:B200", "amount": 1})
    with api.unchanged():
        refused = api.post(f"/programs/{P}/budget-increases", {"resource": "gpu:B200", "amount": 1})
        assert_problem(refused, 409, "amount-limit")


def test_what_a_programme_commits_over_its_life_is_bounded(api: Api) -> None:
    api.open_program(budgets={"gpu:B200": MAX_AMOUNT})
    api.seat("A")
    api.grant("A", quantity=MAX_AMOUNT)
    period = {"period_start": "2026-01-01", "period_end": "2026-06-30"}
    api.team("A", "returns", {"resource": "gpu:B200", "quantity": MAX_AMOUNT})
    with api.unchanged("A"):
        grant = {"resource": "gpu:B200", "quantity": 1, **period}
        assert_problem(api.post(f"/programs/{P}/teams/A/grants", grant), 409, "amount-limit")


AMOUNTS = st.sampled_from([1, MAX_AMOUNT // 2, MAX_AMOUNT])
STEPS = st.lists(
    st.tuples(st.sampled_from(["increase", "grant", "return", "evaluate"]), AMOUNTS), min_size=1, max_size=8
)
CRITERIA = [{"code": f"c{i}", "max_points": MAX_POINTS} for i in range(3)]


def step(api: Api, program: str, action: str, amount: int) -> int:
    """One decision at the bounds; its status (201, or 409 when a rule or a bound refuses it)."""
    team = f"/programs/{program}/teams/T"
    resource = {"resource": "gpu:B200"}
    path, body = {
        "increase": (f"/programs/{program}/budget-increases", {**resource, "amount": amount}),
        "grant": (f"{team}/grants", {**resource, "quantity": amount, "period_start": "2026-01-01"}),
        "return": (f"{team}/returns", {**resource, "quantity": amount}),
        "evaluate": (f"{team}/evaluations", {"stage": 0, "scores": {c["code"]: "999999.9999" for c in CRITERIA}}),
    }[action]
    if action == "grant":
        body["period_end"] = "2026-06-30"
    return api.post(path, body).status_code


def reads(api: Api, program: str) -> tuple[Any, Any]:
    return api.get(f"/programs/{program}/funding"), api.get(f"/programs/{program}/standings")


def test_decisions_at_the_bounds_apply_and_rebuild_alike(api: Api, services: Services) -> None:
    seen: list[int] = []

    @given(STEPS)
    @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def at_the_bounds(steps: list[tuple[str, int]]) -> None:
        program = f"BOUND-{len(seen)}"
        seen.append(len(steps))
        stage = {"name": "Only", "seats": 3, "criteria": CRITERIA, "gates": []}
        body: dict[str, Any] = {"program_code": program, "title_ko": "경계", "title_en": "Bounds", "agency": "MSIT"}
        body |= {"stages": [stage]}
        body |= {"budgets": {"gpu:B200": MAX_AMOUNT}, "finalist_count": 1, "effective_at": OPENED, "reason": "Open"}
        api.ok("/programs", body)
        api.ok(
            f"/programs/{program}/teams", {"team_code": "T", "name_ko": "티", "name_en": "T", "lead_organisation": "T"}
        )
        api.ok(f"/programs/{program}/teams/T/advancements", {"to_stage": 0})
        for action, amount in steps:
            assert step(api, program, action, amount) in (201, 409), (action, amount)
        before = reads(api, program)
        health = api.get("/health")
        assert health["failures"] == [] and all(row["lag_events"] == 0 for row in health["projections"])
        rebuild(services.projector)
        assert reads(api, program) == before

    at_the_bounds()
    assert len(seen) == 4
