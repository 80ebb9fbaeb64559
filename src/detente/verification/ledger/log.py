"""An append-only transparency log: canonical entries, their Merkle tree and signed checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from .checkpoint import Checkpoint, sign_checkpoint
from .entry import Entry, encode_entry
from .hashing import leaf_hash
from .note import ALG_ED25519, KeyPair, PublicKey
from .tree import MerkleTree

__all__ = ["EntryStore", "MemoryEntryStore", "TransparencyLog"]


class EntryStore(Protocol):
    """Append-only sequence of canonical entry bytes."""

    def size(self) -> int: ...

    def append(self, data: bytes) -> int: ...

    def get(self, index: int) -> bytes: ...


class MemoryEntryStore:
    """An :class:`EntryStore` in memory."""

    def __init__(self) -> None:
        self._entries: list[bytes] = []

    def size(self) -> int:
        return len(self._entries)

    def append(self, data: bytes) -> int:
        self._entries.append(bytes(data))
        return len(self._entries) - 1

    def get(self, index: int) -> bytes:
        if not 0 <= index < len(self._entries):
            raise IndexError(index)
        return self._entries[index]


class TransparencyLog:
    """A log named by its signing key: the key name is the checkpoint origin.

    The entry store and the tree must hold the same number of items when the log is opened; an append writes the
    entry first, then its leaf hash, so a crash between the two is repaired by re-hashing the trailing entries.
    """

    def __init__(self, key: KeyPair, *, entries: EntryStore | None = None, tree: MerkleTree | None = None) -> None:
        if key.alg != ALG_ED25519:
            raise ValueError("a log key must have signature type 0x01 (Ed25519 note signature)")
        self._key = key
        self._entries: EntryStore = entries if entries is not None else MemoryEntryStore()
        self.tree = tree if tree is not None else MerkleTree()
        if self.tree.size > self._entries.size():
            raise ValueError("the tree has more leaves than there are entries")
        for index in range(self.tree.size, self._entries.size()):
            self.tree.append(leaf_hash(self._entries.get(index)))

    @property
    def origin(self) -> str:
        return self._key.name

    @property
    def public_key(self) -> PublicKey:
        return self._key.public

    @property
    def size(self) -> int:
        return self.tree.size

    def append(self, entry: Entry | bytes) -> int:
        """Append an entry (an :class:`Entry`, or bytes already canonical); return its index."""
        data = encode_entry(entry) if isinstance(entry, Entry) else bytes(entry)
        index = self._entries.append(data)
        self.tree.append(leaf_hash(data))
        return index

    def entry(self, index: int) -> bytes:
        return self._entries.get(index)

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        end = self.size if stop is None else min(stop, self.size)
        for index in range(start, end):
            yield self._entries.get(index)

    def checkpoint(self, tree_size: int | None = None) -> Checkpoint:
        size = self.size if tree_size is None else tree_size
        return Checkpoint(origin=self.origin, size=size, root=self.tree.root(size))

    def signed_checkpoint(self, tree_size: int | None = None) -> str:
        """The checkpoint at *tree_size* (default: now) as a note signed by the log key."""
        return sign_checkpoint(self.checkpoint(tree_size), self._key)
