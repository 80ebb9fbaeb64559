"""``detente cbm replan`` on a real workspace: the demo process (accounts, verification records, a first plan),
replanned through the CLI from verified outcomes — earlier revisions stay byte for byte, access rules hold, and a
verified non-compliance recorded through ``detente verify assess`` triggers the fallback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from detente.cli.app import app as cli
from detente.config import load_settings
from detente.db import cbm as cbm_db
from detente.db.state_models import CbmPlanRow
from detente.db.verification_models import CommitmentRow, ReportRow
from detente.services.context import AppContext, open_context
from detente.services.demo import add_demo_verification, setup_cbm_demo, setup_demo_process
from support import FakeClock

runner = CliRunner()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, int, AppContext]]:
    """The records ``detente demo`` sets up, without generating its event data (not needed for planning)."""
    ws = tmp_path / "demo"
    ws.mkdir()
    app = open_context(load_settings(workspace=ws), clock=FakeClock())
    try:
        pid = setup_demo_process(app)
        assert add_demo_verification(app, pid)
        assert setup_cbm_demo(app, pid)
        yield ws, pid, app
    finally:
        app.close()


def _cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def _stored(app: AppContext, pid: int) -> dict[int, str]:
    """Each plan revision's stored text (revisions are never rewritten)."""
    with app.db.transaction() as s:
        rows = s.execute(select(CbmPlanRow.revision, CbmPlanRow.body).where(CbmPlanRow.process_id == pid))
        return {int(r): str(b) for r, b in rows}


def test_replan_applies_verified_outcomes_and_keeps_earlier_plans(demo: tuple[Path, int, AppContext]) -> None:
    ws, pid, app = demo
    first = _stored(app, pid)
    assert list(first) == [1]
    with app.db.transaction() as s:
        before = cbm_db.latest_plan(s, pid)
    assert before is not None

    data = json.loads(_cli("cbm", "replan", "--process", str(pid), "--user", "mediator", "-w", str(ws), "--json"))
    assert (data["revision"], data["supersedes"]) == (2, 1)
    assert data["records_applied"] >= 2 and len(data["trust_moves"]) == data["records_applied"]
    assert data["fallback_action"] is None
    after = _stored(app, pid)
    assert sorted(after) == [1, 2] and after[1] == first[1]
    with app.db.transaction() as s:
        revision = cbm_db.latest_plan(s, pid)
        trust = cbm_db.latest_trust(s, pid)
    assert revision is not None and revision.revision.trigger is not None
    assert revision.revision.plan.beliefs != before.revision.plan.beliefs
    assert data["plan"]["plan_id"] == revision.revision.plan.plan_id
    assert trust is not None
    assert len(trust.state.history) == len(before.revision.state.history) + data["records_applied"]

    # nothing new: the records already in the trust history are not applied twice; a new revision all the same
    again = _cli("cbm", "replan", "--process", str(pid), "--user", "mediator", "-w", str(ws))
    assert "Revision 3" in again and "revisions 1–2 are kept" in again and "0 new verified record(s)" in again
    assert sorted(_stored(app, pid)) == [1, 2, 3]
    assert {k: v for k, v in _stored(app, pid).items() if k != 3} == after


def test_replan_is_refused_to_those_who_may_not_plan(demo: tuple[Path, int, AppContext]) -> None:
    ws, pid, app = demo
    for user in ("rep-arcadia", "observer", "viewer"):
        out = _cli("cbm", "replan", "--process", str(pid), "--user", user, "-w", str(ws), code=2)
        assert "not found" in out, user  # the plans are the mediators': others may not even see them
        assert len(out.strip().splitlines()) == 1
    analyst = _cli("cbm", "replan", "--process", str(pid), "--user", "analyst", "-w", str(ws), code=2)
    assert "not found" in analyst  # an analyst plans under the labels it may write; the plans are mediators-only
    assert "no user named" in _cli("cbm", "replan", "--process", str(pid), "--user", "ghost", "-w", str(ws), code=2)
    _cli("cbm", "replan", "--process", "999", "--user", "mediator", "-w", str(ws), code=2)
    assert list(_stored(app, pid)) == [1]


def test_a_verified_defection_triggers_the_fallback(demo: tuple[Path, int, AppContext], tmp_path: Path) -> None:
    ws, pid, app = demo
    _cli("cbm", "replan", "--process", str(pid), "--user", "mediator", "-w", str(ws), "--json")
    with app.db.transaction() as s:
        release = s.scalars(
            select(CommitmentRow.id).where(
                CommitmentRow.process_id == pid, CommitmentRow.title.like("Release of the Kestrel Bay%")
            )
        ).one()
        report = s.scalars(select(ReportRow.id).where(ReportRow.commitment_id == release)).first()
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
    assert data["records_applied"] == 1 and data["revision"] == 3
    fallback = data["fallback_action"]
    assert fallback is not None and fallback["defector"].startswith("Borealis")
    assert fallback["commitment_id"] == str(release) and "Fallback" in fallback["explanation"]
    steps = data["plan"]["steps"]
    assert steps and steps[0]["initiator"] == fallback["defector"]
    assert all(s["cost"] <= fallback["max_cost_after"] + 1e-9 for s in steps)
    assert data["plan"]["constraints"]["first_initiator"] == fallback["defector"]
