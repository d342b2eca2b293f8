"""Fifty clients in two programmes race for the last units of a shared pool, on PostgreSQL, several rounds.

Both programmes' GPU lines draw on one national pool. Each round leaves room for
exactly one grant of 7 units; 25 teams of each programme ask at once. Exactly
one request wins each round (201); every other one is refused with a 409 problem
naming the rule (or the concurrent-update problem) — never a 5xx — and the
pool's ledger sums exactly: every programme's draw adds up to what the pool says
was drawn.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services
from domain.commands import AdvanceTeam, IncreasePoolBudget, OpenPool, OpenProgram, PoolBudgetLine, SubmitApplication
from domain.registry import Context

CLIENTS = 50
ROUNDS = 3
GRANT = 7
PROGRAMMES = ("RACE-A", "RACE-B")
REFUSALS = {"/problems/pool-exhausted", "/problems/concurrent-update"}
SETUP = Context(actor="test", reason="race set-up")
pytestmark = pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])


def programme(services: Services, code: str) -> list[str]:
    registry = services.registry
    stages = [{"name": "Only", "seats": CLIENTS}]
    opened = OpenProgram(
        program_code=code, title_ko="경쟁", title_en="Race", agency="MSIT", stages=stages, budgets={}, finalist_count=1
    )
    registry.open_program(SETUP, opened)
    registry.pool_budget_line(SETUP, PoolBudgetLine(program_code=code, resource="gpu:H100", pool="NATIONAL"))
    teams = [f"T{i}" for i in range(CLIENTS // len(PROGRAMMES))]
    for team in teams:
        applied = SubmitApplication(
            program_code=code, team_code=team, name_ko="팀", name_en="Team", lead_organisation="L"
        )
        registry.submit_application(SETUP, applied)
        registry.advance_team(SETUP, AdvanceTeam(program_code=code, team_code=team, to_stage=0))
    return teams


def test_two_programmes_racing_for_the_last_units_of_a_pool_leave_exactly_one_winner_each_round(
    client: TestClient, services: Services
) -> None:
    services.registry.open_pool(
        SETUP, OpenPool(pool_code="NATIONAL", title="National GPU pool", resource="gpu:H100", budget=10)
    )
    requests = [(code, team) for code in PROGRAMMES for team in programme(services, code)]
    grant = {"resource": "gpu:H100", "quantity": GRANT, "period_start": "2026-01-01", "period_end": "2026-06-30"}

    def send(request: tuple[str, str]) -> str:
        response = client.post(f"/programs/{request[0]}/teams/{request[1]}/grants", json=grant)
        assert response.status_code < 500, response.text
        return "won" if response.status_code == 201 else str(response.json()["type"])

    for round_number in range(ROUNDS):
        if round_number:  # 3 units are left: room for exactly one more grant of 7
            services.registry.increase_pool_budget(SETUP, IncreasePoolBudget(pool_code="NATIONAL", amount=GRANT))
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            outcome = Counter(pool.map(send, requests))
        assert outcome["won"] == 1, (round_number, outcome)
        assert set(outcome) - {"won"} <= REFUSALS, outcome
        assert services.registry.pool("NATIONAL").remaining == 3

    ledger = client.get("/pools/NATIONAL").json()
    assert (ledger["budget"], ledger["drawn"], ledger["remaining"]) == (10 + GRANT * (ROUNDS - 1), GRANT * ROUNDS, 3)
    assert sum(d["net"] for d in ledger["draws"]) == sum(p["net"] for p in ledger["programmes"]) == GRANT * ROUNDS
    assert all(d["drawn"] % GRANT == 0 and d["released"] == 0 for d in ledger["draws"])
    allocated = sum(services.registry.program(code).allocated["gpu:H100"] for code in PROGRAMMES)
    assert allocated == GRANT * ROUNDS
