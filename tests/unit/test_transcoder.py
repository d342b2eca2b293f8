"""The fast transcoder decodes every stored state exactly as the library's JSON transcoder does.

Encoding is the library's own, so the stored bytes (and the chain's hashes) do
not change; decoding must then give the same objects, typed values included,
for any state the library could have written, or events would load differently.
"""

from __future__ import annotations

import math
from datetime import UTC, timedelta, timezone
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder
from hypothesis import given, settings
from hypothesis import strategies as st

from api import demo
from api.bootstrap import build
from api.settings import Settings
from eventstore.transcoder import FastJSONTranscoder
from tests.depth import examples


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    Application().register_transcodings(transcoder)  # datetimes, decimals, UUIDs, as the registry has them
    return transcoder


LIBRARY, FAST = registered(JSONTranscoder()), registered(FastJSONTranscoder())

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
moments = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(-timedelta(hours=5))]))
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)  # beyond 64 bits too
    | st.floats(allow_nan=False)
    | text
    | st.decimals(allow_nan=False, allow_infinity=False)
    | moments
    | st.uuids()
    | st.fixed_dictionaries({"_type_": text, "data": st.integers()})  # looks typed, is not: stays a dict
)
states: st.SearchStrategy[Any] = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=25
)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 == True must not pass)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


@settings(max_examples=examples(200, 1000), deadline=None)
@given(state=st.dictionaries(text, states, max_size=6))
def test_any_state_decodes_as_the_library_decodes_it(state: dict[str, Any]) -> None:
    stored = LIBRARY.encode(state)
    assert FAST.encode(state) == stored
    assert same(FAST.decode(stored), LIBRARY.decode(stored))


def test_what_orjson_reads_differently_is_read_the_librarys_way() -> None:
    for stored in (b'{"n":18446744073709551616}', b'{"n":[-9223372036854775809]}', b'{"n":NaN}'):
        assert same(FAST.decode(stored), LIBRARY.decode(stored))
    assert FAST.decode(b'{"n":18446744073709551616}') == {"n": 2**64}


def test_every_stored_demo_event_decodes_as_the_library_decodes_it() -> None:
    services = build(Settings(database_url="memory://"))
    assert isinstance(services.registry.mapper.transcoder, FastJSONTranscoder)
    demo.load(services.registry)
    recorder = services.registry.recorder
    stored = recorder.select_notifications(start=1, limit=recorder.max_notification_id() or 0)
    assert len(stored) > 50
    for n in stored:
        assert same(FAST.decode(n.state), LIBRARY.decode(n.state))
