"""Read models write JSON in one pass (``to_json``), exactly as the documented form (``json_ready``) reads.

Rows written before and after must compare equal (``registry projections verify``
compares them byte for byte), so the one-pass encoder may not differ by a byte.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import UTC, timedelta, timezone
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.encoding import iso, json_ready, to_json
from tests.depth import examples

Pair = namedtuple("Pair", "left right")
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
zones = st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-3, minutes=-30))])
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.datetimes(timezones=zones)
    | st.dates()
)
values: st.SearchStrategy[Any] = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.builds(Pair, inner, inner)
        | st.dictionaries(text, inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=examples(200, 1000), deadline=None)
@given(value=values)
def test_one_pass_json_is_the_documented_form_byte_for_byte(value: Any) -> None:
    assert to_json(value) == orjson.dumps(json_ready(value)).decode()


@given(moment=st.datetimes(timezones=zones))
def test_a_moment_is_the_same_text_however_often_it_is_written(moment: Any) -> None:
    utc = moment.astimezone(UTC).isoformat(timespec="microseconds")
    assert iso(moment) == iso(moment) == iso(moment.astimezone(UTC)) == utc
