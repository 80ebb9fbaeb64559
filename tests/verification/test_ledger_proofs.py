"""Generated proofs against a naive recursive reference (RFC 9162 §2.1 written directly), and corruptions."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.verification.ledger import (
    MemoryLeafStore,
    MerkleTree,
    ProofError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

# ---- naive reference: the definitions of RFC 9162 §2.1, over a list of leaf hashes, no caching ----------------


def ref_mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [ref_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, leaves[:k], whole), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def path_shape(m: int, n: int) -> list[str] | None:
    """How a verifier folds an audit path: for each hash, whether it is a right (R) or left (L) sibling.

    A proof for (m, n) also verifies for any (m', n') of the same shape — that is inherent to RFC 9162 proofs,
    so a changed index or size can only be detected when the shape changes. ``None`` if m is not in the tree.
    """
    if not 0 <= m < n:
        return None
    shape: list[str] = []
    while n > 1:
        k = _split(n)
        if m < k:
            shape.append("R")
            n = k
        else:
            shape.append("L")
            m, n = m - k, n - k
    return shape[::-1]


def consistency_shape(m: int, n: int) -> list[str] | None:
    """The same for consistency proofs: A = only the new root, B = both roots, S = a seed hash, W = whole."""
    if not 0 < m < n:
        return None
    shape: list[str] = []
    whole = True
    while m != n:
        k = _split(n)
        if m <= k:
            shape.append("A")
            n = k
        else:
            shape.append("B")
            m, n, whole = m - k, n - k, False
    shape.append("W" if whole else "S")
    return shape[::-1]


def _leaves(n: int, salt: int) -> list[bytes]:
    return [leaf_hash(f"{salt}:{i}".encode()) for i in range(n)]


def _tree(leaves: list[bytes]) -> MerkleTree:
    tree = MerkleTree()
    for h in leaves:
        tree.append(h)
    return tree


def _rejects_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    try:
        verify_inclusion(leaf, index, size, proof, root)
    except ProofError:
        return True
    return False


def _rejects_consistency(size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes) -> bool:
    try:
        verify_consistency(size1, size2, proof, root1, root2)
    except ProofError:
        return True
    return False


def _flip(proof: list[bytes], item: int, byte: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[item])
    changed[byte] ^= 1 << bit
    return [*proof[:item], bytes(changed), *proof[item + 1 :]]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300), st.data())
def test_inclusion_matches_reference_and_resists_corruption(size: int, data: st.DataObject) -> None:
    leaves = _leaves(size, size)
    tree = _tree(leaves)
    view = data.draw(st.integers(1, size), label="view size")
    index = data.draw(st.integers(0, view - 1), label="index")
    root = tree.root(view)
    assert root == ref_mth(leaves[:view])
    proof = tree.inclusion_proof(index, view)
    assert proof == ref_path(index, leaves[:view])
    verify_inclusion(leaves[index], index, view, proof, root)
    # wrong index, size, leaf, root, or any bit of the proof
    shape = path_shape(index, view)
    other = data.draw(st.integers(-1, view).filter(lambda i: i != index), label="other index")
    assert _rejects_inclusion(leaves[index], other, view, proof, root)
    for other_size in (data.draw(st.integers(view + 1, 2 * view + 2), label="bigger"), index, view - 1):
        if other_size != view and path_shape(index, other_size) != shape:
            assert _rejects_inclusion(leaves[index], index, other_size, proof, root)
    assert _rejects_inclusion(leaves[(index + 1) % size] + b"", index, view, proof, root) or size == 1
    assert _rejects_inclusion(leaves[index], index, view, proof, hashlib.sha256(root).digest())
    if proof:
        item = data.draw(st.integers(0, len(proof) - 1), label="item")
        byte, bit = data.draw(st.integers(0, 31), label="byte"), data.draw(st.integers(0, 7), label="bit")
        assert _rejects_inclusion(leaves[index], index, view, _flip(proof, item, byte, bit), root)
        assert _rejects_inclusion(leaves[index], index, view, proof[:-1], root)
        assert _rejects_inclusion(leaves[index], index, view, proof[:item] + proof[item + 1 :], root)
    assert _rejects_inclusion(leaves[index], index, view, [*proof, root], root)
    assert _rejects_inclusion(leaves[index], index, view, [root, *proof], root)


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 300), st.data())
def test_consistency_matches_reference_and_resists_corruption(size: int, data: st.DataObject) -> None:
    leaves = _leaves(size, -size)
    tree = _tree(leaves)
    size2 = data.draw(st.integers(2, size), label="size2")
    size1 = data.draw(st.integers(1, size2 - 1), label="size1")
    root1, root2 = tree.root(size1), tree.root(size2)
    proof = tree.consistency_proof(size1, size2)
    assert proof == ref_subproof(size1, leaves[:size2], True)
    verify_consistency(size1, size2, proof, root1, root2)
    assert _rejects_consistency(size2, size1, proof, root2, root1)
    assert _rejects_consistency(size1, size2, proof, root2, root1)
    assert _rejects_consistency(size1, size2, proof, root1, hashlib.sha256(root2).digest())
    assert _rejects_consistency(size1, size2, proof, hashlib.sha256(root1).digest(), root2)
    shape = consistency_shape(size1, size2)
    other1 = data.draw(st.integers(0, size2).filter(lambda s: s != size1), label="other size1")
    if consistency_shape(other1, size2) != shape:
        assert _rejects_consistency(other1, size2, proof, root1, root2)
    other2 = size2 + data.draw(st.integers(1, size2), label="bigger size2")
    if consistency_shape(size1, other2) != shape:
        assert _rejects_consistency(size1, other2, proof, root1, root2)
    if proof:
        item = data.draw(st.integers(0, len(proof) - 1), label="item")
        byte, bit = data.draw(st.integers(0, 31), label="byte"), data.draw(st.integers(0, 7), label="bit")
        assert _rejects_consistency(size1, size2, _flip(proof, item, byte, bit), root1, root2)
        assert _rejects_consistency(size1, size2, proof[:-1], root1, root2)
    assert _rejects_consistency(size1, size2, [*proof, root1], root1, root2)
    assert _rejects_consistency(size1, size2, [root1, *proof], root1, root2)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 300))
def test_roots_match_reference_and_reopen_gives_same_tree(size: int) -> None:
    leaves = _leaves(size, 7)
    store = MemoryLeafStore()
    tree = MerkleTree(store)
    for h in leaves:
        tree.append(h)
    for view in {0, size // 3, size // 2, size}:
        assert tree.root(view) == ref_mth(leaves[:view])
    reopened = MerkleTree(store)  # cache rebuilt from the leaf store
    assert reopened.size == size and reopened.root() == tree.root()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((b"\x00" * 31, 0, 1, [], b"\x00" * 32), "leaf hash must be 32 bytes"),
        ((b"\x00" * 32, 1, 1, [], b"\x00" * 32), "outside a tree of size 1"),
        ((b"\x00" * 32, -1, 1, [], b"\x00" * 32), "index must be >= 0"),
        ((b"\x00" * 32, 0, 0, [], b"\x00" * 32), "outside a tree of size 0"),
        ((b"\x00" * 32, 0, 2, [], b"\x00" * 32), "must have 1 hashes, got 0"),
        ((b"\x00" * 32, 0, 2, [b"\x00" * 33], b"\x00" * 32), "proof[0] must be 32 bytes"),
        ((b"\x00" * 32, 0, 1, [], b"\x00" * 3), "root must be 32 bytes"),
        ((b"\x00" * 32, True, 1, [], b"\x00" * 32), "index must be an int"),
        ((b"\x00" * 32, 0, 1, b"\x00" * 32, b"\x00" * 32), "proof must be a sequence"),
    ],
)
def test_malformed_inclusion_input_is_a_proof_error(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ProofError, match=message.replace("[", r"\[").replace("]", r"\]")):
        verify_inclusion(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((3, 2, [], b"\x00" * 32, b"\x00" * 32), "larger than size2"),
        ((0, 2, [], b"\x00" * 32, b"\x00" * 32), "empty tree"),
        ((0, 0, [], b"\x00" * 32, b"\x00" * 32), "two empty trees"),
        ((2, 2, [b"\x00" * 32], b"\x00" * 32, b"\x00" * 32), "proof must be empty"),
        ((2, 2, [], b"\x00" * 32, b"\x01" * 32), "roots differ"),
        ((1, 2, [], b"\x00" * 32, b"\x00" * 32), "must have 1 hashes, got 0"),
        ((1, 2, [b"\x00" * 32], b"\x00" * 31, b"\x00" * 32), "root1 must be 32 bytes"),
        ((-1, 2, [], b"\x00" * 32, b"\x00" * 32), "size1 must be >= 0"),
    ],
)
def test_malformed_consistency_input_is_a_proof_error(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ProofError, match=message):
        verify_consistency(*args)  # type: ignore[arg-type]


def test_generation_refuses_sizes_outside_the_tree() -> None:
    tree = _tree(_leaves(5, 0))
    with pytest.raises(ProofError):
        tree.inclusion_proof(5, 5)
    with pytest.raises(ProofError):
        tree.root(6)
    with pytest.raises(ProofError):
        tree.consistency_proof(4, 6)
    assert tree.consistency_proof(0, 5) == [] and tree.consistency_proof(5) == []
