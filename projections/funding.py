"""Funding: budgets (each line's own, or the shared pool it draws on) against what is allocated; per team and
resource granted, returned and net; each grant with its period and the budget line it drew on; declared
resource kinds and their equivalences; exclusions; the shared pools and every programme's draw on them; and
the fairness report for re-entrants (``projections.fairness``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.pool import PREFIX, Pool
from domain.program import Program
from projections import fairness
from projections.db import Database, Row
from projections.rows import Rows, Table, plus, versions_at
from projections.schema import Codes

NAME = "funding"
BUDGETS = Table(
    "funding_budgets",
    (
        "program_code TEXT",
        "resource TEXT",
        "budget BIGINT NOT NULL",
        "allocated BIGINT NOT NULL",
        "pool TEXT",
    ),
    ("program_code", "resource"),
)
LEDGER = Table(
    "funding_ledger",
    ("program_code TEXT", "team_code TEXT", "resource TEXT", "granted BIGINT NOT NULL", "returned BIGINT NOT NULL"),
    ("program_code", "team_code", "resource"),
)
KINDS = Table(
    "funding_kinds",
    ("program_code TEXT", "resource TEXT", "unit TEXT NOT NULL", "reference TEXT NOT NULL", "factor TEXT NOT NULL"),
    ("program_code", "resource"),
)
GRANTS = Table(
    "funding_grants",
    (
        "program_code TEXT",
        "team_code TEXT",
        "grant_number INTEGER",
        "resource TEXT NOT NULL",
        "quantity BIGINT NOT NULL",
        "period_start TEXT NOT NULL",
        "period_end TEXT NOT NULL",
        "budget_line TEXT NOT NULL",
        "drawn BIGINT NOT NULL",
    ),
    ("program_code", "team_code", "grant_number"),
)
EXCLUSIONS = Table(
    "funding_exclusions",
    (
        "program_code TEXT",
        "team_code TEXT",
        "exclusion INTEGER",
        "resource TEXT NOT NULL",
        "starts_on TEXT NOT NULL",
        "ends_on TEXT",
        "reason TEXT NOT NULL",
        "lifted_reason TEXT",
    ),
    ("program_code", "team_code", "exclusion"),
)
# A pool's rows are filed under ``pool:<code>`` (``pool_key``), the scope its events are filed under.
POOLS = Table(
    "funding_pools",
    (
        "pool_key TEXT",
        "pool_code TEXT NOT NULL",
        "title TEXT NOT NULL",
        "resource TEXT NOT NULL",
        "budget BIGINT NOT NULL",
        "drawn BIGINT NOT NULL",
    ),
    ("pool_key",),
)
POOL_DRAWS = Table(
    "funding_pool_draws",
    ("pool_key TEXT", "program_code TEXT", "team_code TEXT", "drawn BIGINT NOT NULL", "released BIGINT NOT NULL"),
    ("pool_key", "program_code", "team_code"),
)
ALL = (BUDGETS, LEDGER, KINDS, GRANTS, EXCLUSIONS, POOLS, POOL_DRAWS)


class FundingProjection:
    name = NAME
    tables: tuple[str, ...] = tuple(t.name for t in ALL)
    layout: tuple[Table, ...] = ALL

    def ddl(self) -> list[str]:
        return [statement for table in ALL for statement in table.ddl()]

    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(rows, event, codes)


def _opened(rows: Rows, event: Program.Opened | Program.Announced, c: Codes) -> None:
    for resource, budget in event.budgets.items():
        _budget(rows, c, resource, budget)


def _increased(rows: Rows, event: Program.BudgetIncreased, c: Codes) -> None:
    _budget(rows, c, event.resource, event.amount)


def _budget(rows: Rows, c: Codes, resource: str, amount: int) -> None:
    start = {"program_code": c.program_code, "resource": resource, "budget": 0, "allocated": 0, "pool": None}
    rows.update(BUDGETS, (c.program_code, resource), start, budget=plus(amount))


def _pooled(rows: Rows, event: Program.BudgetLinePooled, c: Codes) -> None:
    start = {"program_code": c.program_code, "resource": event.resource, "budget": 0, "allocated": 0, "pool": None}
    rows.update(BUDGETS, (c.program_code, event.resource), start, pool=event.pool)


def _kind(rows: Rows, event: Program.ResourceKindDeclared, c: Codes) -> None:
    base = rows.get(KINDS, (c.program_code, event.equals)) if event.equals else None
    reference = base["reference"] if base else event.resource
    factor = Fraction(base["factor"]) * Fraction(event.equals_quantity, event.quantity) if base else Fraction(1)
    row = {"program_code": c.program_code, "resource": event.resource, "unit": event.unit}
    rows.put(KINDS, {**row, "reference": reference, "factor": str(factor)})


def _granted(rows: Rows, event: Candidacy.FundingGranted, c: Codes) -> None:
    _ledger(rows, c, event.resource, event.budget_line, granted=event.quantity, drawn=event.drawn)
    grant = {"program_code": c.program_code, "team_code": c.team_code, "grant_number": event.grant}
    period = {"period_start": event.period_start, "period_end": event.period_end}
    line = {"budget_line": event.budget_line, "drawn": event.drawn}
    rows.put(GRANTS, {**grant, "resource": event.resource, "quantity": event.quantity, **period, **line})


def _returned(rows: Rows, event: Candidacy.FundingReturned, c: Codes) -> None:
    _ledger(rows, c, event.resource, event.budget_line, returned=event.quantity, drawn=-event.released)


def _ledger(rows: Rows, c: Codes, resource: str, line: str, *, drawn: int, granted: int = 0, returned: int = 0) -> None:
    key = {"program_code": c.program_code, "team_code": c.team_code, "resource": resource}
    start = {**key, "granted": 0, "returned": 0}
    rows.update(LEDGER, tuple(key.values()), start, granted=plus(granted), returned=plus(returned))
    rows.update(BUDGETS, (c.program_code, line), allocated=plus(drawn))


def _excluded(rows: Rows, event: Candidacy.ExclusionImposed, c: Codes) -> None:
    key = {"program_code": c.program_code, "team_code": c.team_code, "exclusion": event.exclusion}
    period = {"starts_on": event.starts_on, "ends_on": event.ends_on}
    rows.put(EXCLUSIONS, {**key, "resource": event.resource, **period, "reason": event.reason, "lifted_reason": None})


def _lifted(rows: Rows, event: Candidacy.ExclusionLifted, c: Codes) -> None:
    key = (c.program_code, c.team_code, event.exclusion)
    rows.update(EXCLUSIONS, key, ends_on=event.ends_on, lifted_reason=event.reason)


def _pool_opened(rows: Rows, event: Pool.Opened, c: Codes) -> None:
    pool = {"pool_key": c.program_code, "pool_code": event.code, "title": event.title, "resource": event.resource}
    rows.put(POOLS, {**pool, "budget": event.budget, "drawn": 0})


def _pool_increased(rows: Rows, event: Pool.BudgetIncreased, c: Codes) -> None:
    rows.update(POOLS, (c.program_code,), budget=plus(event.amount))


def _pool_drawn(rows: Rows, event: Pool.Drawn | Pool.Released, c: Codes) -> None:
    drawn, released = (event.quantity, 0) if isinstance(event, Pool.Drawn) else (0, event.quantity)
    key = {"pool_key": c.program_code, "program_code": event.program_code, "team_code": event.team_code}
    start = {**key, "drawn": 0, "released": 0}
    rows.update(POOL_DRAWS, tuple(key.values()), start, drawn=plus(drawn), released=plus(released))
    rows.update(POOLS, (c.program_code,), drawn=plus(drawn - released))


_HANDLERS: dict[type[DecisionEvent], Callable[[Rows, Any, Codes], None]] = {
    Program.Opened: _opened,
    Program.Announced: _opened,
    Program.BudgetIncreased: _increased,
    Program.BudgetLinePooled: _pooled,
    Program.ResourceKindDeclared: _kind,
    Candidacy.FundingGranted: _granted,
    Candidacy.FundingReturned: _returned,
    Candidacy.ExclusionImposed: _excluded,
    Candidacy.ExclusionLifted: _lifted,
    Pool.Opened: _pool_opened,
    Pool.BudgetIncreased: _pool_increased,
    Pool.Drawn: _pool_drawn,
    Pool.Released: _pool_drawn,
}


# --- queries --------------------------------------------------------------------------


def program_funding(db: Database, program_code: str, position: int | None = None) -> dict[str, Any]:
    """Budgets, ledger, kinds, grants, exclusions and fairness after log position ``position`` (None: the latest)."""
    scope = "program_code = %s"
    found: dict[str, list[Row]] = {}
    with db.transaction(write=False) as cur:
        for table, order in _READS:
            cur.execute(*versions_at(table, scope, [program_code], position, order))
            found[table] = cur.fetchall()
        # Standings are written in the same transactions as this ledger, so they agree.
        cur.execute(*versions_at("standings_teams", f"{scope} AND status = 'active'", [program_code], position))
        active = cur.fetchall()
    kinds, grants = found["funding_kinds"], found["funding_grants"]
    ledger, exclusions = found["funding_ledger"], found["funding_exclusions"]
    return {
        "program_code": program_code,
        "budgets": [
            {**_pick(b, "resource", "budget", "allocated", "pool"), "remaining": b["budget"] - b["allocated"]}
            for b in found["funding_budgets"]
        ],
        "kinds": [_pick(k, "resource", "unit", "reference", "factor") for k in kinds],
        "teams": [{**_pick(r, "team_code", "resource", "granted", "returned"), "net": _net(r)} for r in ledger],
        "grants": [{**_pick(g, *GRANT_FIELDS), "grant": g["grant_number"]} for g in grants],
        "exclusions": [_pick(x, *EXCLUSION_FIELDS) for x in exclusions],
        "fairness": fairness.report(kinds, grants, ledger, exclusions, active),
    }


_READS = (
    ("funding_budgets", "resource"),
    ("funding_ledger", "team_code, resource"),
    ("funding_kinds", "resource"),
    ("funding_grants", "team_code, grant_number"),
    ("funding_exclusions", "team_code, exclusion"),
)
GRANT_FIELDS = ("team_code", "resource", "quantity", "period_start", "period_end", "budget_line", "drawn")
EXCLUSION_FIELDS = ("team_code", "exclusion", "resource", "starts_on", "ends_on", "reason", "lifted_reason")


def pools(db: Database) -> list[dict[str, Any]]:
    """Every shared pool: its budget, what the programmes drew and what remains."""
    with db.transaction(write=False) as cur:
        cur.execute("SELECT * FROM funding_pools WHERE valid_to IS NULL ORDER BY pool_code")
        return [_pool(p) for p in cur.fetchall()]


def pool_ledger(db: Database, pool_code: str) -> dict[str, Any] | None:
    """One pool with every programme's and team's draw on it, or None if there is no such pool."""
    key = f"{PREFIX}{pool_code}"
    with db.transaction(write=False) as cur:
        cur.execute("SELECT * FROM funding_pools WHERE pool_key = %s AND valid_to IS NULL", (key,))
        found = cur.fetchone()
        cur.execute(
            "SELECT * FROM funding_pool_draws WHERE pool_key = %s AND valid_to IS NULL"
            " ORDER BY program_code, team_code",
            (key,),
        )
        draws = cur.fetchall()
    if found is None:
        return None
    lines = [
        {**_pick(d, "program_code", "team_code", "drawn", "released"), "net": d["drawn"] - d["released"]} for d in draws
    ]
    programmes: dict[str, int] = {}
    for line in lines:
        programmes[line["program_code"]] = programmes.get(line["program_code"], 0) + line["net"]
    by_programme = [{"program_code": code, "net": net} for code, net in sorted(programmes.items())]
    return {**_pool(found), "draws": lines, "programmes": by_programme}


def _pool(row: Row) -> dict[str, Any]:
    return {
        **_pick(row, "pool_code", "title", "resource", "budget", "drawn"),
        "remaining": row["budget"] - row["drawn"],
    }


def _pick(row: Row, *keys: str) -> dict[str, Any]:
    return {k: row[k] for k in keys}


def _net(row: Row) -> int:
    return int(row["granted"]) - int(row["returned"])
