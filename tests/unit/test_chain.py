"""The canonical encoding's fast path writes exactly the bytes the documented rule (``json``) does.

Stored chains were hashed with the standard library's encoder; any byte of
difference would make ``audit verify`` report an untouched event as altered.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from api import demo
from api.bootstrap import build
from api.settings import Settings
from eventstore.chain import canonical, event_hash, parsed_event_hash
from tests.depth import examples

STREAM = UUID("12345678-1234-5678-1234-567812345678")


def documented(topic: str, stream: UUID, version: int, state: bytes, prev: str) -> bytes:
    document = {"prev": prev, "state": json.loads(state), "stream": str(stream), "topic": topic, "version": version}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)  # any character a string can hold
integers = st.integers(-(2**200), 2**200) | st.integers(-(2**63), 2**64 - 1)
documents: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | integers | text,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=examples(200, 1000), deadline=None)
@given(state=documents, prev=st.sampled_from(["", "ab" * 32]), version=st.integers(1, 2**31))
def test_any_document_without_floats_encodes_as_the_standard_library_does(state: Any, prev: str, version: int) -> None:
    raw = json.dumps(state, ensure_ascii=False).encode()
    assert canonical("registry:Anything", STREAM, version, raw, prev) == documented(
        "registry:Anything", STREAM, version, raw, prev
    )


def test_every_stored_demo_event_encodes_as_the_standard_library_does() -> None:
    services = build(Settings(database_url="memory://"))
    demo.load(services.registry)
    recorder = services.registry.recorder
    stored = recorder.select_notifications(start=1, limit=recorder.max_notification_id() or 0)
    assert len(stored) > 50
    for n in stored:
        args = (n.topic, n.originator_id, n.originator_version, n.state, "")
        assert canonical(*args) == documented(*args)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(state=documents, prev=st.sampled_from(["", "ab" * 32]))
def test_an_imported_state_hashes_from_its_parsed_value_as_from_its_bytes(state: Any, prev: str) -> None:
    """What an import checks (``parsed_event_hash``) is what ``audit verify`` recomputes later from the stored bytes."""
    parsed = orjson.loads(json.dumps(state, ensure_ascii=False))  # as an import reads a line: orjson
    stored = orjson.dumps(parsed)
    args = ("registry:Anything", str(STREAM), 3, stored)
    assert parsed_event_hash(*args, parsed, prev) == event_hash(*args, prev)
