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
from projections.db import Cursor, Database, Row
from projections.engine import Codes

NAME = "funding"
TABLES = ("funding_budgets", "funding_ledger")
DDL = [
    "CREATE TABLE IF NOT EXISTS funding_budgets (program_code TEXT, resource TEXT, budget BIGINT NOT NULL,"
    " allocated BIGINT NOT NULL, PRIMARY KEY (program_code, resource))",
    "CREATE TABLE IF NOT EXISTS funding_ledger (program_code TEXT, team_code TEXT, resource TEXT,"
    " granted BIGINT NOT NULL, returned BIGINT NOT NULL, PRIMARY KEY (program_code, team_code, resource))",
]


class FundingProjection:
    name = NAME
    tables: tuple[str, ...] = TABLES

    def ddl(self) -> list[str]:
        return DDL

    def handle(self, cur: Cursor, event: DecisionEvent, position: int, codes: Codes) -> None:
        if isinstance(event, Program.Opened):
            for resource, budget in event.budgets.items():
                _budget(cur, codes, resource, budget)
        elif isinstance(event, Program.BudgetIncreased):
            _budget(cur, codes, event.resource, event.amount)
        elif isinstance(event, Candidacy.FundingGranted):
            _ledger(cur, codes, event.resource, granted=event.quantity)
        elif isinstance(event, Candidacy.FundingReturned):
            _ledger(cur, codes, event.resource, returned=event.quantity)


def _budget(cur: Cursor, c: Codes, resource: str, amount: int) -> None:
    cur.execute(
        "INSERT INTO funding_budgets VALUES (%s, %s, %s, 0) ON CONFLICT (program_code, resource)"
        " DO UPDATE SET budget = funding_budgets.budget + excluded.budget",
        (c.program_code, resource, amount),
    )


def _ledger(cur: Cursor, c: Codes, resource: str, *, granted: int = 0, returned: int = 0) -> None:
    cur.execute(
        "INSERT INTO funding_ledger VALUES (%s, %s, %s, %s, %s) ON CONFLICT (program_code, team_code, resource)"
        " DO UPDATE SET granted = funding_ledger.granted + excluded.granted,"
        " returned = funding_ledger.returned + excluded.returned",
        (c.program_code, c.team_code, resource, granted, returned),
    )
    cur.execute(
        "UPDATE funding_budgets SET allocated = allocated + %s WHERE program_code = %s AND resource = %s",
        (granted - returned, c.program_code, resource),
    )


# --- queries --------------------------------------------------------------------------


def program_funding(db: Database, program_code: str) -> dict[str, Any]:
    with db.transaction(write=False) as cur:
        cur.execute("SELECT * FROM funding_budgets WHERE program_code = %s ORDER BY resource", (program_code,))
        budgets = cur.fetchall()
        cur.execute(
            "SELECT * FROM funding_ledger WHERE program_code = %s ORDER BY team_code, resource", (program_code,)
        )
        ledger = cur.fetchall()
        # Standings are written in the same transactions as this ledger, so they agree.
        cur.execute(
            "SELECT team_code, stage, reentrant FROM standings_teams WHERE program_code = %s AND status = 'active'",
            (program_code,),
        )
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
