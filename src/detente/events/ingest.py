"""Import event files into the store: detect, read, validate, deduplicate, commit — all or nothing.

1. Each file is probed and its format detected (or checked against ``--format``), then streamed by its adapter in
   batches; :func:`detente.events.canonical.finalize` validates each batch and the valid rows are staged as Parquet
   in ``tmp/import-<batch>/``. Bad rows go to the rejects file with file, line and reason (``--strict``: the first
   bad row aborts the import instead).
2. One DuckDB pass over the staged rows drops events already in the store (same source + source id, i.e. the same
   Détente id) and repeats within the import: the first version wins, and the report counts how many repeats differ
   from it (a revised release of the same event). A source id repeated with *different* content within one file is
   quarantined, because nobody can tell which of the two is right.
3. The new rows are written Hive-partitioned and committed by one atomic manifest replace. Until that moment the
   store is unchanged; an exception, a rejected strict import or a crash leaves it exactly as it was.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from detente.config import Settings, load_settings
from detente.errors import InputError
from detente.events.adapters import ReadOptions, detect, get_adapter, probe_file
from detente.events.canonical import Reject, finalize
from detente.events.fastdedupe import Staged as _Staged
from detente.events.fastdedupe import dedupe_and_write
from detente.events.fastpath import fast_gdelt
from detente.events.store import BatchRecord, EventStore, open_store
from detente.spreadsheet import neutral_row

__all__ = ["FileReport", "IngestProgress", "IngestReport", "ingest_files", "reason_kind"]


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    format: str
    detected: str
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    #: duplicates whose content differs from the stored version (the stored version is kept)
    changed: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "format": self.format,
            "detected": self.detected,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "changed_upstream": self.changed,
            "rejected": self.rejected,
            "reject_reasons": dict(self.reasons.most_common()),
        }


@dataclass
class IngestReport:
    batch: str
    files: list[FileReport]
    rejects_file: str | None

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    def as_dict(self) -> dict[str, object]:
        return {
            "batch": self.batch,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects_file": self.rejects_file,
            "files": [f.as_dict() for f in self.files],
        }


class IngestProgress:
    """Receives progress; the CLI subclasses it with a Rich progress bar. The base class does nothing."""

    def file_started(self, path: Path, fmt: str, detected: str, total_bytes: int) -> None:
        """A file is about to be read."""

    def advance(self, nbytes: int) -> None:
        """``nbytes`` more bytes of the current file were consumed."""

    def file_done(self, report: FileReport) -> None:
        """The current file has been read and staged."""

    def stage(self, text: str) -> None:
        """A named step of the import started (e.g. deduplicating)."""


_PLACE = re.compile(r"\S+:\d+")  # file:line
_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|(?<![\w.-])-?\d+(?:\.\d+)?(?:\.\.-?\d+(?:\.\d+)?)?(?![\w.])")


def reason_kind(reason: str) -> str:
    """A reason with its values blanked, for grouping ("latitude … out of range …")."""
    return _VALUE.sub("…", _PLACE.sub("…", reason))


class _RejectSink:
    """Streams rejects to a CSV file in the staging directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._fh = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh)
        self._writer.writerow(["file", "line", "reason", "raw"])

    def add(self, rejects: Sequence[Reject], report: FileReport) -> None:
        for r in rejects:
            self._writer.writerow(neutral_row([r.file, r.line, r.reason, r.raw if r.raw is not None else ""]))
            report.reasons[reason_kind(r.reason)] += 1
        report.rejected += len(rejects)
        self.count += len(rejects)

    def close(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()


def _new_batch_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def ingest_files(
    workspace: Path | str,
    paths: Sequence[Path | str],
    *,
    fmt: str = "auto",
    mapping: Path | str | None = None,
    strict: bool = False,
    progress: IngestProgress | None = None,
    settings: Settings | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IngestReport:
    """Import ``paths`` into the workspace's event store as one atomic batch."""
    settings = settings or load_settings()
    progress = progress or IngestProgress()
    if fmt != "auto":
        get_adapter(fmt)  # an unknown format name fails before any file is touched
    store = open_store(workspace, create=True, settings=settings)
    batch = _new_batch_id(clock())
    with store.write_lock():
        staging = store.workspace.tmp_dir / f"import-{batch}"
        staging.mkdir(parents=True)
        try:
            return _run(
                store,
                [Path(p) for p in paths],
                fmt,
                mapping,
                strict,
                progress,
                settings,
                batch,
                staging,
                clock,
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _run(
    store: EventStore,
    paths: list[Path],
    fmt: str,
    mapping: Path | str | None,
    strict: bool,
    progress: IngestProgress,
    settings: Settings,
    batch: str,
    staging: Path,
    clock: Callable[[], datetime],
) -> IngestReport:
    # Detect every file before reading any, so a wrong file fails fast and nothing is staged.
    plans = []
    for path in paths:
        probe = probe_file(path)
        adapter, why = detect(probe, fmt)
        plans.append((path, adapter, why))

    stage_dir = staging / "stage"
    sink = _RejectSink(staging / "rejects.csv")
    reports: list[FileReport] = []
    staged = _Staged(stage_dir)
    con = store.duckdb()
    try:
        for index, (path, adapter, why) in enumerate(plans):
            report = FileReport(path=path.name, format=adapter.name, detected=why)
            reports.append(report)
            progress.file_started(path, adapter.name, why, path.stat().st_size)
            file_dir = staged.file_dir(index)
            fast = fast_gdelt(con, path, adapter, file_dir, batch=batch, tag=f"{index:05d}")
            if fast is not None:
                report.rows_read = fast.rows
                staged.add(index, fast.rows, {fast.source}, final=True)
                progress.advance(path.stat().st_size)
                progress.file_done(report)
                continue
            options = ReadOptions(
                strict=strict,
                batch_rows=settings.ingest_batch_rows,
                mapping=Path(mapping) if mapping is not None else None,
                on_progress=progress.advance,
            )
            file_dir.mkdir(parents=True)
            for chunk_no, raw in enumerate(adapter.read(path, options)):
                valid, rejects = finalize(raw, import_batch=batch, con=con)
                report.rows_read += raw.num_rows
                if rejects:
                    if strict:
                        _strict_fail(path, rejects)
                    sink.add(rejects, report)
                if valid.num_rows:
                    pq.write_table(valid, file_dir / f"c{chunk_no:06d}.parquet", compression="snappy")
                    sources = {str(s) for s in pc.unique(valid.column("source")).to_pylist()}
                    staged.add(index, valid.num_rows, sources, final=False)
            progress.file_done(report)

        progress.stage("deduplicating and writing")
        out_dir = staging / "out"
        late_rejects = dedupe_and_write(con, store, staged, out_dir, reports, batch)
        if late_rejects:
            if strict:
                _strict_fail(Path(late_rejects[0][0].file), [r for r, _ in late_rejects])
            for reject, idx in late_rejects:
                sink.add([reject], reports[idx])
    finally:
        con.close()
        sink.close()

    rejects_rel: str | None = None
    if sink.count:
        dest = store.workspace.rejects_dir / f"{batch}.csv"
        sink.path.replace(dest)
        rejects_rel = dest.relative_to(store.workspace.root).as_posix()
    record = BatchRecord(
        id=batch,
        created_at=clock().isoformat(),
        files=[r.as_dict() for r in reports],
        imported=sum(r.imported for r in reports),
        duplicates=sum(r.duplicates for r in reports),
        rejected=sum(r.rejected for r in reports),
        rejects_file=rejects_rel,
    )
    progress.stage("committing")
    store.commit(out_dir, record)
    return IngestReport(batch=batch, files=reports, rejects_file=rejects_rel)


def _strict_fail(path: Path, rejects: Sequence[Reject]) -> None:
    first = rejects[0]
    more = f" (and {len(rejects) - 1} more bad rows in this batch)" if len(rejects) > 1 else ""
    raise InputError(
        f"{first.reason}{more}; --strict: nothing was imported", path=first.file or path.name, line=first.line
    )
