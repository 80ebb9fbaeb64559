"""`detente keys rotate-master` and `rotate-data` on the command line: what they do, and each kind of mistake as one
line (exit code 2 for the command's own input, 1 for a bad setting, as for every setting)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from detente.cli.app import app as cli
from detente.clock import system_clock
from detente.config import Settings
from detente.db.keyring import DataKeyRow
from detente.db.models import Process
from detente.services import notes
from detente.services.accounts import caller_by_name
from detente.services.context import open_context

runner = CliRunner()


def _note(ws: Path, title: str) -> tuple[int, int]:
    """The demo process (made the first time) with one more note; returns (process id, data keys stored)."""
    from detente.services.demo.process import setup_demo_process

    app = open_context(Settings(workspace=ws), clock=system_clock)
    try:
        with app.db.transaction() as s:
            made = s.scalar(select(func.count()).select_from(Process))
        pid = setup_demo_process(app) if not made else 1
        notes.create_note(app, caller_by_name(app, "mediator", via="test"), pid, title, "body", "mediators_only")
        with app.db.transaction() as s:
            return pid, int(s.scalar(select(func.count()).select_from(DataKeyRow)) or 0)
    finally:
        app.close()


def _titles(ws: Path, pid: int) -> list[str]:
    app = open_context(Settings(workspace=ws), clock=system_clock)
    try:
        found = notes.list_notes(app, caller_by_name(app, "mediator", via="test"), pid, query="e")
        return sorted(n.title for n in found.notes if n.title in ("before", "after", "kept"))
    finally:
        app.close()


def test_rotating_from_the_workspace_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DETENTE_MASTER_KEY")
    ws = tmp_path / "ws"
    pid, keys = _note(ws, "before")
    before = (ws / "keys" / "vault.secret").read_bytes()
    done = runner.invoke(cli, ["keys", "rotate-master", "-w", str(ws), "--json"])
    assert done.exit_code == 0, done.output
    out = json.loads(done.output)
    assert out["data_keys"] == keys and out["restart_needed"] is False and out["old"] != out["new"]
    assert (ws / "keys" / "vault.secret").read_bytes() != before
    assert (ws / "keys" / "vault.secret").stat().st_mode & 0o777 == 0o600
    retired = runner.invoke(cli, ["keys", "rotate-data", "-w", str(ws), "--process", str(pid)])
    assert retired.exit_code == 0 and "1 data keys retired (process:" in retired.output, retired.output
    _, after = _note(ws, "after")
    assert after == keys + 1  # the next value sealed in the process made a new data key
    assert _titles(ws, pid) == ["after", "before"]  # old and new keys both open


def test_rotating_a_key_given_in_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    pid, _ = _note(ws, "kept")
    new_file = tmp_path / "new.key"
    needs = runner.invoke(cli, ["keys", "rotate-master", "-w", str(ws)])
    assert needs.exit_code == 2 and "give --new-key-file" in needs.output and len(needs.output.splitlines()) == 1
    done = runner.invoke(cli, ["keys", "rotate-master", "-w", str(ws), "--new-key-file", str(new_file)])
    assert done.exit_code == 0 and "point DETENTE_MASTER_KEY" in done.output, done.output
    stale = runner.invoke(cli, ["notes", "list", "-w", str(ws), "--process", str(pid), "--user", "mediator"])
    assert stale.exit_code != 0 and "wrapped by master key" in stale.output  # the old key no longer opens it
    monkeypatch.setenv("DETENTE_MASTER_KEY", base64.b64encode(new_file.read_bytes()).decode())
    assert _titles(ws, pid) == ["kept"]
    again = runner.invoke(cli, ["keys", "rotate-master", "-w", str(ws), "--new-key-file", str(new_file)])
    assert again.exit_code == 2 and "exists already" in again.output and len(again.output.splitlines()) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [("not base64 at all!", "not base64"), (base64.b64encode(b"sixteen bytes!!!").decode(), "at least 32 bytes")],
)
def test_a_bad_master_key_setting_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("DETENTE_MASTER_KEY", value)
    bad = runner.invoke(cli, ["keys", "rotate-master", "-w", str(tmp_path / "ws")])
    assert (
        bad.exit_code == 1 and message in bad.output
    )  # a setting's error: exit 1, as every ConfigError and len(bad.output.strip().splitlines()) == 1, bad.output


def test_a_master_rotation_reseals_second_factor_seeds(tmp_path: Path) -> None:
    from detente.db import second_factor as sf_db
    from detente.db.users import get_user_by_username
    from detente.services.caller import operator as the_operator
    from detente.services.master_keys import rotate_master

    ws = tmp_path / "ws"
    _note(ws, "seeded")
    app = open_context(Settings(workspace=ws), clock=system_clock)
    try:
        with app.db.transaction(write=True) as s:
            user = get_user_by_username(s, "mediator")
            assert user is not None
            sf_db.start_enrolment(s, user.id, app.vault(), clock=app.clock)
        with app.db.transaction() as s:
            factor = sf_db.get_factor(s, user.id)
            assert factor is not None
            seed = sf_db.open_secret(app.vault(), user.id, bytes(factor.sealed_secret))
        done = rotate_master(app, the_operator(), new_key_file=tmp_path / "new.key")
        assert done.signing_keys >= 1
        with app.db.transaction() as s:
            factor = sf_db.get_factor(s, user.id)
            assert factor is not None
            assert sf_db.open_secret(app.vault(), user.id, bytes(factor.sealed_secret)) == seed  # the new key opens it
    finally:
        app.close()
