"""A programme announced before its call: titles, agency, budget plan and finalist count, stages optional.

``Program.Opened`` stays the creation event of a programme opened in one go
(its stored shape is unchanged); ``Program.Announced`` is a second creation
event for a programme whose rules and call arrive later. Facts about an
announced programme are dated from the announcement. Stages are added with
``add_stage`` and applications are taken only through a call
(``domain.calls``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import errors
from domain.program_state import ProgramEvent
from domain.values import Stage, Stamp, code, display_name, positive, resource_kind


class Announced(ProgramEvent, Aggregate.Created):
    TOPIC = "registry:ProgramAnnounced"
    code: str
    title_ko: str
    title_en: str
    agency: str
    stages: list[dict[str, Any]]
    budgets: dict[str, int]
    finalist_count: int

    def apply(self, program: Any) -> None:
        begin(program, self, announced=True)


def begin(program: Any, event: Announced | Any, *, announced: bool) -> None:
    """A programme's state at its creation event, opened in one go (``Program.Opened``) or announced.

    Both creation events carry the same fields; only ``announced`` tells them apart.
    """
    program.code = event.code
    program.title_ko, program.title_en, program.agency = event.title_ko, event.title_en, event.agency
    program.opened_at = event.effective_at
    program.stages = [Stage.from_record(s) for s in event.stages]
    program.budgets = dict(event.budgets)
    program.allocated = dict.fromkeys(event.budgets, 0)
    program.committed = dict.fromkeys(event.budgets, 0)
    program.finalist_count = event.finalist_count
    program.holders = [set() for _ in event.stages]
    program.rounds, program.finalists, program.round_fills = {}, [], {}
    program.rules_version, program.fixed_stages, program.calls = 1, set(), {}
    program.announced = announced
    program.kinds, program.pooled = {}, {}  # resource kinds and pooled budget lines (``domain.resources``)


class Announcing:
    """The programme's second way to begin: ``Program.announce``."""

    if TYPE_CHECKING:

        @staticmethod
        def id_for(program_code: str) -> UUID:
            """The programme's stream id (``Program.id_for``)."""

        @classmethod
        def _create(cls, event_class: type[Any], **kwargs: Any) -> Any:
            """The library's (see eventsourcing's ``Aggregate._create``)."""

    @classmethod
    def announce(
        cls,
        stamp: Stamp,
        *,
        program_code: str,
        title_ko: str,
        title_en: str,
        agency: str,
        stages: list[Stage],
        budgets: dict[str, int],
        finalist_count: int,
    ) -> Any:
        positive(finalist_count, "finalist_count")
        if stages and finalist_count > stages[-1].seats:
            msg = f"finalist_count {finalist_count} exceeds the last stage's {stages[-1].seats} seats"
            raise errors.InvalidValueError(msg)
        if len(stages) > 20:
            raise errors.InvalidValueError("a programme has at most 20 stages")
        for resource, amount in budgets.items():
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                raise errors.InvalidValueError(f"budget for {resource} must be a whole number ≥ 0")
        program_code = code(program_code, "programme code")
        return cls._create(
            Announced,
            id=cls.id_for(program_code),
            code=program_code,
            title_ko=display_name(title_ko, "title_ko", limit=300),
            title_en=display_name(title_en, "title_en", limit=300),
            agency=display_name(agency, "agency", limit=300),
            stages=[s.as_record() for s in stages],
            budgets={resource_kind(k): v for k, v in budgets.items()},
            finalist_count=finalist_count,
            **{**stamp.event_fields(), "rules_version": 1},
        )
