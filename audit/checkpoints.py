"""The registry's own signed checkpoints: C2SP tlog-checkpoint bodies, issued every N events or T seconds.

A checkpoint body (c2sp.org/tlog-checkpoint) is three lines: the log's origin,
the tree size in decimal and the RFC 9162 root hash in base64. It is signed as a
C2SP signed note (``audit.note``) under the origin as key name, so existing
verifiers and witnesses read it. ``Issuer`` signs and stores one (append-only,
``eventstore.checkpoints``) when ``every`` events or ``seconds`` have passed since
the last; its ``after_save`` runs as the registry's after-save hook.

Each stored checkpoint keeps the Merkle tree's right edge at its size, so a
process continues from the last stored checkpoint and reads only the leaves
added since (a million-event log cost every new process a 15 s read of the whole
log at its first signature). The issuer uses a stored edge only when it hashes to
the root that checkpoint signed, under this issuer's key; otherwise (an older row
without one, a rotated key, an altered edge) it reads the log from the start, as
before. Verification (``audit.verify``) never reads the edges.
"""

from __future__ import annotations

import base64
import binascii
import logging
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from audit import merkle
from audit.log import MerkleLog
from audit.note import NoteError, verified
from audit.signing import Signer
from domain.registry import Recorded, Registry
from eventstore.chain import Link
from eventstore.checkpoints import CheckpointTable, StoredCheckpoint

log = logging.getLogger("registry.audit")
LEAF = struct.Struct(">Q32s")


class CheckpointError(ValueError):
    """A checkpoint body that is not a tlog-checkpoint."""


@dataclass(frozen=True)
class Head:
    """What a checkpoint body says: which log, how many leaves, which root."""

    origin: str
    tree_size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root).decode()}\n"


def parse_body(text: str) -> Head:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0]:
        raise CheckpointError("a checkpoint body is origin, tree size and root hash, one per line")
    size = lines[1]
    if not size.isdigit() or (size != "0" and size.startswith("0")) or len(size) > 19:
        raise CheckpointError(f"{size!r} is not a tree size")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        raise CheckpointError("the root hash is not base64") from None
    if len(root) != 32:
        raise CheckpointError("the root hash is not 32 bytes")
    return Head(lines[0], int(size), root)


def pack(links: Iterable[Link]) -> bytes:
    return b"".join(LEAF.pack(item.position, bytes.fromhex(item.hash)) for item in links)


def unpack(leaves: bytes) -> list[tuple[int, bytes]]:
    """(position, event hash) per leaf of a stored checkpoint."""
    return list(LEAF.iter_unpack(leaves))


class Issuer:
    """Signs and stores the registry's checkpoints; several processes may sign at once, the store orders them."""

    def __init__(
        self,
        registry: Registry,
        signer: Callable[[], Signer],
        origin: str,
        clock: Callable[[], datetime],
        *,
        every: int = 1000,
        seconds: float = 300.0,
    ) -> None:
        self.registry, self.signer, self.origin, self.clock = registry, signer, origin, clock
        self.every, self.seconds = every, seconds
        self.table = CheckpointTable(registry.recorder)
        self._last: StoredCheckpoint | None = None  # the last stored checkpoint this process has seen
        self._signing = threading.Lock()  # held by the one decision of this process signing after its save
        self._wanted = False  # a decision found a checkpoint due while another held ``_signing``
        self._frontier = merkle.Frontier()  # the log's first leaves, as far as this process has read them

    def issue(self, size: int | None = None) -> StoredCheckpoint | None:
        """Sign the log as it stands, if it grew since the last stored checkpoint; the stored last one.

        The tree's right edge (``merkle.Frontier``) is kept from one signature to the next, and
        stored with each checkpoint, so a checkpoint reads only the leaves added since the last
        stored one: the log's first leaves never change. A log that grew by more than ``every``
        leaves since (a bulk load, signing that was off) gets a checkpoint every ``every``
        leaves up to its head, as if it had been signed while it grew: no checkpoint, and no
        export or import of one, holds ``2 * every`` leaves or more, and the leaves are read
        as a stream, never held all at once.
        """
        last = self.table.last(edge=True)
        done = 0 if last is None else last.tree_size
        size = MerkleLog(self.registry).size() if size is None else size  # the caller's, if it just asked
        grown = self._base(last).copy()
        since: list[Link] = []  # the leaves past the last stored checkpoint, not yet signed
        for item in MerkleLog(self.registry).links(after=grown.size - 1):
            grown.append(merkle.leaf_hash(bytes.fromhex(item.hash)))
            if grown.size > done:
                since.append(item)
            if len(since) == self.every and size - grown.size >= self.every:
                if not self._sign(grown, done, since):
                    break  # another process signed meanwhile: the store's last checkpoint is the answer
                done, since = grown.size, []
        else:
            self._frontier = grown
            if since and self._sign(grown, done, since):
                return self._last
        self._last = self.table.last()
        return self._last

    def _sign(self, grown: merkle.Frontier, done: int, since: list[Link]) -> bool:
        """Sign and store the checkpoint of ``grown`` that follows the one at ``done``; whether it was stored."""
        head = Head(self.origin, grown.size, grown.root())
        note = self.signer().sign_note(head.body(), self.origin)
        row = StoredCheckpoint(grown.size, done, self.clock().isoformat(), note, pack(since), grown.edge())
        if not self.table.append(row):
            return False
        self._frontier, self._last = grown.copy(), row
        return True

    def _base(self, last: StoredCheckpoint | None) -> merkle.Frontier:
        """The tree to grow: ours if it stands at the last stored checkpoint, else that checkpoint's edge if it
        holds, else ours if it is not past the checkpoint, else the empty tree (the whole log is read)."""
        done = 0 if last is None else last.tree_size
        if last is None or self._frontier.size == done:
            return self._frontier if self._frontier.size == done else merkle.Frontier()
        stored = self._stored_edge(last)
        if stored is not None:
            return stored
        return self._frontier if self._frontier.size < done else merkle.Frontier()

    def _stored_edge(self, last: StoredCheckpoint) -> merkle.Frontier | None:
        """The stored checkpoint's right edge, if it hashes to the root the checkpoint signed under our key."""
        if not last.edge:
            return None  # stored before edges were, or imported
        try:
            tree = merkle.Frontier.from_edge(last.tree_size, last.edge)
            head = parse_body(verified(last.note, self.signer().verifier(self.origin)))
        except (ValueError, NoteError, CheckpointError):
            tree, head = None, None
        if tree is None or head is None or head.tree_size != tree.size or head.root != tree.root():
            log.warning("the stored right edge at size %s does not hold; reading the whole log", last.tree_size)
            return None
        return tree

    def covering(self, leaf: int) -> StoredCheckpoint | None:
        """The first stored checkpoint that includes leaf ``leaf``, signing one now if none does yet."""
        for row in self.table.rows(after=leaf, limit=1, leaves=False):
            return row
        self.issue()
        return next(iter(self.table.rows(after=leaf, limit=1, leaves=False)), None)

    def due(self, size: int) -> bool:
        """Whether a log of ``size`` leaves is owed a checkpoint (read from the store only when it looks so)."""
        if self._last is not None and not self._owed(size, self._last):
            return False
        self._last = self.table.last()  # another process may have signed since
        return self._owed(size, self._last)

    def _owed(self, size: int, last: StoredCheckpoint | None) -> bool:
        if last is None:
            return size > 0
        if size - last.tree_size >= self.every:
            return True
        age = (self.clock() - datetime.fromisoformat(last.signed_at)).total_seconds()
        return size > last.tree_size and age >= self.seconds

    def after_save(self, outcome: Recorded) -> None:
        """The after-save hook: sign a checkpoint when one is due. A failure is logged, never raised.

        One decision of the process signs at a time; another that finds a checkpoint due meanwhile leaves it
        to that one, which looks again once done (the log may have grown past what it read). Every decision
        saved while one was due used to sign it at once, each reading and hashing the same leaves, and all but
        one lost the race to store it: under eight clients, up to eight signings of 20 to 230 ms each, every
        1,000 events.
        """
        if not outcome.events or outcome.replayed:
            return
        # The log holds at most as many leaves as its last position: if that many would not be owed a
        # checkpoint, the log's size is not even asked (a round trip spared on most decisions).
        if self._last is not None and outcome.position is not None and not self._owed(outcome.position, self._last):
            return
        # Wanted before trying the lock, looked at by the holder after letting it go: no want is missed.
        self._wanted = True
        while self._wanted and self._signing.acquire(blocking=False):
            try:
                self._wanted = False
                size = MerkleLog(self.registry).size()
                if self.due(size):
                    self.issue(size)
            except Exception:  # the decision is stored; the next write signs instead
                log.exception("no checkpoint signed after position %s", outcome.position)
            finally:
                self._signing.release()
