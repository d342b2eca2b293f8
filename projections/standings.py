"""Standings: per programme and stage, the seats, who holds them, each team's outcome,
latest scores, total and rank, and the re-entry rounds with their offers.

Rows store facts only; counts of holders and vacancies, ranks and whether an
elimination is final (upheld, or its objection deadline passed) are computed
when read, so they can never disagree with the rows they come from.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.program import Program
from projections.db import Cursor, Database, Row
from projections.engine import Codes, iso, to_json
from projections.rows import Rows, Table, plus, versions_at

NAME = "standings"
PROGRAMS = Table(
    "standings_programs",
    (
        "program_code TEXT",
        "title_ko TEXT NOT NULL",
        "title_en TEXT NOT NULL",
        "agency TEXT NOT NULL",
        "opened_at TEXT NOT NULL",
        "finalist_count INTEGER NOT NULL",
        "finalists TEXT NOT NULL",
        "version INTEGER NOT NULL",
    ),
    ("program_code",),
)
STAGES = Table(
    "standings_stages",
    (
        "program_code TEXT",
        "stage INTEGER",
        "name TEXT NOT NULL",
        "seats INTEGER NOT NULL",
        "criteria TEXT NOT NULL",
        "gates TEXT NOT NULL",
    ),
    ("program_code", "stage"),
)
TEAMS = Table(
    "standings_teams",
    (
        "program_code TEXT",
        "team_code TEXT",
        "name_ko TEXT NOT NULL",
        "name_en TEXT NOT NULL",
        "lead_organisation TEXT NOT NULL",
        "members TEXT NOT NULL",
        "status TEXT NOT NULL",
        "stage INTEGER NOT NULL",
        "applied_at TEXT NOT NULL",
        "reentrant INTEGER NOT NULL",
        "finalist INTEGER NOT NULL",
        "elimination_reason TEXT",
        "elimination_detail TEXT",
        "objection_deadline TEXT",
        "elimination_upheld INTEGER",
        "version INTEGER NOT NULL",
    ),
    ("program_code", "team_code"),
)
ENTRIES = Table(
    "standings_entries",
    ("program_code TEXT", "stage INTEGER", "team_code TEXT", "outcome TEXT NOT NULL"),
    ("program_code", "stage", "team_code"),
)
SCORES = Table(
    "standings_scores",
    (
        "program_code TEXT",
        "team_code TEXT",
        "stage INTEGER",
        "evaluation INTEGER NOT NULL",
        "scores TEXT NOT NULL",
        "gates TEXT NOT NULL",
        "total TEXT NOT NULL",
        "passed INTEGER NOT NULL",
        "amended INTEGER NOT NULL",
    ),
    ("program_code", "team_code", "stage"),
)
ROUNDS = Table(
    "standings_rounds",
    (
        "program_code TEXT",
        "round INTEGER",
        "stage INTEGER NOT NULL",
        "seats INTEGER NOT NULL",
        "filled INTEGER NOT NULL",
        "eligibility TEXT NOT NULL",
        "opens_at TEXT NOT NULL",
        "closes_at TEXT NOT NULL",
    ),
    ("program_code", "round"),
)
OFFERS = Table(
    "standings_offers",
    (
        "program_code TEXT",
        "team_code TEXT",
        "offer INTEGER",
        "round INTEGER NOT NULL",
        "stage INTEGER NOT NULL",
        "deadline TEXT NOT NULL",
        "answer TEXT",
    ),
    ("program_code", "team_code", "offer"),
)
# One row per programme event: when it took effect and was recorded, so a past moment can be
# turned into the log position whose rows show it (``api.as_of``).
MOMENTS = Table(
    "standings_moments",
    ("program_code TEXT", "position BIGINT", "effective_at TEXT NOT NULL", "recorded_at TEXT NOT NULL"),
    ("program_code", "position"),
    versioned=False,
    indexes=(
        "standings_moments_effective ON (program_code, effective_at, position)",
        "standings_moments_recorded ON (program_code, recorded_at, position)",
    ),
)
ALL = (PROGRAMS, STAGES, TEAMS, ENTRIES, SCORES, ROUNDS, OFFERS, MOMENTS)
TABLES = tuple(t.name for t in ALL)


class StandingsProjection:
    name = NAME
    tables: tuple[str, ...] = TABLES
    layout: tuple[Table, ...] = ALL

    def ddl(self) -> list[str]:
        return [statement for table in ALL for statement in table.ddl()]

    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None:
        rows.append(
            MOMENTS,
            {
                "program_code": codes.program_code,
                "position": rows.position,
                "effective_at": iso(event.effective_at),
                "recorded_at": iso(event.recorded_at),
            },
        )
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(rows, event, codes)
        # Every event moves its record's version (the ETag), including events with no other effect here.
        if isinstance(event, Program.Event):
            rows.update(PROGRAMS, (codes.program_code,), version=event.originator_version)
        else:
            rows.update(TEAMS, (codes.program_code, codes.team_code), version=event.originator_version)


Handler = Callable[[Rows, Any, Codes], None]


def _opened(rows: Rows, e: Program.Opened, c: Codes) -> None:
    rows.put(
        PROGRAMS,
        {
            "program_code": e.code,
            "title_ko": e.title_ko,
            "title_en": e.title_en,
            "agency": e.agency,
            "opened_at": iso(e.effective_at),
            "finalist_count": e.finalist_count,
            "finalists": "[]",
            "version": 1,
        },
    )
    for i, s in enumerate(e.stages):
        rows.put(
            STAGES,
            {
                "program_code": e.code,
                "stage": i,
                "name": s["name"],
                "seats": s["seats"],
                "criteria": to_json(s["criteria"]),
                "gates": to_json(s["gates"]),
            },
        )


def _set_entry(rows: Rows, c: Codes, stage: int, team: str, outcome: str) -> None:
    rows.put(ENTRIES, {"program_code": c.program_code, "stage": stage, "team_code": team, "outcome": outcome})


def _seat_taken(rows: Rows, e: Program.SeatTaken, c: Codes) -> None:
    if e.left_stage is not None:
        _set_entry(rows, c, e.left_stage, e.team, "advanced")
    _set_entry(rows, c, e.stage, e.team, "seated")
    if e.round is not None:
        rows.update(ROUNDS, (c.program_code, e.round), filled=plus(1))


def _round_opened(rows: Rows, e: Program.ReEntryRoundOpened, c: Codes) -> None:
    rows.put(
        ROUNDS,
        {
            "program_code": c.program_code,
            "round": e.round,
            "stage": e.stage,
            "seats": e.seats,
            "filled": 0,
            "eligibility": to_json(e.eligibility),
            "opens_at": iso(e.opens_at),
            "closes_at": iso(e.closes_at),
        },
    )


def _finalists(rows: Rows, e: Program.FinalistsSelected, c: Codes) -> None:
    rows.update(PROGRAMS, (c.program_code,), finalists=to_json(e.teams))
    for team in e.teams:
        rows.update(TEAMS, (c.program_code, team), finalist=1)


def _team_update(rows: Rows, c: Codes, **changes: Any) -> None:
    rows.update(TEAMS, (c.program_code, c.team_code), **changes)


def _applied(rows: Rows, e: Candidacy.ApplicationSubmitted, c: Codes) -> None:
    rows.put(
        TEAMS,
        {
            "program_code": c.program_code,
            "team_code": c.team_code,
            "name_ko": e.name_ko,
            "name_en": e.name_en,
            "lead_organisation": e.lead_organisation,
            "members": to_json(e.members),
            "status": "applied",
            "stage": e.stage,
            "applied_at": iso(e.effective_at),
            "reentrant": 0,
            "finalist": 0,
            "elimination_reason": None,
            "elimination_detail": None,
            "objection_deadline": None,
            "elimination_upheld": None,
            "version": 1,
        },
    )


def _consortium(rows: Rows, e: Candidacy.ConsortiumChanged, c: Codes) -> None:
    def members(old: str) -> str:
        return to_json([m for m in orjson.loads(old) if m not in e.left] + list(e.joined))

    _team_update(rows, c, members=members)


def _scored(e: Candidacy.EvaluationRecorded | Candidacy.EvaluationAmended) -> dict[str, Any]:
    total = sum(e.scores.values(), Decimal(0))
    return {
        "scores": to_json(e.scores),
        "gates": to_json(e.gates),
        "total": str(total),
        "passed": int(all(e.gates.values())),
    }


def _evaluated(rows: Rows, e: Candidacy.EvaluationRecorded, c: Codes) -> None:
    key = {"program_code": c.program_code, "team_code": c.team_code, "stage": e.stage}
    rows.put(SCORES, {**key, "evaluation": e.evaluation, **_scored(e), "amended": 0})


def _amended(rows: Rows, e: Candidacy.EvaluationAmended, c: Codes) -> None:
    key = (c.program_code, c.team_code, e.stage)
    current = rows.get(SCORES, key)
    if current is not None and current["evaluation"] == e.evaluation:
        rows.update(SCORES, key, **_scored(e), amended=1)


def _advanced(rows: Rows, e: Candidacy.TeamAdvanced, c: Codes) -> None:
    _team_update(rows, c, status="active", stage=e.to_stage)


def _eliminated(rows: Rows, e: Candidacy.TeamEliminated, c: Codes) -> None:
    _team_update(
        rows,
        c,
        status="eliminated",
        elimination_reason=e.reason_code,
        elimination_detail=e.reason,
        objection_deadline=iso(e.objection_deadline),
        elimination_upheld=0,
    )
    if e.was_seated:
        _set_entry(rows, c, e.stage, c.team_code or "", "eliminated")


def _upheld(rows: Rows, e: Candidacy.EliminationUpheld, c: Codes) -> None:
    _team_update(rows, c, elimination_upheld=1)


CLEARED = {"elimination_reason": None, "elimination_detail": None, "objection_deadline": None}


def _reversed(rows: Rows, e: Candidacy.EliminationReversed, c: Codes) -> None:
    status = "active" if e.was_seated else "applied"
    _team_update(rows, c, status=status, stage=e.stage, **CLEARED, elimination_upheld=None)


def _offered(rows: Rows, e: Candidacy.ReEntryOffered, c: Codes) -> None:
    rows.put(
        OFFERS,
        {
            "program_code": c.program_code,
            "team_code": c.team_code,
            "offer": e.offer,
            "round": e.round,
            "stage": e.stage,
            "deadline": iso(e.deadline),
            "answer": None,
        },
    )


def _answer(rows: Rows, c: Codes, offer: int, answer: str) -> None:
    rows.update(OFFERS, (c.program_code, c.team_code, offer), answer=answer)


def _accepted(rows: Rows, e: Candidacy.OfferAccepted, c: Codes) -> None:
    _answer(rows, c, e.offer, "accepted")
    _team_update(rows, c, status="active", stage=e.stage, reentrant=1, **CLEARED, elimination_upheld=None)


def _declined(rows: Rows, e: Candidacy.OfferDeclined, c: Codes) -> None:
    _answer(rows, c, e.offer, "declined")


def _withdrew(rows: Rows, e: Candidacy.TeamWithdrew, c: Codes) -> None:
    _team_update(rows, c, status="withdrawn")
    if e.was_seated:
        _set_entry(rows, c, e.stage, c.team_code or "", "withdrawn")


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
            " (SELECT COUNT(*) FROM standings_teams t WHERE t.program_code = p.program_code AND t.valid_to IS NULL)"
            " AS teams FROM standings_programs p WHERE p.valid_to IS NULL ORDER BY p.opened_at, p.program_code"
        )
        rows: list[Row] = cur.fetchall()
    return rows


def program_exists(db: Database, program_code: str, position: int | None = None) -> bool:
    """Whether the programme is in the read model (as it stood after ``position``; None: now)."""
    with db.transaction(write=False) as cur:
        return _Reader(cur, position, program_code).one("standings_programs") is not None


def program_standings(
    db: Database, program_code: str, now: datetime, position: int | None = None
) -> dict[str, Any] | None:
    """The programme's standings after log position ``position`` (None: the latest), judged at ``now``."""
    with db.transaction(write=False) as cur:
        rows = _Reader(cur, position, program_code)
        program = rows.one("standings_programs")
        if program is None:
            return None
        teams = {t["team_code"]: _team(t, now) for t in rows.all("standings_teams")}
        scores = rows.all("standings_scores")
        entries = rows.all("standings_entries")
        stages = rows.all("standings_stages", order="stage")
        rounds = rows.all("standings_rounds", order="round")
        offers = rows.all("standings_offers", order="team_code, offer")
    entered = {e["team_code"] for e in entries}
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
        "applicants": [t for code, t in teams.items() if code not in entered],
        "rounds": [_round(r, offers, now) for r in rounds],
    }


def team_record(
    db: Database, program_code: str, team_code: str, now: datetime, position: int | None = None
) -> dict[str, Any] | None:
    """One team's record after log position ``position`` (None: the latest), judged at ``now``."""
    with db.transaction(write=False) as cur:
        rows = _Reader(cur, position, program_code, team_code)
        row = rows.one("standings_teams")
        if row is None:
            return None
        scores = rows.all("standings_scores", order="stage")
        offers = rows.all("standings_offers", order="offer")
        entries = rows.all("standings_entries", order="stage")
    return {
        **_team(row, now),
        "version": row["version"],
        "stages": [{"stage": e["stage"], "outcome": e["outcome"]} for e in entries],
        "evaluations": [_score(s) for s in scores],
        "offers": [_offer(o) for o in offers],
    }


class _Reader:
    """Reads one programme's (or one team's) rows as they stood after a log position."""

    def __init__(self, cur: Cursor, position: int | None, program_code: str, team_code: str | None = None) -> None:
        self._cur = cur
        self._position = position
        self._where = "program_code = %s" + ("" if team_code is None else " AND team_code = %s")
        self._params = [program_code] + ([] if team_code is None else [team_code])

    def one(self, table: str) -> Row | None:
        self._cur.execute(*versions_at(table, self._where, self._params, self._position))
        return self._cur.fetchone()

    def all(self, table: str, order: str = "team_code") -> list[Row]:
        self._cur.execute(*versions_at(table, self._where, self._params, self._position, order))
        return self._cur.fetchall()


def _one(cur: Cursor, sql: str, *params: Any) -> Row | None:
    cur.execute(sql, params)
    return cur.fetchone()


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
