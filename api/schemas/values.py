"""Field types shared by request schemas and query parameters: times, codes, names, amounts.

Times and dates are accepted only as ISO 8601 text (a bare number would read as
a Unix time) and must be representable in UTC once converted.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StrictInt, StringConstraints


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

Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w][\w.\-]*$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Resource = Annotated[str, StringConstraints(min_length=3, max_length=100, pattern=r"^[a-z][a-z0-9_]*:[\w.\-]+$")]
StageIndex = Annotated[StrictInt, Field(ge=0, le=99, description="Index of the stage in the programme, from 0")]
StageInPath = Annotated[int, Field(ge=0, le=99, description="Index of the stage in the programme, from 0")]
Quantity = Annotated[StrictInt, Field(ge=1, le=10**15, description="A whole number from 1 to 10^15")]
Points = Annotated[
    Decimal,
    Field(
        ge=0,
        le=10**6,
        max_digits=12,
        decimal_places=4,
        allow_inf_nan=False,
        description="0 to 10^6, at most 4 decimal places (a JSON number or a decimal string)",
    ),
]
Members = Annotated[list[Name], Field(max_length=100)]
