"""Recompute every hash from the raw event store and name the first event that does not fit.

Walks the stored events and the chain in log order together. An event whose
recomputed hash differs from its link was altered; a link whose event is gone
marks a missing event; an event that is not the next version of its stream, or
whose link names a different predecessor, was reordered (or one before it is
missing). Given an old checkpoint, the recomputed tree of that size must have
the checkpoint's root: the log was only appended to since.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from audit import merkle
from audit.log import MerkleLog
from audit.signing import Checkpoint, signature_valid
from domain.registry import Registry
from eventstore.chain import Link, event_hash

PAGE = 5_000


@dataclass
class Report:
    events: int = 0
    problems: list[str] = field(default_factory=list)
    root_hash: str = ""
    checkpoint: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _events(registry: Registry) -> Iterator[Any]:
    position = 0
    while page := registry.recorder.select_notifications(start=position + 1, limit=PAGE):
        yield from page
        position = page[-1].id


def verify(registry: Registry, checkpoint: Checkpoint | None = None, public_key: str = "") -> Report:
    report = Report()
    leaves: list[bytes] = []
    heads: dict[str, tuple[int, str]] = {}
    links = MerkleLog(registry).links()
    for event in _events(registry):
        item = next(links, None)
        while item is not None and item.position < event.id:
            report.problems.append(f"missing event at position {item.position} (stream {item.stream} v{item.version})")
            item = next(links, None)
        if item is None or item.position != event.id:
            report.problems.append(f"event at position {event.id} is not in the chain")
            break
        problem = _check(event, item, heads)
        if problem:
            report.problems.append(problem)
            break
        leaves.append(merkle.leaf_hash(bytes.fromhex(item.hash)))
        report.events += 1
    else:
        rest = list(links)
        if rest:
            report.problems.append(f"missing event at position {rest[0].position} (and {len(rest) - 1} after it)")
    report.root_hash = merkle.root(leaves).hex()
    if checkpoint is not None and report.ok:
        report.checkpoint = _against(checkpoint, leaves, public_key, report)
    return report


def _check(event: Any, item: Link, heads: dict[str, tuple[int, str]]) -> str | None:
    stream = str(event.originator_id)
    version, prev = heads.get(stream, (0, ""))
    where = f"position {event.id} (stream {stream} v{event.originator_version})"
    if event.originator_version != version + 1 or item.prev_hash != prev:
        return f"reordered or missing event at {where}: it does not follow v{version} of its stream"
    digest = event_hash(event.topic, UUID(stream), event.originator_version, event.state, prev)
    if digest != item.hash:
        return f"altered event at {where}: its hash is not the one recorded"
    heads[stream] = (event.originator_version, digest)
    return None


def _against(checkpoint: Checkpoint, leaves: list[bytes], public_key: str, report: Report) -> str:
    if public_key and not signature_valid(checkpoint, public_key):
        report.problems.append("the checkpoint's signature does not verify with the registry's public key")
        return "bad signature"
    if checkpoint.tree_size > len(leaves):
        report.problems.append(f"the checkpoint covers {checkpoint.tree_size} events; the log holds {len(leaves)}")
        return "log shorter than checkpoint"
    if merkle.root(leaves[: checkpoint.tree_size]).hex() != checkpoint.root_hash:
        report.problems.append(f"the first {checkpoint.tree_size} events no longer hash to the checkpoint's root")
        return "history rewritten"
    return f"the log only grew since the checkpoint of size {checkpoint.tree_size}"
