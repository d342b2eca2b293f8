"""Reading the standings: programmes, a programme's standings and a team's record, now or at a log position.

Each query reads the rows valid after the position (``projections.rows.versions_at``)
in one transaction and leaves what is judged when read to ``replies``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

import orjson

from projections.db import Cursor, Database, Row
from projections.rows import versions_at
from projections.standings.replies import (
    application_reply,
    call_reply,
    offer_reply,
    round_reply,
    score_reply,
    stage_reply,
    statement_reply,
    team_reply,
)
from projections.standings.round_replies import attach, excuse_reply, outcome_reply


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
        return standings_in(cur, program_code, now, position)


def standings_in(cur: Cursor, program_code: str, now: datetime, position: int | None = None) -> dict[str, Any] | None:
    """``program_standings`` in the caller's transaction (the projection writes documents from it)."""
    return _standings(_Reader(cur, position, program_code), program_code, now)


def current_standings(
    cur: Cursor, program_codes: list[str], now: datetime
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """The current standings of several programmes, in the caller's transaction: each table read once for them all.

    What ``standings_in`` gives for each, with a dozen queries for the lot
    instead of a dozen for each (the documents of every programme are written
    this way after a bulk build).
    """
    together = _Together(cur, program_codes)
    for code in program_codes:
        yield code, _standings(together.of(code), code, now)


def _standings(rows: _Rows, program_code: str, now: datetime) -> dict[str, Any] | None:
    program = rows.one("standings_programs")
    if program is None:
        return None
    teams = {t["team_code"]: team_reply(t, now) for t in rows.all("standings_teams")}
    attach(teams, rows.all("standings_outcomes"), rows.all("standings_advancements"), now)
    scores = rows.all("standings_scores")
    entries = rows.all("standings_entries")
    stages = rows.all("standings_stages", order="stage")
    rounds = rows.all("standings_rounds", order="round")
    offers = rows.all("standings_offers", order="team_code, offer")
    calls = rows.all("standings_calls", order="stage")
    applications = rows.all("standings_round_applications", order="round, applied_at, team_code")
    statements = rows.all("standings_statements", order="effective_at, team_code, statement")
    entered = {e["team_code"] for e in entries}
    finalists = orjson.loads(program["finalists"])
    return {
        "program_code": program_code,
        "version": program["version"],
        "title_ko": program["title_ko"],
        "title_en": program["title_en"],
        "agency": program["agency"],
        "opened_at": program["opened_at"],
        "announced": bool(program["announced"]),
        "rules_version": program["rules_version"],
        "finalist_count": program["finalist_count"],
        "finalists": finalists,
        "stages": [stage_reply(s, entries, scores, teams, concluded=bool(finalists)) for s in stages],
        "applicants": [t for code, t in teams.items() if code not in entered],
        "rounds": [
            round_reply(r, now, offers=offers, applications=applications, statements=statements) for r in rounds
        ],
        "calls": [call_reply(r, now) for r in calls],
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
        outcomes = rows.all("standings_outcomes", order="round")
        advancements = rows.all("standings_advancements")
        excuses = rows.all("standings_excuses", order="round, member")
        applications = rows.all("standings_round_applications", order="round")
        statements = rows.all("standings_statements", order="statement")
    team = {row["team_code"]: team_reply(row, now)}
    attach(team, outcomes, advancements, now)
    return {
        **team[row["team_code"]],
        "version": row["version"],
        "rules_version": row["rules_version"],
        "sources": orjson.loads(row["sources"]),
        "stages": [{"stage": e["stage"], "outcome": e["outcome"]} for e in entries],
        "evaluations": [score_reply(s) for s in scores],
        "offers": [offer_reply(o) for o in offers],
        "round_outcomes": [outcome_reply(o) for o in outcomes],
        "recusals": [excuse_reply(e) for e in excuses],
        "round_applications": [application_reply(a) for a in applications],
        "statements": [statement_reply(s) for s in statements],
    }


class _Rows(Protocol):
    def one(self, table: str) -> Row | None: ...
    def all(self, table: str, order: str = "team_code") -> list[Row]: ...


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


class _Together:
    """The current rows of several programmes, each table read once for all of them (in the order asked)."""

    def __init__(self, cur: Cursor, program_codes: list[str]) -> None:
        self._cur = cur
        self._codes = program_codes
        self._read: dict[tuple[str, str], dict[str, list[Row]]] = {}

    def of(self, program_code: str) -> _Rows:
        return _One(self, program_code)

    def rows(self, table: str, order: str, program_code: str) -> list[Row]:
        if (table, order) not in self._read:
            marks = ", ".join(["%s"] * len(self._codes))
            self._cur.execute(
                f"SELECT * FROM {table} WHERE program_code IN ({marks}) AND valid_to IS NULL"
                f" ORDER BY program_code, {order}",
                self._codes,
            )
            found: dict[str, list[Row]] = {}
            for row in self._cur.fetchall():
                found.setdefault(row["program_code"], []).append(row)
            self._read[(table, order)] = found
        return self._read[(table, order)].get(program_code, [])


class _One:
    """One programme's rows among those ``_Together`` read."""

    def __init__(self, together: _Together, program_code: str) -> None:
        self._together = together
        self._code = program_code

    def one(self, table: str) -> Row | None:
        found = self._together.rows(table, "program_code", self._code)
        return found[0] if found else None

    def all(self, table: str, order: str = "team_code") -> list[Row]:
        return self._together.rows(table, order, self._code)
