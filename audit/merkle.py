"""Merkle tree hashes and proofs as RFC 9162 (Certificate Transparency v2) defines them.

Leaves are hashed as SHA-256(0x00 || data) and nodes as SHA-256(0x01 || left ||
right); the tree over n leaves splits at the largest power of two below n. The
functions take the leaves' *leaf hashes*, so a caller can keep those and never
hash event data twice. Proofs follow RFC 9162 §2.1.3 (inclusion) and §2.1.4
(consistency) and verify with any RFC-conforming verifier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes, a level at a time: pairs from the left, a last odd node carried up as it is.

    That is the same tree as the RFC's split at the largest power of two (the left
    part is complete, so it pairs off evenly), with one list pass per level and no
    call per node.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    sha256 = hashlib.sha256
    while len(level) > 1:
        pairs = iter(level)
        paired = [sha256(b"\x01" + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def leaf_hashes(digests: Iterable[bytes]) -> list[bytes]:
    """``leaf_hash`` of each, in one pass."""
    sha256 = hashlib.sha256
    return [sha256(b"\x00" + digest).digest() for digest in digests]


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path for leaf ``index`` in the tree over ``leaves``."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of size {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root(leaves[:k])]


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): proves the tree of the first ``first`` leaves is a prefix of the tree over ``leaves``."""
    if not 0 < first <= len(leaves):
        raise IndexError(f"no consistency proof from size {first} to {len(leaves)}")
    return _subproof(first, leaves, complete=True)


def _subproof(m: int, leaves: Sequence[bytes], *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete=complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], complete=False), root(leaves[:k])]


class Frontier:
    """A tree grown one leaf at a time, its root available at every size (the complete subtrees on its right edge)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[bytes, int]] = []

    def append(self, leaf: bytes) -> None:
        node, size = leaf, 1
        while self._stack and self._stack[-1][1] == size:
            left, _ = self._stack.pop()
            node, size = node_hash(left, node), size * 2
        self._stack.append((node, size))
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """``append`` each, a level at a time (a whole log's checkpoints go through here).

        The stack holds one complete subtree per set bit of the size, largest first;
        at each level the stack's node of that size (if any) goes in front of the
        nodes made below, pairs are hashed from the left, and an odd last node is
        the new stack's node of that size: the same stack ``append`` leaves.
        """
        level = list(leaves)
        old = {size: node for node, size in self._stack}
        self.size += len(level)
        sha256, stack, size = hashlib.sha256, [], 1
        while level or old:
            if size in old:
                level.insert(0, old.pop(size))
            if len(level) % 2:
                stack.append((level[-1], size))
            pairs = iter(level)
            level = [sha256(b"\x01" + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]
            size *= 2
        self._stack = stack[::-1]

    def edge(self) -> bytes:
        """The right edge as bytes: its complete subtrees' roots, largest first (one per set bit of the size).

        With the size, that is the whole state: ``from_edge`` grows the same tree
        from it, so a checkpoint stored with its edge lets any process go on from
        there reading only the leaves added since.
        """
        return b"".join(node for node, _ in self._stack)

    @classmethod
    def from_edge(cls, size: int, edge: bytes) -> Frontier:
        """The tree of ``size`` leaves whose right edge is ``edge``; ValueError if the two cannot belong together."""
        sizes = [1 << bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1] if size > 0 else []
        if size < 0 or len(edge) != 32 * len(sizes):
            raise ValueError(f"a right edge of {len(edge)} bytes is not one of a tree of {size} leaves")
        tree = cls()
        tree.size, tree._stack = size, [(edge[32 * i : 32 * i + 32], width) for i, width in enumerate(sizes)]
        return tree

    def copy(self) -> Frontier:
        """The same tree, grown apart from this one from now on."""
        twin = Frontier()
        twin.size, twin._stack = self.size, list(self._stack)
        return twin

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][0]
        for left, _ in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or None if the proof cannot be one."""
    if not 0 <= index < size:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    return node if sn == 0 else None


def consistent(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the tree of ``first`` leaves is a prefix of the one of ``second`` (RFC 9162 §2.1.4.2)."""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(node, fr), node_hash(node, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root
