"""RFC 9162 §2.1 Merkle hashing: leaf and interior node hashes, the empty root, split points."""

from __future__ import annotations

import hashlib

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "leaf_hash", "node_hash", "split_point"]

#: size in bytes of every hash in the log (SHA-256)
HASH_SIZE = 32

#: MTH({}) = SHA-256() — the root of the empty tree (RFC 9162 §2.1.1)
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d0}) = SHA-256(0x00 || d0) for the serialized entry *entry*."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than *n* (``n >= 2``), the ``k`` of RFC 9162 §2.1.1."""
    if n < 2:
        raise ValueError(f"split_point needs n >= 2, got {n}")
    return 1 << ((n - 1).bit_length() - 1)
