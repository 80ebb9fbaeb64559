"""Planned roots and proofs (positions computed first, fetched in one read) equal the in-memory tree bit for bit —
in memory and from the SQL store on SQLite and PostgreSQL — and each costs one statement whatever the log's size."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from durable_helpers import entry, new_process_log
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from detente.db import Database
from detente.db.ledger import get_log
from detente.db.ledger_tree import append_entries, log_tree
from detente.errors import ProofError, StoreError
from detente.verification.keys import KeyVault
from detente.verification.ledger import EMPTY_ROOT, MerkleTree, entry_leaf_hash, leaf_hash
from detente.verification.ledger.plan import Position, consistency_plan, inclusion_plan, range_span, root_span
from detente.verification.ledger.planned import PlannedTree

# RFC 6962 test vectors (as in test_ledger_conformance.py): leaves and the root of each prefix
RFC_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
RFC_ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
STORED = 300


class _TreeReader:
    """Reads positions from an in-memory tree and counts the reads."""

    def __init__(self, tree: MerkleTree) -> None:
        self.tree, self.reads = tree, 0

    def read(self, wanted: Sequence[Position]) -> Mapping[Position, bytes]:
        self.reads += 1
        return {(lv, ix): self.tree.subtree_hash(lv, ix) for lv, ix in wanted if (ix + 1) << lv <= self.tree.size}


def _reference(n: int) -> MerkleTree:
    tree = MerkleTree()
    for i in range(n):
        tree.append(entry_leaf_hash(entry(i)))
    return tree


REFERENCE = _reference(STORED)


def test_spans_follow_the_bits_of_the_range() -> None:
    assert root_span(13) == ((3, 0), (2, 2), (0, 12))
    assert range_span(8, 13) == ((2, 2), (0, 12))
    assert inclusion_plan(0, 1) == []
    assert consistency_plan(4, 4) == []
    with pytest.raises(ValueError):
        range_span(2, 7)  # 2 is not on a boundary of 4


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_planned_tree_equals_the_memory_tree(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=0, max_value=STORED))
    reader = _TreeReader(REFERENCE)
    planned = PlannedTree(reader, STORED)
    assert planned.root(size) == REFERENCE.root(size)
    if size:
        index = data.draw(st.integers(min_value=0, max_value=size - 1))
        assert planned.inclusion_proof(index, size) == REFERENCE.inclusion_proof(index, size)
    old = data.draw(st.integers(min_value=0, max_value=size))
    reads = reader.reads
    assert planned.consistency_proof(old, size) == REFERENCE.consistency_proof(old, size)
    assert reader.reads - reads <= 1


def test_planned_tree_refuses_what_the_memory_tree_refuses() -> None:
    planned = PlannedTree(_TreeReader(REFERENCE), 10)
    assert planned.root(0) == EMPTY_ROOT
    with pytest.raises(ProofError):
        planned.root(11)
    with pytest.raises(ProofError):
        planned.inclusion_proof(10, 10)
    with pytest.raises(ProofError):
        planned.consistency_proof(5, 4)
    with pytest.raises(IndexError):
        planned.leaf_hash(10)
    with pytest.raises(StoreError, match="incomplete"):
        PlannedTree(_TreeReader(REFERENCE), STORED + 1).root()


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture
def stored(db: Database, vault: KeyVault) -> int:
    pid = new_process_log(db, vault)
    with db.transaction() as s:
        log_id = get_log(s, pid).id
    done, batch = 0, 1
    while done < STORED:
        k = min(batch, STORED - done)
        with db.transaction(write=True) as s:
            append_entries(s, log_id, [entry(done + i) for i in range(k)])
        done, batch = done + k, batch * 2 + 1
    return pid


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_sql_proofs_equal_the_memory_tree_in_one_statement(db: Database, stored: int, data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=STORED))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    old = data.draw(st.integers(min_value=1, max_value=size))
    with db.transaction() as s:
        tree = log_tree(s, get_log(s, stored))
        s.connection()
        with _statements(db) as seen:
            assert tree.root(size) == REFERENCE.root(size)
            assert tree.inclusion_proof(index, size) == REFERENCE.inclusion_proof(index, size)
            assert tree.consistency_proof(old, size) == REFERENCE.consistency_proof(old, size)
        assert len(seen) <= 3
        assert tree.leaf_hash(index) == REFERENCE.leaf_hash(index)


def test_an_append_costs_the_same_statements_at_any_size(db: Database, stored: int) -> None:
    with db.transaction() as s:
        log_id = get_log(s, stored).id
    with db.transaction(write=True) as s:  # a server's first append loads the process's data key, once
        append_entries(s, log_id, [entry(get_log(s, stored).size)])
    counts = []
    for _ in range(3):
        with db.transaction(write=True) as s:
            s.connection()
            size = get_log(s, stored).size
            with _statements(db) as seen:
                append_entries(s, log_id, [entry(size)])
            counts.append(len(seen))
    if db.engine.dialect.name == "postgresql":
        assert counts == [2, 2, 2]  # lock with the right edge; entries, subtrees and size together
    else:
        assert max(counts) <= 5  # lock, right edge, entry rows, subtree rows (when some complete), size


def test_rfc6962_roots_from_the_sql_store(db: Database, vault: KeyVault) -> None:
    pid = new_process_log(db, vault)
    leaves = [bytes.fromhex(h) for h in RFC_LEAVES]
    reference = MerkleTree()
    for leaf in leaves:
        reference.append(leaf_hash(leaf))
    with db.transaction(write=True) as s:
        append_entries(s, get_log(s, pid).id, leaves)
    with db.transaction() as s:
        tree = log_tree(s, get_log(s, pid))
        assert tree.root().hex() == RFC_ROOT_8
        for size in range(1, 9):
            assert tree.root(size) == reference.root(size)
            for index in range(size):
                assert tree.inclusion_proof(index, size) == reference.inclusion_proof(index, size)
            for old in range(1, size + 1):
                assert tree.consistency_proof(old, size) == reference.consistency_proof(old, size)
