"""The right-edge frontier against the reference tree (Hypothesis), and sealed keys at rest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ConfigError, StoreError
from detente.verification.keys import KeyVault, load_vault_secret
from detente.verification.ledger import EMPTY_ROOT, MerkleTree, generate_key
from detente.verification.ledger.frontier import Frontier, frontier_positions


def _leaf(i: int) -> bytes:
    return hashlib.sha256(i.to_bytes(8, "big")).digest()


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.integers(min_value=0, max_value=40))
def test_frontier_appends_complete_the_same_subtrees_as_the_tree(start: int, more: int) -> None:
    tree = MerkleTree()
    for i in range(start):
        tree.append(_leaf(i))
    frontier = Frontier.load(start, tree.subtree_hash)
    assert frontier.root() == (None if start == 0 else tree.root())
    for i in range(start, start + more):
        tree.append(_leaf(i))
        for node in frontier.append(_leaf(i)):
            assert tree.subtree_hash(node.level, node.index) == node.hash
        assert frontier.root() == tree.root()
        assert frontier.size == tree.size
    assert (frontier.root() or EMPTY_ROOT) == tree.root()


def test_frontier_positions_follow_the_bits_of_the_size() -> None:
    assert frontier_positions(0) == []
    assert frontier_positions(13) == [(3, 0), (2, 2), (0, 12)]
    with pytest.raises(ValueError):
        Frontier(3, [_leaf(0)])


def test_sealed_key_round_trip_is_bound_to_its_purpose(tmp_path: Path) -> None:
    vault = KeyVault(load_vault_secret(tmp_path))
    assert (tmp_path / "keys" / "vault.secret").stat().st_mode & 0o077 == 0
    key = generate_key("detente/process/1", seed=bytes(32))
    sealed = vault.seal(key, "process:1")
    assert key.skey.encode() not in sealed
    assert vault.open(sealed, "process:1") == key
    with pytest.raises(StoreError, match="does not open"):
        vault.open(sealed, "process:2")
    assert KeyVault(load_vault_secret(tmp_path)).open(sealed, "process:1") == key  # the secret persists


def test_a_short_vault_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        KeyVault(b"short")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "vault.secret").write_bytes(b"x" * 5)
    with pytest.raises(ConfigError):
        load_vault_secret(tmp_path)


def test_a_truncated_sealed_key_is_refused() -> None:
    with pytest.raises(StoreError, match="malformed"):
        KeyVault(bytes(32)).open(b"\x01abc", "user:1")
