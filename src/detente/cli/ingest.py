"""``detente ingest``: import event files with a progress bar and a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from detente.cli.common import WorkspaceOpt, console, err_console, handle_errors, open_app
from detente.events.ingest import FileReport, IngestProgress, IngestReport

__all__ = ["RichProgress", "ingest_command", "print_report"]


class RichProgress(IngestProgress):
    """A Rich progress bar per file, in bytes."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def file_started(self, path: Path, fmt: str, detected: str, total_bytes: int) -> None:
        self.progress.console.print(f"[cyan]{path.name}[/]: detected [bold]{fmt}[/] — {detected}", highlight=False)
        self.task = self.progress.add_task(path.name, total=total_bytes)

    def advance(self, nbytes: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, nbytes)

    def file_done(self, report: FileReport) -> None:
        if self.task is not None:
            total = self.progress.tasks[self.task].total
            self.progress.update(self.task, completed=total)

    def stage(self, text: str) -> None:
        self.progress.console.print(f"[dim]{text}…[/]")


def print_report(report: IngestReport) -> None:
    table = Table(title=f"Import {report.batch}", show_lines=False)
    for col in ("file", "format", "read", "imported", "duplicates", "rejected"):
        table.add_column(col, justify="left" if col in ("file", "format") else "right")
    for f in report.files:
        table.add_row(f.path, f.format, f"{f.rows_read:,}", f"{f.imported:,}", f"{f.duplicates:,}", f"{f.rejected:,}")
    if len(report.files) > 1:
        table.add_row(
            "total",
            "",
            f"{report.rows_read:,}",
            f"{report.imported:,}",
            f"{report.duplicates:,}",
            f"{report.rejected:,}",
            style="bold",
        )
    console.print(table)
    for f in report.files:
        if f.changed:
            console.print(f"{f.path}: {f.changed:,} duplicates differ from the stored version (stored version kept)")
        for reason, n in f.reasons.most_common(8):
            console.print(f"  [yellow]rejected[/] {n:,} × {reason}", highlight=False)
    if report.rejects_file:
        console.print(
            f"Rejected rows, each with file, line and reason: [bold]{report.rejects_file}[/] (in the workspace)"
        )


@handle_errors
def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="Event files to import.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help="auto (default) or a format name.")] = "auto",
    mapping: Annotated[Path | None, typer.Option(help="Column-mapping file (YAML) for --format mapped.")] = None,
    strict: Annotated[bool, typer.Option(help="Fail on the first bad row; import nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Import event files (ACLED, UCDP GED, GDELT, HXL, mapped CSV, Détente exports) into the workspace."""
    from detente.services.caller import operator
    from detente.services.events import ingest

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with open_app(workspace) as a, Progress(*columns, console=err_console, transient=False, disable=as_json) as bar:
        report = ingest(a, operator(), paths, fmt=fmt, mapping=mapping, strict=strict, progress=RichProgress(bar))
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        print_report(report)
