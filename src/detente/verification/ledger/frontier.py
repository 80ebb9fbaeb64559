"""The right edge of a Merkle tree: what a durable store needs to append without reading the tree.

A tree of ``n`` leaves has one complete subtree per set bit of ``n`` along its right edge (largest first). Appending
a leaf merges it with the trailing subtrees of equal height; every merge completes a subtree ``(level, index)``
that a :class:`~detente.verification.ledger.store.SubtreeCache` must remember. A :class:`Frontier` computes those
new subtrees in memory, so a SQL store writes them in the same transaction as the leaf and never recomputes the
tree. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .hashing import HASH_SIZE, node_hash

__all__ = ["Frontier", "NewSubtree", "frontier_positions"]


@dataclass(frozen=True)
class NewSubtree:
    """A subtree completed by an append: ``level >= 1``, covering leaves ``[index << level, (index + 1) << level)``."""

    level: int
    index: int
    hash: bytes


def frontier_positions(size: int) -> list[tuple[int, int]]:
    """The ``(level, index)`` of the complete subtrees on the right edge of a tree of *size* leaves, left to right.

    Level 0 is a leaf (its index is the leaf index).
    """
    if size < 0:
        raise ValueError("size must be >= 0")
    positions: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            positions.append((level, start >> level))
            start += 1 << level
    return positions


class Frontier:
    """The right-edge subtrees of a tree of ``size`` leaves, with their hashes."""

    __slots__ = ("_nodes", "_size")

    def __init__(self, size: int = 0, hashes: list[bytes] | None = None) -> None:
        positions = frontier_positions(size)
        values = list(hashes or [])
        if len(values) != len(positions):
            raise ValueError(f"a tree of {size} leaves has {len(positions)} frontier subtrees, got {len(values)}")
        if any(len(v) != HASH_SIZE for v in values):
            raise ValueError(f"frontier hashes are {HASH_SIZE} bytes")
        self._size = size
        self._nodes = [(level, value) for (level, _), value in zip(positions, values, strict=True)]

    @classmethod
    def load(cls, size: int, lookup: Callable[[int, int], bytes]) -> Frontier:
        """The frontier of a stored tree; *lookup(level, index)* reads a leaf (level 0) or a cached subtree."""
        return cls(size, [lookup(level, index) for level, index in frontier_positions(size)])

    @property
    def size(self) -> int:
        return self._size

    def root(self) -> bytes | None:
        """The root of the tree (``None`` when empty): the frontier folded right to left."""
        if not self._nodes:
            return None
        value = self._nodes[-1][1]
        for _, left in reversed(self._nodes[:-1]):
            value = node_hash(left, value)
        return value

    def append(self, leaf_hash: bytes) -> list[NewSubtree]:
        """Add a leaf; return the subtrees it completes (lowest first)."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hashes are {HASH_SIZE} bytes")
        index = self._size
        level, value = 0, leaf_hash
        completed: list[NewSubtree] = []
        while self._nodes and self._nodes[-1][0] == level:
            _, left = self._nodes.pop()
            value = node_hash(left, value)
            level += 1
            completed.append(NewSubtree(level, (index + 1 >> level) - 1, value))
        self._nodes.append((level, value))
        self._size = index + 1
        return completed

    def copy(self) -> Frontier:
        clone = Frontier()
        clone._size = self._size
        clone._nodes = list(self._nodes)
        return clone
