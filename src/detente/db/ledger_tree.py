"""The Merkle tree of a process's log in SQL: appends and the stored hashes that roots and proofs read.

``ledger_entries`` holds the canonical bytes and leaf hash of each entry; ``ledger_subtrees`` the hash of every
complete subtree, written by the append that completes it. A root or a proof is planned in Python (which positions it
needs) and read with one statement of primary-key lookups (:mod:`detente.db.ledger_nodes`); opening a log reads
nothing. An append locks the log row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one writer), reads the
right-edge frontier (at most log2 n positions, the same one statement), inserts the entries and their subtrees and
moves ``ledger_logs.size`` — all in the caller's transaction. An entry is acknowledged when that transaction commits;
a crash before leaves nothing of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from detente.db.ledger_nodes import SqlNodeReader
from detente.db.verification_models import (
    LedgerEntry,
    LedgerLog,
    LedgerSubtree,
)
from detente.errors import NotFoundError
from detente.verification.ledger import Entry, encode_entry, leaf_hash
from detente.verification.ledger.frontier import Frontier, frontier_positions
from detente.verification.ledger.planned import PlannedTree

__all__ = [
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
    wanted = frontier_positions(size)
    found = PlannedTree(SqlNodeReader(session, log_id), size, name=f"log {log_id}").fetch(wanted)
    return Frontier(size, [found[p] for p in wanted])


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


def log_tree(session: Session, log: LedgerLog) -> PlannedTree:
    """The stored tree at the log's size: each root or proof is one statement (nothing is read on opening)."""
    return PlannedTree(SqlNodeReader(session, log.id), log.size, name=f"log {log.origin}")
