"""Given/when/then for the domain: aggregates built by earlier commands, one command, its new events.

``given(*aggregates)`` closes the history (earlier events are no longer pending);
``when(command, *aggregates)`` runs one command and returns the events it appended
to those aggregates, in the order the aggregates are named; ``refused(Error, command,
*aggregates)`` expects a named error and checks that nothing was appended.
``facts(events)`` reduces events to ``(name, payload)`` pairs so a test states the
exact events it expects, types and fields together.

The builders (``opened``, ``applied``, ``seated``, ``eliminated``, ``in_round``) run the
ordinary commands, so every state a test starts from is one the rules allow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from domain.candidacy import Candidacy
from domain.events import DecisionEvent
from domain.program import Program
from domain.values import Stage, Stamp

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the day the programme opens
PROGRAM = "sovereign-ai"
CRITERIA = [
    {"code": "bench", "name": "Benchmark", "max_points": 40},
    {"code": "expert", "name": "Expert review", "max_points": 35},
    {"code": "user", "name": "User evaluation", "max_points": 25},
]
BUDGETS = {"gpu:B200": 2048, "krw:data": 10_000_000_000, "title:K-AI": 5}


def points(bench: float | str, expert: float | str, user: float | str) -> dict[str, Decimal]:
    return {"bench": Decimal(bench), "expert": Decimal(expert), "user": Decimal(user)}


PASSING = points(30, 30, 20)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def on(n: float = 0, *, recorded: float | None = None, reason: str = "panel decision") -> Stamp:
    """A stamp taking effect ``n`` days after opening, recorded then (or on day ``recorded``)."""
    return Stamp.make(
        actor="official@msit.go.kr",
        recorded_at=day(n if recorded is None else recorded),
        effective_at=day(n),
        reason=reason,
    )


def given(*aggregates: Aggregate) -> None:
    """Everything the aggregates did so far is history, not the outcome under test."""
    for aggregate in aggregates:
        aggregate.collect_events()


def when(command: Callable[[], Any], *aggregates: Aggregate) -> list[DecisionEvent]:
    given(*aggregates)
    command()
    return [event for aggregate in aggregates for event in aggregate.collect_events()]  # type: ignore[misc]


def decisions(events: Iterable[object]) -> list[DecisionEvent]:
    """Events as the registry's decision events (every event it stores is one)."""
    found = list(events)
    assert all(isinstance(event, DecisionEvent) for event in found), found
    return [event for event in found if isinstance(event, DecisionEvent)]


def refused(error: type[Exception], command: Callable[[], Any], *aggregates: Aggregate) -> Exception:
    given(*aggregates)
    with pytest.raises(error) as raised:
        command()
    assert type(raised.value) is error, f"expected {error.__name__}, got {type(raised.value).__name__}"
    assert [a.collect_events() for a in aggregates] == [[] for _ in aggregates]
    return raised.value


def facts(events: Sequence[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(event.type_name, event.payload()) for event in events]


def names(events: Sequence[Any]) -> list[str]:
    return [event.type_name for event in events]


# --- builders ---------------------------------------------------------------------------


def opened(*, seats: Sequence[int] = (5, 4), finalist_count: int = 2, budgets: dict[str, int] | None = None) -> Program:
    stages = [Stage.make(f"stage {i + 1}", n, CRITERIA, ["independence"]) for i, n in enumerate(seats)]
    return Program.open(
        on(0),
        program_code=PROGRAM,
        title_ko="독자 AI 파운데이션 모델",
        title_en="Sovereign AI Foundation Model",
        agency="과학기술정보통신부",
        stages=stages,
        budgets=dict(BUDGETS if budgets is None else budgets),
        finalist_count=finalist_count,
    )


def applied(program: Program, team: str, *, at: float = 1, excluded: list[str] | None = None) -> Candidacy:
    return Candidacy.submit(
        on(at),
        program,
        team_code=team,
        name_ko=f"{team} 컨소시엄",
        name_en=f"{team} consortium",
        lead_organisation=f"{team} Corp",
        members=[f"{team} University", f"{team} Labs"],
        excluded_resources=excluded,
    )


def seated(program: Program, team: str, *, stage: int = 0, at: float = 2) -> Candidacy:
    """A team holding a seat in ``stage``, having advanced through every stage before it."""
    candidacy = applied(program, team)
    for index in range(stage + 1):
        candidacy.advance(on(at), program, index)
    return candidacy


def eliminated(program: Program, team: str, *, stage: int = 0, at: float = 10, deadline: float = 20) -> Candidacy:
    """A seated team, provisionally eliminated on day ``at`` with objections until ``deadline``."""
    candidacy = seated(program, team, stage=stage)
    candidacy.eliminate(on(at), program, reason_code="below_cutoff", objection_deadline=day(deadline))
    return candidacy


def in_round(
    program: Program,
    *,
    stage: int = 1,
    seats: int = 1,
    eligibility: Sequence[str] = ("eliminated",),
    opens: float = 30,
    closes: float = 40,
) -> int:
    """A re-entry round for ``stage``, open from day ``opens`` to day ``closes``."""
    return program.open_reentry_round(
        on(opens - 1),
        stage=stage,
        seats=seats,
        eligibility=list(eligibility),
        opens_at=day(opens),
        closes_at=day(closes),
    )
