"""Evaluation rounds, round outcomes and provisional advancements as the API shows them, and the round query.

Whether an advancement under objection is final (confirmed, or its deadline
passed at ``now``) is judged when read, as eliminations are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from projections.db import Database, Row
from projections.encoding import iso
from projections.rows import versions_at


def outcome_reply(row: Row) -> dict[str, Any]:
    """What a round published about a team: result, the scores and gates published, rank, who sat, who stood aside."""
    return {
        "round": row["round"],
        "stage": row["stage"],
        "result": row["result"],
        "scores": orjson.loads(row["scores"]),
        "gates": orjson.loads(row["gates"]),
        "rank": row["rank"],
        "panel": orjson.loads(row["panel"]),
        "recusals": orjson.loads(row["recusals"]),
        "effective_at": row["effective_at"],
    }


def advancement_reply(row: Row | None, now: datetime) -> dict[str, Any] | None:
    """A team's latest advancement under objection; final once confirmed or once its deadline has passed."""
    if row is None:
        return None
    state = row["state"]
    return {
        "stage": row["stage"],
        "objection_deadline": row["objection_deadline"],
        "state": state,
        "final": state == "confirmed" or (state == "provisional" and row["objection_deadline"] < iso(now)),
    }


def excuse_reply(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in ("round", "member", "team_code", "kind", "reason", "effective_at")}


def attach(teams: dict[str, dict[str, Any]], outcomes: list[Row], advancements: list[Row], now: datetime) -> None:
    """Give each team (as ``team_reply`` shows it) its latest round outcome and its advancement under objection."""
    latest: dict[str, Row] = {}
    for row in sorted(outcomes, key=lambda r: r["round"]):
        latest[row["team_code"]] = row
    by_team = {a["team_code"]: a for a in advancements}
    for code, team in teams.items():
        team["round_outcome"] = outcome_reply(latest[code]) if code in latest else None
        team["advancement"] = advancement_reply(by_team.get(code), now)


def round_summary(row: Row) -> dict[str, Any]:
    return {
        "round": row["round"],
        "stage": row["stage"],
        "title": row["title"],
        "opened_at": row["opened_at"],
        "reentry_round": row["reentry_round"],
        "decided": row["decision"] is not None,
    }


def evaluation_rounds(db: Database, program_code: str, position: int | None = None) -> list[dict[str, Any]]:
    """The programme's evaluation rounds, as they stood after ``position`` (None: now)."""
    with db.transaction(write=False) as cur:
        cur.execute(*versions_at("standings_evaluation_rounds", "program_code = %s", [program_code], position, "round"))
        return [round_summary(r) for r in cur.fetchall()]


def evaluation_round(
    db: Database, program_code: str, number: int, position: int | None = None
) -> dict[str, Any] | None:
    """One round with its panel, the conflicts and recusals declared, the outcomes and the decision."""
    where, params = "program_code = %s AND round = %s", [program_code, number]
    with db.transaction(write=False) as cur:
        cur.execute(*versions_at("standings_evaluation_rounds", where, params, position))
        row = cur.fetchone()
        if row is None:
            return None
        cur.execute(*versions_at("standings_panel", where, params, position, "member"))
        panel = [{"member": p["member"], "role": p["role"]} for p in cur.fetchall()]
        cur.execute(*versions_at("standings_excuses", where, params, position, "member, team_code"))
        excuses = [excuse_reply(e) for e in cur.fetchall()]
        cur.execute(*versions_at("standings_outcomes", where, params, position, "team_code"))
        outcomes = [{"team_code": o["team_code"], **outcome_reply(o)} for o in cur.fetchall()]
    outcomes.sort(key=lambda o: (o["rank"] is None, o["rank"] or 0, o["team_code"]))
    return {
        **round_summary(row),
        "program_code": program_code,
        "criteria": orjson.loads(row["criteria"]),
        "gates": orjson.loads(row["gates"]),
        "panel": panel,
        "conflicts_and_recusals": excuses,
        "outcomes": outcomes,
        "decision": None if row["decision"] is None else orjson.loads(row["decision"]),
        "version": row["version"],
    }
