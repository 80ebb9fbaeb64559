"""Ports for the hashes a log keeps, with in-memory implementations.

A :class:`LeafHashStore` holds the leaf hashes in order (append-only); a :class:`SubtreeCache` holds the
hashes of complete subtrees by ``(level, index)`` — the node covering leaves ``[index * 2**level, (index + 1)
* 2**level)`` — so that roots and proofs for any size cost O(log n) hashes instead of a pass over the whole
tree. A SQL table, a file or tiles on object storage can implement either protocol later.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .hashing import HASH_SIZE

__all__ = ["LeafHashStore", "MemoryLeafStore", "MemorySubtreeCache", "SubtreeCache"]


@runtime_checkable
class LeafHashStore(Protocol):
    """Append-only sequence of 32-byte leaf hashes."""

    def size(self) -> int:
        """Number of leaf hashes stored."""
        ...

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash; return its index."""
        ...

    def get(self, index: int) -> bytes:
        """The leaf hash at *index* (``0 <= index < size()``); ``IndexError`` otherwise."""
        ...


@runtime_checkable
class SubtreeCache(Protocol):
    """Hashes of complete subtrees, keyed by ``(level, index)`` with ``level >= 1``."""

    def get(self, level: int, index: int) -> bytes | None:
        """The cached hash, or ``None`` when it is not cached."""
        ...

    def put(self, level: int, index: int, value: bytes) -> None:
        """Remember a hash. Subtrees complete in order, so *index* is the next index at *level*."""
        ...


class _PackedHashes:
    """A growable array of 32-byte hashes packed in one ``bytearray`` (no per-object overhead)."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data = bytearray()

    def __len__(self) -> int:
        return len(self._data) // HASH_SIZE

    def append(self, value: bytes) -> None:
        if len(value) != HASH_SIZE:
            raise ValueError(f"hashes are {HASH_SIZE} bytes, got {len(value)}")
        self._data += value

    def __getitem__(self, index: int) -> bytes:
        if not 0 <= index < len(self):
            raise IndexError(index)
        start = index * HASH_SIZE
        return bytes(self._data[start : start + HASH_SIZE])


class MemoryLeafStore:
    """A :class:`LeafHashStore` in memory (32 bytes per leaf)."""

    def __init__(self) -> None:
        self._hashes = _PackedHashes()

    def size(self) -> int:
        return len(self._hashes)

    def append(self, leaf_hash: bytes) -> int:
        self._hashes.append(leaf_hash)
        return len(self._hashes) - 1

    def get(self, index: int) -> bytes:
        return self._hashes[index]


class MemorySubtreeCache:
    """A :class:`SubtreeCache` in memory: one packed array per level (about 32 bytes per leaf in total)."""

    def __init__(self) -> None:
        self._levels: list[_PackedHashes] = []

    def get(self, level: int, index: int) -> bytes | None:
        if level < 1 or level > len(self._levels):
            return None
        hashes = self._levels[level - 1]
        return hashes[index] if 0 <= index < len(hashes) else None

    def put(self, level: int, index: int, value: bytes) -> None:
        if level < 1:
            raise ValueError("level 0 holds leaves, which live in the leaf store")
        while len(self._levels) < level:
            self._levels.append(_PackedHashes())
        hashes = self._levels[level - 1]
        if index != len(hashes):
            raise ValueError(f"subtree ({level}, {index}) stored out of order; next index is {len(hashes)}")
        hashes.append(value)
