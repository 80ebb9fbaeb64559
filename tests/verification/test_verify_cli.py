"""``detente verify`` and ``detente ledger export`` through the CLI runner, on a real SQLite workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from detente import access
from detente.cli.app import app as cli
from detente.cli.ledger import app as ledger_app
from detente.cli.verify import app as verify_app
from detente.clock import system_clock
from detente.config import load_settings
from detente.db import open_database
from detente.db.processes import add_party, create_process, set_membership
from detente.db.users import AccountPolicy, create_user

runner = CliRunner()
POLICY = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def setup(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("DETENTE_WORKSPACE", str(workspace))
    monkeypatch.delenv("DETENTE_DATABASE_URL", raising=False)
    db = open_database(load_settings(workspace=workspace), clock=system_clock)
    try:
        with db.transaction() as s:
            process = create_process(s, "Northern corridor", clock=db.clock)
            north, south = (add_party(s, process.id, name, clock=db.clock).id for name in ("North", "South"))
            members = (("mediator.lea", access.Role.MEDIATOR, None), ("viewer.tom", access.Role.VIEWER, None),
                       ("rep.north", access.Role.PARTY_REPRESENTATIVE, north),
                       ("rep.south", access.Role.PARTY_REPRESENTATIVE, south))  # fmt: skip
            for username, role, party in members:
                user = create_user(s, username, "correct horse battery", policy=POLICY, clock=db.clock)
                set_membership(s, process.id, user.id, role, party_id=party, clock=db.clock)
            return process.id
    finally:
        db.close()


def _ok(app: object, args: list[str]) -> str:
    result = runner.invoke(app, args)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    return result.output


def test_workflow_through_the_cli_then_export_and_verify(setup: int, tmp_path: Path) -> None:
    pid = str(setup)
    _ok(verify_app, ["init-log", "--process", pid])
    commitment = {
        "title": "Ceasefire in zone A",
        "text": "No shelling or ground attacks inside zone A.",
        "parties": ["North", "South"],
        "category": "ceasefire",
        "schedule": {"start": "2026-03-01T00:00:00Z", "period_days": 30},
        "methods": ["third_party_observer", "event_data_check"],
        "verifier": "Monitoring mission",
        "label": "all_parties",
        "geo": {
            "polygon": [["36.1", "35.9"], ["36.6", "35.9"], ["36.6", "36.3"]],
            "start": "2026-03-01",
            "end": "2026-12-31",
            "categories": ["battle", "remote_violence"],
        },
    }
    files = {"c.json": commitment}
    files["r.json"] = {
        "narrative": "Quiet day; no shelling heard.",
        "place": "Zone A",
        "label": "all_parties",
        "commitment_id": 1,
    }
    files["a.json"] = {
        "commitment_id": 1,
        "period": "P0",
        "status": "partially_compliant",
        "score": 1,
        "rationale": "two incidents",
        "report_ids": [1],
        "label": "all_parties",
    }
    for name, body in files.items():
        (tmp_path / name).write_text(json.dumps(body), encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    user = ["--process", pid, "--user", "mediator.lea"]
    assert "commitment 1" in _ok(verify_app, ["commitment", str(tmp_path / "c.json"), *user])
    early = runner.invoke(verify_app, ["assess", str(tmp_path / "a.json"), *user])
    assert early.exit_code == 2 and "proposed, not in force [not_in_force]" in early.output  # a proposal binds no one
    for rep in ("rep.north", "rep.south"):  # each party makes its key on its own machine, registers the public half
        key = tmp_path / f"{rep}.key"
        assert "public key:" in _ok(cli, ["keys", "new", f"{rep}-laptop", "--out", str(key)])
        assert key.stat().st_mode & 0o777 == 0o600
        _ok(cli, ["keys", "register", "--key", str(key), "--process", pid, "--user", rep])
        out = _ok(verify_app, ["accept", "1", "--key", str(key), "--process", pid, "--user", rep])
    assert "commitment 1: accepted" in out
    assert "signed" in _ok(
        verify_app, ["report", str(tmp_path / "r.json"), *user, "--evidence", str(tmp_path / "photo.png")]
    )
    assert "score 1" in _ok(verify_app, ["assess", str(tmp_path / "a.json"), *user])
    _ok(verify_app, ["violation", "allege", "--commitment", "1", "--summary", "shelling at 03:00", *user])
    bad = runner.invoke(verify_app, ["violation", "move", "1", "confirmed", "--reason", "x", *user])
    assert bad.exit_code == 2 and "allowed: under_review" in bad.output
    assert len(bad.output.strip().splitlines()) == 1 and "[illegal_transition]" in bad.output  # one line, no trace
    _ok(verify_app, ["violation", "move", "1", "under_review", "--reason", "seized", *user])
    out = _ok(verify_app, ["record", "--process", pid, "--user", "mediator.lea", "--chart", str(tmp_path / "t.png")])
    assert "implementation 0.333" in out and (tmp_path / "t.png").stat().st_size > 1000
    assert "0/0 scored" in _ok(
        verify_app, ["record", "--process", pid, "--user", "viewer.tom"]
    )  # viewers: no all_parties
    refused = runner.invoke(
        verify_app, ["commitment", str(tmp_path / "c.json"), "--process", pid, "--user", "viewer.tom"]
    )
    assert refused.exit_code != 0
    _ok(ledger_app, ["export", str(tmp_path / "bundle"), "--process", pid])
    strict = runner.invoke(ledger_app, ["verify", str(tmp_path / "bundle"), "--json"])
    assert strict.exit_code == 1  # no witness named for this process yet: not VERIFIED
    report = json.loads(_ok(ledger_app, ["verify", str(tmp_path / "bundle"), "--json", "--allow-unwitnessed"]))
    # commitment, two keys, two acceptances, report, assessment, two transitions
    assert report["entry_count"] == 9 and report["ok"]
    assert report["accepted_unwitnessed"]  # and it says what it let through
    # A bundle for a recipient holds only what they may read, yet they can still verify the whole log.
    entries = (tmp_path / "bundle" / "entries.jsonl").read_text(encoding="utf-8")
    assert "Ceasefire in zone A" in entries  # the operator's full bundle
    _ok(ledger_app, ["export", str(tmp_path / "for-viewer"), "--process", pid, "--for", "viewer.tom"])
    viewer_entries = (tmp_path / "for-viewer" / "entries.jsonl").read_text(encoding="utf-8")
    assert "Ceasefire in zone A" not in viewer_entries and "zone" not in viewer_entries.lower()
    assert viewer_entries.count("#leaf:") == 9  # a viewer reads only public records; these are all_parties
    report = json.loads(_ok(ledger_app, ["verify", str(tmp_path / "for-viewer"), "--json", "--allow-unwitnessed"]))
    assert (
        report["ok"]
        and report["withheld"] == 9
        and report["root"]
        == json.loads(_ok(ledger_app, ["verify", str(tmp_path / "bundle"), "--json", "--allow-unwitnessed"]))["root"]
    )
    _ok(ledger_app, ["export", str(tmp_path / "for-mediator"), "--process", pid, "--for", "mediator.lea"])
    assert (tmp_path / "for-mediator" / "entries.jsonl").read_text(encoding="utf-8") == entries
    # A withheld leaf hash changed in transit is caught like any other tampering.
    lines = viewer_entries.splitlines(keepends=True)
    digest = lines[2].strip()[-1]
    lines[2] = lines[2].strip()[:-1] + ("0" if digest != "0" else "1") + "\n"
    (tmp_path / "for-viewer" / "entries.jsonl").write_text("".join(lines), encoding="utf-8")
    tampered = runner.invoke(ledger_app, ["verify", str(tmp_path / "for-viewer"), "--json"])
    assert tampered.exit_code == 1 and not json.loads(tampered.stdout)["ok"]


def test_export_for_an_unknown_user_is_refused(setup: int, tmp_path: Path) -> None:
    pid = str(setup)
    _ok(verify_app, ["init-log", "--process", pid])
    result = runner.invoke(ledger_app, ["export", str(tmp_path / "b"), "--process", pid, "--for", "nobody"])
    assert result.exit_code == 2 and "no user named 'nobody'" in result.output
    assert not (tmp_path / "b").exists()
