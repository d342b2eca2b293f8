"""What a programme knows, for the modules that decide about it beside ``domain.program``.

``ProgramEvent`` is the base of every programme event (``Program.Event``).
``ProgramState`` declares the state the programme's events assign (for the type
checker; the events are its only writers), so the concerns that live in their
own modules — calls for applications (``domain.calls``) and rules that change
after opening (``domain.rules``) — can read it and trigger events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.events import DecisionEvent
from domain.values import Stage


class ProgramEvent(DecisionEvent):
    """The base of every programme event."""


@dataclass(frozen=True)
class Call:
    """A call for applications to one stage: applications dated within its window are taken."""

    stage: int
    opens_at: datetime
    closes_at: datetime

    def is_open(self, at: datetime) -> bool:
        return self.opens_at <= at <= self.closes_at


@dataclass(frozen=True)
class ReEntryRound:
    """A re-entry round for vacant seats of one stage: who is eligible, and the window it takes entries in."""

    number: int
    stage: int
    seats: int
    eligibility: tuple[str, ...]
    opens_at: datetime
    closes_at: datetime

    def is_open(self, at: datetime) -> bool:
        return self.opens_at <= at <= self.closes_at


class ProgramState:
    """The programme's state that the concerns in their own modules read."""

    if TYPE_CHECKING:  # state, assigned only by the events
        code: str
        opened_at: datetime
        stages: list[Stage]
        holders: list[set[str]]
        finalist_count: int
        finalists: list[str]
        rules_version: int
        fixed_stages: set[int]
        calls: dict[int, Call]
        announced: bool
        rounds: dict[int, ReEntryRound]
        budgets: dict[str, int]
        allocated: dict[str, int]
        kinds: dict[str, Any]  # resource kind → ``domain.resources.Kind``
        pooled: dict[str, str]  # budget line → the pool it draws on

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
            """The aggregate's (see eventsourcing's ``Aggregate.trigger_event``)."""

        def stage(self, index: int) -> Stage:
            """The stage at ``index`` (``Program.stage``), or ``UnknownStageError``."""

        def vacancies(self, stage: int) -> int:
            """The stage's free seats (``Program.vacancies``)."""
