"""One event's leaf as it is hashed, and a decision receipt an applicant can keep and check offline.

``leaf`` is what ``GET /audit/events/{position}`` serves: the exact canonical
bytes the event hash covers (``eventstore.chain``), the hash, and the previous
hash of its stream. A receipt adds an RFC 9162 inclusion proof of the leaf in a
stored signed checkpoint, and that checkpoint as a C2SP signed note::

    {"format": "registry-receipt/v1", "position": 7, "leaf_index": 6,
     "canonical": "<the hashed bytes, base64>", "event_hash": "<hex>",
     "tree_size": 300, "inclusion_proof": ["<hex>", …], "checkpoint": "<signed note>"}

``check_receipt`` needs nothing but the receipt and the registry's public key:
SHA-256 of the bytes is the event hash; its leaf hash, folded with the proof,
is the checkpoint's root; the checkpoint's signature verifies with the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from audit import merkle
from audit.checkpoints import CheckpointError, Issuer, parse_body
from audit.log import MerkleLog
from audit.note import NoteError, Verifier, verified
from domain.registry import Registry
from eventstore.chain import canonical

FORMAT = "registry-receipt/v1"


class ReceiptError(ValueError):
    """A receipt that does not prove what it claims; the message says which step failed."""


@dataclass(frozen=True)
class Leaf:
    position: int
    leaf_index: int
    stream: str
    version: int
    canonical: bytes
    event_hash: str
    prev_hash: str


def leaf(registry: Registry, position: int) -> Leaf | None:
    """The stored event at ``position`` as it is hashed, or None if there is none (or no link for it)."""
    found = registry.recorder.select_notifications(start=position, limit=1)
    link = MerkleLog(registry).at([position]).get(position)
    if not found or found[0].id != position or link is None:
        return None
    event = found[0]
    stream = UUID(str(event.originator_id))
    encoded = canonical(event.topic, stream, event.originator_version, event.state, link.prev_hash)
    return Leaf(position, link.leaf, str(stream), event.originator_version, encoded, link.hash, link.prev_hash)


def receipt(issuer: Issuer, position: int) -> dict[str, Any] | None:
    """A self-contained receipt for the event at ``position``, in the first stored checkpoint that covers it."""
    found = leaf(issuer.registry, position)
    if found is None:
        return None
    row = issuer.covering(found.leaf_index)
    if row is None:
        return None
    leaves = MerkleLog(issuer.registry).leaves(row.tree_size)
    return {
        "format": FORMAT,
        "position": position,
        "leaf_index": found.leaf_index,
        "canonical": base64.b64encode(found.canonical).decode(),
        "event_hash": found.event_hash,
        "tree_size": row.tree_size,
        "inclusion_proof": [node.hex() for node in merkle.inclusion_proof(found.leaf_index, leaves)],
        "checkpoint": row.note,
    }


def check_receipt(data: Any, key: Verifier) -> str:
    """Verify a receipt with only the public key; what it proves, or ReceiptError naming the failed step."""
    try:
        if data.get("format") != FORMAT:
            raise ReceiptError("not a registry receipt")
        encoded = base64.b64decode(data["canonical"], validate=True)
        index, size = int(data["leaf_index"]), int(data["tree_size"])
        path = [bytes.fromhex(node) for node in data["inclusion_proof"]]
        note = str(data["checkpoint"])
    except (AttributeError, KeyError, TypeError, ValueError, binascii.Error):
        raise ReceiptError("the receipt is missing fields or holds malformed ones") from None
    digest = hashlib.sha256(encoded).hexdigest()
    if digest != data.get("event_hash"):
        raise ReceiptError("the event's bytes do not hash to the receipt's event hash")
    try:
        head = parse_body(verified(note, key))
    except (NoteError, CheckpointError) as error:
        raise ReceiptError(f"the checkpoint does not verify: {error}") from None
    if head.tree_size != size:
        raise ReceiptError("the proof is for another tree size than the checkpoint's")
    if merkle.root_from_inclusion(index, size, merkle.leaf_hash(bytes.fromhex(digest)), path) != head.root:
        raise ReceiptError("the inclusion proof does not lead to the checkpoint's root")
    event = orjson.loads(encoded)
    return (
        f"event {data.get('position')} ({event['topic']}, stream {event['stream']} v{event['version']}) is leaf"
        f" {index} of the log {head.origin} of {size} events, signed by {key.name}+{key.hash.hex()}"
    )
