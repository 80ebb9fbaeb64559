"""Every RFC 6962 vector in ../shared/conformance/rfc6962-merkle gets the expected verdict; the reference roots
and every happy-path proof are rebuilt by our tree."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from detente.verification.ledger import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

pytestmark = pytest.mark.shared_data

LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in case["proof"] or []]


def _cases(folder: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    root = folder / "rfc6962-merkle" / kind
    files = sorted(root.rglob("*.json"))
    assert files, f"no vectors under {root}"
    return [(str(f.relative_to(root)), json.loads(f.read_text())) for f in files]


def _reference_tree() -> MerkleTree:
    tree = MerkleTree()
    for data in LEAVES:
        tree.append(leaf_hash(bytes.fromhex(data)))
    return tree


def test_reference_roots_rebuilt() -> None:
    tree = _reference_tree()
    assert EMPTY_ROOT.hex() == ROOTS[0]
    for size, expected in enumerate(ROOTS):
        assert tree.root(size).hex() == expected, size


def test_every_inclusion_vector(shared_conformance: Path) -> None:
    cases = _cases(shared_conformance, "inclusion")
    assert len(cases) == 98
    wrong = []
    for name, case in cases:
        try:
            verify_inclusion(
                _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], _proof(case), _b64(case["root"])
            )
            accepted = True
        except ProofError:
            accepted = False
        if accepted == case["wantErr"]:
            wrong.append(name)
    assert not wrong, f"wrong verdict on {wrong}"


def test_every_consistency_vector(shared_conformance: Path) -> None:
    cases = _cases(shared_conformance, "consistency")
    assert len(cases) == 98
    wrong = []
    for name, case in cases:
        try:
            verify_consistency(case["size1"], case["size2"], _proof(case), _b64(case["root1"]), _b64(case["root2"]))
            accepted = True
        except ProofError:
            accepted = False
        if accepted == case["wantErr"]:
            wrong.append(name)
    assert not wrong, f"wrong verdict on {wrong}"


def test_happy_paths_are_generated_by_our_tree(shared_conformance: Path) -> None:
    tree = _reference_tree()
    checked = 0
    for name, case in _cases(shared_conformance, "inclusion"):
        if case["wantErr"] or case["root"] != base64.b64encode(tree.root(case["treeSize"])).decode():
            continue
        assert tree.inclusion_proof(case["leafIdx"], case["treeSize"]) == _proof(case), name
        checked += 1
    for name, case in _cases(shared_conformance, "consistency"):
        if case["wantErr"] or case["size1"] == case["size2"]:
            continue
        assert tree.consistency_proof(case["size1"], case["size2"]) == _proof(case), name
        checked += 1
    assert checked >= 8
