"""A re-entry round's window moved: extended or closed early, each an event with its reason.

The rules are those of a call for applications (``domain.calls``): an extension
closes the round later and is decided while the round is still open; an early
close closes it sooner, not before it opens nor before the decision to close
it. Offers, applications and answers are then judged against the window as it
stands, so a date after the first deadline but within an extension is taken.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain import errors
from domain.program_state import ProgramEvent, ProgramState, ReEntryRound
from domain.values import Stamp, aware


class ReEntryRoundExtended(ProgramEvent):
    TOPIC = "registry:ReEntryRoundExtended"
    round: int
    closes_at: datetime

    def apply(self, program: ProgramState) -> None:
        program.rounds[self.round] = replace(program.rounds[self.round], closes_at=self.closes_at)


class ReEntryRoundClosedEarly(ProgramEvent):
    TOPIC = "registry:ReEntryRoundClosedEarly"
    round: int
    closes_at: datetime

    def apply(self, program: ProgramState) -> None:
        program.rounds[self.round] = replace(program.rounds[self.round], closes_at=self.closes_at)


class ReEntryWindows(ProgramState):
    """The programme's commands that move a re-entry round's closing time."""

    def extend_reentry_round(self, stamp: Stamp, *, round_number: int, closes_at: datetime) -> None:
        current = self._round_to_move(stamp, round_number, closes_at)
        if closes_at == current.closes_at:
            return  # the round already closes then
        if closes_at < current.closes_at:
            raise errors.InvalidValueError("an extension closes the round later than it closes now")
        if stamp.effective_at > current.closes_at:
            msg = f"re-entry round {round_number} closed at {current.closes_at.isoformat()}: open a new round"
            raise errors.RoundClosedError(msg)
        self.trigger_event(ReEntryRoundExtended, round=round_number, closes_at=closes_at, **stamp.event_fields())

    def close_reentry_round_early(self, stamp: Stamp, *, round_number: int, closes_at: datetime) -> None:
        current = self._round_to_move(stamp, round_number, closes_at)
        if closes_at == current.closes_at:
            return  # the round already closes then
        if closes_at > current.closes_at:
            raise errors.InvalidValueError("an early close closes the round sooner than it closes now")
        if closes_at < max(current.opens_at, stamp.effective_at):
            raise errors.InvalidValueError("a round cannot close before it opens nor before the decision to close it")
        self.trigger_event(ReEntryRoundClosedEarly, round=round_number, closes_at=closes_at, **stamp.event_fields())

    def _round_to_move(self, stamp: Stamp, number: int, closes_at: datetime) -> ReEntryRound:
        stamp.not_before(self.opened_at)
        aware(closes_at, "closes_at")
        if number not in self.rounds:
            raise errors.RoundNotFoundError(f"programme {self.code} has no re-entry round {number}")
        if not stamp.reason:
            raise errors.InvalidValueError("moving a round's closing time needs a reason")
        return self.rounds[number]
