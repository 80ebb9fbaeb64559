"""``detente cbm replan`` on a real workspace: the demo process (accounts, verification records, a first plan),
replanned through the CLI from verified outcomes — earlier revisions stay byte for byte, access rules hold, and a
verified non-compliance recorded through ``detente verify assess`` triggers the fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from detente.cbm import PlanStore, ProcessStore
from detente.cli.app import app as cli
from detente.config import load_settings
from detente.db import Database
from detente.db.verification_models import CommitmentRow, ReportRow
from detente.web.cbm.demo import setup_cbm_demo
from detente.web.demo import setup_demo_process
from detente.web.verification.demo import add_demo_verification

runner = CliRunner()


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, int]:
    """The records ``detente demo`` sets up, without generating its event data (not needed for planning)."""
    ws = tmp_path / "demo"
    ws.mkdir()
    db = Database.from_settings(load_settings(workspace=ws))
    try:
        pid = setup_demo_process(db)
        assert add_demo_verification(db, ws, pid)
        assert setup_cbm_demo(db, ws, pid)
    finally:
        db.close()
    return ws, pid


def _cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def _files(ws: Path, pid: int) -> dict[str, bytes]:
    folder = ws / "cbm" / "plans" / str(pid)
    return {p.name: p.read_bytes() for p in sorted(folder.glob("rev-*.json"))}


def test_replan_applies_verified_outcomes_and_keeps_earlier_plans(demo: tuple[Path, int]) -> None:
    ws, pid = demo
    first = _files(ws, pid)
    assert list(first) == ["rev-0001.json"]
    before = PlanStore(ws).latest(str(pid))
    assert before is not None

    data = json.loads(_cli("cbm", "replan", "--process", str(pid), "--user", "mediator", "-w", str(ws), "--json"))
    assert (data["revision"], data["supersedes"]) == (2, 1)
    assert data["applied"] >= 2 and len(data["trust_moves"]) == data["applied"]
    assert data["fallback"] is None
    after = _files(ws, pid)
    assert list(after) == ["rev-0001.json", "rev-0002.json"] and after["rev-0001.json"] == first["rev-0001.json"]
    revision = PlanStore(ws).latest(str(pid))
    assert revision is not None and revision.trigger is not None
    assert revision.plan.beliefs != before.plan.beliefs and data["plan"]["plan_id"] == revision.plan.plan_id
    trust = ProcessStore(ws).trust(str(pid))
    assert trust is not None and len(trust[1].history) == len(before.state.history) + data["applied"]

    # nothing new: the records already in the trust history are not applied twice; a new revision all the same
    again = _cli("cbm", "replan", "--process", str(pid), "--user", "mediator", "-w", str(ws))
    assert "Revision 3" in again and "revisions 1–2 are kept" in again and "0 new verified record(s)" in again
    assert [r.revision for r in PlanStore(ws).history(str(pid))] == [1, 2, 3]
    assert {k: v for k, v in _files(ws, pid).items() if k != "rev-0003.json"} == after


def test_replan_is_refused_to_those_who_may_not_plan(demo: tuple[Path, int]) -> None:
    ws, pid = demo
    for user in ("rep-arcadia", "observer", "viewer"):
        out = _cli("cbm", "replan", "--process", str(pid), "--user", user, "-w", str(ws), code=1)
        assert "not found" in out or "only these roles" in out, user
    assert "no user named" in _cli("cbm", "replan", "--process", str(pid), "--user", "ghost", "-w", str(ws), code=1)
    _cli("cbm", "replan", "--process", "999", "--user", "mediator", "-w", str(ws), code=1)
    assert list(_files(ws, pid)) == ["rev-0001.json"]


def test_a_verified_defection_triggers_the_fallback(demo: tuple[Path, int], tmp_path: Path) -> None:
    ws, pid = demo
    _cli("cbm", "replan", "--process", str(pid), "--user", "mediator", "-w", str(ws), "--json")
    db = Database.from_settings(load_settings(workspace=ws))
    try:
        with db.transaction() as s:
            release = s.scalars(
                select(CommitmentRow.id).where(
                    CommitmentRow.process_id == pid, CommitmentRow.title.like("Release of the Kestrel Bay%")
                )
            ).one()
            report = s.scalars(select(ReportRow.id).where(ReportRow.commitment_id == release)).first()
    finally:
        db.close()
    assessment = tmp_path / "assessment.json"
    assessment.write_text(
        json.dumps(
            {
                "commitment_id": release,
                "period": "final",
                "status": "non_compliant",
                "rationale": "FICTIONAL: the remaining 9 detainees were not released by the final date.",
                "label": "all_parties",
                "report_ids": [report],
            }
        ),
        encoding="utf-8",
    )
    _cli("verify", "assess", str(assessment), "--process", str(pid), "--user", "observer", "-w", str(ws))
    data = json.loads(_cli("cbm", "replan", "--process", str(pid), "--user", "mediator", "-w", str(ws), "--json"))
    assert data["applied"] == 1 and data["revision"] == 3
    fallback = data["fallback"]
    assert fallback is not None and fallback["defector"].startswith("Borealis")
    assert fallback["commitment_id"] == str(release) and "Fallback" in fallback["explanation"]
    steps = data["plan"]["steps"]
    assert steps and steps[0]["initiator"] == fallback["defector"]
    assert all(s["cost"] <= fallback["max_cost_after"] + 1e-9 for s in steps)
    assert data["plan"]["constraints"]["first_initiator"] == fallback["defector"]
