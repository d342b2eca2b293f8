"""Field types shared by request schemas and query parameters: times, codes, names, amounts.

Times and dates are accepted only as ISO 8601 text (a bare number would read as
a Unix time). A time falls in the years 0002 to 9998, so that it stays representable
in UTC once converted (year 1 at +00:01 would not); the schema says so with a pattern.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


def _iso_text(value: Any) -> Any:
    """Times and dates only as ISO 8601 text: pydantic would read a number, or text that reads as one
    (``1.5``, ``2e-05``, ``1_000``), as a Unix time."""
    if isinstance(value, str) and not _reads_as_number(value):
        return value
    if isinstance(value, (datetime, date)):
        return value
    raise ValueError("expected an ISO 8601 string, e.g. 2026-01-15T10:00:00+09:00")


def _reads_as_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


FIRST_YEAR, LAST_YEAR = 2, 9998
# The years FIRST_YEAR to LAST_YEAR, as the four digits that begin an RFC 3339 date-time.
YEAR_PATTERN = r"^(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9])-"


def _within_years(value: datetime) -> datetime:
    """Times are stored in UTC; year 1 at +00:01 would fall before the first representable instant.

    Any offset (under a day) moves a time in the years 0002 to 9998 by less than a year, so it converts.
    """
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the time must fall in the years {FIRST_YEAR:04} to {LAST_YEAR:04}")
    value.astimezone(UTC)  # cannot overflow within those years
    return value


def _plus_restored(value: Any) -> Any:
    """In a query string an unencoded ``+`` arrives as a space: ``2026-01-15T00:00:00 09:00`` means +09:00."""
    if isinstance(value, str):
        return re.sub(r"([T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$", r"\1+\2", value.strip())
    return value


Moment = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(_within_years),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEAR_PATTERN}),
]
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


# Every control (Cc) and format (Cf) character, as ranges of code points, from Unicode 14.0 (the database of
# Python 3.11's ``unicodedata``). Written out, not scanned at import: that scan of 1.1 million code points
# cost every process a quarter of a second. tests/unit/test_values.py recomputes them, so a Python with a
# newer Unicode fails there and says what to write here.
INVISIBLE_RANGES = (
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD),
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip


def invisible_ranges() -> list[tuple[int, int]]:
    """The ranges of code points whose category is Cc or Cf, computed from this Python's ``unicodedata``."""
    ranges: list[tuple[int, int]] = []
    for point in range(0x110000):
        if unicodedata.category(chr(point)) in ("Cc", "Cf"):
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))
    return ranges


def _class_body(ranges: tuple[tuple[int, int], ...]) -> str:
    """A regular-expression class body of the code points in ``ranges``."""

    def escape(point: int) -> str:
        return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"

    return "".join(escape(a) if a == b else f"{escape(a)}-{escape(b)}" for a, b in ranges)


INVISIBLE = _class_body(INVISIBLE_RANGES)
# Schema-only patterns (the domain enforces the same rules, in domain.values).
NAME_PATTERN = f"^[^{INVISIBLE}]*[^\\s{INVISIBLE}][^{INVISIBLE}]*$"  # a visible character; no Cc/Cf anywhere
TEXT_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"  # free text: tabs and newlines, no other controls
VISIBLE_TEXT_PATTERN = (
    "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*[^\\s\\x00-\\x1f\\x7f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
)
# What str.strip() removes (str.isspace()): a reason the domain requires must keep a character besides these.
PY_SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
STATED_TEXT_PATTERN = (
    "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*"
    f"[^\\x00-\\x08\\x0e-\\x1b\\x7f{PY_SPACE}]"
    "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
)  # free text (TEXT_PATTERN) that is not empty once trimmed
SCORE_TEXT = r"^(1000000(\.0{1,4})?|(0|[1-9][0-9]{0,5})(\.[0-9]{1,4})?)$"
POSITIVE_SCORE_TEXT = r"^(1000000(\.0{1,4})?|[1-9][0-9]{0,5}(\.[0-9]{1,4})?|0\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$"  # noqa: E501 - one regular expression


def _score_schema(low: dict[str, int], text: str) -> WithJsonSchema:
    """A JSON number (a multiple of 0.0001: at most 4 decimal places) or a decimal string."""
    number = {"type": "number", **low, "maximum": 10**6, "multipleOf": 0.0001}
    return WithJsonSchema({"anyOf": [number, {"type": "string", "pattern": text}]})


Name = Annotated[
    str, StringConstraints(min_length=1, max_length=300), Field(json_schema_extra={"pattern": NAME_PATTERN})
]
# Stage, criterion and panel member names are shorter (domain.values.display_name(…, limit=200)).
ShortName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "pattern": NAME_PATTERN}),  # keys too
]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w][\w.\-]*$")]
# As domain.values.RESOURCE_PATTERN: a class, then a name of 1 to 64 characters.
Resource = Annotated[str, StringConstraints(min_length=3, max_length=100, pattern=r"^[a-z][a-z0-9_]*:[\w.\-]{1,64}$")]
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
    _score_schema({"minimum": 0}, SCORE_TEXT),
]
MaxPoints = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(gt=0, le=10**6, max_digits=12, decimal_places=4, allow_inf_nan=False),
    _score_schema({"exclusiveMinimum": 0}, POSITIVE_SCORE_TEXT),
]
Members = Annotated[list[Name], Field(max_length=100)]


class ExactKeys:
    """A dictionary's schema that admits only the keys its key type admits.

    pydantic states a key pattern as ``patternProperties``, which leaves every key that misses the
    pattern free to hold anything; this states it as ``propertyNames`` (with the keys' lengths) and
    the values as ``additionalProperties``, so the schema admits exactly what the server does.
    """

    def __get_pydantic_json_schema__(self, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core)
        patterns = schema.pop("patternProperties", None)
        if patterns:
            ((pattern, values),) = patterns.items()
            schema["additionalProperties"] = values
            schema["propertyNames"] = {**schema.get("propertyNames", {}), "pattern": pattern}
        return schema


EXACT_KEYS = ExactKeys()
Scores = Annotated[dict[Code, Points], Field(max_length=50), EXACT_KEYS]
Gates = Annotated[dict[Code, StrictBool], Field(max_length=50), EXACT_KEYS]
Budgets = Annotated[
    dict[Resource, Annotated[int, Field(ge=0, le=10**15), JSON_INTEGER]], Field(max_length=100), EXACT_KEYS
]
