"""The durable SQL log on SQLite and PostgreSQL: proofs equal the in-memory reference, export verifies offline,
tampering with the stored log is detected, witnesses keep their state in SQL, a SIGKILL loses no acknowledged entry.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from durable_helpers import WITNESS_NAMES, entry, new_process_log
from ledger_helpers import StepClock, key
from sqlalchemy import delete, text, update
from typer.testing import CliRunner

from detente.cli.ledger import app as ledger_app
from detente.db import Database
from detente.db.ledger import (
    SqlWitnessState,
    audit_log,
    check_against,
    cosign_latest,
    export_log,
    get_log,
    latest_checkpoint,
    sign_log_checkpoint,
)
from detente.db.ledger_tree import append_entries, log_tree
from detente.db.sealed import process_domain, sealing
from detente.db.verification_models import LedgerCheckpoint, LedgerCosignature, LedgerEntry, LedgerLog
from detente.errors import StoreError
from detente.verification.keys import KeyVault
from detente.verification.ledger import (
    ALG_COSIGNATURE_V1,
    ForkError,
    MerkleTree,
    RollbackError,
    Witness,
    entry_leaf_hash,
    sign_checkpoint,
)
from detente.verification.ledger.checkpoint import Checkpoint

runner = CliRunner()


def _fill(db: Database, pid: int, vault: KeyVault, n: int, *, batch: int = 7, every: int = 10) -> list[str]:
    notes = []
    with db.transaction() as s:
        log_id = get_log(s, pid).id
    done = 0
    while done < n:
        k = min(batch, n - done)
        with db.transaction() as s:
            append_entries(s, log_id, [entry(done + i) for i in range(k)])
        done += k
        if done % every < k or done == n:
            with db.transaction() as s:
                notes.append(sign_log_checkpoint(s, log_id, vault, clock=db.clock))
    return notes


def _verify(bundle: Path, *extra: str) -> tuple[int, str]:
    """`ledger verify --json`; logs these tests build without witnesses are checked with --allow-unwitnessed (what
    is verified here is the tree; witnesses are tests/verification/test_witnesses_e2e.py's)."""
    lax = [] if "--witness" in extra else ["--allow-unwitnessed"]
    result = runner.invoke(ledger_app, ["verify", str(bundle), "--json", *lax, *extra])
    return result.exit_code, result.output


def test_stored_tree_gives_the_reference_roots_and_proofs(db: Database, vault: KeyVault) -> None:
    pid = new_process_log(db, vault)
    _fill(db, pid, vault, 37, batch=5)
    reference = MerkleTree()
    for i in range(37):
        reference.append(entry_leaf_hash(entry(i)))
    with db.transaction() as s:
        tree = log_tree(s, get_log(s, pid))
        assert tree.size == 37
        for size in range(1, 38):
            assert tree.root(size) == reference.root(size)
            for index in range(0, size, 3):
                assert tree.inclusion_proof(index, size) == reference.inclusion_proof(index, size)
            assert tree.consistency_proof(max(1, size // 2), size) == reference.consistency_proof(
                max(1, size // 2), size
            )
        assert audit_log(s, pid).ok


def test_export_verifies_offline(db: Database, vault: KeyVault, tmp_path: Path) -> None:
    pid = new_process_log(db, vault)
    notes = _fill(db, pid, vault, 25)
    with db.transaction() as s:
        export_log(s, pid, tmp_path / "bundle")
        vkey = get_log(s, pid).vkey
    code, out = _verify(tmp_path / "bundle", "--log-key", vkey)
    assert code == 0, out
    assert '"entry_count": 25' in out
    (tmp_path / "seen.note").write_text(notes[0], encoding="utf-8")
    assert _verify(tmp_path / "bundle", "--known", str(tmp_path / "seen.note"))[0] == 0


def test_sealed_log_key_needs_the_workspace_secret(db: Database, vault: KeyVault) -> None:
    pid = new_process_log(db, vault)
    other = KeyVault(b"\x07" * 32)
    with db.transaction() as s, pytest.raises(StoreError, match="does not open"):
        sign_log_checkpoint(s, get_log(s, pid).id, other, clock=db.clock)


# --- tampering with the stored log -----------------------------------------------------------------------------


def _tampered_bundle(db: Database, pid: int, tmp_path: Path) -> Path:
    with db.transaction() as s:
        return export_log(s, pid, tmp_path / "tampered")


def test_a_changed_byte_in_a_stored_entry_is_detected(db: Database, vault: KeyVault, tmp_path: Path) -> None:
    pid = new_process_log(db, vault)
    notes = _fill(db, pid, vault, 30)
    with db.transaction() as s:
        log_id = get_log(s, pid).id
        row = s.get(LedgerEntry, (log_id, 12))
        assert row is not None
        data = bytearray(row.data)
        data[data.index(b"crossing") + 1] ^= 0x01  # "crossing" -> "csossing": still canonical JSON
        s.execute(
            update(LedgerEntry)
            .where(LedgerEntry.log_id == log_id, LedgerEntry.idx == 12)
            .values(data=sealing(s.connection(), process_domain(pid), bytes(data)))  # the operator holds the key
        )
    code, out = _verify(_tampered_bundle(db, pid, tmp_path))
    assert code == 1 and "checkpoint_root_mismatch" in out
    with db.transaction() as s:
        assert any("entry 12" in p for p in audit_log(s, pid).problems)
        with pytest.raises(ForkError):
            check_against(s, pid, notes[-1])


def test_a_deleted_entry_is_detected(db: Database, vault: KeyVault, tmp_path: Path) -> None:
    pid = new_process_log(db, vault)
    notes = _fill(db, pid, vault, 30)
    with db.transaction() as s:
        log_id = get_log(s, pid).id
        s.execute(delete(LedgerEntry).where(LedgerEntry.log_id == log_id, LedgerEntry.idx == 4))
    code, out = _verify(_tampered_bundle(db, pid, tmp_path))
    assert code == 1 and "checkpoint_root_mismatch" in out
    with db.transaction() as s:
        assert any("missing" in p for p in audit_log(s, pid).problems)
        with pytest.raises(RollbackError):
            check_against(s, pid, notes[-1])


def test_two_swapped_entries_are_detected(db: Database, vault: KeyVault, tmp_path: Path) -> None:
    pid = new_process_log(db, vault)
    notes = _fill(db, pid, vault, 30)
    with db.transaction() as s:
        log_id = get_log(s, pid).id
        a, b = s.get(LedgerEntry, (log_id, 3)), s.get(LedgerEntry, (log_id, 17))
        assert a is not None and b is not None
        a_data, a_hash, b_data, b_hash = a.data, a.leaf_hash, b.data, b.leaf_hash
        for idx, data, digest in ((3, b_data, b_hash), (17, a_data, a_hash)):
            s.execute(
                update(LedgerEntry)
                .where(LedgerEntry.log_id == log_id, LedgerEntry.idx == idx)
                .values(data=sealing(s.connection(), process_domain(pid), data), leaf_hash=digest)
            )
    code, out = _verify(_tampered_bundle(db, pid, tmp_path))
    assert code == 1 and "checkpoint_root_mismatch" in out
    with db.transaction() as s:
        assert any("subtree" in p for p in audit_log(s, pid).problems)
        with pytest.raises(ForkError):
            check_against(s, pid, notes[-1])


def test_a_rolled_back_log_is_detected_against_a_checkpoint_seen_before(
    db: Database, vault: KeyVault, tmp_path: Path
) -> None:
    pid = new_process_log(db, vault)
    notes = _fill(db, pid, vault, 30)
    seen = notes[-1]
    with db.transaction() as s:
        log_id = get_log(s, pid).id
        # the operator cuts the log back to 20 entries, with its checkpoints: the rest is self-consistent
        s.execute(delete(LedgerEntry).where(LedgerEntry.log_id == log_id, LedgerEntry.idx >= 20))
        s.execute(delete(LedgerCheckpoint).where(LedgerCheckpoint.log_id == log_id, LedgerCheckpoint.size > 20))
        s.execute(text("DELETE FROM ledger_subtrees WHERE log_id = :l AND ((idx + 1) << level) > 20"), {"l": log_id})
        s.execute(update(LedgerLog).where(LedgerLog.id == log_id).values(size=20))
    bundle = _tampered_bundle(db, pid, tmp_path)
    assert _verify(bundle)[0] == 0  # without memory of the past the truncation is invisible
    (tmp_path / "seen.note").write_text(seen, encoding="utf-8")
    code, out = _verify(bundle, "--known", str(tmp_path / "seen.note"))
    assert code == 1 and "rollback" in out
    with db.transaction() as s, pytest.raises(RollbackError):
        check_against(s, pid, seen)


# --- witnesses ---------------------------------------------------------------------------------------------------


def _witness(s: object, name: str, log_vkey: str) -> Witness:
    from sqlalchemy.orm import Session

    from detente.verification.ledger import parse_vkey

    assert isinstance(s, Session)
    return Witness(
        key(name, ALG_COSIGNATURE_V1), [parse_vkey(log_vkey)], state=SqlWitnessState(s, name), clock=StepClock()
    )


def test_witness_quorum_on_exported_checkpoints(db: Database, vault: KeyVault, tmp_path: Path) -> None:
    vkeys = tuple(key(n, ALG_COSIGNATURE_V1).public.vkey for n in WITNESS_NAMES)
    pid = new_process_log(db, vault, witnesses=vkeys, quorum=2)
    with db.transaction() as s:
        log_id, log_vkey = get_log(s, pid).id, get_log(s, pid).vkey
    for n in (8, 19, 30):
        with db.transaction() as s:
            size = get_log(s, pid).size
            append_entries(s, log_id, [entry(size + i) for i in range(n - size)])
            sign_log_checkpoint(s, log_id, vault, clock=db.clock)
        for name in WITNESS_NAMES:
            with db.transaction() as s:
                cosign_latest(s, log_id, _witness(s, name, log_vkey), clock=db.clock)
    with db.transaction() as s:
        export_log(s, pid, tmp_path / "ok")
        latest = latest_checkpoint(s, log_id)
        assert latest is not None and latest.count("\u2014 witness.example/") == 2
    pins = ["--log-key", log_vkey, *[arg for v in vkeys for arg in ("--witness", v)], "--quorum", "2"]
    assert _verify(tmp_path / "ok", *pins)[0] == 0
    # one witness's cosignature of the last checkpoint goes missing: the quorum is not met
    with db.transaction() as s:
        s.execute(
            delete(LedgerCosignature).where(LedgerCosignature.size == 30, LedgerCosignature.witness == WITNESS_NAMES[1])
        )
        export_log(s, pid, tmp_path / "short")
    code, out = _verify(tmp_path / "short", *pins)
    assert code == 1 and "checkpoint_quorum" in out


def test_witness_state_in_sql_refuses_a_fork_and_a_rollback(db: Database, vault: KeyVault) -> None:
    pid = new_process_log(db, vault)
    _fill(db, pid, vault, 16, batch=16)
    with db.transaction() as s:
        log = get_log(s, pid)
        log_id, origin, vkey = log.id, log.origin, log.vkey
        cosign_latest(s, log_id, _witness(s, "witness.example/w", vkey), clock=db.clock)
    # a forked checkpoint of the same size, signed with the real log key, shown to the witness later
    log_key = vault.open(get_sealed(db, log_id), f"process:{pid}")
    forked = sign_checkpoint(Checkpoint(origin=origin, size=16, root=b"\x11" * 32), log_key)
    with db.transaction() as s:
        witness = _witness(s, "witness.example/w", vkey)  # a fresh object: the memory is in the database
        assert witness.latest(origin) is not None
        with pytest.raises(ForkError):
            witness.add_checkpoint(forked, 16)
        older = sign_checkpoint(Checkpoint(origin=origin, size=8, root=log_tree(s, get_log(s, pid)).root(8)), log_key)
        with pytest.raises(RollbackError):
            witness.add_checkpoint(older, 16)


def get_sealed(db: Database, log_id: int) -> bytes:
    with db.transaction() as s:
        log = s.get(LedgerLog, log_id)
        assert log is not None
        return log.sealed_key


# --- crash: SIGKILL in the middle of appends ------------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from detente.clock import system_clock
    from detente.db import open_database
    from detente.db.ledger import get_log
    from detente.db.ledger_tree import append_entries
    from durable_helpers import entry

    db = open_database(sys.argv[1], clock=system_clock, upgrade=False)
    with db.transaction() as s:
        log_id = get_log(s, int(sys.argv[2])).id
        start = get_log(s, int(sys.argv[2])).size
    i = start
    while True:
        with db.transaction() as s:
            append_entries(s, log_id, [entry(i), entry(i + 1), entry(i + 2)])
        print(i + 2, flush=True)  # acknowledged: the transaction has committed
        i += 3
    """
)


def test_sigkill_during_appends_loses_no_acknowledged_entry(db: Database, vault: KeyVault, database_url: str) -> None:
    pid = new_process_log(db, vault)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    acked = -1
    for _round in range(2):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, database_url, str(pid)], stdout=subprocess.PIPE, text=True, env=env
        )
        assert proc.stdout is not None
        target = acked + 150
        while acked < target:
            line = proc.stdout.readline()
            assert line, "the writer stopped early"
            acked = int(line)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        with db.transaction() as s:
            audit = audit_log(s, pid)
            assert audit.ok, audit.problems
            assert audit.size >= acked + 1
            tree = log_tree(s, get_log(s, pid))
            for index in (0, acked // 2, acked):
                row = s.get(LedgerEntry, (get_log(s, pid).id, index))
                assert row is not None and bytes(row.data) == entry(index).to_bytes()
                assert tree.leaf_hash(index) == entry_leaf_hash(entry(index))
            acked = audit.size - 1
    with db.transaction() as s:  # the reopened log takes appends and signs
        append_entries(s, get_log(s, pid).id, [entry(acked + 1)])
        sign_log_checkpoint(s, get_log(s, pid).id, vault, clock=db.clock)
        assert audit_log(s, pid).ok
