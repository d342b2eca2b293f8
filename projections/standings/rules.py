"""How the standings follow a programme's rules and calls: stages added and amended, calls opened and moved.

The stage rows are versioned like every standings row, so the standings as of a
moment show the stages, seats, criteria and gates in force then, with the
programme's rules version; the call rows likewise show each stage's window as it
stood, and the last change to it (extended or closed early) with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.program import Program
from projections.encoding import iso, to_json
from projections.rows import Rows
from projections.schema import Codes
from projections.standings.tables import CALLS, PROGRAMS, STAGES


def put_stage(rows: Rows, program_code: str, index: int, stage: dict[str, Any]) -> None:
    rows.put(
        STAGES,
        {
            "program_code": program_code,
            "stage": index,
            "name": stage["name"],
            "seats": stage["seats"],
            "criteria": to_json(stage["criteria"]),
            "gates": to_json(stage["gates"]),
        },
    )


def _stage_changed(rows: Rows, e: Program.StageAdded | Program.StageAmended, c: Codes) -> None:
    put_stage(rows, c.program_code, e.stage, e.definition)
    rows.update(PROGRAMS, (c.program_code,), rules_version=e.rules_version)


def _call_opened(rows: Rows, e: Program.CallOpened, c: Codes) -> None:
    closes = iso(e.closes_at)
    rows.put(
        CALLS,
        {
            "program_code": c.program_code,
            "stage": e.stage,
            "opens_at": iso(e.opens_at),
            "closes_at": closes,
            "first_closes_at": closes,
            "change": "opened",
            "change_reason": e.reason,
        },
    )


def _call_moved(change: str) -> Callable[[Rows, Any, Codes], None]:
    def handle(rows: Rows, e: Program.CallExtended | Program.CallClosedEarly, c: Codes) -> None:
        rows.update(CALLS, (c.program_code, e.stage), closes_at=iso(e.closes_at), change=change, change_reason=e.reason)

    return handle


RULE_HANDLERS: dict[type, Callable[[Rows, Any, Codes], None]] = {
    Program.StageAdded: _stage_changed,
    Program.StageAmended: _stage_changed,
    Program.CallOpened: _call_opened,
    Program.CallExtended: _call_moved("extended"),
    Program.CallClosedEarly: _call_moved("closed_early"),
}
