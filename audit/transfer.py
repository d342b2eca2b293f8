"""Export the whole log with its hashes and signed checkpoints; import such a file into an empty store, checking all.

One JSON object per line. Before the events it covers comes each stored signed
checkpoint (export signs one over the whole log first, so every event is covered)::

    {"checkpoint": "<signed note>", "previous_size": 0, "tree_size": 300, "signed_at": "…",
     "leaves": "<base64 of (8-byte position, 32-byte event hash) per leaf it adds>"}
    {"leaf": 0, "position": 1, "stream": "…uuid…", "version": 1, "topic": "registry:ProgramOpened",
     "state": {…the stored state…}, "prev_hash": "", "hash": "…"}

Import reads the file twice, in constant memory per checkpoint: first it checks
each checkpoint's signature with the trusted key and that its leaves hash to its
signed root, then every event against its stream's chain *and* against the leaf
its checkpoint signed, and refuses the file at the first line that does not fit
(naming the event) — nothing is written then. Only a file that checks out is
written, in large batches, with its checkpoints. Positions may differ in the new
store; the Merkle tree, and so every signed root, is identical.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from audit import merkle
from audit.checkpoints import CheckpointError, Head, Issuer, pack, parse_body, unpack
from audit.log import MerkleLog
from audit.note import NoteError, Verifier, verified
from domain.registry import Registry
from eventstore.chain import event_hash
from eventstore.checkpoints import CheckpointTable, StoredCheckpoint

BATCH = 1_000


class ImportRefusedError(Exception):
    """The file is not an untampered export; ``line`` is the first line that does not fit (from 1).

    ``line`` is None when the refusal is about the store, not the file (it already holds events).
    """

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason if line is None else f"line {line}: {reason}")
        self.line = line


def export_log(issuer: Issuer, out: IO[bytes]) -> int:
    """Sign the log as it stands, then write every checkpoint and event; returns how many events were written."""
    issuer.issue()
    registry = issuer.registry
    links = MerkleLog(registry).links()
    events = _events(registry)
    written = 0
    for row in issuer.table.rows():
        line = {
            "checkpoint": row.note,
            "previous_size": row.previous_size,
            "tree_size": row.tree_size,
            "signed_at": row.signed_at,
            "leaves": base64.b64encode(row.leaves).decode(),
        }
        out.write(orjson.dumps(line) + b"\n")
        for _ in range(row.tree_size - row.previous_size):
            link, event = next(links), next(events)
            entry = {
                "leaf": link.leaf,
                "position": event.id,
                "stream": str(event.originator_id),
                "version": event.originator_version,
                "topic": event.topic,
                "state": orjson.loads(event.state),
                "prev_hash": link.prev_hash,
                "hash": link.hash,
            }
            out.write(orjson.dumps(entry) + b"\n")
            written += 1
    return written


def _events(registry: Registry) -> Iterator[Any]:
    position = 0
    while page := registry.recorder.select_notifications(start=position + 1, limit=BATCH):
        yield from page
        position = page[-1].id


def _lines(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as source:
        for number, raw in enumerate(source, start=1):
            try:
                yield number, orjson.loads(raw)
            except orjson.JSONDecodeError:
                yield number, None


def _stored(line: dict[str, Any]) -> StoredEvent:
    state = orjson.dumps(line["state"])
    return StoredEvent(UUID(line["stream"]), int(line["version"]), str(line["topic"]), state)


class _Check:
    """The state of one pass over a file: the leaves signed but not yet seen, each stream's head."""

    def __init__(self, key: Verifier, checkpoint: Head | None) -> None:
        self.key, self.checkpoint = key, checkpoint
        self.expected: deque[tuple[int, bytes]] = deque()
        self.frontier = merkle.Frontier()
        self.heads: dict[str, tuple[int, str]] = {}
        self.events = 0
        self.signed = 0

    def signed_checkpoint(self, number: int, line: dict[str, Any]) -> None:
        if self.expected:
            position = self.expected[0][0]
            raise ImportRefusedError(number, f"deleted event at position {position} (leaf {self.events}) before it")
        try:
            head = parse_body(verified(str(line["checkpoint"]), self.key))
            leaves = unpack(base64.b64decode(line["leaves"], validate=True))
        except (NoteError, CheckpointError, KeyError, ValueError) as error:
            raise ImportRefusedError(number, f"the checkpoint does not verify: {error}") from None
        if line.get("previous_size") != self.signed or head.tree_size != self.signed + len(leaves):
            raise ImportRefusedError(number, "the checkpoint does not follow the one before it")
        for _, digest in leaves:
            self.frontier.append(merkle.leaf_hash(digest))
            wanted = self.checkpoint
            if wanted is not None and self.frontier.size == wanted.tree_size and self.frontier.root() != wanted.root:
                raise ImportRefusedError(number, "the log differs from the --checkpoint it must extend")
        if self.frontier.root() != head.root:
            raise ImportRefusedError(number, "the checkpoint's leaves do not hash to its signed root")
        self.expected.extend(leaves)
        self.signed = head.tree_size

    def event(self, number: int, line: Any) -> None:
        if not self.expected:
            raise ImportRefusedError(number, "no signed checkpoint covers this event")
        position, signed = self.expected.popleft()
        where = f"the event at position {position} (leaf {self.events})"
        if not isinstance(line, dict):
            raise ImportRefusedError(number, f"{where} is not a JSON object")
        if line.get("leaf") != self.events:
            raise ImportRefusedError(number, f"leaf gap: {where} is numbered leaf {line.get('leaf')}")
        if line.get("position") != position:
            found = line.get("position")
            if isinstance(found, int) and found > position:
                raise ImportRefusedError(number, f"deleted event at position {position}: the file goes on at {found}")
            raise ImportRefusedError(number, f"position {found} stands where the checkpoint signed {where}")
        try:
            event = _stored(line)
            stream = str(event.originator_id)
            version, prev = self.heads.get(stream, (0, ""))
            digest = event_hash(event.topic, UUID(stream), event.originator_version, event.state, prev)
        except (KeyError, TypeError, ValueError, RecursionError, orjson.JSONEncodeError):
            raise ImportRefusedError(number, f"{where} is malformed") from None
        if event.originator_version != version + 1 or line.get("prev_hash") != prev:
            raise ImportRefusedError(number, f"{where} does not follow v{version} of stream {stream}")
        if digest != line.get("hash"):
            raise ImportRefusedError(number, f"{where}: its hash does not match its content")
        if digest != signed.hex():
            raise ImportRefusedError(number, f"{where} is not the event the checkpoint signed")
        self.heads[stream] = (event.originator_version, digest)
        self.events += 1

    def end(self, number: int) -> None:
        if self.expected:
            position = self.expected[0][0]
            raise ImportRefusedError(number, f"deleted event at position {position}: the file ends before it")
        if self.checkpoint is not None and self.checkpoint.tree_size > self.signed:
            raise ImportRefusedError(number, f"the file holds {self.signed} events; the --checkpoint signed more")


def check(path: Path, key: Verifier, checkpoint: Head | None = None) -> int:
    """Check every line; the number of events, or ImportRefusedError at the first line that does not fit."""
    state = _Check(key, checkpoint)
    number = 0
    for number, line in _lines(path):
        if isinstance(line, dict) and "checkpoint" in line:
            state.signed_checkpoint(number, line)
        else:
            state.event(number, line)
    state.end(number + 1)
    return state.events


def import_log(registry: Registry, path: Path, key: Verifier, checkpoint: Head | None = None) -> int:
    """Load a checked export, and its checkpoints, into an empty store; returns the number of events written."""
    if registry.recorder.max_notification_id():
        raise ImportRefusedError(None, "the store already holds events; import only into an empty database")
    expected = check(path, key, checkpoint)
    batch: list[StoredEvent] = []
    rows: list[dict[str, Any]] = []
    for _, line in _lines(path):
        if "checkpoint" in line:
            rows.append(line)
            continue
        batch.append(_stored(line))
        if len(batch) == BATCH:
            registry.recorder.insert_events(batch)
            batch = []
    if batch:
        registry.recorder.insert_events(batch)
    links = list(MerkleLog(registry).links())  # positions in this store; the leaves are the same
    table = CheckpointTable(registry.recorder)
    for row in rows:
        added = links[row["previous_size"] : row["tree_size"]]
        table.append(
            StoredCheckpoint(row["tree_size"], row["previous_size"], row["signed_at"], row["checkpoint"], pack(added))
        )
    return expected
