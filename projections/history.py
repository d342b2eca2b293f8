"""History: every event with its metadata, filterable and paged with a stable cursor.

The cursor is the log position of the last row returned: positions only grow,
so a page never shifts when new decisions are recorded while someone reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from domain.events import DecisionEvent
from projections.db import Database, Row
from projections.encoding import iso, to_json
from projections.rows import Rows, Table
from projections.schema import Codes

NAME = "history"
EVENTS = Table(
    "history_events",
    (
        "position BIGINT",
        "program_code TEXT NOT NULL",
        "team_code TEXT",
        "event_type TEXT NOT NULL",
        "originator_id TEXT NOT NULL",
        "originator_version INTEGER NOT NULL",
        "effective_at TEXT NOT NULL",
        "recorded_at TEXT NOT NULL",
        "actor TEXT NOT NULL",
        "reason TEXT NOT NULL",
        "correlation_id TEXT NOT NULL",
        "data TEXT NOT NULL",
        "rules_version INTEGER NOT NULL",
        "sources TEXT NOT NULL",
    ),
    ("position",),
    versioned=False,
    indexes=(
        "history_events_program ON (program_code, position)",
        "history_events_team ON (program_code, team_code, position)",
    ),
)
TABLES = (EVENTS.name,)


class HistoryProjection:
    name = NAME
    tables: tuple[str, ...] = TABLES
    layout: tuple[Table, ...] = (EVENTS,)

    def ddl(self) -> list[str]:
        return EVENTS.ddl()

    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None:
        data = event.payload()
        rows.append(
            EVENTS,
            {
                "position": rows.position,
                "program_code": codes.program_code,
                "team_code": codes.team_code if codes.team_code is not None else data.get("team"),
                "event_type": event.type_name,
                "originator_id": event.originator_id.hex,
                "originator_version": event.originator_version,
                "effective_at": iso(event.effective_at),
                "recorded_at": iso(event.recorded_at),
                "actor": event.actor,
                "reason": event.reason,
                "correlation_id": event.correlation_id,
                "data": to_json(data),
                "rules_version": event.rules_version,
                "sources": to_json(list(event.sources)),
            },
        )


@dataclass(frozen=True)
class HistoryFilter:
    program_code: str | None = None
    team_code: str | None = None
    event_types: tuple[str, ...] = ()
    effective_from: datetime | None = None
    effective_to: datetime | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    rules_version: int | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("program_code", self.program_code),
            ("team_code", self.team_code),
            ("rules_version", self.rules_version),
        ):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        if self.event_types:
            clauses.append(f"event_type IN ({', '.join(['%s'] * len(self.event_types))})")
            params.extend(self.event_types)
        for column, op, moment in (
            ("effective_at", ">=", self.effective_from),
            ("effective_at", "<=", self.effective_to),
            ("recorded_at", ">=", self.recorded_from),
            ("recorded_at", "<=", self.recorded_to),
        ):
            if moment is not None:
                clauses.append(f"{column} {op} %s")
                params.append(iso(moment))
        return " AND ".join(clauses) or "1 = 1", params


def page(db: Database, where: HistoryFilter, *, after: int = 0, limit: int = 100) -> tuple[list[Row], int | None]:
    """One page of events after the cursor, and the cursor of the next page (None at the end)."""
    sql, params = where.where()
    with db.transaction(write=False) as cur:
        cur.execute(
            f"SELECT * FROM history_events WHERE {sql} AND position > %s ORDER BY position LIMIT %s",
            [*params, after, limit + 1],
        )
        rows = cur.fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        row["data"] = orjson.loads(row["data"])
        row["sources"] = orjson.loads(row["sources"])
    return rows, (rows[-1]["position"] if more else None)
