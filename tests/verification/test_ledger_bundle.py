"""Bundles: export, offline verification, and detection of each kind of tampering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ledger_helpers import Fixture, build, key

from detente.verification.ledger import (
    BundleError,
    BundleReport,
    TransparencyLog,
    WitnessPolicy,
    export_bundle,
    verify_bundle,
)


def _export(fx: Fixture, path: Path) -> Path:
    entries = list(fx.log.entries())
    return export_bundle(path, entries=entries, checkpoints=fx.notes, policy=fx.policy)


def _codes(report: BundleReport) -> set[str]:
    return {f.code for f in report.findings if f.severity == "error"}


@pytest.fixture
def fx() -> Fixture:
    return build(n_entries=20, every=5)


def _lines(bundle: Path) -> list[bytes]:
    return (bundle / "entries.jsonl").read_bytes().split(b"\n")[:-1]


def _write_lines(bundle: Path, lines: list[bytes]) -> None:
    (bundle / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))


def test_honest_bundle_verifies_offline(fx: Fixture, workspace: Path) -> None:
    bundle = _export(fx, workspace / "bundle")
    report = verify_bundle(bundle, policy=fx.policy, known_checkpoints=[fx.notes[1]])
    assert report.ok, report.findings
    assert report.entry_count == 20 and report.root == fx.log.tree.root().hex()
    assert [c.size for c in report.checkpoints] == [5, 10, 15, 20]
    assert all(c.matches_entries and len(c.cosigned_by) == 3 for c in report.checkpoints)
    manifest = json.loads((bundle / "bundle.json").read_text())
    assert manifest["format"] == "detente-ledger-bundle" and manifest["quorum"] == 2
    assert json.loads(json.dumps(report.to_json()))["ok"] is True


def test_one_changed_byte_in_one_entry_is_detected(fx: Fixture, workspace: Path) -> None:
    bundle = _export(fx, workspace / "bundle")
    lines = _lines(bundle)
    lines[7] = lines[7].replace(b"batch 7", b"batch 8")  # still canonical JSON: only the hashes can tell
    _write_lines(bundle, lines)
    report = verify_bundle(bundle, policy=fx.policy)
    assert not report.ok
    assert _codes(report) == {"checkpoint_root_mismatch"}
    mismatched = [f for f in report.findings if f.code == "checkpoint_root_mismatch"]
    assert mismatched[0].where == "checkpoints/00000000000000000010.note"
    assert "between index 5 and 9" in mismatched[0].message
    assert [c.matches_entries for c in report.checkpoints] == [True, False, False, False]


def test_a_non_canonical_entry_is_located(fx: Fixture, workspace: Path) -> None:
    bundle = _export(fx, workspace / "bundle")
    lines = _lines(bundle)
    lines[3] = lines[3].replace(b'"id":3', b'"id": 3')
    _write_lines(bundle, lines)
    report = verify_bundle(bundle, policy=fx.policy)
    assert "entry_invalid" in _codes(report)
    assert any(f.where == "entries.jsonl:4" for f in report.findings)


def test_a_deleted_entry_is_detected(fx: Fixture, workspace: Path) -> None:
    bundle = _export(fx, workspace / "bundle")
    lines = _lines(bundle)
    del lines[12]
    _write_lines(bundle, lines)
    report = verify_bundle(bundle, policy=fx.policy)
    assert {"entry_count", "checkpoint_root_mismatch", "checkpoint_beyond_entries"} <= _codes(report)


def test_two_swapped_entries_are_detected(fx: Fixture, workspace: Path) -> None:
    bundle = _export(fx, workspace / "bundle")
    lines = _lines(bundle)
    lines[16], lines[17] = lines[17], lines[16]
    _write_lines(bundle, lines)
    report = verify_bundle(bundle, policy=fx.policy)
    assert _codes(report) == {"checkpoint_root_mismatch"}
    assert [c.matches_entries for c in report.checkpoints] == [True, True, True, False]


def test_a_rolled_back_log_is_detected(fx: Fixture, workspace: Path) -> None:
    # the operator truncates the log to 10 entries and drops the later checkpoints: internally consistent,
    # so it is caught by the party's remembered checkpoint and by the witnesses
    rolled = _export(fx, workspace / "rolled")
    manifest = json.loads((rolled / "bundle.json").read_text())
    _write_lines(rolled, _lines(rolled)[:10])
    manifest["entry_count"], manifest["checkpoints"] = 10, manifest["checkpoints"][:2]
    (rolled / "bundle.json").write_text(json.dumps(manifest))
    assert verify_bundle(rolled, policy=fx.policy).ok  # nothing inside the bundle contradicts itself
    report = verify_bundle(rolled, policy=fx.policy, known_checkpoints=[fx.notes[-1]])
    assert _codes(report) == {"rollback"}
    # truncating the entries while keeping the checkpoints is caught without any outside knowledge
    truncated = _export(fx, workspace / "truncated")
    _write_lines(truncated, _lines(truncated)[:10])
    assert "checkpoint_beyond_entries" in _codes(verify_bundle(truncated, policy=fx.policy))


def test_a_forked_history_is_detected(fx: Fixture, workspace: Path) -> None:
    fork = TransparencyLog(key(fx.log.origin))  # the same process key, a different history
    for i, data in enumerate(fx.log.entries(stop=10)):
        fork.append(data if i != 2 else data.replace(b"batch 2", b"batch 3"))
    bundle = export_bundle(
        workspace / "fork", entries=list(fork.entries()), checkpoints=[fork.signed_checkpoint()], policy=fx.policy
    )
    report = verify_bundle(bundle, policy=fx.policy, known_checkpoints=[fx.notes[0]])
    assert "fork" in _codes(report)
    assert "checkpoint_quorum" in _codes(report)  # no witness would cosign it


def test_untrusted_keys_and_missing_quorum_are_reported(fx: Fixture, workspace: Path) -> None:
    impostor = TransparencyLog(key("detente.example/impostor"))
    for data in fx.log.entries():
        impostor.append(data)
    policy = WitnessPolicy(log=impostor.public_key)
    bundle = export_bundle(
        workspace / "imp", entries=list(impostor.entries()), checkpoints=[impostor.signed_checkpoint()], policy=policy
    )
    assert verify_bundle(bundle).ok  # self-consistent under its own keys
    report = verify_bundle(bundle, policy=fx.policy)
    assert {"untrusted_key", "checkpoint_signature", "no_checkpoint"} <= _codes(report)


def test_unreadable_bundles_are_reported_not_raised(workspace: Path) -> None:
    assert _codes(verify_bundle(workspace / "missing")) == {"manifest"}
    (workspace / "bundle.json").write_text('{"format": "something-else"}')
    assert _codes(verify_bundle(workspace)) == {"manifest"}


def test_export_refuses_a_non_empty_directory(fx: Fixture, workspace: Path) -> None:
    (workspace / "x").write_text("x")
    with pytest.raises(BundleError):
        _export(fx, workspace)
