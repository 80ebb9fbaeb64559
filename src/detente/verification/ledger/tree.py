"""A Merkle tree over a leaf-hash store: roots, inclusion proofs and consistency proofs for any size.

Proofs are generated as in RFC 9162 §2.1.3.1 (``PATH``) and §2.1.4.1 (``PROOF``/``SUBPROOF``). Every range
these definitions need is either a complete, aligned subtree (read from the :class:`SubtreeCache`) or a right
edge that splits into O(log n) such subtrees, so a root or proof costs O(log n) hashes whatever the tree size.
"""

from __future__ import annotations

from detente.errors import ProofError

from .hashing import EMPTY_ROOT, node_hash, split_point
from .store import LeafHashStore, MemoryLeafStore, MemorySubtreeCache, SubtreeCache

__all__ = ["MerkleTree"]


class MerkleTree:
    """RFC 9162 Merkle tree whose leaves live in *store*; complete-subtree hashes are kept in *cache*.

    Opening a tree on a non-empty store with an empty cache fills the cache in one pass (n hashes). With
    ``prefilled=True`` the caller vouches that *cache* already holds every complete subtree of the store (a durable
    cache such as the SQL one), and opening costs nothing.
    """

    def __init__(
        self, store: LeafHashStore | None = None, cache: SubtreeCache | None = None, *, prefilled: bool = False
    ) -> None:
        self._store: LeafHashStore = store if store is not None else MemoryLeafStore()
        self._cache: SubtreeCache = cache if cache is not None else MemorySubtreeCache()
        self._size = 0
        if prefilled:
            self._size = self._store.size()
            return
        for index in range(self._store.size()):
            self._size = index + 1
            self._complete_subtrees(index)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._size

    @property
    def store(self) -> LeafHashStore:
        return self._store

    def append(self, leaf_hash: bytes) -> int:
        """Append a leaf hash; return its index."""
        index = self._store.append(leaf_hash)
        if index != self._size:
            raise ValueError(f"leaf store returned index {index}, expected {self._size}")
        self._size = index + 1
        self._complete_subtrees(index)
        return index

    def _complete_subtrees(self, index: int) -> None:
        # leaf `index` completes subtree (level, ((index + 1) >> level) - 1) while the low bits are 0
        level, n = 1, index + 1
        while n & ((1 << level) - 1) == 0:
            node = (n >> level) - 1
            if self._cache.get(level, node) is None:
                left = self.subtree_hash(level - 1, 2 * node)
                right = self.subtree_hash(level - 1, 2 * node + 1)
                self._cache.put(level, node, node_hash(left, right))
            level += 1

    def leaf_hash(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(f"leaf {index} is outside a tree of size {self._size}")
        return self._store.get(index)

    def subtree_hash(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree over leaves ``[index << level, (index + 1) << level)``."""
        if (index + 1) << level > self._size:
            raise IndexError(f"subtree ({level}, {index}) is not complete in a tree of size {self._size}")
        if level == 0:
            return self._store.get(index)
        cached = self._cache.get(level, index)
        if cached is not None:
            return cached
        return node_hash(self.subtree_hash(level - 1, 2 * index), self.subtree_hash(level - 1, 2 * index + 1))

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)``, ``start < end``."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self.subtree_hash(n.bit_length() - 1, start // n)
        k = split_point(n)
        return node_hash(self._range_hash(start, start + k), self._range_hash(start + k, end))

    def _check_size(self, tree_size: int | None) -> int:
        size = self._size if tree_size is None else tree_size
        if not 0 <= size <= self._size:
            raise ProofError(f"tree size {size} is outside 0..{self._size}")
        return size

    def root(self, tree_size: int | None = None) -> bytes:
        """MTH of the first *tree_size* leaves (default: all)."""
        size = self._check_size(tree_size)
        return EMPTY_ROOT if size == 0 else self._range_hash(0, size)

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """Audit path of leaf *index* in the tree of the first *tree_size* leaves (RFC 9162 §2.1.3.1)."""
        size = self._check_size(tree_size)
        if not 0 <= index < size:
            raise ProofError(f"index {index} is outside a tree of size {size}")
        proof: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = split_point(end - start)
            if index < start + k:
                proof.append(self._range_hash(start + k, end))
                end = start + k
            else:
                proof.append(self._range_hash(start, start + k))
                start += k
        proof.reverse()
        return proof

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Proof that the tree of *size1* leaves is a prefix of the tree of *size2* (RFC 9162 §2.1.4.1)."""
        new = self._check_size(size2)
        if not 0 <= size1 <= new:
            raise ProofError(f"size1 {size1} is outside 0..{new}")
        if size1 == 0 or size1 == new:
            return []
        proof: list[bytes] = []
        start, end, m, whole = 0, new, size1, True
        while m != end - start:
            k = split_point(end - start)
            if m <= k:
                proof.append(self._range_hash(start + k, end))
                end = start + k
            else:
                proof.append(self._range_hash(start, start + k))
                start, m, whole = start + k, m - k, False
        if not whole:
            proof.append(self._range_hash(start, end))
        proof.reverse()
        return proof
