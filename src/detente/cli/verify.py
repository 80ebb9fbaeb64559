"""``detente verify``: commitments, reports, assessments, violations and track records from the command line.

A thin shell over :mod:`detente.services.verification`: the same use cases, access rules, log entries, checkpoint
signatures and audit as the workbench. Records are read from JSON files (the API's shapes, ``docs/verification.md``);
``--user`` names who acts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import (
    JsonOpt,
    UserOpt,
    WorkspaceOpt,
    as_user,
    console,
    handle_errors,
    open_app,
    print_json,
    read_json,
)
from detente.errors import InputError

__all__ = ["app"]

app = typer.Typer(help="Commitments, reports, compliance assessments, violation procedures and track records.")
violation_app = typer.Typer(help="Violation procedures: allege, move along the agreed steps, escalate.")
app.add_typer(violation_app, name="violation")

ProcessOpt = Annotated[int, typer.Option("--process", help="process id")]


def _text(data: dict[str, object], key: str, path: Path) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise InputError("expected text", path=path, field=key)
    return value


@app.command("init-log")
@handle_errors
def init_log(
    process: ProcessOpt,
    user: Annotated[
        str | None,
        typer.Option("--user", envvar="DETENTE_USER", help="A process administrator (default: the operator)."),
    ] = None,
    witness: Annotated[list[str] | None, typer.Option(help="witness vkey (repeat)")] = None,
    quorum: Annotated[int | None, typer.Option(help="cosignatures required (default: all witnesses)")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Create the process's transparency log with its witnesses (a process administrator, or the operator)."""
    from detente.services import verification
    from detente.services.caller import operator

    with open_app(workspace) as a:
        caller = as_user(a, user) if user else operator()
        origin, vkey = verification.init_log(a, caller, process, witnesses=witness or [], quorum=quorum)
    console.print(f"log {origin}\nverifier key {vkey}", highlight=False)


@app.command("commitment")
@handle_errors
def add_commitment(
    file: Path, process: ProcessOpt, user: UserOpt, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """Record a commitment from a JSON file (the API's shape)."""
    from detente.services import consent

    data = read_json(file)
    with open_app(workspace) as a:
        made = consent.propose(a, as_user(a, user), process, data)
    if as_json:
        print_json(made)
        return
    console.print(f"commitment {made.id} (log entry {made.log_index})")


@app.command("report")
@handle_errors
def add_report(
    file: Path,
    process: ProcessOpt,
    user: UserOpt,
    evidence: Annotated[list[Path] | None, typer.Option(help="evidence file (repeat)")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File a signed report from a JSON file (narrative, place, time, label, commitment_id) with evidence."""
    from detente.services import verification

    data = read_json(file)
    uploads = []
    for path in evidence or []:
        try:
            uploads.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise InputError(f"cannot read the file ({exc.strerror or exc})", path=path, field="evidence") from exc
    commitment = data.get("commitment_id")
    if commitment is not None and not isinstance(commitment, int | str):
        raise InputError("expected a number", path=file, field="commitment_id")
    with open_app(workspace) as a:
        made = verification.file_report(
            a, as_user(a, user), process, narrative=_text(data, "narrative", file), place=_text(data, "place", file),
            time=_text(data, "time", file) or None, label=_text(data, "label", file), commitment_id=commitment,
            uploads=uploads,
        )  # fmt: skip
    if as_json:
        print_json(made)
        return
    console.print(f"report {made.id} signed (log entry {made.log_index})")


@app.command("assess")
@handle_errors
def assess(
    file: Path, process: ProcessOpt, user: UserOpt, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """Record a compliance assessment from a JSON file (commitment_id, period, status, score, rationale, label,
    report_ids)."""
    from detente.services import verification
    from detente.verification.inputs import optional_id, parse_score

    data = read_json(file)
    cid = optional_id(data.get("commitment_id"), "commitment_id")
    if cid is None:
        raise InputError("name the commitment assessed", path=file, field="commitment_id")
    reports = data.get("report_ids", [])
    if not isinstance(reports, list) or not all(isinstance(r, int) for r in reports):
        raise InputError("expected a list of report ids", path=file, field="report_ids")
    with open_app(workspace) as a:
        made = verification.assess(
            a, as_user(a, user), process, cid, period=_text(data, "period", file), status=_text(data, "status", file),
            rationale=_text(data, "rationale", file), label=_text(data, "label", file), report_ids=reports,
            score=parse_score(data.get("score")),
        )  # fmt: skip
    if as_json:
        print_json(made)
        return
    console.print(f"assessment {made.id}: {made.status}, score {made.score} (log entry {made.log_index})")


@violation_app.command("allege")
@handle_errors
def allege(
    process: ProcessOpt,
    commitment: Annotated[int, typer.Option(help="commitment id")],
    summary: Annotated[str, typer.Option(help="what is alleged")],
    user: UserOpt,
    label: Annotated[str, typer.Option(help="visibility label")] = "all_parties",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Allege a violation of a commitment: the agreed procedure starts."""
    from detente.services import verification

    with open_app(workspace) as a:
        made = verification.allege(a, as_user(a, user), process, commitment, summary=summary, label=label)
    if as_json:
        print_json(made)
        return
    console.print(f"violation {made.id}: {made.state}")


@violation_app.command("move")
@handle_errors
def move(
    violation: Annotated[int, typer.Argument(help="violation id")],
    to: Annotated[str, typer.Argument(help="next state, e.g. under_review, confirmed, step:notification")],
    process: ProcessOpt,
    reason: Annotated[str, typer.Option(help="why")],
    user: UserOpt,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a violation along the agreed procedure (monitors and mediators)."""
    from detente.services import verification

    with open_app(workspace) as a:
        state = verification.move(a, as_user(a, user), process, violation, to=to, reason=reason)
    if as_json:
        print_json(state)
        return
    due = state.due_at.isoformat() if state.due_at else "-"
    console.print(f"violation {violation}: {state.state} (due {due})")


@violation_app.command("escalate")
@handle_errors
def escalate(process: ProcessOpt, workspace: WorkspaceOpt = None) -> None:
    """Escalate every overdue violation step of the process (the operator; run it from a scheduler)."""
    from detente.services import verification
    from detente.services.caller import operator

    with open_app(workspace) as a:
        done = verification.escalate_overdue(a, operator(), process)
    for vid, late in done:
        console.print(f"violation {vid}: escalated, {late} overdue")


@app.command("record")
@handle_errors
def record(
    process: ProcessOpt,
    user: UserOpt,
    chart: Annotated[Path | None, typer.Option(help="write the track-record chart (.png or .svg)")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Implementation scores (Peace Accords Matrix 0-3) and each party's track record, within what USER may read."""
    from detente.services import verification_reads
    from detente.verification.track_record import plot_track_record

    with open_app(workspace) as a:
        info, out, series = verification_reads.track_record_of(a, as_user(a, user), process)
    if chart is not None:
        plot_track_record(series, chart, title=f"Track record, {info.name}")
    if as_json:
        print_json(out)
        return
    overall = out.implementation.process
    console.print(f"process: {overall.scored}/{overall.commitments} scored, implementation {overall.ratio}")
    for name, imp in out.implementation.parties.items():
        console.print(f"  {name}: {imp.scored}/{imp.commitments} scored, implementation {imp.ratio}")
    for name, points in out.parties.items():
        last = points[-1]
        console.print(f"  {name}: P(keeps) {last.mean:.2f} [{last.low:.2f}, {last.high:.2f}] from {last.n} assessments")
    if chart is not None:
        console.print(f"chart written to {chart}")
