"""Eliminating a team, and the objection that follows: upheld (final) or reversed (seat given back).

An elimination is provisional until it is upheld or its objection deadline
passes; until then it can be reversed, and a team that held a seat takes it back.
"""

from __future__ import annotations

from datetime import datetime

from domain import errors
from domain.candidacy.events import EliminationReversed, EliminationUpheld, TeamEliminated
from domain.candidacy.state import Elimination, TeamState, TeamStatus
from domain.program import Program
from domain.values import Stamp, aware

ELIMINATION_REASONS = ("below_cutoff", "failed_gate", "screening", "other")


class Eliminations(TeamState):
    """The candidacy's elimination and objection commands."""

    def eliminate(self, stamp: Stamp, program: Program, *, reason_code: str, objection_deadline: datetime) -> None:
        self._check_open(stamp, program)
        if self.status == TeamStatus.ELIMINATED:
            raise errors.AlreadyEliminatedError(f"team {self.team_code} is already eliminated")
        if reason_code not in ELIMINATION_REASONS:
            msg = f"reason_code must be one of {', '.join(ELIMINATION_REASONS)}"
            raise errors.InvalidValueError(msg)
        if aware(objection_deadline, "objection_deadline") <= stamp.effective_at:
            raise errors.InvalidValueError("the objection deadline must be after the elimination")
        if not stamp.reason:
            raise errors.InvalidValueError("an elimination needs a reason")
        was_seated = self.seated
        program.release_seat(stamp, self.team_code, self.stage)
        self.trigger_event(
            TeamEliminated,
            stage=self.stage,
            reason_code=reason_code,
            objection_deadline=objection_deadline,
            was_seated=was_seated,
            **stamp.event_fields(),
        )

    def uphold_elimination(self, stamp: Stamp, program: Program) -> None:
        """Upholding confirms the elimination: allowed until it is upheld or reversed, even after the deadline."""
        stamp.not_before(program.opened_at)
        self._pending_elimination(stamp, reversing=False)
        self.trigger_event(EliminationUpheld, **stamp.event_fields())

    def reverse_elimination(self, stamp: Stamp, program: Program) -> None:
        stamp.not_before(program.opened_at)
        elimination = self._pending_elimination(stamp)
        if elimination.was_seated:
            program.take_seat(stamp, self.team_code, elimination.stage)
        self.trigger_event(
            EliminationReversed,
            stage=elimination.stage,
            was_seated=elimination.was_seated,
            **stamp.event_fields(),
        )

    def _pending_elimination(self, stamp: Stamp, *, reversing: bool = True) -> Elimination:
        e = self.elimination
        if self.status != TeamStatus.ELIMINATED or e is None or e.upheld:
            msg = f"team {self.team_code} has no provisional elimination"
            raise errors.NoPendingEliminationError(msg)
        if reversing and stamp.recorded_at > e.objection_deadline:
            msg = f"the objection deadline {e.objection_deadline.isoformat()} has passed"
            raise errors.EliminationFinalError(msg)
        return e
