"""Named errors raised by the domain when a decision breaks a rule.

Every error belongs to one family; the API maps families (never individual
errors) to HTTP statuses, and uses each error's ``code`` as the stable part of
its problem-details ``type``::

    RegistryError
    ├── NotFoundError                 the programme, team, evaluation, round or offer does not exist
    ├── InvalidDecisionError          the decision is malformed whatever the records say (unknown criterion, …)
    ├── RuleViolationError            the decision is well formed but the records forbid it (a rule, a seat, a
    │                                 date before the programme opened or after the decision was recorded)
    ├── PreconditionFailedError       the record changed since the version named in If-Match
    ├── AccessDeniedError             the caller's role may not take this action
    └── ConcurrentUpdateError         other decisions kept changing the same records; try again
"""

from __future__ import annotations

import re


def _code_of(name: str) -> str:
    """``SeatUnavailableError`` → ``seat-unavailable``."""
    stem = name.removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", stem).lower()


class RegistryError(Exception):
    """Base class of every error the registry raises on purpose."""

    code = "registry-error"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = _code_of(cls.__name__)

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(RegistryError):
    """Something the decision refers to does not exist. Check the codes and numbers in the path."""


class ProgramNotFoundError(NotFoundError):
    """No programme has this code. GET /programs lists the programmes; check the code's spelling and case."""


class TeamNotFoundError(NotFoundError):
    """No team with this code has applied to the programme. List the teams in GET /programs/{p}/standings."""


class EvaluationNotFoundError(NotFoundError):
    """The team has no evaluation with this number. A team's record (GET /programs/{p}/teams/{t}) lists its
    evaluations.
    """


class RoundNotFoundError(NotFoundError):
    """The programme has no re-entry round with this number. The programme's standings list its rounds."""


class OfferNotFoundError(NotFoundError):
    """The team has no re-entry offer with this number. The team's record lists its offers."""


class EvaluationRoundNotFoundError(NotFoundError):
    """The programme has no evaluation round with that number; open one with POST /programs/{p}/evaluation-rounds."""


class InvalidDecisionError(RegistryError):
    """The decision does not fit the programme's definition. Compare it with the programme's stages, criteria and
    budgets (GET /programs/{p}).
    """


class InvalidValueError(InvalidDecisionError):
    """A value is out of its allowed form or range. The detail names the value; correct it and send again."""


class InvalidScoresError(InvalidDecisionError):
    """Scores or gate results do not match the stage's criteria and gates. Give one score per criterion and one
    result per gate of that stage, as the programme defines them.
    """


class UnknownStageError(NotFoundError):
    """The programme has no stage with this index. Stages are numbered from 0 in the order the programme defined
    them.
    """


class UnknownResourceError(NotFoundError):
    """The programme has no budget for this resource. Use a resource named in the programme's budgets, or increase a
    budget for it first.
    """


class IdempotencyKeyReusedError(InvalidDecisionError):
    """The Idempotency-Key was already used for a request with a different body. Use a new key for a new
    request, or resend the first body unchanged.
    """


class RuleViolationError(RegistryError):
    """A programme rule forbids the decision in the current state. The detail names the rule; read the
    programme's standings to see the state.
    """


class EffectiveTimeError(RuleViolationError):
    """The effective time is before the programme opened or was announced (or the offer was made), or after the
    decision was recorded. Give a time between the programme's opening and now, with its time zone.
    """


class ScoreOutOfRangeError(RuleViolationError):
    """A score is negative or above its criterion's maximum. Give a score from 0 to the criterion's max_points."""


class ProgramAlreadyOpenedError(RuleViolationError):
    """A programme with this code is already open. Choose another code, or read the existing programme."""


class DuplicateApplicationError(RuleViolationError):
    """The team has already applied to this programme. Change its consortium instead of applying again."""


class SeatUnavailableError(RuleViolationError):
    """Every seat of the stage is taken, or the only vacancies are held for an open re-entry round. Free a seat
    first, or offer it through the round.
    """


class TeamInactiveError(RuleViolationError):
    """The team withdrew or was finally eliminated, so no further decision can be recorded about it."""


class WrongStageError(RuleViolationError):
    """The decision names a stage the team is not at. Read the team's record for its current stage and name that one."""


class AlreadyEliminatedError(RuleViolationError):
    """The team is already eliminated from this stage. Record the outcome of its objection (upheld or reversed)
    instead.
    """


class NoPendingEliminationError(RuleViolationError):
    """The team has no provisional elimination to uphold or reverse. Only an elimination still within its objection
    window has an outcome.
    """


class EliminationFinalError(RuleViolationError):
    """The elimination is final (upheld, or past its objection deadline) and can no longer be reversed."""


class RoundClosedError(RuleViolationError):
    """The re-entry round is closed: its offers can no longer be made or answered. Open a new round if a seat is
    still vacant.
    """


class NotEligibleError(RuleViolationError):
    """The team's status does not make it eligible for this re-entry round. The round's eligibility is listed with
    the programme's rounds in its standings.
    """


class NotAnApplicantError(RuleViolationError):
    """The team has no pending application in this re-entry round (it never applied, withdrew its application or
    was already selected), so it cannot be judged, selected or withdraw an application there. Apply first.
    """


class OfferAlreadyAnsweredError(RuleViolationError):
    """The offer was already accepted or declined; each offer takes one answer. Make a new offer if the round is
    still open.
    """


class OfferPendingError(RuleViolationError):
    """The team already holds an unanswered offer in this round. Wait for its answer, or for its deadline to pass."""


class OfferExpiredError(RuleViolationError):
    """The offer's deadline has passed, so it can no longer be accepted. Make a new offer while the round is open."""


class BudgetExceededError(RuleViolationError):
    """The grant is larger than what remains of the resource's budget. Grant less, or increase the budget first."""


class ResourceExcludedError(RuleViolationError):
    """The team is excluded from this resource over the grant's period (its application named the exclusion, or
    one was imposed since). Grant it another resource, grant it for a period outside the exclusion, or lift it."""


class ExclusionNotFoundError(NotFoundError):
    """The team has no exclusion with this number. A team's record lists its exclusions."""


class ResourceKindConflictError(RuleViolationError):
    """The resource kind is already declared with another unit or equivalence; a kind is declared once."""


class UnitMismatchError(RuleViolationError):
    """An equivalence joins kinds of different units (GPUs and KRW, say); only kinds of one unit are equivalent."""


class NotEquivalentError(RuleViolationError):
    """The grant's kind is not declared equivalent to the budget line it draws on, or the quantity does not convert
    to a whole number of the line's units. Draw on the kind's own line, or declare the equivalence first."""


class PoolNotFoundError(NotFoundError):
    """No shared pool has this code. GET /pools lists the pools."""


class PoolAlreadyOpenedError(RuleViolationError):
    """A shared pool with this code already exists; increase its budget instead."""


class PoolExhaustedError(RuleViolationError):
    """The grant would draw more than remains in the shared pool its budget line draws on, whichever programme asks.
    Grant less, or increase the pool's budget first."""


class BudgetLinePooledError(RuleViolationError):
    """The budget line draws on a shared pool (its budget is the pool's), or has a budget of its own and cannot be
    linked to a pool. Increase the pool's budget, or link a line that has none."""


class ReturnExceedsHoldingError(RuleViolationError):
    """The return is larger than what the team holds of the resource. Return at most its current holding."""


class TooManyFinalistsError(RuleViolationError):
    """More finalists were named than the programme allows. Name at most the programme's finalist count."""


class PanelFullError(RuleViolationError):
    """The round's panel already has as many members as a panel may have. Register no more members."""


class TooManyStagesError(RuleViolationError):
    """The programme already has 20 stages, the most a programme may have. Amend a stage instead of adding one."""


class LastStageTooSmallError(RuleViolationError):
    """The new last stage would seat fewer teams than the programme's finalist count. Give the last stage at least
    as many seats as the programme has finalists.
    """


class FinalistNotInLastStageError(RuleViolationError):
    """A finalist must hold a seat in the programme's last stage. Advance the team to the last stage first."""


class FinalistsAlreadySelectedError(RuleViolationError):
    """The programme's finalists were already selected; the selection is made once."""


class StageConcludedError(RuleViolationError):
    """The stage is concluded (the finalists are selected) and takes no new teams; the competition is decided."""


class NoPendingAdvancementError(RuleViolationError):
    """The team has no provisional advancement; only an advance with an objection deadline is confirmed or reversed."""


class AdvancementFinalError(RuleViolationError):
    """The advancement's objection deadline has passed, so it is final and can no longer be reversed."""


class NotOnPanelError(RuleViolationError):
    """The person named is not on the round's panel; register them with POST …/evaluation-rounds/{n}/panel first."""


class AlreadyOnPanelError(RuleViolationError):
    """The person is already on the round's panel with another role; a panel member has one role per round."""


class ConflictOfInterestError(RuleViolationError):
    """A member who declared a conflict with the team, or recused from it, may not judge it: leave them out."""


class OutcomeAlreadyRecordedError(RuleViolationError):
    """The round already holds an outcome for this team; a round records one outcome per team."""


class RoundAlreadyDecidedError(RuleViolationError):
    """The round's decision is already recorded; a round is decided once."""


class MembershipError(RuleViolationError):
    """A consortium change adds a member already in it, or removes one who is not. Read the team's record for
    its current members.
    """


class PreconditionFailedError(RegistryError):
    """The record changed since the version named in If-Match. GET it again, check the change, and send the
    new ETag.
    """


class AccessDeniedError(RegistryError):
    """The API key's role may not take this action. Ask an admin for a key with the role the detail names."""


class ConcurrentUpdateError(RegistryError):
    """Concurrent decisions kept changing the same records; the decision was not stored. Send it again
    (with the same Idempotency-Key).
    """


class AmountLimitError(RuleViolationError):
    """The amount would take a budget, or all a programme ever committed of a resource, past 10^15: the largest
    total the registry keeps. Record it in a larger unit (e.g. thousands of won).
    """


class PositionNotFoundError(NotFoundError):
    """The log has no event at this position yet (a min_position or tree size beyond the head). GET /health
    shows the head.
    """


class LastAdminKeyError(RuleViolationError):
    """The key is the last active admin key: revoking it would leave nobody able to manage keys. Issue another
    admin key first (POST /keys), then revoke this one.
    """


class CallNotOpenError(RuleViolationError):
    """The application is dated before its stage's call for applications opens, or the stage has no call to apply
    to, extend or close (a programme that has calls takes applications only through them); open a call first."""


class CallClosedError(RuleViolationError):
    """The application or extension is dated after the stage's call for applications closed; extend the call before
    it closes (with the reason), or open a new call for the stage."""


class CallOverlapError(RuleViolationError):
    """The stage already has a call that has not closed; extend it or close it early instead of opening another."""


class StageInUseError(RuleViolationError):
    """The stage's rules are fixed once a team has been evaluated in it or has taken a seat in it; record the
    change as a new stage, or leave the stage as it is."""
