"""Provisional advancements and a team's outcome in an evaluation round.

An advancement given an objection deadline is provisional, as an elimination
is: the team holds its seat meanwhile; the advancement is confirmed by an
event or becomes final when the deadline passes, and until then it can be
reversed, which frees the seat (and gives back the one the team left, if any).
An advancement without a deadline is final at once, as it always was.

A round outcome is what an evaluation round published about one team: a
result (pass or fail), the scores and gate results that were published (all,
some or none), a rank, who sat on the team's panel and who stood aside and
why. The round checks the outcome against its criteria and panel
(``domain.rounds``); the team's stream keeps it, so its record and history show it.
An outcome is an evaluation in its stage, published or not: the first one fixes
the stage's rules, as a team's own first evaluation does (``domain.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from domain import errors
from domain.candidacy.events import CandidacyEvent
from domain.candidacy.state import TeamState, TeamStatus
from domain.program import Program
from domain.values import Stamp

RESULTS = ("pass", "fail")


@dataclass(frozen=True)
class Advancement:
    stage: int
    from_stage: int | None
    objection_deadline: datetime
    confirmed: bool = False


class AdvancementProvisional(CandidacyEvent):
    """The advancement just recorded (``TeamAdvanced``) stands subject to objection until the deadline."""

    TOPIC = "registry:AdvancementProvisional"
    stage: int
    from_stage: int | None
    objection_deadline: datetime

    def apply(self, team: Outcomes) -> None:
        team.advancement = Advancement(self.stage, self.from_stage, self.objection_deadline)


class AdvancementConfirmed(CandidacyEvent):
    TOPIC = "registry:AdvancementConfirmed"
    stage: int

    def apply(self, team: Outcomes) -> None:
        team.advancement = replace(team.advancement, confirmed=True)  # type: ignore[type-var]


class AdvancementReversed(CandidacyEvent):
    TOPIC = "registry:AdvancementReversed"
    stage: int
    from_stage: int | None

    def apply(self, team: Outcomes) -> None:
        team.status = TeamStatus.APPLIED if self.from_stage is None else TeamStatus.ACTIVE
        team.stage = self.stage if self.from_stage is None else self.from_stage
        team.advancement = None


class RoundOutcomeRecorded(CandidacyEvent):
    """The team's outcome in evaluation round ``round``; ``recusals`` lists who stood aside: member, kind, reason."""

    TOPIC = "registry:RoundOutcomeRecorded"
    round: int
    stage: int
    result: str | None
    scores: dict[str, Decimal]
    gates: dict[str, bool]
    rank: int | None
    panel: list[str]
    recusals: list[dict[str, str]]


class Outcomes(TeamState):
    """The candidacy's commands about provisional advancements and round outcomes."""

    if TYPE_CHECKING:
        advancement: Advancement | None
    else:
        advancement = None  # until an advancement is made provisional; then assigned by its events

    def hold_for_objection(
        self, stamp: Stamp, program: Program, *, stage: int, from_stage: int | None, objection_deadline: datetime
    ) -> None:
        """Make the advancement to ``stage`` just triggered provisional (``advance`` checked the deadline)."""
        self.trigger_event(
            AdvancementProvisional,
            stage=stage,
            from_stage=from_stage,
            objection_deadline=objection_deadline,
            **stamp.event_fields(),
        )

    def confirm_advancement(self, stamp: Stamp, program: Program) -> None:
        """Confirming is allowed until it is confirmed or reversed, even after the deadline."""
        stamp.not_before(program.opened_at)
        pending = self._pending_advancement(stamp, program, reversing=False)
        self.trigger_event(AdvancementConfirmed, stage=pending.stage, **stamp.event_fields())

    def reverse_advancement(self, stamp: Stamp, program: Program) -> None:
        stamp.not_before(program.opened_at)
        pending = self._pending_advancement(stamp, program)
        program.release_seat(stamp, self.team_code, pending.stage)
        if pending.from_stage is not None:
            program.take_seat(stamp, self.team_code, pending.from_stage)
        self.trigger_event(
            AdvancementReversed, stage=pending.stage, from_stage=pending.from_stage, **stamp.event_fields()
        )

    def is_provisional(self, at: datetime) -> bool:
        a = self.advancement
        pending = a is not None and not a.confirmed and self.seated and a.stage == self.stage
        return pending and a is not None and at <= a.objection_deadline

    def _pending_advancement(self, stamp: Stamp, program: Program, *, reversing: bool = True) -> Advancement:
        a = self.advancement
        if a is None or a.confirmed or not self.seated or a.stage != self.stage:
            msg = f"team {self.team_code} has no provisional advancement"
            raise errors.NoPendingAdvancementError(msg)
        if reversing and stamp.recorded_at > a.objection_deadline:
            where = program.stage_label(a.stage)
            msg = f"the objection deadline {a.objection_deadline.isoformat()} of the advance to {where} has passed"
            raise errors.AdvancementFinalError(msg)
        return a

    def record_round_outcome(
        self,
        stamp: Stamp,
        program: Program,
        *,
        round_number: int,
        stage: int,
        result: str | None,
        scores: dict[str, Decimal],
        gates: dict[str, bool],
        rank: int | None,
        panel: list[str],
        recusals: list[dict[str, str]],
        reentry_round: int | None = None,
    ) -> None:
        """Record the team's outcome in a round of ``stage`` (scores and gates already checked by the round).

        A round judging a re-entry round's applications (``reentry_round``) judges only teams with a pending
        application there, whatever their status (an eliminated team applies to come back).
        """
        if reentry_round is not None:
            stamp.not_before(program.opened_at)
            if not self.has_pending_application(reentry_round):
                msg = f"team {self.team_code} has no pending application in re-entry round {reentry_round}"
                raise errors.NotAnApplicantError(msg)
        else:
            self._check_open(stamp, program)
            if self.status not in (TeamStatus.APPLIED, TeamStatus.ACTIVE):
                raise errors.TeamInactiveError(f"team {self.team_code} is {self.status}")
            if stage != self.stage:
                msg = f"team {self.team_code} is in {program.stage_label(self.stage)}, not {program.stage_label(stage)}"
                raise errors.WrongStageError(msg)
        if result is not None and result not in RESULTS:
            raise errors.InvalidValueError(f"result must be one of {', '.join(RESULTS)}")
        program.begin_evaluation(stamp, stage, self.team_code)  # a round's outcome fixes the stage's rules too
        self.trigger_event(
            RoundOutcomeRecorded,
            round=round_number,
            stage=stage,
            result=result,
            scores=scores,
            gates=gates,
            rank=rank,
            panel=panel,
            recusals=recusals,
            **stamp.event_fields(),
        )
