"""Times on the web pages: reading the date picker's values and showing stored times in a chosen zone.

A ``datetime-local`` input has no time zone, so the form sends one beside it
(``tz``): an IANA time-zone name such as ``Asia/Seoul`` (daylight saving included),
``UTC``, or a fixed UTC offset such as ``+09:00``. A value that carries its own
offset (``2026-02-10T00:00+09:00``) keeps it. Stored times are UTC ISO text; every
time on a page is shown the same way, to the minute, in the chosen zone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain import errors
from projections.as_of import Moment

HOURS = range(-12, 15)
NAMED = {"+09:00": "UTC+09:00 (KST)", "+00:00": "UTC"}
PLACES = [("Asia/Seoul", "Asia/Seoul (KST)"), ("UTC", "UTC (IANA)")]
OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)")


def _value(hours: int) -> str:
    return f"{'-' if hours < 0 else '+'}{abs(hours):02d}:00"


def zones() -> list[tuple[str, str]]:
    """The zones the form offers, as (value, label): named places first, then whole-hour offsets."""
    return [*PLACES, *((_value(h), NAMED.get(_value(h), f"UTC{_value(h)}")) for h in HOURS)]


def zone(text: str) -> tzinfo:
    """An IANA time-zone name (``Asia/Seoul``) or a UTC offset (``+09:00``, ``+0530``); anything else is refused."""
    value = text.strip().replace(" ", "+")  # a "+" in a hand-typed query string arrives as a space
    if offset := OFFSET.fullmatch(value):
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes)) * (-1 if sign == "-" else 1)
        if int(minutes) < 60 and abs(delta) <= timedelta(hours=14):
            return timezone(delta)
    elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", value):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise errors.InvalidValueError(
        f"tz {text!r} is neither a time-zone name like Asia/Seoul nor a UTC offset like +09:00"
    )


def form_value(tz: tzinfo) -> str:
    """The form value that names ``tz``: its IANA name, or its offset (``+09:00``)."""
    if isinstance(tz, ZoneInfo):
        return tz.key
    offset = tz.utcoffset(None) or timedelta(0)
    sign, rest = ("-", -offset) if offset < timedelta(0) else ("+", offset)
    minutes = int(rest.total_seconds() // 60)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def label(tz: tzinfo) -> str:
    """``UTC+09:00 (KST)`` or ``Asia/Seoul`` for the page's notes."""
    named = form_value(tz)
    return dict(zones()).get(named, named if isinstance(tz, ZoneInfo) else f"UTC{named}")


def moment_from(text: str | None, tz: tzinfo, name: str) -> datetime | None:
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


def parse(as_of: str | None, known_at: str | None, tz: tzinfo) -> Moment:
    return Moment(moment_from(as_of, tz, "as_of"), moment_from(known_at, tz, "known_at"))


def shown(value: str | datetime | None, tz: tzinfo) -> str:
    """A stored time in the chosen offset, to the minute: ``2026-02-18 10:00``."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def picker(value: datetime | None, tz: tzinfo) -> str:
    """The value a datetime-local input shows for a moment."""
    if value is None:
        return ""
    return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S" if value.second else "%Y-%m-%dT%H:%M")
