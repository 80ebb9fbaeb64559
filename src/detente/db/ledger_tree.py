"""The Merkle tree of a process's log in SQL: appends and the stored hashes that roots and proofs read.

``ledger_entries`` holds the canonical bytes and leaf hash of each entry; ``ledger_subtrees`` the hash of every
complete subtree, written by the append that completes it, so roots and proofs cost O(log n) row reads and opening a
log reads nothing. An append locks the log row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one writer), reads
the right-edge frontier (at most log2 n rows), inserts the entries and their subtrees and moves ``ledger_logs.size`` —
all in the caller's transaction. An entry is acknowledged when that transaction commits; a crash before leaves nothing
of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from detente.db.verification_models import (
    LedgerEntry,
    LedgerLog,
    LedgerSubtree,
)
from detente.errors import NotFoundError, StoreError
from detente.verification.ledger import (
    Entry,
    MerkleTree,
    encode_entry,
    leaf_hash,
)
from detente.verification.ledger.frontier import Frontier, frontier_positions

__all__ = [
    "SqlLeafStore",
    "SqlSubtreeCache",
    "append_entries",
    "lock_log",
    "log_tree",
]


def lock_log(session: Session, log_id: int) -> LedgerLog:
    query = select(LedgerLog).where(LedgerLog.id == log_id).with_for_update().execution_options(populate_existing=True)
    log = session.scalars(query).one_or_none()
    if log is None:
        raise NotFoundError(f"no log {log_id}")
    return log


def _frontier(session: Session, log_id: int, size: int) -> Frontier:
    positions = frontier_positions(size)
    found: dict[tuple[int, int], bytes] = {}
    inner = [(level, index) for level, index in positions if level > 0]
    if inner:
        rows = session.execute(
            select(LedgerSubtree.level, LedgerSubtree.idx, LedgerSubtree.hash).where(
                LedgerSubtree.log_id == log_id,
                or_(*(and_(LedgerSubtree.level == lv, LedgerSubtree.idx == ix) for lv, ix in inner)),
            )
        )
        found.update({(lv, ix): bytes(h) for lv, ix, h in rows})
    if positions and positions[-1][0] == 0:
        last = positions[-1][1]
        value = session.scalars(
            select(LedgerEntry.leaf_hash).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == last)
        ).one_or_none()
        if value is not None:
            found[(0, last)] = bytes(value)
    missing = [p for p in positions if p not in found]
    if missing:
        raise StoreError(f"log {log_id}: stored tree is incomplete at size {size} (missing {missing[:3]})")
    return Frontier(size, [found[p] for p in positions])


def append_entries(session: Session, log_id: int, entries: Sequence[Entry | bytes]) -> list[int]:
    """Append *entries* in the caller's transaction; return their indexes (acknowledged once it commits)."""
    log = lock_log(session, log_id)
    frontier = _frontier(session, log_id, log.size)
    first = log.size
    entry_rows: list[dict[str, object]] = []
    subtree_rows: list[dict[str, object]] = []
    for offset, entry in enumerate(entries):
        data = encode_entry(entry) if isinstance(entry, Entry) else bytes(entry)
        digest = leaf_hash(data)
        entry_rows.append({"log_id": log_id, "idx": first + offset, "data": data, "leaf_hash": digest})
        for node in frontier.append(digest):
            subtree_rows.append({"log_id": log_id, "level": node.level, "idx": node.index, "hash": node.hash})
    if not entry_rows:
        return []
    session.execute(insert(LedgerEntry), entry_rows)
    if subtree_rows:
        session.execute(insert(LedgerSubtree), subtree_rows)
    session.execute(update(LedgerLog).where(LedgerLog.id == log_id).values(size=frontier.size))
    log.size = frontier.size
    return list(range(first, frontier.size))


class SqlLeafStore:
    """Read-only :class:`~detente.verification.ledger.LeafHashStore` over a log's stored entries."""

    def __init__(self, session: Session, log_id: int, size: int) -> None:
        self._session, self._log_id, self._size = session, log_id, size

    def size(self) -> int:
        return self._size

    def append(self, leaf_hash: bytes) -> int:
        raise StoreError("append through append_entries(), not through the tree")

    def get(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(index)
        query = select(LedgerEntry.leaf_hash).where(LedgerEntry.log_id == self._log_id, LedgerEntry.idx == index)
        value = self._session.scalars(query).one_or_none()
        if value is None:
            raise StoreError(f"log {self._log_id}: entry {index} is missing")
        return bytes(value)


class SqlSubtreeCache:
    """Read-only :class:`~detente.verification.ledger.SubtreeCache` over ``ledger_subtrees``."""

    def __init__(self, session: Session, log_id: int) -> None:
        self._session, self._log_id = session, log_id

    def get(self, level: int, index: int) -> bytes | None:
        query = select(LedgerSubtree.hash).where(
            LedgerSubtree.log_id == self._log_id, LedgerSubtree.level == level, LedgerSubtree.idx == index
        )
        value = self._session.scalars(query).one_or_none()
        return None if value is None else bytes(value)

    def put(self, level: int, index: int, value: bytes) -> None:
        raise StoreError("subtrees are written by append_entries()")


def log_tree(session: Session, log: LedgerLog) -> MerkleTree:
    """The stored tree, for roots and proofs (O(log n) row reads each; nothing is read on opening)."""
    return MerkleTree(SqlLeafStore(session, log.id, log.size), SqlSubtreeCache(session, log.id), prefilled=True)
