"""The candidacy aggregate: one team in one programme, from application to the end.

Its commands are grouped by concern — evaluations, eliminations, re-entry,
funding — each in its own module; this one holds the application, the
consortium, advancing through stages and withdrawing, and attaches the events.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors
from domain.candidacy import events, exclusions, outcomes, round_entries
from domain.candidacy.eliminations import Eliminations
from domain.candidacy.evaluations import Evaluations
from domain.candidacy.funding import Funding
from domain.candidacy.outcomes import Outcomes
from domain.candidacy.reentry import ReEntry
from domain.candidacy.round_entries import RoundEntries
from domain.candidacy.state import MAX_MEMBERS, TeamStatus
from domain.candidacy.state import members_of as _members
from domain.program import Program
from domain.values import Stamp, aware, code, display_name, nfc, text

NAMESPACE = uuid5(NAMESPACE_URL, "https://registry.invalid/candidacy")


class Candidacy(Evaluations, Eliminations, ReEntry, RoundEntries, Funding, Outcomes, Aggregate):
    TOPIC = "registry:Candidacy"

    # The events are attached here, so the library registers their explicit topics when the class is made.
    # The type checker reads them as type aliases; at runtime they are plain attributes, because an annotation
    # in this class body would make the library turn the aggregate into a dataclass.
    if TYPE_CHECKING:
        Event: TypeAlias = events.CandidacyEvent
        ApplicationSubmitted: TypeAlias = events.ApplicationSubmitted
        ConsortiumChanged: TypeAlias = events.ConsortiumChanged
        EvaluationRecorded: TypeAlias = events.EvaluationRecorded
        EvaluationAmended: TypeAlias = events.EvaluationAmended
        TeamAdvanced: TypeAlias = events.TeamAdvanced
        TeamEliminated: TypeAlias = events.TeamEliminated
        EliminationUpheld: TypeAlias = events.EliminationUpheld
        EliminationReversed: TypeAlias = events.EliminationReversed
        ReEntryOffered: TypeAlias = events.ReEntryOffered
        OfferAccepted: TypeAlias = events.OfferAccepted
        OfferDeclined: TypeAlias = events.OfferDeclined
        TeamWithdrew: TypeAlias = events.TeamWithdrew
        FundingGranted: TypeAlias = events.FundingGranted
        FundingReturned: TypeAlias = events.FundingReturned
        AdvancementProvisional: TypeAlias = outcomes.AdvancementProvisional
        AdvancementConfirmed: TypeAlias = outcomes.AdvancementConfirmed
        AdvancementReversed: TypeAlias = outcomes.AdvancementReversed
        RoundOutcomeRecorded: TypeAlias = outcomes.RoundOutcomeRecorded
        RoundApplicationSubmitted: TypeAlias = round_entries.RoundApplicationSubmitted
        RoundStatementMade: TypeAlias = round_entries.RoundStatementMade
        ReEntrySelected: TypeAlias = round_entries.ReEntrySelected
        ExclusionImposed: TypeAlias = exclusions.ExclusionImposed
        ExclusionLifted: TypeAlias = exclusions.ExclusionLifted
    else:
        Event = events.CandidacyEvent
        ApplicationSubmitted = events.ApplicationSubmitted
        ConsortiumChanged = events.ConsortiumChanged
        EvaluationRecorded = events.EvaluationRecorded
        EvaluationAmended = events.EvaluationAmended
        TeamAdvanced = events.TeamAdvanced
        TeamEliminated = events.TeamEliminated
        EliminationUpheld = events.EliminationUpheld
        EliminationReversed = events.EliminationReversed
        ReEntryOffered = events.ReEntryOffered
        OfferAccepted = events.OfferAccepted
        OfferDeclined = events.OfferDeclined
        TeamWithdrew = events.TeamWithdrew
        FundingGranted = events.FundingGranted
        FundingReturned = events.FundingReturned
        AdvancementProvisional = outcomes.AdvancementProvisional
        AdvancementConfirmed = outcomes.AdvancementConfirmed
        AdvancementReversed = outcomes.AdvancementReversed
        RoundOutcomeRecorded = outcomes.RoundOutcomeRecorded
        RoundApplicationSubmitted = round_entries.RoundApplicationSubmitted
        RoundStatementMade = round_entries.RoundStatementMade
        ReEntrySelected = round_entries.ReEntrySelected
        ExclusionImposed, ExclusionLifted = exclusions.ExclusionImposed, exclusions.ExclusionLifted
    Created = ApplicationSubmitted  # the library looks for a creation event under this name

    @staticmethod
    def id_for(program_code: str, team_code: str) -> UUID:
        return uuid5(NAMESPACE, f"{code(program_code)}/{code(team_code, 'team code')}")

    # --- commands -------------------------------------------------------------------

    @classmethod
    def submit(
        cls,
        stamp: Stamp,
        program: Program,
        *,
        team_code: str,
        name_ko: str,
        name_en: str,
        lead_organisation: str,
        members: list[str] | None = None,
        stage: int = 0,
        excluded_resources: list[str] | None = None,
        contact: str = "",
        through_round: bool = False,
    ) -> Candidacy:
        """A team applies to ``stage``: within its call, or (``through_round``) as a new entrant of a re-entry round,
        whose window ``apply_to_round`` checks next.
        """
        stamp.not_before(program.opened_at)
        program.stage(stage)
        if not through_round:
            program.check_application(stamp, stage)
        team_code = code(team_code, "team code")
        lead = display_name(lead_organisation, "lead_organisation", limit=300)
        return cls._create(
            cls.ApplicationSubmitted,
            id=cls.id_for(program.code, team_code),
            program_code=program.code,
            team_code=team_code,
            name_ko=display_name(name_ko, "name_ko", limit=300),
            name_en=display_name(name_en, "name_en", limit=300),
            lead_organisation=lead,
            members=_members(members or [], exclude=lead),
            stage=stage,
            excluded_resources=sorted({nfc(r.strip()) for r in excluded_resources or []}),
            contact=text(contact, "contact", required=False, limit=200),
            **stamp.event_fields(),
        )

    def change_consortium(self, stamp: Stamp, program: Program, joined: list[str], left: list[str]) -> None:
        self._check_open(stamp, program)
        joining = [m for m in _members(joined, exclude=self.lead_organisation) if m not in self.members]
        leaving = _members(left, exclude="")
        if self.lead_organisation in leaving or any(m not in self.members for m in leaving):
            msg = "only current members other than the lead organisation can leave"
            raise errors.MembershipError(msg)
        if not joining and not leaving:
            return  # nothing changes
        if len(self.members) + len(joining) - len(leaving) > MAX_MEMBERS:
            raise errors.MembershipError(f"a consortium has at most {MAX_MEMBERS} members")
        self.trigger_event(self.ConsortiumChanged, joined=joining, left=leaving, **stamp.event_fields())

    def advance(
        self, stamp: Stamp, program: Program, to_stage: int, *, objection_deadline: datetime | None = None
    ) -> None:
        """Take the seat and record the advance; with an objection deadline it is provisional until then."""
        self._check_open(stamp, program)
        program.stage(to_stage)
        expected = self.stage if self.status == TeamStatus.APPLIED else self.stage + 1
        if self.status not in (TeamStatus.APPLIED, TeamStatus.ACTIVE) or to_stage != expected:
            where = program.stage_label(self.stage)
            msg = f"team {self.team_code} ({self.status}, {where}) cannot move to {program.stage_label(to_stage)}"
            raise errors.WrongStageError(msg)
        program.check_takes_new_teams(to_stage)
        if objection_deadline is not None and aware(objection_deadline, "objection_deadline") <= stamp.effective_at:
            raise errors.InvalidValueError("the objection deadline must be after the advancement")
        from_stage = self.stage if self.seated else None
        program.take_seat(stamp, self.team_code, to_stage, left_stage=from_stage)
        self.trigger_event(self.TeamAdvanced, from_stage=from_stage, to_stage=to_stage, **stamp.event_fields())
        if objection_deadline is not None:
            self.hold_for_objection(
                stamp, program, stage=to_stage, from_stage=from_stage, objection_deadline=objection_deadline
            )

    def withdraw(self, stamp: Stamp, program: Program) -> None:
        self._check_open(stamp, program)
        was_seated = self.seated
        program.release_seat(stamp, self.team_code, self.stage)
        self.trigger_event(self.TeamWithdrew, stage=self.stage, was_seated=was_seated, **stamp.event_fields())
