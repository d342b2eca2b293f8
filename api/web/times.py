"""Times on the web pages: reading the date picker's values and showing stored times in a chosen offset.

A ``datetime-local`` input has no time zone, so the form sends one beside it
(``tz``, a UTC offset such as ``+09:00``). A value that carries its own offset
(``2026-02-10T00:00+09:00``) keeps it. Stored times are UTC ISO text.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from domain import errors
from projections.as_of import Moment

HOURS = range(-12, 15)
NAMED = {"+09:00": "UTC+09:00 (KST)", "+00:00": "UTC"}


def _value(hours: int) -> str:
    return f"{'-' if hours < 0 else '+'}{abs(hours):02d}:00"


def zones() -> list[tuple[str, str]]:
    """The offsets the form offers, as (value, label)."""
    return [(_value(h), NAMED.get(_value(h), f"UTC{_value(h)}")) for h in HOURS]


def zone(text: str) -> timezone:
    """One of the offered UTC offsets (``+09:00``); anything else is refused."""
    value = text.strip().replace(" ", "+")  # a "+" in a hand-typed query string arrives as a space
    hours = next((h for h in HOURS if _value(h) == value), None)
    if hours is None:
        raise errors.InvalidValueError(f"tz {text!r} is not a whole-hour UTC offset like +09:00")
    return timezone(timedelta(hours=hours))


def label(tz: timezone) -> str:
    """``UTC+09:00 (KST)`` for the page's notes."""
    hours = int((tz.utcoffset(None) or timedelta(0)).total_seconds() // 3600)
    return dict(zones())[_value(hours)]


def moment_from(text: str | None, tz: timezone, name: str) -> datetime | None:
    """A picker value (local to ``tz`` unless it names its own offset); empty means "latest"."""
    if not text or not text.strip():
        return None
    # A "+" in a hand-typed query string arrives as a space.
    value = re.sub(r" (\d\d:?\d\d)$", r"+\1", text.strip())
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise errors.InvalidValueError(f"{name} {text!r} is not a date and time like 2026-02-10T00:00") from None
    if not 1 < moment.year < 9999:  # so that showing it in any offset stays within datetime's range
        raise errors.InvalidValueError(f"{name} {text!r} is out of range")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def parse(as_of: str | None, known_at: str | None, tz: timezone) -> Moment:
    return Moment(moment_from(as_of, tz, "as_of"), moment_from(known_at, tz, "known_at"))


def shown(value: str | datetime | None, tz: timezone) -> str:
    """A stored time in the chosen offset, to the minute: ``2026-02-18 10:00``."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def picker(value: datetime | None, tz: timezone) -> str:
    """The value a datetime-local input shows for a moment."""
    if value is None:
        return ""
    return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S" if value.second else "%Y-%m-%dT%H:%M")
