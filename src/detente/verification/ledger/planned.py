"""A read-only tree over a store that fetches many stored hashes at once: one read per root or proof.

:class:`PlannedTree` answers what :class:`~detente.verification.ledger.tree.MerkleTree` answers — roots, inclusion and
consistency proofs for any size up to the stored one, with the same errors — but plans the positions first
(:mod:`.plan`) and asks its :class:`NodeReader` for all of them in one call, so a SQL store spends one statement
instead of one per node. Pure: the reader does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from detente.errors import ProofError, StoreError

from .hashing import EMPTY_ROOT
from .plan import Position, Span, consistency_plan, inclusion_plan, positions, resolve, resolve_span, root_span

__all__ = ["NodeReader", "PlannedTree"]


class NodeReader(Protocol):
    """Fetches stored hashes by position: leaves at level 0, complete subtrees above."""

    def read(self, wanted: Sequence[Position]) -> Mapping[Position, bytes]:
        """The hashes of *wanted* that are stored (a missing one is simply absent from the result)."""
        ...


class PlannedTree:
    """Roots and proofs of the first *size* leaves of a stored tree, each read with one :meth:`NodeReader.read`."""

    def __init__(self, reader: NodeReader, size: int, *, name: str = "stored tree") -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        self._reader, self._size, self._name = reader, size, name

    @property
    def size(self) -> int:
        return self._size

    def fetch(self, wanted: Sequence[Position]) -> Mapping[Position, bytes]:
        """Read *wanted* in one call; :class:`StoreError` when the store lacks any of them."""
        if not wanted:
            return {}
        found = self._reader.read(wanted)
        missing = [p for p in wanted if p not in found]
        if missing:
            raise StoreError(
                f"{self._name}: the stored tree is incomplete at size {self._size} (missing {missing[:3]})"
            )
        return found

    def _spans(self, spans: list[Span]) -> list[bytes]:
        return resolve(spans, self.fetch(positions(spans)))

    def _check_size(self, tree_size: int | None) -> int:
        size = self._size if tree_size is None else tree_size
        if not 0 <= size <= self._size:
            raise ProofError(f"tree size {size} is outside 0..{self._size}")
        return size

    def leaf_hash(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(f"leaf {index} is outside a tree of size {self._size}")
        return self.fetch([(0, index)])[(0, index)]

    def subtree_hash(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree over leaves ``[index << level, (index + 1) << level)``."""
        if level < 0 or index < 0 or (index + 1) << level > self._size:
            raise IndexError(f"subtree ({level}, {index}) is not complete in a tree of size {self._size}")
        return self.fetch([(level, index)])[(level, index)]

    def root(self, tree_size: int | None = None) -> bytes:
        """MTH of the first *tree_size* leaves (default: all)."""
        size = self._check_size(tree_size)
        if size == 0:
            return EMPTY_ROOT
        span = root_span(size)
        return resolve_span(span, self.fetch(list(span)))

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """Audit path of leaf *index* in the tree of the first *tree_size* leaves (RFC 9162 §2.1.3.1)."""
        size = self._check_size(tree_size)
        if not 0 <= index < size:
            raise ProofError(f"index {index} is outside a tree of size {size}")
        return self._spans(inclusion_plan(index, size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Proof that the tree of *size1* leaves is a prefix of the tree of *size2* (RFC 9162 §2.1.4.1)."""
        new = self._check_size(size2)
        if not 0 <= size1 <= new:
            raise ProofError(f"size1 {size1} is outside 0..{new}")
        return self._spans(consistency_plan(size1, new))
