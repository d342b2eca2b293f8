"""Exclusions of a team from a resource for a period: imposed and lifted by events, after the team applied.

A team that supplies GPUs to the state may be excluded from GPU support for a
while. An exclusion names a resource kind (``gpu:B200``) or a whole class
(``gpu``), when it starts and, if known, when it ends; lifting it ends it on a
date. A grant of an excluded resource whose period overlaps the exclusion is
refused (``resource-excluded``), and the fairness report leaves the team out of
the comparison for that resource while it is excluded.
"""

from __future__ import annotations

from datetime import date

from domain import errors
from domain.candidacy.events import CandidacyEvent
from domain.candidacy.state import Exclusion, TeamState
from domain.program import Program
from domain.values import RESOURCE_PATTERN, Stamp, nfc


class ExclusionImposed(CandidacyEvent):
    TOPIC = "registry:ExclusionImposed"
    exclusion: int
    resource: str
    starts_on: str
    ends_on: str | None

    def apply(self, team: TeamState) -> None:
        ends = date.fromisoformat(self.ends_on) if self.ends_on else None
        team.exclusions[self.exclusion] = Exclusion(self.resource, date.fromisoformat(self.starts_on), ends)


class ExclusionLifted(CandidacyEvent):
    TOPIC = "registry:ExclusionLifted"
    exclusion: int
    ends_on: str

    def apply(self, team: TeamState) -> None:
        current = team.exclusions[self.exclusion]
        team.exclusions[self.exclusion] = Exclusion(
            current.resource, current.starts_on, date.fromisoformat(self.ends_on)
        )


def resource_or_class(value: str) -> str:
    """A resource kind (``gpu:B200``) or a class of kinds (``gpu``)."""
    value = nfc(value.strip())
    if RESOURCE_PATTERN.match(value) or RESOURCE_PATTERN.match(f"{value}:x"):
        return value
    raise errors.InvalidValueError(f"resource {value!r} must be a kind such as 'gpu:B200' or a class such as 'gpu'")


class Exclusions(TeamState):
    """The candidacy's commands about exclusions, and the check every grant passes."""

    def impose_exclusion(
        self, stamp: Stamp, program: Program, *, resource: str, starts_on: date, ends_on: date | None
    ) -> int:
        self._check_open(stamp, program)
        if ends_on is not None and ends_on < starts_on:
            raise errors.InvalidValueError("an exclusion must end after it starts")
        number = len(self.exclusions) + 1
        self.trigger_event(
            ExclusionImposed,
            exclusion=number,
            resource=resource_or_class(resource),
            starts_on=starts_on.isoformat(),
            ends_on=ends_on.isoformat() if ends_on else None,
            **stamp.event_fields(),
        )
        return number

    def lift_exclusion(self, stamp: Stamp, program: Program, *, exclusion: int, ends_on: date) -> None:
        stamp.not_before(program.opened_at)
        current = self.exclusions.get(exclusion)
        if current is None:
            raise errors.ExclusionNotFoundError(f"team {self.team_code} has no exclusion {exclusion}")
        if current.ends_on is not None and current.ends_on <= ends_on:
            return  # it already ends by then
        if ends_on < current.starts_on:
            raise errors.InvalidValueError(f"exclusion {exclusion} starts on {current.starts_on}; lift it on or after")
        self.trigger_event(ExclusionLifted, exclusion=exclusion, ends_on=ends_on.isoformat(), **stamp.event_fields())

    def check_not_excluded(self, resource: str, start: date, end: date) -> None:
        if any(resource == x or resource.startswith(f"{x}:") for x in self.excluded_resources):
            raise errors.ResourceExcludedError(f"team {self.team_code} is excluded from {resource} (its application)")
        for number, exclusion in sorted(self.exclusions.items()):
            if exclusion.covers(resource, start, end):
                until = exclusion.ends_on.isoformat() if exclusion.ends_on else "further notice"
                msg = (
                    f"team {self.team_code} is excluded from {exclusion.resource} from "
                    f"{exclusion.starts_on.isoformat()} until {until} (exclusion {number}); the grant overlaps it"
                )
                raise errors.ResourceExcludedError(msg)
