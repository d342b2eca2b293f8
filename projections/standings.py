"""Standings: per programme and stage, the seats, who holds them, each team's outcome,
latest scores, total and rank, and the re-entry rounds with their offers.

Rows store facts only; counts of holders and vacancies, ranks and whether an
elimination is final (upheld, or its objection deadline passed) are computed
when read, so they can never disagree with the rows they come from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.program import Program
from projections.db import Cursor, Database, Row
from projections.engine import Codes, iso, json_ready

NAME = "standings"
TABLES = (
    "standings_programs",
    "standings_stages",
    "standings_teams",
    "standings_entries",
    "standings_scores",
    "standings_rounds",
    "standings_offers",
)
DDL = [
    "CREATE TABLE IF NOT EXISTS standings_programs (program_code TEXT PRIMARY KEY, title_ko TEXT NOT NULL,"
    " title_en TEXT NOT NULL, agency TEXT NOT NULL, opened_at TEXT NOT NULL, finalist_count INTEGER NOT NULL,"
    " finalists TEXT NOT NULL, version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS standings_stages (program_code TEXT, stage INTEGER, name TEXT NOT NULL,"
    " seats INTEGER NOT NULL, criteria TEXT NOT NULL, gates TEXT NOT NULL, PRIMARY KEY (program_code, stage))",
    "CREATE TABLE IF NOT EXISTS standings_teams (program_code TEXT, team_code TEXT, name_ko TEXT NOT NULL,"
    " name_en TEXT NOT NULL, lead_organisation TEXT NOT NULL, members TEXT NOT NULL, status TEXT NOT NULL,"
    " stage INTEGER NOT NULL, applied_at TEXT NOT NULL, reentrant INTEGER NOT NULL, finalist INTEGER NOT NULL,"
    " elimination_reason TEXT, elimination_detail TEXT, objection_deadline TEXT, elimination_upheld INTEGER,"
    " version INTEGER NOT NULL, PRIMARY KEY (program_code, team_code))",
    "CREATE TABLE IF NOT EXISTS standings_entries (program_code TEXT, stage INTEGER, team_code TEXT,"
    " outcome TEXT NOT NULL, PRIMARY KEY (program_code, stage, team_code))",
    "CREATE TABLE IF NOT EXISTS standings_scores (program_code TEXT, team_code TEXT, stage INTEGER,"
    " evaluation INTEGER NOT NULL, scores TEXT NOT NULL, gates TEXT NOT NULL, total TEXT NOT NULL,"
    " passed INTEGER NOT NULL, amended INTEGER NOT NULL, PRIMARY KEY (program_code, team_code, stage))",
    "CREATE TABLE IF NOT EXISTS standings_rounds (program_code TEXT, round INTEGER, stage INTEGER NOT NULL,"
    " seats INTEGER NOT NULL, filled INTEGER NOT NULL, eligibility TEXT NOT NULL, opens_at TEXT NOT NULL,"
    " closes_at TEXT NOT NULL, PRIMARY KEY (program_code, round))",
    "CREATE TABLE IF NOT EXISTS standings_offers (program_code TEXT, team_code TEXT, offer INTEGER,"
    " round INTEGER NOT NULL, stage INTEGER NOT NULL, deadline TEXT NOT NULL, answer TEXT,"
    " PRIMARY KEY (program_code, team_code, offer))",
]


def _json(value: Any) -> str:
    return orjson.dumps(json_ready(value)).decode()


class StandingsProjection:
    name = NAME
    tables: tuple[str, ...] = TABLES

    def ddl(self) -> list[str]:
        return DDL

    def handle(self, cur: Cursor, event: DecisionEvent, position: int, codes: Codes) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(cur, event, codes)
        # Every event moves its record's version (the ETag), including events with no other effect here.
        if isinstance(event, Program.Event):
            cur.execute(
                "UPDATE standings_programs SET version = %s WHERE program_code = %s",
                (event.originator_version, codes.program_code),
            )
        else:
            _update_team(cur, codes, codes.team_code, version=event.originator_version)


Handler = Callable[[Cursor, Any, Codes], None]


def _opened(cur: Cursor, e: Program.Opened, c: Codes) -> None:
    cur.execute(
        "INSERT INTO standings_programs VALUES (%s, %s, %s, %s, %s, %s, '[]', 1)",
        (e.code, e.title_ko, e.title_en, e.agency, iso(e.effective_at), e.finalist_count),
    )
    cur.executemany(
        "INSERT INTO standings_stages VALUES (%s, %s, %s, %s, %s, %s)",
        [(e.code, i, s["name"], s["seats"], _json(s["criteria"]), _json(s["gates"])) for i, s in enumerate(e.stages)],
    )


def _set_entry(cur: Cursor, c: Codes, stage: int, team: str, outcome: str) -> None:
    cur.execute(
        "INSERT INTO standings_entries VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (program_code, stage, team_code) DO UPDATE SET outcome = excluded.outcome",
        (c.program_code, stage, team, outcome),
    )


def _seat_taken(cur: Cursor, e: Program.SeatTaken, c: Codes) -> None:
    if e.left_stage is not None:
        _set_entry(cur, c, e.left_stage, e.team, "advanced")
    _set_entry(cur, c, e.stage, e.team, "seated")
    if e.round is not None:
        cur.execute(
            "UPDATE standings_rounds SET filled = filled + 1 WHERE program_code = %s AND round = %s",
            (c.program_code, e.round),
        )


def _round_opened(cur: Cursor, e: Program.ReEntryRoundOpened, c: Codes) -> None:
    cur.execute(
        "INSERT INTO standings_rounds VALUES (%s, %s, %s, %s, 0, %s, %s, %s)",
        (c.program_code, e.round, e.stage, e.seats, _json(e.eligibility), iso(e.opens_at), iso(e.closes_at)),
    )


def _finalists(cur: Cursor, e: Program.FinalistsSelected, c: Codes) -> None:
    cur.execute(
        "UPDATE standings_programs SET finalists = %s WHERE program_code = %s", (_json(e.teams), c.program_code)
    )
    for team in e.teams:
        _update_team(cur, c, team, finalist=1)


def _update_team(cur: Cursor, c: Codes, team: str | None, **fields: Any) -> None:
    assignments = ", ".join(f"{k} = %s" for k in fields)
    cur.execute(
        f"UPDATE standings_teams SET {assignments} WHERE program_code = %s AND team_code = %s",
        [*fields.values(), c.program_code, team],
    )


def _applied(cur: Cursor, e: Candidacy.ApplicationSubmitted, c: Codes) -> None:
    cur.execute(
        "INSERT INTO standings_teams VALUES (%s, %s, %s, %s, %s, %s, 'applied', %s, %s, 0, 0,"
        " NULL, NULL, NULL, NULL, 1)",
        (
            c.program_code,
            c.team_code,
            e.name_ko,
            e.name_en,
            e.lead_organisation,
            _json(e.members),
            e.stage,
            iso(e.effective_at),
        ),
    )


def _consortium(cur: Cursor, e: Candidacy.ConsortiumChanged, c: Codes) -> None:
    cur.execute(
        "SELECT members FROM standings_teams WHERE program_code = %s AND team_code = %s",
        (c.program_code, c.team_code),
    )
    row = cur.fetchone()
    members = [m for m in orjson.loads(row["members"]) if m not in e.left] + list(e.joined) if row else []
    _update_team(cur, c, c.team_code, members=_json(members))


def _evaluated(cur: Cursor, e: Candidacy.EvaluationRecorded, c: Codes) -> None:
    total = sum(e.scores.values(), Decimal(0))
    cur.execute(
        "INSERT INTO standings_scores VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0)"
        " ON CONFLICT (program_code, team_code, stage) DO UPDATE SET evaluation = excluded.evaluation,"
        " scores = excluded.scores, gates = excluded.gates, total = excluded.total,"
        " passed = excluded.passed, amended = 0",
        (
            c.program_code,
            c.team_code,
            e.stage,
            e.evaluation,
            _json(e.scores),
            _json(e.gates),
            str(total),
            int(all(e.gates.values())),
        ),
    )


def _amended(cur: Cursor, e: Candidacy.EvaluationAmended, c: Codes) -> None:
    total = sum(e.scores.values(), Decimal(0))
    cur.execute(
        "UPDATE standings_scores SET scores = %s, gates = %s, total = %s, passed = %s, amended = 1"
        " WHERE program_code = %s AND team_code = %s AND stage = %s AND evaluation = %s",
        (
            _json(e.scores),
            _json(e.gates),
            str(total),
            int(all(e.gates.values())),
            c.program_code,
            c.team_code,
            e.stage,
            e.evaluation,
        ),
    )


def _advanced(cur: Cursor, e: Candidacy.TeamAdvanced, c: Codes) -> None:
    _update_team(cur, c, c.team_code, status="active", stage=e.to_stage)


def _eliminated(cur: Cursor, e: Candidacy.TeamEliminated, c: Codes) -> None:
    _update_team(
        cur,
        c,
        c.team_code,
        status="eliminated",
        elimination_reason=e.reason_code,
        elimination_detail=e.reason,
        objection_deadline=iso(e.objection_deadline),
        elimination_upheld=0,
    )
    if e.was_seated:
        _set_entry(cur, c, e.stage, c.team_code or "", "eliminated")


def _upheld(cur: Cursor, e: Candidacy.EliminationUpheld, c: Codes) -> None:
    _update_team(cur, c, c.team_code, elimination_upheld=1)


def _reversed(cur: Cursor, e: Candidacy.EliminationReversed, c: Codes) -> None:
    _update_team(
        cur,
        c,
        c.team_code,
        status="active" if e.was_seated else "applied",
        stage=e.stage,
        elimination_reason=None,
        elimination_detail=None,
        objection_deadline=None,
        elimination_upheld=None,
    )


def _offered(cur: Cursor, e: Candidacy.ReEntryOffered, c: Codes) -> None:
    cur.execute(
        "INSERT INTO standings_offers VALUES (%s, %s, %s, %s, %s, %s, NULL)",
        (c.program_code, c.team_code, e.offer, e.round, e.stage, iso(e.deadline)),
    )


def _answer(cur: Cursor, c: Codes, offer: int, answer: str) -> None:
    cur.execute(
        "UPDATE standings_offers SET answer = %s WHERE program_code = %s AND team_code = %s AND offer = %s",
        (answer, c.program_code, c.team_code, offer),
    )


def _accepted(cur: Cursor, e: Candidacy.OfferAccepted, c: Codes) -> None:
    _answer(cur, c, e.offer, "accepted")
    _update_team(
        cur,
        c,
        c.team_code,
        status="active",
        stage=e.stage,
        reentrant=1,
        elimination_reason=None,
        elimination_detail=None,
        objection_deadline=None,
        elimination_upheld=None,
    )


def _declined(cur: Cursor, e: Candidacy.OfferDeclined, c: Codes) -> None:
    _answer(cur, c, e.offer, "declined")


def _withdrew(cur: Cursor, e: Candidacy.TeamWithdrew, c: Codes) -> None:
    _update_team(cur, c, c.team_code, status="withdrawn")
    if e.was_seated:
        _set_entry(cur, c, e.stage, c.team_code or "", "withdrawn")


_HANDLERS: dict[type, Handler] = {
    Program.Opened: _opened,
    Program.SeatTaken: _seat_taken,
    Program.ReEntryRoundOpened: _round_opened,
    Program.FinalistsSelected: _finalists,
    Candidacy.ApplicationSubmitted: _applied,
    Candidacy.ConsortiumChanged: _consortium,
    Candidacy.EvaluationRecorded: _evaluated,
    Candidacy.EvaluationAmended: _amended,
    Candidacy.TeamAdvanced: _advanced,
    Candidacy.TeamEliminated: _eliminated,
    Candidacy.EliminationUpheld: _upheld,
    Candidacy.EliminationReversed: _reversed,
    Candidacy.ReEntryOffered: _offered,
    Candidacy.OfferAccepted: _accepted,
    Candidacy.OfferDeclined: _declined,
    Candidacy.TeamWithdrew: _withdrew,
}


# --- queries --------------------------------------------------------------------------


def list_programs(db: Database) -> list[Row]:
    with db.transaction(write=False) as cur:
        cur.execute(
            "SELECT p.program_code, p.title_ko, p.title_en, p.agency, p.opened_at,"
            " (SELECT COUNT(*) FROM standings_teams t WHERE t.program_code = p.program_code) AS teams"
            " FROM standings_programs p ORDER BY p.opened_at, p.program_code"
        )
        rows: list[Row] = cur.fetchall()
    return rows


def program_exists(db: Database, program_code: str) -> bool:
    with db.transaction(write=False) as cur:
        return _one(cur, "SELECT 1 AS found FROM standings_programs WHERE program_code = %s", program_code) is not None


def program_standings(db: Database, program_code: str, now: datetime) -> dict[str, Any] | None:
    """The programme's standings as of the latest recorded decision."""
    with db.transaction(write=False) as cur:
        program = _one(cur, "SELECT * FROM standings_programs WHERE program_code = %s", program_code)
        if program is None:
            return None
        teams = {t["team_code"]: _team(t, now) for t in _all(cur, "standings_teams", program_code)}
        scores = _all(cur, "standings_scores", program_code)
        entries = _all(cur, "standings_entries", program_code)
        stages = _all(cur, "standings_stages", program_code, order="stage")
        rounds = _all(cur, "standings_rounds", program_code, order="round")
        offers = _all(cur, "standings_offers", program_code, order="team_code, offer")
    return {
        "program_code": program_code,
        "version": program["version"],
        "title_ko": program["title_ko"],
        "title_en": program["title_en"],
        "agency": program["agency"],
        "opened_at": program["opened_at"],
        "finalist_count": program["finalist_count"],
        "finalists": orjson.loads(program["finalists"]),
        "stages": [_stage(s, entries, scores, teams) for s in stages],
        "applicants": [t for t in teams.values() if not any(e["team_code"] == t["team_code"] for e in entries)],
        "rounds": [_round(r, offers, now) for r in rounds],
    }


def team_record(db: Database, program_code: str, team_code: str, now: datetime) -> dict[str, Any] | None:
    with db.transaction(write=False) as cur:
        row = _one(
            cur, "SELECT * FROM standings_teams WHERE program_code = %s AND team_code = %s", program_code, team_code
        )
        if row is None:
            return None
        where = "program_code = %s AND team_code = %s"
        cur.execute(f"SELECT * FROM standings_scores WHERE {where} ORDER BY stage", (program_code, team_code))
        scores = cur.fetchall()
        cur.execute(f"SELECT * FROM standings_offers WHERE {where} ORDER BY offer", (program_code, team_code))
        offers = cur.fetchall()
        cur.execute(f"SELECT * FROM standings_entries WHERE {where} ORDER BY stage", (program_code, team_code))
        entries = cur.fetchall()
    return {
        **_team(row, now),
        "version": row["version"],
        "stages": [{"stage": e["stage"], "outcome": e["outcome"]} for e in entries],
        "evaluations": [_score(s) for s in scores],
        "offers": [_offer(o) for o in offers],
    }


def _one(cur: Cursor, sql: str, *params: Any) -> Row | None:
    cur.execute(sql, params)
    return cur.fetchone()


def _all(cur: Cursor, table: str, program_code: str, order: str = "team_code") -> list[Row]:
    cur.execute(f"SELECT * FROM {table} WHERE program_code = %s ORDER BY {order}", (program_code,))
    return cur.fetchall()


def _team(row: Row, now: datetime) -> dict[str, Any]:
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


def _score(row: Row) -> dict[str, Any]:
    return {
        "stage": row["stage"],
        "evaluation": row["evaluation"],
        "scores": orjson.loads(row["scores"]),
        "gates": orjson.loads(row["gates"]),
        "total": row["total"],
        "passed_gates": bool(row["passed"]),
        "amended": bool(row["amended"]),
    }


def _stage(stage: Row, entries: list[Row], scores: list[Row], teams: dict[str, dict[str, Any]]) -> dict[str, Any]:
    index = stage["stage"]
    here = [e for e in entries if e["stage"] == index]
    by_team = {s["team_code"]: _score(s) for s in scores if s["stage"] == index}
    totals = sorted((Decimal(s["total"]) for s in by_team.values()), reverse=True)
    rows = []
    for entry in here:
        score = by_team.get(entry["team_code"])
        rank = None if score is None else 1 + sum(t > Decimal(score["total"]) for t in totals)
        rows.append({**teams[entry["team_code"]], "outcome": entry["outcome"], "evaluation": score, "rank": rank})
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["team_code"]))
    holders = [r["team_code"] for r in rows if r["outcome"] == "seated"]
    return {
        "stage": index,
        "name": stage["name"],
        "seats": stage["seats"],
        "holders": holders,
        "vacancies": stage["seats"] - len(holders),
        "criteria": orjson.loads(stage["criteria"]),
        "gates": orjson.loads(stage["gates"]),
        "teams": rows,
    }


def _offer(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in ("team_code", "offer", "round", "stage", "deadline", "answer")}


def _round(row: Row, offers: list[Row], now: datetime) -> dict[str, Any]:
    return {
        "round": row["round"],
        "stage": row["stage"],
        "seats": row["seats"],
        "filled": row["filled"],
        "eligibility": orjson.loads(row["eligibility"]),
        "opens_at": row["opens_at"],
        "closes_at": row["closes_at"],
        "open": row["opens_at"] <= iso(now) <= row["closes_at"],
        "offers": [_offer(o) for o in offers if o["round"] == row["round"]],
    }
