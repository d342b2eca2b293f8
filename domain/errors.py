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
    """Something the decision refers to does not exist."""


class ProgramNotFoundError(NotFoundError):
    pass


class TeamNotFoundError(NotFoundError):
    pass


class EvaluationNotFoundError(NotFoundError):
    pass


class RoundNotFoundError(NotFoundError):
    pass


class OfferNotFoundError(NotFoundError):
    pass


class EvaluationRoundNotFoundError(NotFoundError):
    """The programme has no evaluation round with that number; open one with POST /programs/{p}/evaluation-rounds."""


class InvalidDecisionError(RegistryError):
    """The decision does not fit the programme's definition."""


class InvalidValueError(InvalidDecisionError):
    """A value is out of its allowed form or range."""


class InvalidScoresError(InvalidDecisionError):
    """Scores or gate results do not match the stage's criteria and gates."""


class UnknownStageError(InvalidDecisionError):
    pass


class UnknownResourceError(InvalidDecisionError):
    pass


class IdempotencyKeyReusedError(InvalidDecisionError):
    """The Idempotency-Key was already used for a request with a different body."""


class RuleViolationError(RegistryError):
    """A programme rule forbids the decision in the current state."""


class EffectiveTimeError(RuleViolationError):
    """The effective time is before the programme opened (or the offer was made) or after it was recorded."""


class ScoreOutOfRangeError(RuleViolationError):
    """A score is negative or above its criterion's maximum."""


class ProgramAlreadyOpenedError(RuleViolationError):
    pass


class DuplicateApplicationError(RuleViolationError):
    pass


class SeatUnavailableError(RuleViolationError):
    pass


class TeamInactiveError(RuleViolationError):
    """The team withdrew or was finally eliminated."""


class WrongStageError(RuleViolationError):
    pass


class AlreadyEliminatedError(RuleViolationError):
    pass


class NoPendingEliminationError(RuleViolationError):
    pass


class EliminationFinalError(RuleViolationError):
    pass


class RoundClosedError(RuleViolationError):
    pass


class NotEligibleError(RuleViolationError):
    pass


class OfferAlreadyAnsweredError(RuleViolationError):
    pass


class OfferPendingError(RuleViolationError):
    """The team already holds an unanswered offer in this round."""


class OfferExpiredError(RuleViolationError):
    pass


class BudgetExceededError(RuleViolationError):
    pass


class ResourceExcludedError(RuleViolationError):
    pass


class ReturnExceedsHoldingError(RuleViolationError):
    pass


class TooManyFinalistsError(RuleViolationError):
    pass


class FinalistNotInLastStageError(RuleViolationError):
    pass


class FinalistsAlreadySelectedError(RuleViolationError):
    pass


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
    """A consortium change names a member that is (or is not) already in it."""


class PreconditionFailedError(RegistryError):
    """The record changed since the version the caller named in If-Match."""


class AccessDeniedError(RegistryError):
    """The caller's role may not take this action."""


class ConcurrentUpdateError(RegistryError):
    """Concurrent decisions kept changing the same records; the decision was not stored."""


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
