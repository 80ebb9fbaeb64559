"""The FICTIONAL demo (Arcadia and Borealis do not exist), set up through the services like a real team's first
hour: the operator creates the accounts and the process, each demo user writes what their role may write.
Every step is idempotent, so running ``detente demo`` again changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from detente.events.demo_job import run_demo
from detente.events.ingest import IngestReport
from detente.services.audit import audit
from detente.services.caller import operator
from detente.services.context import AppContext
from detente.services.demo.actors import setup_demo_actors
from detente.services.demo.cbm import setup_cbm_demo
from detente.services.demo.process import DEMO_PROCESS, DemoAccount, demo_accounts, setup_demo_process
from detente.services.demo.verification import add_demo_verification

__all__ = [
    "DEMO_PROCESS",
    "DemoAccount",
    "DemoResult",
    "add_demo_verification",
    "demo_accounts",
    "setup_cbm_demo",
    "setup_demo",
    "setup_demo_actors",
    "setup_demo_process",
]


@dataclass(frozen=True)
class DemoResult:
    report: IngestReport
    summary: dict[str, Any]
    process_id: int


def setup_demo(app: AppContext, *, seed: int = 20240201, on_step: Callable[[str], None] | None = None) -> DemoResult:
    """Generate and import the demo events, then the demo process and each capability's fictional records.

    ``on_step`` hears the name of each step as it starts (the CLI shows them: the whole takes seconds)."""

    def step(text: str) -> None:
        if on_step is not None:
            on_step(text)

    step("generating and importing the demo events")
    report, summary = run_demo(app.workspace, seed=seed)
    if report.imported:
        detail = {"files": ["demo-events.parquet"], "batch": report.batch, "imported": report.imported}
        with app.db.transaction(write=True) as s:
            audit(s, app, operator("demo"), "events.imported", target="events", detail=detail)
    step("creating the demo accounts and process")
    process_id = setup_demo_process(app)
    step("recording commitments, reports and assessments on the signed log")
    add_demo_verification(app, process_id)
    step("planning confidence-building measures")
    setup_cbm_demo(app, process_id)
    step("building the actor registry and stakeholder map")
    setup_demo_actors(app, process_id)
    return DemoResult(report, summary, process_id)
