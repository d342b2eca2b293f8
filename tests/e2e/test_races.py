"""Many officials acting at once: 50 clients race for the last seat, or for the last of a budget.

Each round, exactly one request wins (201); every other one is refused with a
409 problem naming the rule (or, if it kept losing races, the concurrent-update
problem) — never a 5xx, and the rule is never broken. The full 100 rounds run on
PostgreSQL, where writes really happen in parallel; SQLite, which admits one
writer at a time, runs 10.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.bootstrap import Services
from domain.commands import AdvanceTeam, IncreaseBudget, OpenProgram, SubmitApplication, WithdrawTeam
from domain.registry import Context
from tests.depth import examples
from tests.e2e.conftest import P

CLIENTS = 50
# Twenty rounds on PostgreSQL in the suite, a hundred in `make test-long` (85 s a race on 2 cores).
ROUNDS = {"sqlite": 10, "postgres": examples(20, 100)}
REFUSALS = {"/problems/seat-unavailable", "/problems/budget-exceeded", "/problems/concurrent-update"}
pytestmark = pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])

SETUP = Context(actor="test", reason="race set-up")


def open_programme(services: Services, seats: int) -> None:
    services.registry.open_program(
        SETUP,
        OpenProgram(
            program_code=P,
            title_ko="경쟁",
            title_en="Race",
            agency="MSIT",
            stages=[{"name": "Only", "seats": seats}],
            budgets={},
            finalist_count=1,
        ),
    )


def race(client: TestClient, requests: list[tuple[str, dict[str, object]]]) -> Counter[str]:
    def send(request: tuple[str, dict[str, object]]) -> str:
        response = client.post(request[0], json=request[1])
        assert response.status_code < 500, response.text
        return "won" if response.status_code == 201 else response.json()["type"]

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return Counter(pool.map(send, requests))


def test_fifty_clients_racing_for_the_last_seat_leave_exactly_one_winner(
    client: TestClient, services: Services, store: str
) -> None:
    open_programme(services, seats=3)
    registry = services.registry
    for i in range(CLIENTS + 2):
        registry.submit_application(
            SETUP,
            SubmitApplication(program_code=P, team_code=f"T{i}", name_ko="팀", name_en="Team", lead_organisation="L"),
        )
    registry.advance_team(SETUP, AdvanceTeam(program_code=P, team_code="T0", to_stage=0))
    registry.advance_team(SETUP, AdvanceTeam(program_code=P, team_code="T1", to_stage=0))
    waiting = [f"T{i}" for i in range(2, CLIENTS + 2)]
    for round_number in range(ROUNDS[store]):
        outcome = race(client, [(f"/programs/{P}/teams/{team}/advancements", {"to_stage": 0}) for team in waiting])
        assert outcome["won"] == 1, (round_number, outcome)
        assert set(outcome) - {"won"} <= REFUSALS
        program = registry.program(P)
        assert len(program.holders[0]) == 3
        winner = next(t for t in waiting if t in program.holders[0])
        waiting.remove(winner)
        registry.withdraw_team(
            SETUP, WithdrawTeam(program_code=P, team_code=winner)
        )  # frees the seat for the next round
        newcomer = f"N{round_number}"
        registry.submit_application(
            SETUP,
            SubmitApplication(program_code=P, team_code=newcomer, name_ko="팀", name_en="Team", lead_organisation="L"),
        )
        waiting.append(newcomer)


def test_fifty_clients_racing_for_the_rest_of_a_budget_leave_exactly_one_winner(
    client: TestClient, services: Services, store: str
) -> None:
    open_programme(services, seats=CLIENTS)
    registry = services.registry
    teams = [f"T{i}" for i in range(CLIENTS)]
    for team in teams:
        registry.submit_application(
            SETUP,
            SubmitApplication(program_code=P, team_code=team, name_ko="팀", name_en="Team", lead_organisation="L"),
        )
        registry.advance_team(SETUP, AdvanceTeam(program_code=P, team_code=team, to_stage=0))
    for round_number in range(ROUNDS[store]):
        resource = f"gpu:R{round_number}"
        registry.increase_budget(SETUP, IncreaseBudget(program_code=P, resource=resource, amount=10))
        grant = {
            "resource": resource,
            "quantity": 7,
            "period_start": str(date(2026, 1, 1)),
            "period_end": str(date(2026, 6, 30)),
        }
        outcome = race(client, [(f"/programs/{P}/teams/{team}/grants", grant) for team in teams])
        assert outcome["won"] == 1, (round_number, outcome)
        assert set(outcome) - {"won"} <= REFUSALS
        assert registry.program(P).allocated[resource] == 7
