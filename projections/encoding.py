"""The form read models store values in: timestamps as fixed-width UTC text, decimals as exact strings, JSON.

Read models, the API's replies and the CLI all format values this way, so a
value reads the same wherever it is shown; nothing here touches a database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timezone
from datetime import time as time_of_day
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson


def iso(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO 8601 text of fixed width, so text order is time order."""
    if type(moment.tzinfo) is timezone:  # a fixed offset, as every stored time decodes to: one text per instant
        return _iso_at_fixed_offset(moment)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@lru_cache(maxsize=4096)  # an event's moments are written by several read models
def _iso_at_fixed_offset(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def json_ready(value: Any) -> Any:
    """Decimals as exact strings, datetimes as ISO text: the form read models store."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """``value`` as JSON text in the form read models store (``json_ready``), encoded in one pass."""
    return orjson.dumps(value, default=_stored_form, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def _stored_form(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (date, time_of_day)):  # passed through with datetimes; ISO 8601, as Python writes them
        return value.isoformat()
    if isinstance(value, tuple):  # a named tuple (orjson writes plain ones itself)
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
