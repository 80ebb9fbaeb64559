"""The `ledger` Typer app, driven with its runner."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from ledger_helpers import build
from typer.testing import CliRunner

from detente.cli.ledger import app
from detente.verification.ledger import export_bundle, verify_consistency, verify_inclusion

runner = CliRunner()


def _bundle(workspace: Path) -> tuple[Path, list[str], str, list[str]]:
    fx = build(n_entries=12, every=4)
    path = export_bundle(workspace / "b", entries=list(fx.log.entries()), checkpoints=fx.notes, policy=fx.policy)
    return path, fx.notes, fx.policy.log.vkey, [w.vkey for w in fx.policy.witnesses]


def test_verify_exit_codes_and_json(workspace: Path) -> None:
    path, _notes, log_vkey, witness_vkeys = _bundle(workspace)
    pins = ["--log-key", log_vkey, *[a for w in witness_vkeys for a in ("--witness", w)], "--quorum", "2"]
    ok = runner.invoke(app, ["verify", str(path), *pins])
    assert ok.exit_code == 0, ok.output
    assert "VERIFIED" in ok.output
    as_json = runner.invoke(app, ["verify", str(path), "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)["entry_count"] == 12
    lines = (path / "entries.jsonl").read_bytes().split(b"\n")
    lines[1], lines[2] = lines[2], lines[1]
    (path / "entries.jsonl").write_bytes(b"\n".join(lines))
    bad = runner.invoke(app, ["verify", str(path), "--json"])
    assert bad.exit_code == 1
    assert "checkpoint_root_mismatch" in {f["code"] for f in json.loads(bad.output)["findings"]}
    assert "FAILED" in runner.invoke(app, ["verify", str(path)]).output


def test_proof_helpers_give_verifiable_proofs(workspace: Path) -> None:
    path, *_ = _bundle(workspace)
    inc = runner.invoke(app, ["proof", "inclusion", str(path), "5", "--size", "9"])
    assert inc.exit_code == 0, inc.output
    data = json.loads(inc.output)
    b = base64.b64decode
    verify_inclusion(b(data["leaf_hash"]), 5, 9, [b(p) for p in data["proof"]], b(data["root"]))
    con = runner.invoke(app, ["proof", "consistency", str(path), "3"])
    data = json.loads(con.output)
    verify_consistency(3, 12, [b(p) for p in data["proof"]], b(data["root1"]), b(data["root2"]))
    assert runner.invoke(app, ["proof", "inclusion", str(path), "12"]).exit_code == 1


def test_keygen_prints_signer_and_verifier_keys() -> None:
    out = runner.invoke(app, ["keygen", "witness.example/w9", "--witness"])
    skey, vkey = out.output.split()
    assert skey.startswith("PRIVATE+KEY+witness.example/w9+") and vkey.startswith("witness.example/w9+")
