"""The hash chain: each stored event's hash covers its predecessor's in the same stream.

Canonical encoding of a stored event (what its hash covers): the UTF-8 bytes of
the JSON object ``{"prev": P, "state": S, "stream": I, "topic": T, "version": V}``
with keys sorted, no insignificant whitespace (separators ``,`` and ``:``) and
non-ASCII characters written as themselves, where T is the event's stored topic
(its type, e.g. ``registry:TeamAdvanced``), I the stream id in canonical UUID
form, V the event's version in the stream, S the stored state decoded from JSON
(the event's data and metadata: actor, recorded and effective times, reason,
correlation id, idempotency key) and P the hex SHA-256 hash of the previous
event of the stream (empty for a stream's first event). The event's hash is the
hex SHA-256 of those bytes; its Merkle leaf (see ``audit.merkle``) is the leaf
hash of the 32 hash bytes, and leaves are ordered by log position.

The chain is written by the event store's recorders (this package) beside each
event, in the same transaction, into ``registry_chain`` (leaf index, position,
stream, version, previous hash, hash); ``audit`` reads and verifies it. The
PostgreSQL recorder also remembers, for the caller's context (its thread, or its
request), the links its last committed append returned (``remember``/``appended``),
so that naming them in the reply takes no query.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

# orjson reads integers beyond 64 bits as floats: leave a state with a number that long to json. (A string
# that happens to look like one after a colon, comma or bracket only costs the slower path.) The expression
# is only searched for in a state holding a run of 19 digits at all: a translate and a substring search find
# that, where the expression alone spent several times the whole hash on a typical state.
_LONG_NUMBER = re.compile(rb"(?:^|[:\[,])\s*-?\d{19}")
_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_RUN = b"0" * 19
_sha256 = hashlib.sha256
PREV_PREFIX = b'{"prev":"'
"""What every canonical encoding starts with: the previous hash is the first key in sorted order."""
CHAIN_DDL = [
    "CREATE TABLE IF NOT EXISTS registry_chain (leaf BIGINT PRIMARY KEY, position BIGINT NOT NULL UNIQUE,"
    " stream TEXT NOT NULL, version INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS registry_chain_stream ON registry_chain (stream, version)",
]


def canonical(topic: str, stream: UUID | str, version: int, state: bytes, prev: str) -> bytes:
    """The canonical encoding above (what the standard library's ``json`` writes with those settings).

    orjson writes the same bytes for every document the registry stores (no
    floating-point numbers, integers within 64 bits) and is several times faster,
    so it is used unless the state holds a number too long for it (or is not
    strict JSON); ``tests/unit/test_chain.py`` holds the two to the same output. A
    ``stream`` given as text must already be in canonical UUID form (a whole-log
    reader gets it so from the database, without a ``UUID`` per event).
    """
    if type(state) is not bytes:
        if not isinstance(state, (bytearray, memoryview)):
            raise TypeError(f"a stored state is bytes, not {type(state).__name__}")
        state = bytes(state)
    if _orjson_reads(state):
        try:
            parsed = orjson.loads(state)
            document = {"prev": prev, "state": parsed, "stream": str(stream), "topic": topic, "version": version}
            return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):  # not strict JSON, or nested too deep for orjson
            pass
    document = {"prev": prev, "state": json.loads(state), "stream": str(stream), "topic": topic, "version": version}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _orjson_reads(state: bytes) -> bool:
    """Whether orjson reads every number in ``state`` as the integer it is (no long number in it)."""
    return _LONG_RUN not in state.translate(_DIGITS) or _LONG_NUMBER.search(state) is None


def event_hash(topic: str, stream: UUID | str, version: int, state: bytes, prev: str) -> str:
    """The hex SHA-256 of the canonical encoding: the event's hash, and its successor's ``prev``."""
    return _sha256(canonical(topic, stream, version, state, prev)).hexdigest()


def parsed_event_hash(topic: str, stream: str, version: int, state: bytes, parsed: Any, prev: str) -> str:
    """``event_hash`` of a state that is ``orjson.dumps(parsed)``, without reading it back.

    ``canonical`` would parse those bytes into a value orjson writes exactly as it
    writes ``parsed``, so the encoding is made from ``parsed`` directly; where
    ``canonical`` would take its other path (a long number) or orjson cannot write
    the document, it is left to ``canonical``. An import reads each state once so.
    """
    if _orjson_reads(state):
        document = {"prev": prev, "state": parsed, "stream": stream, "topic": topic, "version": version}
        try:
            return _sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()
        except orjson.JSONEncodeError:
            pass
    return event_hash(topic, stream, version, state, prev)


@dataclass(frozen=True)
class Link:
    """One row of ``registry_chain``: where the event sits in the log and in its stream, and its hashes."""

    leaf: int
    position: int
    stream: str
    version: int
    prev_hash: str
    hash: str

    def row(self) -> tuple[int, int, str, int, str, str]:
        return (self.leaf, self.position, self.stream, self.version, self.prev_hash, self.hash)


_appended: ContextVar[tuple[object, dict[int, Link]] | None] = ContextVar("appended_links", default=None)


def remember(recorder: object, links: Iterable[Link]) -> None:
    """Keep the links ``recorder`` just appended, for ``appended`` in this context (its last append only)."""
    _appended.set((recorder, {item.position: item for item in links}))


def appended(recorder: object, positions: Iterable[int]) -> dict[int, Link] | None:
    """The links of ``positions`` if this context's last append through ``recorder`` wrote them all, else None.

    A position's link never changes once written, so a link kept here is the stored one.
    """
    found = _appended.get()
    if found is None or found[0] is not recorder:
        return None
    links = found[1]
    wanted = list(positions)
    return {position: links[position] for position in wanted} if all(p in links for p in wanted) else None


def link(
    events: Sequence[Any],
    positions: Sequence[int],
    next_leaf: int,
    previous_hash: Callable[[str], str],
) -> list[Link]:
    """Chain new events (in position order) onto their streams; ``previous_hash`` reads the store."""
    last: dict[str, str] = {}
    links = []
    for offset, (event, position) in enumerate(sorted(zip(events, positions, strict=True), key=lambda p: p[1])):
        stream = str(event.originator_id)
        prev = last[stream] if stream in last else previous_hash(stream)
        digest = event_hash(event.topic, UUID(stream), event.originator_version, event.state, prev)
        links.append(Link(next_leaf + offset, position, stream, event.originator_version, prev, digest))
        last[stream] = digest
    return links


def chain_tail(event: StoredEvent) -> bytes:
    """The event's canonical encoding after ``{"prev":"`` and the previous hash, for a store to complete.

    The previous hash is hex (or empty), so JSON writes it as itself between quotes: the
    encoding with hash P is ``PREV_PREFIX + P + tail``, byte for byte ``canonical``. The
    PostgreSQL append (``eventstore.append``) hashes that in the database, where P is read.
    """
    stream = event.originator_id if isinstance(event.originator_id, UUID) else UUID(str(event.originator_id))
    document = canonical(event.topic, stream, event.originator_version, event.state, "")
    assert document.startswith(PREV_PREFIX + b'"')
    return document[len(PREV_PREFIX) :]
