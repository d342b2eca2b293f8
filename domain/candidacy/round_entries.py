"""Entering a re-entry round by applying to it, and what a team says about a round without an offer.

A re-entry round is an open call: a team it makes eligible (an eliminated
team, finally eliminated too; an earlier applicant; a new entrant) applies
within the round's window, with its consortium as it now stands (a new one if
it changed). The round's panel judges the applications in an evaluation round
linked to it and selects up to the round's seats, or no one; a selected team
takes the round's seat (``selected_in_round``). Offers stay a second way in.

A team may also state its position on a round without any offer — it declined,
it intends to apply, it withdrew its application — in a form (formal letter,
public statement, press report) with its sources. A statement takes no seat; a
withdrawal ends the application, so the panel can no longer select it.
"""

from __future__ import annotations

from domain import errors
from domain.candidacy.events import CandidacyEvent
from domain.candidacy.state import PENDING, SELECTED, WITHDRAWN, TeamState, TeamStatus, members_of
from domain.program import Program
from domain.values import Stamp, display_name

STATEMENT_KINDS = ("declined", "intends_to_apply", "withdrew_application")
STATEMENT_FORMS = ("formal_letter", "public_statement", "press_report")


class RoundApplicationSubmitted(CandidacyEvent):
    """The team applied to re-entry round ``round`` with this consortium (which becomes its consortium)."""

    TOPIC = "registry:RoundApplicationSubmitted"
    round: int
    stage: int
    lead_organisation: str
    members: list[str]

    def apply(self, team: TeamState) -> None:
        team.round_applications = {**team.round_applications, self.round: PENDING}
        team.round_applied_at = {**team.round_applied_at, self.round: self.effective_at}
        team.lead_organisation, team.members = self.lead_organisation, list(self.members)


class RoundStatementMade(CandidacyEvent):
    """What the team said about round ``round`` (``kind``), in which ``form``; its words are the event's reason."""

    TOPIC = "registry:RoundStatementMade"
    statement: int
    round: int
    kind: str
    form: str

    def apply(self, team: TeamState) -> None:
        team.statements += 1
        if self.kind == "withdrew_application":
            team.round_applications = {**team.round_applications, self.round: WITHDRAWN}


class ReEntrySelected(CandidacyEvent):
    """The panel of evaluation round ``evaluation_round`` selected the team's application: it takes the seat."""

    TOPIC = "registry:ReEntrySelected"
    round: int
    stage: int
    evaluation_round: int

    def apply(self, team: TeamState) -> None:
        team.round_applications = {**team.round_applications, self.round: SELECTED}
        team.status, team.stage = TeamStatus.ACTIVE, self.stage
        team.elimination = None
        team.reentrant = True


class RoundEntries(TeamState):
    """The candidacy's commands about applying to a re-entry round and stating its position on one."""

    def apply_to_round(
        self,
        stamp: Stamp,
        program: Program,
        *,
        round_number: int,
        lead_organisation: str | None,
        members: list[str] | None,
    ) -> None:
        stamp.not_before(program.opened_at)
        reentry = program.reentry_round(round_number)
        program.check_takes_new_teams(reentry.stage)
        if not reentry.is_open(stamp.effective_at):
            window = f"{reentry.opens_at.isoformat()} to {reentry.closes_at.isoformat()}"
            raise errors.RoundClosedError(f"re-entry round {round_number} takes applications from {window}")
        if self.status == TeamStatus.WITHDRAWN:
            raise errors.TeamInactiveError(f"team {self.team_code} withdrew")
        if self.round_applications.get(round_number) in (PENDING, SELECTED):
            msg = f"team {self.team_code} already applied to re-entry round {round_number}"
            raise errors.DuplicateApplicationError(msg)
        if not self._eligible_for(reentry.eligibility, reentry.opens_at):
            msg = f"team {self.team_code} ({self.status}) is not eligible for re-entry round {round_number}"
            raise errors.NotEligibleError(msg)
        lead = display_name(lead_organisation or self.lead_organisation, "lead_organisation", limit=300)
        self.trigger_event(
            RoundApplicationSubmitted,
            round=round_number,
            stage=reentry.stage,
            lead_organisation=lead,
            members=members_of(self.members if members is None else members, exclude=lead),
            **stamp.event_fields(),
        )

    def state_on_round(self, stamp: Stamp, program: Program, *, round_number: int, kind: str, form: str) -> int:
        stamp.not_before(program.opened_at)
        program.reentry_round(round_number)
        if kind not in STATEMENT_KINDS:
            raise errors.InvalidValueError(f"a statement's kind is one of {', '.join(STATEMENT_KINDS)}")
        if form not in STATEMENT_FORMS:
            raise errors.InvalidValueError(f"a statement's form is one of {', '.join(STATEMENT_FORMS)}")
        if not stamp.reason:
            raise errors.InvalidValueError("a statement needs its words or their summary as the reason")
        if kind == "withdrew_application":
            self._pending_application(stamp, round_number)
        number = self.statements + 1
        self.trigger_event(
            RoundStatementMade, statement=number, round=round_number, kind=kind, form=form, **stamp.event_fields()
        )
        return number

    def selected_in_round(self, stamp: Stamp, program: Program, *, round_number: int, evaluation_round: int) -> None:
        """The round's panel selected the team's pending application: the team takes one of the round's seats."""
        reentry = program.reentry_round(round_number)
        if stamp.effective_at < reentry.opens_at:
            raise errors.RoundClosedError(f"re-entry round {round_number} opens at {reentry.opens_at.isoformat()}")
        self._pending_application(stamp, round_number)
        if self.status == TeamStatus.WITHDRAWN:
            raise errors.TeamInactiveError(f"team {self.team_code} withdrew")
        program.take_seat(stamp, self.team_code, reentry.stage, round_number=round_number)
        self.trigger_event(
            ReEntrySelected,
            round=round_number,
            stage=reentry.stage,
            evaluation_round=evaluation_round,
            **stamp.event_fields(),
        )

    def _pending_application(self, stamp: Stamp, round_number: int) -> None:
        """The team's application to the round is pending, and the decision about it is dated after it."""
        if not self.has_pending_application(round_number):
            msg = f"team {self.team_code} has no pending application in re-entry round {round_number}"
            raise errors.NotAnApplicantError(msg)
        if stamp.effective_at < self.round_applied_at[round_number]:
            msg = f"a decision about the application to re-entry round {round_number} cannot take effect before it"
            raise errors.EffectiveTimeError(msg)
