"""Funding ledger: per team and resource granted, returned and net; per programme the
budget against what is allocated; and the fairness comparison for re-entrants.

Fairness is reported, never enforced. For each re-entrant still active and each
resource class granted in its stage (``gpu``, ``krw``, ``title``: the part of the
resource kind before the colon, so 1,024 H100s and 512 B200s both count as
GPUs), the report sets the re-entrant's net holding beside the median net
holding of the incumbents (active, not re-entrants) of the same stage and flags
a shortfall when the re-entrant holds less.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.program import Program
from projections.db import Database, Row
from projections.rows import Rows, Table, plus, versions_at
from projections.schema import Codes

NAME = "funding"
BUDGETS = Table(
    "funding_budgets",
    ("program_code TEXT", "resource TEXT", "budget BIGINT NOT NULL", "allocated BIGINT NOT NULL"),
    ("program_code", "resource"),
)
LEDGER = Table(
    "funding_ledger",
    ("program_code TEXT", "team_code TEXT", "resource TEXT", "granted BIGINT NOT NULL", "returned BIGINT NOT NULL"),
    ("program_code", "team_code", "resource"),
)
ALL = (BUDGETS, LEDGER)


class FundingProjection:
    name = NAME
    tables: tuple[str, ...] = tuple(t.name for t in ALL)
    layout: tuple[Table, ...] = ALL

    def ddl(self) -> list[str]:
        return [statement for table in ALL for statement in table.ddl()]

    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None:
        if isinstance(event, (Program.Opened, Program.Announced)):
            for resource, budget in event.budgets.items():
                _budget(rows, codes, resource, budget)
        elif isinstance(event, Program.BudgetIncreased):
            _budget(rows, codes, event.resource, event.amount)
        elif isinstance(event, Candidacy.FundingGranted):
            _ledger(rows, codes, event.resource, granted=event.quantity)
        elif isinstance(event, Candidacy.FundingReturned):
            _ledger(rows, codes, event.resource, returned=event.quantity)


def _budget(rows: Rows, c: Codes, resource: str, amount: int) -> None:
    start = {"program_code": c.program_code, "resource": resource, "budget": 0, "allocated": 0}
    rows.update(BUDGETS, (c.program_code, resource), start, budget=plus(amount))


def _ledger(rows: Rows, c: Codes, resource: str, *, granted: int = 0, returned: int = 0) -> None:
    key = {"program_code": c.program_code, "team_code": c.team_code, "resource": resource}
    start = {**key, "granted": 0, "returned": 0}
    rows.update(LEDGER, tuple(key.values()), start, granted=plus(granted), returned=plus(returned))
    rows.update(BUDGETS, (c.program_code, resource), allocated=plus(granted - returned))


# --- queries --------------------------------------------------------------------------


def program_funding(db: Database, program_code: str, position: int | None = None) -> dict[str, Any]:
    """Budgets, ledger and fairness after log position ``position`` (None: the latest)."""
    scope = "program_code = %s"
    with db.transaction(write=False) as cur:
        cur.execute(*versions_at("funding_budgets", scope, [program_code], position, "resource"))
        budgets = cur.fetchall()
        cur.execute(*versions_at("funding_ledger", scope, [program_code], position, "team_code, resource"))
        ledger = cur.fetchall()
        # Standings are written in the same transactions as this ledger, so they agree.
        cur.execute(*versions_at("standings_teams", f"{scope} AND status = 'active'", [program_code], position))
        active = cur.fetchall()
    return {
        "program_code": program_code,
        "budgets": [
            {**_pick(b, "resource", "budget", "allocated"), "remaining": b["budget"] - b["allocated"]} for b in budgets
        ],
        "teams": [{**_pick(r, "team_code", "resource", "granted", "returned"), "net": _net(r)} for r in ledger],
        "fairness": _fairness(ledger, active),
    }


def _pick(row: Row, *keys: str) -> dict[str, Any]:
    return {k: row[k] for k in keys}


def _net(row: Row) -> int:
    return int(row["granted"]) - int(row["returned"])


def _fairness(ledger: list[Row], active: list[Row]) -> list[dict[str, Any]]:
    holding: dict[tuple[str, str], int] = {}
    for r in ledger:
        key = (r["team_code"], r["resource"].split(":", 1)[0])
        holding[key] = holding.get(key, 0) + _net(r)
    report = []
    for team in (t for t in active if t["reentrant"]):
        peers = [t["team_code"] for t in active if t["stage"] == team["stage"] and not t["reentrant"]]
        kinds = sorted({res for (code, res) in holding if code in peers or code == team["team_code"]})
        for resource in kinds:
            incumbents = [holding.get((p, resource), 0) for p in peers]
            typical = median(incumbents) if incumbents else 0
            net = holding.get((team["team_code"], resource), 0)
            report.append(
                {
                    "team_code": team["team_code"],
                    "stage": team["stage"],
                    "resource": resource,
                    "net": net,
                    "incumbent_median": typical,
                    "incumbent_min": min(incumbents, default=0),
                    "incumbent_max": max(incumbents, default=0),
                    "shortfall": max(0, typical - net),
                }
            )
    return report
