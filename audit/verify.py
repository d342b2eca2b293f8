"""Recompute every hash from the raw event store and name the first event that does not fit.

Walks the chain in leaf order with the stored events beside it. A leaf index
that skips is a gap; an event whose recomputed hash differs from its link, or
whose payload cannot be read, was altered; a link whose event is gone names the
deleted event's position; an event that is not the next version of its stream,
or whose link names a different predecessor, was reordered or follows a deleted one.

Then the log is held against every stored signed checkpoint (``audit.checkpoints``),
and against a checkpoint file if one is given: each stored checkpoint carries the
(position, event hash) of the leaves it added, so the first leaf where the log and
a signed checkpoint part is named exactly — a rewritten, swapped, rechained or
truncated log is caught even when its chain was recomputed to fit.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from audit import merkle
from audit.checkpoints import CheckpointError, parse_body, unpack
from audit.log import MerkleLog
from audit.note import NoteError, Verifier, verified
from audit.signing import Checkpoint, signature_valid
from domain.registry import Registry
from eventstore.chain import event_hash
from eventstore.checkpoints import CheckpointTable
from eventstore.scan import ChainRow, EventRow, event_rows


@dataclass
class Report:
    events: int = 0
    found: list[tuple[int, int, str]] = field(default_factory=list)  # (leaf, rank, text): sorted by where
    root_hash: str = ""
    checkpoint: str = ""
    checkpoints: int = 0

    @property
    def problems(self) -> list[str]:
        return [text for _, _, text in sorted(self.found)]

    @property
    def ok(self) -> bool:
        return not self.found

    def add(self, leaf: int, text: str, *, rank: int = 1) -> None:
        self.found.append((leaf, rank, text))


def trusted_key(text: str, origin: str) -> Verifier:
    """A public key as a signed-note verifier key (``name+hash+key``) or base64 of the raw 32 bytes."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) == 32:
        return Verifier(origin, raw)
    if text.count("+") >= 2:
        return Verifier.parse(text)
    raise NoteError(f"{text!r} is neither a verifier key (name+hash+key) nor base64 of a 32-byte Ed25519 key")


def _where(event: EventRow) -> str:
    return f"position {event[0]} (stream {event[1]} v{event[2]})"


def walk(registry: Registry, report: Report) -> list[tuple[int, str | None]]:
    """Check the chain against the events; (position, recomputed hash or None) per leaf, in leaf order.

    Both are read as plain tuples (``eventstore.scan``: on PostgreSQL a server-side cursor each, in pages),
    so the time goes on hashing rather than on an object per event.
    """
    events = event_rows(registry.recorder)
    event = next(events, None)
    heads: dict[str, str] = {}
    leaves: list[tuple[int, str | None]] = []
    last_position = next_leaf = 0
    for item in MerkleLog(registry).rows():
        leaf, position, stream, version = item[:4]
        index = len(leaves)
        if leaf != next_leaf:  # reported once: the leaves after it are held to the new numbering
            report.add(index, f"leaf gap: no leaf {next_leaf}; the chain goes on at position {position} as leaf {leaf}")
        next_leaf = leaf + 1
        if position <= last_position:
            report.add(index, f"position {position} is out of order at leaf {index}")
        while event is not None and event[0] < position:
            report.add(index, f"event at {_where(event)} is not in the chain", rank=2)
            event = next(events, None)
        if event is None or event[0] != position:
            report.add(index, f"missing event at position {position} (stream {stream} v{version}): deleted")
            leaves.append((position, None))
        else:
            leaves.append((position, _check(event, item, heads, report, index)))
            event = next(events, None)
        last_position = max(last_position, position)
    while event is not None:
        report.add(len(leaves), f"event at {_where(event)} is not in the chain", rank=2)
        event = next(events, None)
    report.events = len(leaves)
    return leaves


def _check(event: EventRow, item: ChainRow, heads: dict[str, str], report: Report, index: int) -> str | None:
    """The event's hash recomputed from its stored content (None if its payload cannot be read), problems reported."""
    _, stream, version, topic, state = event
    _, _, link_stream, link_version, link_prev, link_hash = item
    prev = heads.get(stream, "")
    try:
        digest: str | None = event_hash(topic, stream, version, state, prev)
    except (ValueError, TypeError, RecursionError):
        digest = None
    heads[stream] = link_hash  # later events of the stream are held against the chain, not this one's fault
    if digest is None:
        report.add(index, f"altered event at {_where(event)}: its payload cannot be read")
    elif link_stream != stream or link_version != version or link_prev != prev:
        report.add(index, f"reordered or missing event at {_where(event)}: it does not follow its stream's chain")
    elif digest != link_hash:
        report.add(index, f"altered event at {_where(event)}: its hash is not the one recorded")
    return digest


def against_stored(
    registry: Registry, leaves: list[tuple[int, str | None]], key: Verifier | None, report: Report
) -> None:
    """Hold the log against every stored checkpoint; name the first leaf where they part."""
    signed: list[tuple[int, bytes]] = []
    frontier = merkle.Frontier()
    previous = 0
    for row in CheckpointTable(registry.recorder).rows():
        where = f"stored checkpoint of size {row.tree_size}"
        if row.previous_size != previous:
            report.add(previous, f"the {where} does not follow the one of size {previous}: checkpoints were removed")
            return
        added = unpack(row.leaves)
        frontier.extend(merkle.leaf_hashes(digest for _, digest in added))
        signed += added
        problem = _signed_head(row.note, row.tree_size, frontier.root(), key, len(signed))
        if problem:
            report.add(previous, f"the {where} {problem}", rank=0)
            return
        previous = row.tree_size
        report.checkpoints += 1
    first_parting(leaves, signed, report)


def _signed_head(note: str, size: int, root: bytes, key: Verifier | None, leaves: int) -> str | None:
    try:
        head = parse_body(note.split("\n\n", maxsplit=1)[0] + "\n" if key is None else verified(note, key))
    except (NoteError, CheckpointError) as error:
        return f"does not verify: {error}"
    if head.tree_size != size or leaves != size:
        return "covers a different number of leaves than it says"
    if head.root != root:
        return "holds leaves that do not hash to its signed root: the checkpoint store was altered"
    return None


def first_parting(leaves: list[tuple[int, str | None]], signed: list[tuple[int, bytes]], report: Report) -> None:
    for index, (position, digest) in enumerate(signed):
        if index >= len(leaves):
            report.add(
                index, f"missing event at position {position}: leaf {index} was signed, the log ends before it", rank=0
            )
            return
        found_position, found = leaves[index]
        if found_position > position:
            text = f"missing event at position {position} (leaf {index}): deleted; the log goes on at {found_position}"
            report.add(index, text, rank=0)
            return
        if found_position != position:
            report.add(
                index,
                f"leaf {index} held position {position} when signed; the log has position {found_position}",
                rank=0,
            )
            return
        if found != digest.hex():
            report.add(
                index,
                f"the event at position {position} (leaf {index}) is not the one a signed checkpoint holds",
                rank=0,
            )
            return


def against_file(
    leaves: list[tuple[int, str | None]], checkpoint: Checkpoint | str, key: Verifier, report: Report
) -> str:
    """Hold the log against a checkpoint from a file: a signed note, or the first JSON format."""
    if isinstance(checkpoint, Checkpoint):
        if not signature_valid(checkpoint, base64.b64encode(key.public).decode()):
            report.add(0, "the checkpoint's signature does not verify with the registry's public key", rank=0)
            return "bad signature"
        size, root = checkpoint.tree_size, checkpoint.root_hash
    else:
        try:
            head = parse_body(verified(checkpoint, key))
        except (NoteError, CheckpointError) as error:
            report.add(0, f"the checkpoint does not verify: {error}", rank=0)
            return "bad signature"
        size, root = head.tree_size, head.root.hex()
    if size > len(leaves):
        report.add(len(leaves), f"the checkpoint covers {size} events; the log holds {len(leaves)}", rank=0)
        return "log shorter than checkpoint"
    hashes = merkle.leaf_hashes(bytes.fromhex(digest or "00") for _, digest in leaves[:size])
    if merkle.root(hashes).hex() != root:
        report.add(size, f"the first {size} events no longer hash to the checkpoint's root", rank=3)
        return "history rewritten"
    return f"the log only grew since the checkpoint of size {size}"


def verify(
    registry: Registry,
    checkpoint: Checkpoint | str | None = None,
    public_key: str = "",
    *,
    origin: str = "",
    key: Verifier | None = None,
) -> Report:
    """Check the chain, every stored checkpoint and (if given) a checkpoint file; ``key`` is the trusted one."""
    report = Report()
    if key is None and public_key:
        key = trusted_key(public_key, origin)
    leaves = walk(registry, report)
    report.root_hash = merkle.root(merkle.leaf_hashes(bytes.fromhex(d or "00") for _, d in leaves)).hex()
    against_stored(registry, leaves, key, report)
    if checkpoint is not None and key is not None:
        report.checkpoint = against_file(leaves, checkpoint, key, report)
    return report
