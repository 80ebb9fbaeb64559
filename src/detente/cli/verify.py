"""``detente verify``: commitments, reports, assessments, violations and track records from the command line.

Records are read from JSON files (the shapes in ``docs/verification.md``); ``--user`` names who acts, and every
write is decided by :mod:`detente.access` first. Each record is logged in the process's transparency log.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from detente import access
from detente.cli.common import WorkspaceOpt, console, handle_errors, resolve_workspace
from detente.errors import InputError, NotFoundError

__all__ = ["app"]

app = typer.Typer(help="Commitments, reports, compliance assessments, violation procedures and track records.")
violation_app = typer.Typer(help="Violation procedures: allege, move along the agreed steps, escalate.")
app.add_typer(violation_app, name="violation")

UserOpt = Annotated[str, typer.Option("--user", help="username of the person acting")]
ProcessOpt = Annotated[int, typer.Option("--process", help="process id")]


def _open(workspace: Path | None) -> tuple[Any, Any, Path]:
    from detente.config import load_settings
    from detente.db import Database
    from detente.verification.keys import KeyVault, load_vault_secret

    ws = resolve_workspace(workspace)
    ws.mkdir(parents=True, exist_ok=True)
    return Database.from_settings(load_settings(workspace=ws)), KeyVault(load_vault_secret(ws)), ws


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read JSON: {exc}", path=path) from exc
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", path=path)
    return data


def _time(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise InputError(f"time {text!r} needs a zone (e.g. Z)", field="time")
    return value


def _authorize(session: Any, username: str, process_id: int, label: str, action: access.Action) -> int:
    from detente.db.processes import load_subject
    from detente.db.users import get_user_by_username

    user = get_user_by_username(session, username)
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    subject = load_subject(session, user.id)
    decision = access.decide(subject, action, access.Resource.record(process_id, access.Label.parse(label)))
    if not decision:
        raise NotFoundError("not found") if decision.concealed else InputError(f"not allowed: {decision.reason}")
    return int(user.id)


def _commitment(data: dict[str, Any]) -> Any:
    from detente.verification.commitments import Commitment, Indicator, Schedule
    from detente.verification.geo import GeoScope

    try:
        sched = data["schedule"]
        schedule = Schedule(
            deadline=_time(sched["deadline"]) if "deadline" in sched else None,
            start=_time(sched["start"]) if "start" in sched else None,
            period_days=sched.get("period_days"),
        )
        return Commitment(
            title=data["title"],
            text=data["text"],
            parties=tuple(data["parties"]),
            category=data["category"],
            schedule=schedule,
            methods=tuple(data["methods"]),
            verifier=data["verifier"],
            label=data["label"],
            indicators=tuple(Indicator(i["name"], i["target"]) for i in data.get("indicators", [])),
            measure_id=data.get("measure_id"),
            geo=GeoScope.from_body(data["geo"]) if "geo" in data else None,
        )
    except KeyError as exc:
        raise InputError(f"missing {exc}", field=str(exc).strip("'")) from exc


@app.command("init-log")
@handle_errors
def init_log(
    process: ProcessOpt,
    witness: Annotated[list[str] | None, typer.Option(help="witness vkey (repeat)")] = None,
    quorum: Annotated[int | None, typer.Option(help="cosignatures required (default: all witnesses)")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Create the process's transparency log and its signing key (sealed in the workspace's key vault)."""
    from detente.db.verification import create_log

    db, vault, _ = _open(workspace)
    with db.transaction() as s:
        log = create_log(s, process, vault, witnesses=witness or [], quorum=quorum)
        console.print(f"log {log.origin}\nverifier key {log.vkey}", highlight=False)


@app.command("commitment")
@handle_errors
def add_commitment(file: Path, process: ProcessOpt, user: UserOpt, workspace: WorkspaceOpt = None) -> None:
    """Record a commitment from a JSON file."""
    from detente.db.verification import create_commitment, ensure_log

    db, vault, _ = _open(workspace)
    commitment = _commitment(_json(file))
    with db.transaction() as s:
        uid = _authorize(s, user, process, commitment.label, access.Action.CREATE)
        ensure_log(s, process, vault)
        row = create_commitment(s, process, commitment, actor_id=uid)
        console.print(f"commitment {row.id} (log entry {row.log_index})")


@app.command("report")
@handle_errors
def add_report(
    file: Path,
    process: ProcessOpt,
    user: UserOpt,
    evidence: Annotated[list[Path] | None, typer.Option(help="evidence file (repeat)")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """File a signed report from a JSON file (narrative, place, time, label, commitment_id) with evidence."""
    from detente.db.verification import ensure_log, file_report
    from detente.verification.evidence import EvidenceStore
    from detente.verification.reports import Report

    db, vault, ws = _open(workspace)
    data = _json(file)
    store = EvidenceStore(ws)
    files = tuple(store.put(p.read_bytes(), p.name) for p in evidence or [])
    with db.transaction() as s:
        uid = _authorize(s, user, process, data.get("label", ""), access.Action.CREATE)
        ensure_log(s, process, vault)
        report = Report(
            author=user,
            time=_time(data.get("time")),
            place=str(data.get("place", "")),
            narrative=str(data.get("narrative", "")),
            label=str(data.get("label", "")),
            commitment_id=data.get("commitment_id"),
            evidence=files,
        )
        row = file_report(s, process, report, author_id=uid, vault=vault)
        console.print(f"report {row.id} signed (log entry {row.log_index})")


@app.command("assess")
@handle_errors
def assess(file: Path, process: ProcessOpt, user: UserOpt, workspace: WorkspaceOpt = None) -> None:
    """Record a compliance assessment from a JSON file (commitment_id, period, status, score, rationale, ...)."""
    from detente.db.verification import ensure_log, record_assessment
    from detente.verification.assessments import Assessment

    db, vault, _ = _open(workspace)
    data = _json(file)
    with db.transaction() as s:
        uid = _authorize(s, user, process, data.get("label", ""), access.Action.ASSESS)
        ensure_log(s, process, vault)
        assessment = Assessment(
            commitment_id=int(data.get("commitment_id", 0)),
            period=str(data.get("period", "")),
            status=data.get("status", ""),
            rationale=str(data.get("rationale", "")),
            assessor=user,
            time=_time(data.get("time")),
            label=str(data.get("label", "")),
            report_ids=tuple(data.get("report_ids", [])),
            score=data.get("score"),
        )
        row = record_assessment(s, process, assessment, actor_id=uid)
        console.print(f"assessment {row.id}: {row.status}, score {row.score} (log entry {row.log_index})")


@violation_app.command("allege")
@handle_errors
def allege(
    process: ProcessOpt,
    commitment: Annotated[int, typer.Option(help="commitment id")],
    summary: Annotated[str, typer.Option(help="what is alleged")],
    user: UserOpt,
    label: Annotated[str, typer.Option(help="visibility label")] = "all_parties",
    workspace: WorkspaceOpt = None,
) -> None:
    from detente.db.verification import allege_violation, ensure_log

    db, vault, _ = _open(workspace)
    with db.transaction() as s:
        uid = _authorize(s, user, process, label, access.Action.CREATE)
        ensure_log(s, process, vault)
        row = allege_violation(
            s, process, commitment, summary, label=label, actor_id=uid, actor=user, at=datetime.now(UTC)
        )
        console.print(f"violation {row.id}: alleged")


@violation_app.command("move")
@handle_errors
def move(
    violation: Annotated[int, typer.Argument(help="violation id")],
    to: Annotated[str, typer.Argument(help="next state, e.g. under_review, confirmed, step:notification")],
    reason: Annotated[str, typer.Option(help="why")],
    user: UserOpt,
    workspace: WorkspaceOpt = None,
) -> None:
    from detente.db.verification import transition_violation
    from detente.db.verification_models import ViolationRow

    db, _, _ = _open(workspace)
    with db.transaction() as s:
        row = s.get(ViolationRow, violation)
        if row is None:
            raise NotFoundError(f"no violation {violation}")
        uid = _authorize(s, user, row.process_id, row.label, access.Action.ASSESS)
        state = transition_violation(s, violation, to, reason, actor_id=uid, actor=user, at=datetime.now(UTC))
        due = state.due_at.isoformat() if state.due_at else "-"
        console.print(f"violation {violation}: {state.state} (due {due})")


@violation_app.command("escalate")
@handle_errors
def escalate(process: ProcessOpt, workspace: WorkspaceOpt = None) -> None:
    """Escalate every overdue violation step of the process (run it from a scheduler)."""
    from detente.db.verification import escalate_overdue

    db, _, _ = _open(workspace)
    with db.transaction() as s:
        for vid, late in escalate_overdue(s, process, datetime.now(UTC)):
            console.print(f"violation {vid}: escalated, {late} overdue")


@app.command("record")
@handle_errors
def record(
    process: ProcessOpt,
    user: UserOpt,
    chart: Annotated[Path | None, typer.Option(help="write the track-record chart (.png or .svg)")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Implementation scores (Peace Accords Matrix 0-3) and each party's track record, within what USER may read."""
    from detente.db.processes import load_subject, party_ids
    from detente.db.users import get_user_by_username
    from detente.db.verification import assessed_outcomes, implementation
    from detente.verification.track_record import plot_track_record, track_record

    db, _, _ = _open(workspace)
    with db.transaction() as s:
        found = get_user_by_username(s, user)
        if found is None:
            raise NotFoundError(f"no user {user!r}")
        labels = access.readable_label_texts(load_subject(s, found.id), process, party_ids(s, process))
        overall, parties = implementation(s, process, labels)
        outcomes = assessed_outcomes(s, process, labels)
    console.print(f"process: {overall.scored}/{overall.commitments} scored, implementation {overall.ratio}")
    for name, imp in parties.items():
        console.print(f"  {name}: {imp.scored}/{imp.commitments} scored, implementation {imp.ratio}")
    series = track_record(outcomes)
    for name, points in series.items():
        last = points[-1]
        console.print(f"  {name}: P(keeps) {last.mean:.2f} [{last.low:.2f}, {last.high:.2f}] from {last.n} assessments")
    if chart is not None:
        plot_track_record(series, chart, title=f"Track record, process {process}")
        console.print(f"chart written to {chart}")
