"""The Merkle log against the RFC 6962 test vectors and an independent implementation (pymerkle).

Proofs are checked with the verification algorithms of RFC 9162 §2.1.3.2 and
§2.1.4.2, written here from the RFC and sharing no code with ``audit.merkle``.
"""

from __future__ import annotations

import hashlib

import pytest
from pymerkle import InmemoryTree

from audit import merkle

# RFC 6962 / Certificate Transparency reference leaves and the tree heads of each prefix.
LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def test_tree_heads_match_the_rfc_6962_vectors() -> None:
    hashed = [merkle.leaf_hash(d) for d in LEAVES]
    assert [merkle.root(hashed[:n]).hex() for n in range(1, 9)] == ROOTS
    assert merkle.root([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 31, 32, 33, 100, 257])
def test_tree_heads_match_pymerkle(size: int) -> None:
    data = [f"event {i}".encode() for i in range(size)]
    theirs = InmemoryTree()
    for item in data:
        theirs.append_entry(item)
    assert merkle.root([merkle.leaf_hash(d) for d in data]) == theirs.get_root(size)


@pytest.mark.parametrize("size", [1, 2, 5, 8, 13, 64, 100])
def test_every_inclusion_proof_verifies_and_a_wrong_one_does_not(size: int) -> None:
    leaves = [merkle.leaf_hash(f"e{i}".encode()) for i in range(size)]
    head = merkle.root(leaves)
    for index in range(size):
        path = merkle.inclusion_proof(index, leaves)
        assert verify_inclusion(index, size, leaves[index], path, head)
        assert not verify_inclusion(index, size, merkle.leaf_hash(b"forged"), path, head)
        if path:
            assert not verify_inclusion(index, size, leaves[index], path[:-1], head)


def test_every_consistency_proof_verifies_and_a_rewritten_history_does_not() -> None:
    leaves = [merkle.leaf_hash(f"e{i}".encode()) for i in range(40)]
    for second in range(1, 41):
        for first in range(1, second + 1):
            proof = merkle.consistency_proof(first, leaves[:second])
            roots = merkle.root(leaves[:first]), merkle.root(leaves[:second])
            assert verify_consistency(first, second, *roots, proof), (first, second)
    rewritten = [*leaves[:5], merkle.leaf_hash(b"rewritten"), *leaves[6:]]
    proof = merkle.consistency_proof(10, rewritten[:20])
    assert not verify_consistency(10, 20, merkle.root(leaves[:10]), merkle.root(rewritten[:20]), proof)


def test_proofs_outside_the_tree_are_refused() -> None:
    leaves = [merkle.leaf_hash(b"x")] * 4
    with pytest.raises(IndexError):
        merkle.inclusion_proof(4, leaves)
    with pytest.raises(IndexError):
        merkle.consistency_proof(5, leaves)


def test_a_frontier_extended_in_one_go_is_the_one_grown_leaf_by_leaf() -> None:
    leaves = [merkle.leaf_hash(bytes([i % 256, i // 256])) for i in range(300)]
    for start, batch in [(0, 0), (0, 1), (0, 7), (1, 1), (5, 3), (8, 8), (13, 100), (64, 200), (0, 300)]:
        one, other = merkle.Frontier(), merkle.Frontier()
        for leaf in leaves[:start]:
            one.append(leaf)
            other.append(leaf)
        for leaf in leaves[start : start + batch]:
            one.append(leaf)
        other.extend(leaves[start : start + batch])
        assert (other.size, other.root()) == (one.size, one.root())
        assert other.root() == merkle.root(leaves[: start + batch])


def test_a_tree_rebuilt_from_its_right_edge_grows_to_the_roots_of_the_whole_tree() -> None:
    leaves = [merkle.leaf_hash(bytes([i % 256, i // 256])) for i in range(200)]
    for size in [0, 1, 2, 3, 7, 8, 9, 64, 100, 127]:
        grown = merkle.Frontier()
        grown.extend(leaves[:size])
        edge = grown.edge()
        assert len(edge) == 32 * bin(size).count("1")
        again = merkle.Frontier.from_edge(size, edge)
        assert (again.size, again.root()) == (size, merkle.root(leaves[:size]))
        again.extend(leaves[size : size + 73])
        assert again.root() == merkle.root(leaves[: size + 73])


@pytest.mark.parametrize(("size", "nodes"), [(1, 0), (1, 2), (3, 1), (8, 2), (0, 1), (-1, 0)])
def test_a_right_edge_of_the_wrong_length_for_its_size_is_refused(size: int, nodes: int) -> None:
    with pytest.raises(ValueError, match="right edge"):
        merkle.Frontier.from_edge(size, b"\x00" * 32 * nodes)
