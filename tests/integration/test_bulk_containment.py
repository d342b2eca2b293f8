"""The bulk paths contain a failing event to its programme, as a catch-up row by row does.

A catch-up far behind (a new database) and a rebuild apply events in bulk, rows in
memory between checkpoints (``Projector.build``). The standings read model is made to
refuse every event of programme P from one event on (as a value too large for a
column once did), in the middle of the log and between checkpoints. The bulk run
must not stop: the failure is recorded as (read model, programme, position, error),
the other programme's rows — and P's rows in the other read models — are complete,
P's standings stand as they did just before the failing event, and once the cause is
gone a rebuild applies everything again and clears the failure.

A value the tables refuse (a number too large for its column) is refused only when
rows written in bulk reach the tables, where no event can be blamed for it: a
catch-up then goes on row by row from its last checkpoint, which contains it.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from api.bootstrap import Services
from domain.commands import OpenProgram, SubmitApplication
from domain.events import DecisionEvent
from domain.registry import Context, Registry
from projections import failures
from projections.projector import Projector
from projections.rebuild import rebuild
from projections.rows import Rows, versions_at
from projections.schema import Codes, Projection
from projections.standings.tables import PROGRAMS
from tests.e2e.test_containment import Refusing
from tests.integration.test_catch_up import spy_on_build

P, OTHER = "P-2026", "OTHER-2026"
SETUP = Context(actor="test", reason="containment set-up")
pytestmark = pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
Rowset = dict[str, list[str]]


class RefusingFrom(Refusing):
    """The real read model, except that it cannot apply the events of ``program`` from ``position`` on."""

    def __init__(self, real: Projection, program: str, position: int) -> None:
        super().__init__(real, program)
        self.position = position

    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None:
        if rows.position < self.position:
            self.real.handle(rows, event, codes)
        else:
            super().handle(rows, event, codes)


class Oversized(Refusing):
    """The real read model, except that the event of ``program`` at ``position`` writes a number too large."""

    def __init__(self, real: Projection, program: str, position: int) -> None:
        super().__init__(real, program)
        self.position = position

    def handle(self, rows: Rows, event: DecisionEvent, codes: Codes) -> None:
        self.real.handle(rows, event, codes)
        if codes.program_code == self.program and rows.position == self.position:
            rows.update(PROGRAMS, (self.program,), finalist_count=2**70)


def two_programmes(registry: Registry) -> int:
    """Both programmes open and take ten applications each, in turn; the position of P's sixth."""
    for code in (P, OTHER):
        stage = {"name": "Only", "seats": 5}
        registry.open_program(
            SETUP,
            OpenProgram(
                program_code=code, title_ko="사업", title_en="Programme", agency="MSIT", stages=[stage], budgets={},
                finalist_count=1,
            ),
        )  # fmt: skip
    positions: list[int] = []
    for number in range(10):
        for code in (P, OTHER):
            team = SubmitApplication(
                program_code=code, team_code=f"T{number}", name_ko="팀", name_en="Team", lead_organisation="L"
            )
            position = registry.submit_application(SETUP, team).position
            assert position is not None
            positions.append(position)
    return positions[10]


def rows_of(projector: Projector, code: str, *, at: int | None = None) -> Rowset:
    """Every read-model row of a programme (as it stood after ``at``), without when it stopped being current."""
    found: Rowset = {}
    with projector.db.transaction(write=False) as cur:
        for projection in projector.projections.values():
            for table in projection.layout:
                if "program_code" not in table.names:
                    continue
                if table.versioned:
                    sql, params = versions_at(table.name, "program_code = %s", [code], at)
                elif at is not None and "position" in table.names:  # append-only: rows written by ``at``
                    sql, params = f"SELECT * FROM {table.name} WHERE program_code = %s AND position <= %s", [code, at]
                else:
                    sql, params = f"SELECT * FROM {table.name} WHERE program_code = %s", [code]
                cur.execute(sql, params)
                found[table.name] = sorted(
                    repr(sorted((k, v) for k, v in r.items() if k != "valid_to")) for r in cur.fetchall()
                )
    return found


def standings(rows: Rowset, *, of: bool = True) -> Rowset:
    """The standings' tables (``of=False``: every other read model's)."""
    return {table: found for table, found in rows.items() if table.startswith("standings_") == of}


def failed(services: Services) -> list[tuple[Any, ...]]:
    return [(f["name"], f["program_code"], f["position"], f["error"]) for f in failures.listed(services.db)]


def test_a_catch_up_in_bulk_contains_a_failing_event_and_a_rebuild_recovers(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    poisoned = two_programmes(services.registry)
    projector = services.projector
    projector.bulk_after, projector.batch, projector.checkpoint = 0, 4, 8  # far behind: in bulk, checkpoints between
    builds = spy_on_build(projector)
    real = projector.projections["standings"]
    projector.projections["standings"] = RefusingFrom(real, P, poisoned)
    with caplog.at_level(logging.ERROR, logger="registry.projections"):
        projector.catch_up()
    assert builds == [""]
    assert set(projector.positions().values()) == {projector.head()}
    error = "OverflowError: ApplicationSubmitted does not fit its column"
    assert failed(services) == [("standings", P, poisoned, error)]
    assert any(f"stopped for programme {P} at position {poisoned}" in r.getMessage() for r in caplog.records)
    contained = {code: rows_of(projector, code) for code in (P, OTHER)}

    projector.projections["standings"] = real  # the cause fixed
    rebuild(projector, ["standings"])
    assert failed(services) == []
    recovered = {code: rows_of(projector, code) for code in (P, OTHER)}
    assert contained[OTHER] == recovered[OTHER]  # the other programme was complete
    assert standings(contained[P], of=False) == standings(recovered[P], of=False)  # so were P's other read models
    assert standings(contained[P]) == standings(rows_of(projector, P, at=poisoned - 1))  # stopped before the event
    assert standings(contained[P]) != standings(recovered[P])
    print(f"\nbulk catch-up: {projector.head()} events; contained: {failed_rows(contained, recovered)}")


def test_a_rebuild_contains_a_failing_event_and_the_next_one_recovers(services: Services) -> None:
    poisoned = two_programmes(services.registry)
    projector = services.projector
    projector.catch_up()
    clean = {code: rows_of(projector, code) for code in (P, OTHER)}
    projector.batch, projector.checkpoint = 4, 8
    real = projector.projections["standings"]
    projector.projections["standings"] = RefusingFrom(real, P, poisoned)
    rebuild(projector, ["standings"])
    error = "OverflowError: ApplicationSubmitted does not fit its column"
    assert failed(services) == [("standings", P, poisoned, error)]  # under its own name once switched in
    contained = {code: rows_of(projector, code) for code in (P, OTHER)}
    assert contained[OTHER] == clean[OTHER]
    assert standings(contained[P], of=False) == standings(clean[P], of=False)
    assert standings(contained[P]) == standings(rows_of(projector, P, at=poisoned - 1))

    projector.projections["standings"] = real  # the cause fixed
    rebuild(projector, ["standings"])
    assert failed(services) == []
    assert {code: rows_of(projector, code) for code in (P, OTHER)} == clean
    print(f"\nrebuild: {projector.head()} events; contained: {failed_rows(contained, clean)}")


def failed_rows(contained: dict[str, Rowset], complete: dict[str, Rowset]) -> str:
    """How many rows each programme lacked while contained, against the complete read models."""
    lacking = {
        code: sum(len(set(complete[code][t]) - set(contained[code][t])) for t in complete[code]) for code in complete
    }
    return ", ".join(f"{code} lacked {n} rows" for code, n in lacking.items())


def test_a_value_the_tables_refuse_in_bulk_is_contained_row_by_row(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    poisoned = two_programmes(services.registry)
    projector = services.projector
    projector.bulk_after, projector.batch, projector.checkpoint = 0, 4, 8
    builds = spy_on_build(projector)
    real = projector.projections["standings"]
    projector.projections["standings"] = Oversized(real, P, poisoned)
    with caplog.at_level(logging.WARNING, logger="registry.projections"):
        projector.catch_up()
    assert builds == [""]
    assert any("catching up from the last checkpoint row by row" in r.getMessage() for r in caplog.records)
    assert set(projector.positions().values()) == {projector.head()}
    [(name, program, position, error)] = failed(services)
    assert (name, program, position) == ("standings", P, poisoned), error
    contained = {code: rows_of(projector, code) for code in (P, OTHER)}
    projector.projections["standings"] = real
    rebuild(projector, ["standings"])
    assert failed(services) == []
    recovered = {code: rows_of(projector, code) for code in (P, OTHER)}
    assert contained[OTHER] == recovered[OTHER]
    assert standings(contained[P], of=False) == standings(recovered[P], of=False)
    assert standings(contained[P]) == standings(rows_of(projector, P, at=poisoned - 1))
    print(f"\nrefused in bulk ({error}): contained: {failed_rows(contained, recovered)}")
