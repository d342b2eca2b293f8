"""Value objects: codes, stages, resource kinds and the stamp every decision carries.

Values are checked once, when they are made; aggregates can then trust them.
Events store only primitives (str, int, Decimal, datetime, lists and dicts of
those), so value objects offer ``as_record``/``from_record`` to cross that line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.errors import EffectiveTimeError, InvalidValueError

CODE_PATTERN = re.compile(r"^[\w][\w.\-]{0,63}$")
RESOURCE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*:[\w.\-]{1,64}$")
MAX_TEXT = 2000


def nfc(text: str) -> str:
    """Unicode NFC, so that visually equal names compare and hash equal."""
    return unicodedata.normalize("NFC", text)


def code(value: str, what: str = "code") -> str:
    """A short identifier: letters (any script), digits, '.', '_' and '-'."""
    value = nfc(value.strip())
    if not CODE_PATTERN.match(value):
        msg = f"{what} {value!r} must be 1–64 letters, digits, '.', '_' or '-'"
        raise InvalidValueError(msg)
    return value


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Bounds by design: every budget, grant and return is at most MAX_AMOUNT, and so is every running total a
# read model keeps (a programme's budget per resource, and all it ever committed of it), far below 2^63 − 1.
MAX_AMOUNT = 10**15
# Scores: at most 4 decimal places and 12 significant digits (criteria allow at most 10^6 points each).
SCORE_PLACES = 4
SCORE_DIGITS = 12


def score(value: Decimal, what: str) -> Decimal:
    """A score with bounded precision and scale; negative zero reads as zero."""
    if not value.is_finite():
        return value  # refused by the criterion's range check, with the range named
    _sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent < -SCORE_PLACES or len(digits) + max(exponent, 0) > SCORE_DIGITS:
        raise InvalidValueError(f"{what} {value} has more than {SCORE_PLACES} decimal places or {SCORE_DIGITS} digits")
    return value.copy_abs() if value.is_zero() else value


def display_name(value: str, what: str, *, limit: int = 300) -> str:
    """A name: free text without any control or format character (bidi overrides, zero-width marks)."""
    checked = text(value, what, limit=limit)
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in checked):
        raise InvalidValueError(f"{what} contains an invisible control or format character")
    return checked


def text(value: str, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    """Free text: NFC, trimmed, bounded, and without control characters (tabs and newlines are fine)."""
    value = nfc(value.strip())
    if CONTROL.search(value):
        raise InvalidValueError(f"{what} contains a control character")
    if required and not value:
        raise InvalidValueError(f"{what} must not be empty")
    if len(value) > limit:
        raise InvalidValueError(f"{what} is longer than {limit} characters")
    return value


def resource_kind(value: str) -> str:
    """A resource kind such as ``gpu:B200``, ``krw:data`` or ``title:K-AI``."""
    value = nfc(value.strip())
    if not RESOURCE_PATTERN.match(value):
        msg = f"resource {value!r} must look like 'class:name', e.g. 'gpu:B200'"
        raise InvalidValueError(msg)
    return value


def positive(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidValueError(f"{what} must be a positive whole number")
    return value


def aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValueError(f"{what} must include a time zone")
    return value


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    max_points: Decimal

    def as_record(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "max_points": self.max_points}


@dataclass(frozen=True)
class Stage:
    """One stage of a programme: its seats, scored criteria and pass/fail gates."""

    name: str
    seats: int
    criteria: tuple[Criterion, ...]
    gates: tuple[str, ...]

    @classmethod
    def make(cls, name: str, seats: int, criteria: list[dict[str, Any]], gates: list[str]) -> Stage:
        made = tuple(
            Criterion(
                code(c["code"], "criterion code"),
                display_name(c.get("name") or c["code"], "criterion name", limit=200),
                _max_points(c["max_points"]),
            )
            for c in criteria
        )
        gate_codes = tuple(code(g, "gate code") for g in gates)
        names = [c.code for c in made] + list(gate_codes)
        if len(set(names)) != len(names):
            raise InvalidValueError(f"stage {name!r} repeats a criterion or gate code")
        return cls(display_name(name, "stage name", limit=200), positive(seats, "seats"), made, gate_codes)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Stage:
        criteria = tuple(Criterion(c["code"], c["name"], Decimal(c["max_points"])) for c in record["criteria"])
        return cls(record["name"], record["seats"], criteria, tuple(record["gates"]))

    def as_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seats": self.seats,
            "criteria": [c.as_record() for c in self.criteria],
            "gates": list(self.gates),
        }


def _max_points(value: Any) -> Decimal:
    points = Decimal(str(value))
    if not points.is_finite() or points <= 0:
        raise InvalidValueError("max_points must be a positive number")
    return points


MAX_SOURCES = 10


@dataclass(frozen=True)
class Source:
    """A record behind a decision: a URL or a document id, and its title."""

    title: str
    url: str = ""
    document: str = ""

    @classmethod
    def make(cls, *, title: str, url: str = "", document: str = "") -> Source:
        url = text(url, "source url", required=False, limit=2000)
        document = text(document, "source document", required=False, limit=300)
        if bool(url) == bool(document):
            raise InvalidValueError("a source names either a url or a document id")
        if url and not re.match(r"^https?://[^\s\x00-\x1f\x7f-\x9f]+$", url):
            raise InvalidValueError(f"source url {url!r} must be an http or https address without spaces")
        return cls(text(title, "source title", limit=300), url, document)

    def as_record(self) -> dict[str, str]:
        return {"url": self.url, "title": self.title} if self.url else {"document": self.document, "title": self.title}


def checked_sources(sources: Sequence[Source]) -> tuple[Source, ...]:
    if len(sources) > MAX_SOURCES:
        raise InvalidValueError(f"a decision cites at most {MAX_SOURCES} sources")
    return tuple(sources)


@dataclass(frozen=True)
class Stamp:
    """Who recorded a decision, when it was recorded, when it took effect, why, and
    the request that caused it (correlation id and idempotency key).

    ``recorded_at`` comes from the server's clock (passed in, never read here);
    ``effective_at`` is the decision date the official gives, which may be in the
    past but never after it was recorded.
    """

    actor: str
    recorded_at: datetime
    effective_at: datetime
    reason: str
    correlation_id: str
    idempotency_key: str = ""
    sources: tuple[Source, ...] = ()
    rules_version: int = 0
    """The programme's rules version the decision is judged under; the application service sets it (``under``)."""

    @classmethod
    def make(
        cls,
        *,
        actor: str,
        recorded_at: datetime,
        effective_at: datetime | None = None,
        reason: str = "",
        correlation_id: str = "",
        idempotency_key: str = "",
        sources: Sequence[Source] = (),
    ) -> Stamp:
        recorded_at = aware(recorded_at, "recorded_at")
        effective = recorded_at if effective_at is None else aware(effective_at, "effective_at")
        if effective > recorded_at:
            msg = f"effective_at {effective.isoformat()} is after the decision was recorded"
            raise EffectiveTimeError(msg)
        return cls(
            text(actor, "actor", limit=200),
            recorded_at,
            effective,
            text(reason, "reason", required=False),
            text(correlation_id, "correlation id", required=False, limit=200),
            text(idempotency_key, "idempotency key", required=False, limit=200),
            checked_sources(sources),
        )

    def under(self, rules_version: int) -> Stamp:
        """The same stamp, judged under the programme's rules version ``rules_version``."""
        return replace(self, rules_version=rules_version)

    def not_before(self, opened_at: datetime) -> Stamp:
        """Refuse a decision that claims to take effect before its programme opened."""
        if self.effective_at < opened_at:
            msg = (
                f"effective_at {self.effective_at.isoformat()} is before the programme "
                f"opened on {opened_at.isoformat()}"
            )
            raise EffectiveTimeError(msg)
        return self

    def event_fields(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "timestamp": self.recorded_at,
            "effective_at": self.effective_at,
            "reason": self.reason,
            "correlation_id": self.correlation_id,
            "idempotency_key": self.idempotency_key,
            "rules_version": self.rules_version,
            "sources": [s.as_record() for s in self.sources],
        }
