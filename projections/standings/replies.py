"""Standings rows as the API shows them, with what is judged when read, never stored.

Ranks (ties share one), the seats held and vacant, whether an elimination is
final (upheld, or its objection deadline passed at ``now``) and whether a
re-entry round is open are computed here from the rows, so they cannot
disagree with them.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from projections.db import Row
from projections.encoding import iso


def team_reply(row: Row, now: datetime) -> dict[str, Any]:
    """A team, its elimination final once upheld or once its objection deadline has passed at ``now``."""
    deadline = row["objection_deadline"]
    eliminated = row["status"] == "eliminated"
    final = eliminated and (bool(row["elimination_upheld"]) or (deadline is not None and deadline < iso(now)))
    return {
        "team_code": row["team_code"],
        "name_ko": row["name_ko"],
        "name_en": row["name_en"],
        "lead_organisation": row["lead_organisation"],
        "members": orjson.loads(row["members"]),
        "status": row["status"],
        "stage": row["stage"],
        "reentrant": bool(row["reentrant"]),
        "finalist": bool(row["finalist"]),
        "elimination": None
        if not eliminated
        else {
            "reason_code": row["elimination_reason"],
            "reason": row["elimination_detail"],
            "objection_deadline": deadline,
            "final": final,
        },
    }


def score_reply(row: Row) -> dict[str, Any]:
    """A team's latest evaluation at a stage."""
    return {
        "stage": row["stage"],
        "evaluation": row["evaluation"],
        "scores": orjson.loads(row["scores"]),
        "gates": orjson.loads(row["gates"]),
        "total": row["total"],
        "passed_gates": bool(row["passed"]),
        "amended": bool(row["amended"]),
        "rules_version": row["rules_version"],
    }


def stage_reply(
    stage: Row, entries: list[Row], scores: list[Row], teams: dict[str, dict[str, Any]], *, concluded: bool = False
) -> dict[str, Any]:
    """A stage with its teams ranked by total (ties share a rank), the seats held and the vacancies.

    A concluded stage (the finalists are selected) takes no new teams: its free seats are no vacancies.
    """
    index = stage["stage"]
    here = [e for e in entries if e["stage"] == index]
    by_team = {s["team_code"]: score_reply(s) for s in scores if s["stage"] == index}
    totals = sorted(Decimal(s["total"]) for s in by_team.values())
    rows = []
    for entry in here:
        if entry["team_code"] not in teams:
            # Decisions about a team may be dated back to the opening, before its application took effect
            # (applications recorded late); a moment in between shows the seat's decision but not the team.
            continue
        score = by_team.get(entry["team_code"])
        # 1 + how many totals are higher: ties share a rank
        rank = None if score is None else 1 + len(totals) - bisect_right(totals, Decimal(score["total"]))
        rows.append({**teams[entry["team_code"]], "outcome": entry["outcome"], "evaluation": score, "rank": rank})
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["team_code"]))
    holders = [r["team_code"] for r in rows if r["outcome"] == "seated"]
    return {
        "stage": index,
        "name": stage["name"],
        "seats": stage["seats"],
        "holders": holders,
        "vacancies": 0 if concluded else stage["seats"] - len(holders),
        "concluded": concluded,
        "criteria": orjson.loads(stage["criteria"]),
        "gates": orjson.loads(stage["gates"]),
        "teams": rows,
    }


def offer_reply(row: Row) -> dict[str, Any]:
    """A re-entry offer and its answer, if any."""
    return {k: row[k] for k in ("team_code", "offer", "round", "stage", "deadline", "answer")}


def application_reply(row: Row) -> dict[str, Any]:
    """A team's application to a re-entry round, with its consortium, and its state (pending, withdrawn, selected)."""
    return {
        "team_code": row["team_code"],
        "round": row["round"],
        "lead_organisation": row["lead_organisation"],
        "members": orjson.loads(row["members"]),
        "applied_at": row["applied_at"],
        "state": row["state"],
    }


def statement_reply(row: Row) -> dict[str, Any]:
    """What a team said about a re-entry round without an offer."""
    return {
        "team_code": row["team_code"],
        "statement": row["statement"],
        "round": row["round"],
        "kind": row["kind"],
        "form": row["form"],
        "words": row["words"],
        "sources": orjson.loads(row["sources"]),
        "effective_at": row["effective_at"],
    }


def round_reply(
    row: Row, now: datetime, *, offers: list[Row], applications: list[Row], statements: list[Row]
) -> dict[str, Any]:
    """A re-entry round with its offers, applications and statements, open when ``now`` is within its window."""
    number = row["round"]
    return {
        "round": row["round"],
        "stage": row["stage"],
        "seats": row["seats"],
        "filled": row["filled"],
        "eligibility": orjson.loads(row["eligibility"]),
        "opens_at": row["opens_at"],
        "closes_at": row["closes_at"],
        "first_closes_at": row["first_closes_at"],
        "last_change": row["change"],
        "last_change_reason": row["change_reason"],
        "open": row["opens_at"] <= iso(now) <= row["closes_at"],
        "offers": [offer_reply(o) for o in offers if o["round"] == number],
        "applications": [application_reply(a) for a in applications if a["round"] == number],
        "statements": [statement_reply(s) for s in statements if s["round"] == number],
    }


def call_reply(row: Row, now: datetime) -> dict[str, Any]:
    """A stage's call for applications as it stood, open when ``now`` is within its window."""
    return {
        "stage": row["stage"],
        "opens_at": row["opens_at"],
        "closes_at": row["closes_at"],
        "first_closes_at": row["first_closes_at"],
        "open": row["opens_at"] <= iso(now) <= row["closes_at"],
        "last_change": row["change"],
        "last_change_reason": row["change_reason"],
    }
