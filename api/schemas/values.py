"""Field types shared by request schemas and query parameters: times, codes, names, amounts.

Times and dates are accepted only as ISO 8601 text (a bare number would read as
a Unix time) and must be representable in UTC once converted.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints, WithJsonSchema


def _iso_text(value: Any) -> Any:
    """Times and dates only as ISO 8601 text: pydantic would read a bare number as a Unix time."""
    if isinstance(value, str) and not value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        return value
    if isinstance(value, (datetime, date)):
        return value
    raise ValueError("expected an ISO 8601 string, e.g. 2026-01-15T10:00:00+09:00")


def _utc_representable(value: datetime) -> datetime:
    """Times are stored in UTC; year 1 at +00:01 would fall before the first representable instant."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None
    return value


def _plus_restored(value: Any) -> Any:
    """In a query string an unencoded ``+`` arrives as a space: ``2026-01-15T00:00:00 09:00`` means +09:00."""
    if isinstance(value, str):
        return re.sub(r"([T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$", r"\1+\2", value.strip())
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_utc_representable)]
QueryMoment = Annotated[Moment, BeforeValidator(_plus_restored)]
Day = Annotated[date, BeforeValidator(_iso_text)]


def _exact(value: Any) -> Any:
    """A score as written: a JSON number, or a decimal string.

    The JSON parser reads ``30.1`` as the nearest binary fraction; its shortest
    repr is the number as written whenever it has at most 15 significant digits,
    and every score the field accepts has at most 12, so nothing is rounded.
    """
    if isinstance(value, bool):
        raise ValueError('a score is a number or a decimal string, e.g. 30.5 or "30.5"')
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else value
    return value


def _json_integer(value: Any) -> Any:
    """A JSON integer (``10``, or ``10.0``, which JSON counts as the same number): never ``"10"`` or ``true``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (bool, str, float)):
        raise ValueError("expected a JSON integer")
    return value


# After the range (``Annotated[int, Field(ge=…), JSON_INTEGER]``), so the range stays in the JSON schema.
JSON_INTEGER = BeforeValidator(_json_integer)


def _invisible() -> str:
    """A regular-expression class body of every control (Cc) and format (Cf) character."""
    ranges: list[tuple[int, int]] = []
    for point in range(0x110000):
        if unicodedata.category(chr(point)) in ("Cc", "Cf"):
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))

    def escape(point: int) -> str:
        return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"

    return "".join(escape(a) if a == b else f"{escape(a)}-{escape(b)}" for a, b in ranges)


INVISIBLE = _invisible()
# Schema-only patterns (the domain enforces the same rules, in domain.values).
NAME_PATTERN = f"^[^{INVISIBLE}]*[^\\s{INVISIBLE}][^{INVISIBLE}]*$"  # a visible character; no Cc/Cf anywhere
TEXT_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"  # free text: tabs and newlines, no other controls
VISIBLE_TEXT_PATTERN = (
    "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*[^\\s\\x00-\\x1f\\x7f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
)
SCORE_TEXT = r"^(1000000(\.0{1,4})?|(0|[1-9][0-9]{0,5})(\.[0-9]{1,4})?)$"
POSITIVE_SCORE_TEXT = r"^(1000000(\.0{1,4})?|[1-9][0-9]{0,5}(\.[0-9]{1,4})?|0\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$"  # noqa: E501 - one regular expression


def _score_schema(low: int, text: str) -> WithJsonSchema:
    number = {"type": "number", "minimum": low, "maximum": 10**6}
    return WithJsonSchema({"anyOf": [number, {"type": "string", "pattern": text}]})


Name = Annotated[
    str, StringConstraints(min_length=1, max_length=300), Field(json_schema_extra={"pattern": NAME_PATTERN})
]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w][\w.\-]*$")]
Resource = Annotated[str, StringConstraints(min_length=3, max_length=100, pattern=r"^[a-z][a-z0-9_]*:[\w.\-]+$")]
StageIndex = Annotated[int, Field(ge=0, le=99, description="Index of the stage in the programme, from 0"), JSON_INTEGER]
StageInPath = Annotated[int, Field(ge=0, le=99, description="Index of the stage in the programme, from 0")]
Quantity = Annotated[int, Field(ge=1, le=10**15, description="A whole number from 1 to 10^15"), JSON_INTEGER]
Points = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(
        ge=0,
        le=10**6,
        max_digits=12,
        decimal_places=4,
        allow_inf_nan=False,
        description="0 to 10^6, at most 4 decimal places: a JSON number or a decimal string",
    ),
    _score_schema(0, SCORE_TEXT),
]
MaxPoints = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(gt=0, le=10**6, max_digits=12, decimal_places=4, allow_inf_nan=False),
    _score_schema(1, POSITIVE_SCORE_TEXT),
]
Members = Annotated[list[Name], Field(max_length=100)]
