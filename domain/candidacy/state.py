"""What a candidacy knows: its status, evaluations, elimination and offers, and the checks every rule shares.

``TeamState`` declares the state the events assign (for the type checker; the
events are its only writers) and answers the questions the command methods of
every concern ask: is the team seated, is it finally eliminated, may it still
receive decisions. The aggregate and each concern's methods build on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from domain import errors
from domain.program import Program
from domain.values import Stamp, display_name

MAX_MEMBERS = 100  # of a consortium, and of an evaluation panel
PENDING, WITHDRAWN, SELECTED = "pending", "withdrawn", "selected"  # an application to a re-entry round


class TeamStatus(StrEnum):
    """Where a team stands; the values are the names stored in read models and served."""

    APPLIED = "applied"  # not seated yet
    ACTIVE = "active"  # holds a seat in its stage
    ELIMINATED = "eliminated"  # provisional until upheld or its objection deadline passes, then final
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Evaluation:
    stage: int
    scores: dict[str, Decimal]
    gates: dict[str, bool]
    panel: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.scores.values(), Decimal(0))


@dataclass(frozen=True)
class Elimination:
    stage: int
    was_seated: bool
    objection_deadline: datetime
    upheld: bool = False


@dataclass(frozen=True)
class Offer:
    round: int
    stage: int
    deadline: datetime
    offered_at: datetime
    answer: str | None = None


@dataclass(frozen=True)
class Exclusion:
    """The team may not receive ``resource`` (a kind, or a class such as ``gpu``) from ``starts_on`` to ``ends_on``
    (open-ended when None)."""

    resource: str
    starts_on: date
    ends_on: date | None

    def covers(self, resource: str, start: date, end: date) -> bool:
        """Whether a grant of ``resource`` over ``start``–``end`` falls under this exclusion."""
        applies = resource == self.resource or resource.startswith(f"{self.resource}:")
        return applies and start <= (self.ends_on or date.max) and end >= self.starts_on


class TeamState:
    """The candidacy's state and the checks shared by its command methods."""

    if TYPE_CHECKING:  # state, assigned only by the events
        program_code: str
        team_code: str
        name_ko: str
        name_en: str
        lead_organisation: str
        members: list[str]
        excluded_resources: list[str]
        contact: str
        applied_at: datetime
        status: TeamStatus
        stage: int
        elimination: Elimination | None
        evaluations: dict[int, Evaluation]
        offers: dict[int, Offer]
        holdings: dict[str, int]
        drawn: dict[str, int]  # budget line → what the team's grants drew on it, net of returns
        exclusions: dict[int, Exclusion]
        grant_count: int
        reentrant: bool

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
            """The aggregate's (see eventsourcing's ``Aggregate.trigger_event``)."""

        round_applications: dict[int, str]  # re-entry round → pending, withdrawn or selected
        round_applied_at: dict[int, datetime]  # re-entry round → when the team last applied to it
        statements: int  # about re-entry rounds, made so far
    else:  # until the first application or statement; their events assign new values, never mutate these
        round_applications: dict[int, str] = {}  # replaced by each event, never mutated
        round_applied_at: dict[int, datetime] = {}  # replaced by each event, never mutated
        statements = 0

    def has_pending_application(self, round_number: int) -> bool:
        return self.round_applications.get(round_number) == PENDING

    @property
    def seated(self) -> bool:
        return self.status == TeamStatus.ACTIVE

    def is_finally_eliminated(self, at: datetime) -> bool:
        e = self.elimination
        return self.status == TeamStatus.ELIMINATED and e is not None and (e.upheld or at > e.objection_deadline)

    def _eligible_for(self, eligibility: tuple[str, ...], opens_at: datetime) -> bool:
        """Whether a re-entry round of this eligibility, opening at ``opens_at``, takes the team."""
        applied = self.status == TeamStatus.APPLIED
        return (
            ("eliminated" in eligibility and self.status == TeamStatus.ELIMINATED)
            or ("applicants" in eligibility and applied and self.applied_at < opens_at)
            or ("new_entrants" in eligibility and applied and self.applied_at >= opens_at)
        )

    def _check_open(self, stamp: Stamp, program: Program) -> None:
        """The team may still receive decisions: not withdrawn, not finally eliminated.

        Finality is judged when the decision is recorded, not at the date it claims: once an
        objection window has closed, back-dating a decision to inside it cannot reopen it.
        """
        stamp.not_before(program.opened_at)
        if self.status == TeamStatus.WITHDRAWN:
            raise errors.TeamInactiveError(f"team {self.team_code} withdrew")
        if self.is_finally_eliminated(stamp.recorded_at):
            raise errors.TeamInactiveError(f"team {self.team_code} is finally eliminated")


def members_of(names: list[str], *, exclude: str) -> list[str]:
    """A consortium's members as given, each once, without ``exclude`` (the lead organisation)."""
    members: list[str] = []
    for name in names:
        member = display_name(name, "member", limit=300)
        if member != exclude and member not in members:
            members.append(member)
    if len(members) > MAX_MEMBERS:
        raise errors.MembershipError(f"a consortium has at most {MAX_MEMBERS} members")
    return members
