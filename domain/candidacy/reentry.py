"""Re-entry: a team offered a seat through a programme's re-entry round, and its answer.

Who may be offered a seat is the round's eligibility (eliminated teams, earlier
applicants, new entrants); an offer is answered once, before its deadline and
while the round is open, and accepting takes one of the round's seats.
"""

from __future__ import annotations

from datetime import datetime

from domain import errors
from domain.candidacy.events import OfferAccepted, OfferDeclined, ReEntryOffered
from domain.candidacy.state import Offer, TeamState, TeamStatus
from domain.program import Program
from domain.values import Stamp, aware


class ReEntry(TeamState):
    """The candidacy's re-entry commands."""

    def offer_reentry(self, stamp: Stamp, program: Program, *, round_number: int, deadline: datetime) -> int:
        stamp.not_before(program.opened_at)
        reentry = program.reentry_round(round_number)
        if not reentry.is_open(stamp.effective_at):
            raise errors.RoundClosedError(f"re-entry round {round_number} is not open")
        if not self._eligible_for(reentry.eligibility, reentry.opens_at):
            msg = f"team {self.team_code} ({self.status}) is not eligible for round {round_number}"
            raise errors.NotEligibleError(msg)
        if not stamp.effective_at < aware(deadline, "deadline") <= reentry.closes_at:
            raise errors.InvalidValueError("an offer's deadline must fall before the round closes")
        # An offer unanswered by its deadline has lapsed: it no longer holds the team (nor can it be accepted).
        if any(
            o.round == round_number and o.answer is None and stamp.effective_at <= o.deadline
            for o in self.offers.values()
        ):
            msg = f"team {self.team_code} already holds an unanswered offer in round {round_number}"
            raise errors.OfferPendingError(msg)
        number = len(self.offers) + 1
        self.trigger_event(
            ReEntryOffered,
            offer=number,
            round=round_number,
            stage=reentry.stage,
            deadline=deadline,
            **stamp.event_fields(),
        )
        return number

    def accept_offer(self, stamp: Stamp, program: Program, offer: int) -> None:
        stamp.not_before(program.opened_at)
        pending = self._answerable_offer(stamp, offer)
        reentry = program.reentry_round(pending.round)
        if not reentry.is_open(stamp.effective_at):
            raise errors.RoundClosedError(f"re-entry round {pending.round} has closed")
        _after_offer(stamp, pending, offer)
        if self.status == TeamStatus.WITHDRAWN:
            raise errors.TeamInactiveError(f"team {self.team_code} withdrew")
        if not self._eligible_for(reentry.eligibility, reentry.opens_at):
            msg = f"team {self.team_code} ({self.status}) is no longer eligible for round {pending.round}"
            raise errors.NotEligibleError(msg)
        program.take_seat(stamp, self.team_code, pending.stage, round_number=pending.round)
        self.trigger_event(OfferAccepted, offer=offer, round=pending.round, stage=pending.stage, **stamp.event_fields())

    def decline_offer(self, stamp: Stamp, program: Program, offer: int) -> None:
        stamp.not_before(program.opened_at)
        pending = self._answerable_offer(stamp, offer)
        _after_offer(stamp, pending, offer)
        self.trigger_event(OfferDeclined, offer=offer, round=pending.round, **stamp.event_fields())

    def _answerable_offer(self, stamp: Stamp, number: int) -> Offer:
        try:
            offer = self.offers[number]
        except KeyError:
            raise errors.OfferNotFoundError(f"team {self.team_code} has no offer {number}") from None
        if offer.answer is not None:
            raise errors.OfferAlreadyAnsweredError(f"offer {number} was already {offer.answer}")
        if stamp.effective_at > offer.deadline:
            raise errors.OfferExpiredError(f"offer {number} expired on {offer.deadline.isoformat()}")
        return offer


def _after_offer(stamp: Stamp, offer: Offer, number: int) -> None:
    if stamp.effective_at < offer.offered_at:
        raise errors.EffectiveTimeError(f"an answer cannot take effect before offer {number} was made")
