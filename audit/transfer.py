"""Export the whole log with its hashes, and import such a file into an empty store, checking every hash.

One JSON object per line, in log order::

    {"position": 7, "stream": "…uuid…", "version": 2, "topic": "registry:TeamAdvanced",
     "state": {…the stored state…}, "prev_hash": "…", "hash": "…"}

Import reads the file twice, in constant memory: first it recomputes every hash
(``eventstore.chain``) and refuses the file at the first line that does not fit —
nothing is written then — and only a file that checks out is written, in large
batches. Positions may differ in the new store; the Merkle tree over the same
events in the same order, and so its root, is identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from audit.log import MerkleLog
from domain.registry import Registry
from eventstore.chain import event_hash

BATCH = 1_000


class ImportRefusedError(Exception):
    """The file is not an untampered export; ``line`` is the first line that does not fit (from 1).

    ``line`` is None when the refusal is about the store, not the file (it already holds events).
    """

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason if line is None else f"line {line}: {reason}")
        self.line = line


def export_log(registry: Registry, out: IO[bytes]) -> int:
    """Write every stored event with its chain link; returns how many were written."""
    links = MerkleLog(registry).links()
    written = position = 0
    while page := registry.recorder.select_notifications(start=position + 1, limit=BATCH):
        for event in page:
            link = next(links)
            line = {
                "position": event.id,
                "stream": str(event.originator_id),
                "version": event.originator_version,
                "topic": event.topic,
                "state": orjson.loads(event.state),
                "prev_hash": link.prev_hash,
                "hash": link.hash,
            }
            out.write(orjson.dumps(line) + b"\n")
            written += 1
        position = page[-1].id
    return written


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as source:
        for number, raw in enumerate(source, start=1):
            try:
                yield number, orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise ImportRefusedError(number, "not a JSON object") from None


def _stored(line: dict[str, Any]) -> StoredEvent:
    state = orjson.dumps(line["state"])
    return StoredEvent(UUID(line["stream"]), int(line["version"]), str(line["topic"]), state)


def check(path: Path) -> int:
    """Recompute every hash in the file; returns the number of events, or raises at the first bad line."""
    heads: dict[str, tuple[int, str]] = {}
    count = 0
    for number, line in _lines(path):
        try:
            event = _stored(line)
        except (KeyError, TypeError, ValueError):
            raise ImportRefusedError(number, "missing or malformed fields") from None
        stream = str(event.originator_id)
        version, prev = heads.get(stream, (0, ""))
        if event.originator_version != version + 1 or line.get("prev_hash") != prev:
            raise ImportRefusedError(number, f"stream {stream} v{event.originator_version} does not follow v{version}")
        digest = event_hash(event.topic, event.originator_id, event.originator_version, event.state, prev)  # type: ignore[arg-type]
        if digest != line.get("hash"):
            raise ImportRefusedError(number, "the event's hash does not match its content")
        heads[stream] = (event.originator_version, digest)
        count += 1
    return count


def import_log(registry: Registry, path: Path) -> int:
    """Load a checked export into an empty store; returns the number of events written."""
    if registry.recorder.max_notification_id():
        raise ImportRefusedError(None, "the store already holds events; import only into an empty database")
    expected = check(path)
    batch: list[StoredEvent] = []
    for _, line in _lines(path):
        batch.append(_stored(line))
        if len(batch) == BATCH:
            registry.recorder.insert_events(batch)
            batch = []
    if batch:
        registry.recorder.insert_events(batch)
    return expected
