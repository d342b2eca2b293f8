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
written, with its checkpoints. Positions may differ in the new store; the Merkle
tree, and so every signed root, is identical.

On PostgreSQL the check and the write are one pass in one transaction
(``eventstore.bulk``): each event is COPYed as soon as it checks out, its chain
link spooled for a second COPY, and a refusal rolls it all back. The other
stores check the whole file first, then write it through ``insert_events`` in
batches of ``BATCH``. Either way the stored rows are the same.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from audit import merkle
from audit.checkpoints import LEAF, CheckpointError, Head, Issuer, pack, parse_body, unpack
from audit.log import MerkleLog
from audit.note import NoteError, Verifier, verified
from domain.registry import Registry
from eventstore.bulk import BulkLoad, bulk_load, loads_in_bulk
from eventstore.chain import parsed_event_hash
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


class _Checked(NamedTuple):
    """An event that fits: what is stored (its stream also in canonical text), and its chain link."""

    uuid: UUID
    stream: str
    version: int
    topic: str
    state: bytes
    prev: str
    digest: str


class _Check:
    """The state of one pass over a file: the leaves signed but not yet seen, each stream's head."""

    def __init__(self, key: Verifier, checkpoint: Head | None) -> None:
        self.key, self.checkpoint = key, checkpoint
        self.expected: deque[tuple[int, bytes]] = deque()
        self.frontier = merkle.Frontier()
        self.heads: dict[str, tuple[int, str]] = {}
        self.streams: dict[str, tuple[UUID, str]] = {}
        self.events = 0
        self.signed = 0

    def signed_checkpoint(self, number: int, line: dict[str, Any]) -> list[tuple[int, bytes]]:
        """Check a signed checkpoint line; the (position, event hash) of the leaves it adds."""
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
        hashes = merkle.leaf_hashes(digest for _, digest in leaves)
        wanted = self.checkpoint
        if wanted is not None and self.signed < wanted.tree_size <= head.tree_size:  # grown to it, then on
            self.frontier.extend(hashes[: wanted.tree_size - self.signed])
            if self.frontier.root() != wanted.root:
                raise ImportRefusedError(number, "the log differs from the --checkpoint it must extend")
            hashes = hashes[wanted.tree_size - self.signed :]
        self.frontier.extend(hashes)
        if self.frontier.root() != head.root:
            raise ImportRefusedError(number, "the checkpoint's leaves do not hash to its signed root")
        self.expected.extend(leaves)
        self.signed = head.tree_size
        return leaves

    def event(self, number: int, line: Any) -> _Checked:
        """Check an event line against its stream and the leaf signed for it; what to store, or a refusal."""
        if not self.expected:
            raise ImportRefusedError(number, "no signed checkpoint covers this event")
        position, signed = self.expected.popleft()
        if not isinstance(line, dict):
            raise ImportRefusedError(number, f"{self._where(position)} is not a JSON object")
        if line.get("leaf") != self.events:
            raise ImportRefusedError(number, f"leaf gap: {self._where(position)} is numbered leaf {line.get('leaf')}")
        if line.get("position") != position:
            found = line.get("position")
            if isinstance(found, int) and found > position:
                raise ImportRefusedError(number, f"deleted event at position {position}: the file goes on at {found}")
            raise ImportRefusedError(
                number, f"position {found} stands where the checkpoint signed {self._where(position)}"
            )
        try:
            uuid, stream = self._stream(line["stream"])
            number_in_stream, topic = int(line["version"]), str(line["topic"])
            state = orjson.dumps(line["state"])  # what is stored: the state as the export wrote it
            version, prev = self.heads.get(stream, (0, ""))
            digest = parsed_event_hash(topic, stream, number_in_stream, state, line["state"], prev)
        except (KeyError, TypeError, ValueError, RecursionError, orjson.JSONEncodeError):
            raise ImportRefusedError(number, f"{self._where(position)} is malformed") from None
        if number_in_stream != version + 1 or line.get("prev_hash") != prev:
            raise ImportRefusedError(number, f"{self._where(position)} does not follow v{version} of stream {stream}")
        if digest != line.get("hash"):
            raise ImportRefusedError(number, f"{self._where(position)}: its hash does not match its content")
        if digest != signed.hex():
            raise ImportRefusedError(number, f"{self._where(position)} is not the event the checkpoint signed")
        self.heads[stream] = (number_in_stream, digest)
        self.events += 1
        return _Checked(uuid, stream, number_in_stream, topic, state, prev, digest)

    def _where(self, position: int) -> str:
        """The event being checked, for a refusal (made only then: most events need none)."""
        return f"the event at position {position} (leaf {self.events})"

    def _stream(self, text: Any) -> tuple[UUID, str]:
        """The stream id and its canonical text; read once per stream (a stream's events repeat its id)."""
        found = self.streams.get(text) if type(text) is str else None
        if found is None:
            uuid = UUID(text)
            canonical = str(uuid)
            found = (uuid, text if canonical == text else canonical)  # one string per stream, not two
            if type(text) is str:
                self.streams[text] = found
        return found

    def end(self, number: int) -> None:
        if self.expected:
            position = self.expected[0][0]
            raise ImportRefusedError(number, f"deleted event at position {position}: the file ends before it")
        if self.checkpoint is not None and self.checkpoint.tree_size > self.signed:
            raise ImportRefusedError(number, f"the file holds {self.signed} events; the --checkpoint signed more")


def check(path: Path, key: Verifier, checkpoint: Head | None = None, load: BulkLoad | None = None) -> int:
    """Check every line; the number of events, or ImportRefusedError at the first line that does not fit.

    With ``load`` (``eventstore.bulk``), each checkpoint and event is handed to it as soon as it fits.
    """
    state = _Check(key, checkpoint)
    number = 0
    for number, line in _lines(path):
        if isinstance(line, dict) and "checkpoint" in line:
            leaves = state.signed_checkpoint(number, line)
            if load is not None:
                load.checkpoint(_repositioned(line, leaves, load))
        else:
            event = state.event(number, line)
            if load is not None:
                load.event(*event)
    state.end(number + 1)
    return state.events


def _repositioned(line: dict[str, Any], leaves: list[tuple[int, bytes]], load: BulkLoad) -> StoredCheckpoint:
    """A checkpoint line as stored: its leaves at the positions their events get in this store."""
    first = int(line["previous_size"])
    added = b"".join(LEAF.pack(load.position(first + i), digest) for i, (_, digest) in enumerate(leaves))
    return StoredCheckpoint(line["tree_size"], line["previous_size"], line["signed_at"], line["checkpoint"], added)


def import_log(registry: Registry, path: Path, key: Verifier, checkpoint: Head | None = None) -> int:
    """Load a checked export, and its checkpoints, into an empty store; returns the number of events written."""
    if registry.recorder.max_notification_id():
        raise ImportRefusedError(None, "the store already holds events; import only into an empty database")
    if loads_in_bulk(registry.recorder):
        with bulk_load(registry.recorder) as load:
            return check(path, key, checkpoint, load)
    expected = check(path, key, checkpoint)
    _write(registry, path)
    return expected


def _write(registry: Registry, path: Path) -> None:
    """Write a checked file through the recorder's ``insert_events``, then its checkpoints."""
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
