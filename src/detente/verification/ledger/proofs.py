"""Verification of inclusion and consistency proofs (RFC 9162 §2.1.3.2 and §2.1.4.2).

Both functions return ``None`` when the proof holds and raise :class:`ProofError`, with a message saying what
is wrong, otherwise — including for malformed input (hashes that are not 32 bytes, an index outside the tree,
a first size larger than the second, a proof of the wrong length). They never raise anything else for bad
input.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from detente.errors import ProofError

from .hashing import HASH_SIZE, node_hash

__all__ = ["root_from_inclusion_proof", "verify_consistency", "verify_inclusion"]


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray):
        raise ProofError(f"{what} must be bytes, got {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")
    return bytes(value)


def _check_size(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProofError(f"{what} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ProofError(f"{what} must be >= 0, got {value}")
    return value


def _check_proof(proof: object) -> list[bytes]:
    if proof is None:
        return []
    if isinstance(proof, bytes | bytearray | str) or not isinstance(proof, Sequence):
        raise ProofError(f"proof must be a sequence of hashes, got {type(proof).__name__}")
    return [_check_hash(p, f"proof[{i}]") for i, p in enumerate(proof)]


def _inclusion_proof_length(index: int, size: int) -> int:
    """Number of hashes in the audit path of leaf *index* in a tree of *size* leaves."""
    # inner: levels below the point where the paths to leaf index and to the last leaf diverge;
    # border: left siblings met on the right edge above that point
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner + border


def root_from_inclusion_proof(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 §2.1.3.2); :class:`ProofError` if malformed."""
    leaf = _check_hash(leaf_hash, "leaf hash")
    index = _check_size(index, "index")
    tree_size = _check_size(tree_size, "tree size")
    path = _check_proof(proof)
    if index >= tree_size:
        raise ProofError(f"index {index} is outside a tree of size {tree_size}")
    expected = _inclusion_proof_length(index, tree_size)
    if len(path) != expected:
        raise ProofError(
            f"inclusion proof for index {index} in a tree of size {tree_size} must have {expected} hashes, "
            f"got {len(path)}"
        )
    fn, sn, r = index, tree_size - 1, leaf
    for p in path:
        if sn == 0:  # pragma: no cover - excluded by the length check above
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # pragma: no cover - excluded by the length check above
        raise ProofError("inclusion proof is shorter than the path to the root")
    return r


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that the leaf with hash *leaf_hash* is at *index* in the tree of *tree_size* leaves."""
    expected_root = _check_hash(root, "root")
    computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    if not hmac.compare_digest(computed, expected_root):
        raise ProofError(
            f"inclusion proof for index {index} in a tree of size {tree_size} leads to root "
            f"{computed.hex()}, not the given root {expected_root.hex()}"
        )


def _consistency_proof_length(size1: int, size2: int) -> int:
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length()
    trailing = (size1 & -size1).bit_length() - 1  # levels of the complete subtree that ends the old tree
    border = bin((size1 - 1) >> inner).count("1")
    # the old root itself is omitted when the old tree is a complete subtree of the new one
    start = 0 if size1 == 1 << trailing else 1
    return start + inner - trailing + border


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check that the tree of *size2* leaves with *root2* extends the tree of *size1* leaves with *root1*.

    Equal sizes need an empty proof and equal roots. A proof from the empty tree (``size1 == 0``) is
    refused as meaningless, as the RFC 6962 conformance vectors require.
    """
    size1 = _check_size(size1, "size1")
    size2 = _check_size(size2, "size2")
    path = _check_proof(proof)
    if size1 > size2:
        raise ProofError(f"size1 {size1} is larger than size2 {size2}: a log cannot shrink")
    if size1 == size2:
        if size1 == 0:
            raise ProofError("a consistency proof between two empty trees is meaningless")
        if path:
            raise ProofError(f"sizes are equal ({size1}) so the proof must be empty, got {len(path)} hashes")
        if not isinstance(root1, bytes | bytearray) or not isinstance(root2, bytes | bytearray):
            raise ProofError("roots must be bytes")
        if not hmac.compare_digest(bytes(root1), bytes(root2)):
            raise ProofError(f"sizes are equal ({size1}) but the roots differ")
        return
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree (size1 = 0) is meaningless")
    old_root = _check_hash(root1, "root1")
    new_root = _check_hash(root2, "root2")
    expected = _consistency_proof_length(size1, size2)
    if len(path) != expected:
        raise ProofError(f"consistency proof from size {size1} to {size2} must have {expected} hashes, got {len(path)}")
    # RFC 9162 §2.1.4.2
    if size1 & (size1 - 1) == 0:
        path = [old_root, *path]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:  # pragma: no cover - excluded by the length check above
            raise ProofError("consistency proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # pragma: no cover - excluded by the length check above
        raise ProofError("consistency proof is shorter than the path to the root")
    if not hmac.compare_digest(fr, old_root):
        raise ProofError(f"consistency proof from size {size1} to {size2} does not lead to root1")
    if not hmac.compare_digest(sr, new_root):
        raise ProofError(f"consistency proof from size {size1} to {size2} does not lead to root2")
