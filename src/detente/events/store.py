"""The event store: a Hive-partitioned Parquet dataset in the workspace, committed through a manifest.

Files live at ``events/source=<source>/year=<year>/part-<batch>-<n>.parquet``. The store's content is exactly the
files listed in ``events/_manifest.json``; an import writes its files first and then replaces the manifest
atomically (write, fsync, rename). A crash before that rename leaves files that no manifest names: they are removed
the next time the store is opened for writing, so an interrupted import leaves the store as it was. Queries go
through Ibis over DuckDB (see :meth:`EventStore.table`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from detente.config import Settings, load_settings
from detente.errors import StoreError
from detente.events.schema import EVENT_SCHEMA
from detente.workspace import Workspace, atomic_write_bytes, fsync_dir

__all__ = ["BatchRecord", "DataFile", "EventStore", "Manifest", "open_store"]

MANIFEST_NAME = "_manifest.json"
MANIFEST_FORMAT = "detente-event-store"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class DataFile:
    """One Parquet file of the store."""

    path: str  # relative to events/, POSIX separators
    rows: int
    source: str
    year: int
    batch: str


@dataclass(frozen=True)
class BatchRecord:
    """One import, as the manifest remembers it."""

    id: str
    created_at: str
    files: list[dict[str, Any]]
    imported: int
    duplicates: int
    rejected: int
    rejects_file: str | None = None


@dataclass
class Manifest:
    files: list[DataFile] = field(default_factory=list)
    batches: list[BatchRecord] = field(default_factory=list)

    def to_json(self) -> bytes:
        doc = {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "files": [asdict(f) for f in self.files],
            "batches": [asdict(b) for b in self.batches],
        }
        return json.dumps(doc, indent=1, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, where: Path) -> Manifest:
        try:
            doc = json.loads(data)
            if doc.get("format") != MANIFEST_FORMAT or doc.get("version") != MANIFEST_VERSION:
                raise StoreError(f"{where}: not a version {MANIFEST_VERSION} Détente event-store manifest")
            return cls(
                files=[DataFile(**f) for f in doc["files"]],
                batches=[BatchRecord(**b) for b in doc["batches"]],
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise StoreError(f"{where}: corrupt event-store manifest ({exc})") from exc


class EventStore:
    """The events of one workspace. Use :func:`open_store`."""

    def __init__(self, workspace: Workspace, settings: Settings) -> None:
        self.workspace = workspace
        self.settings = settings
        self.root = workspace.events_dir
        self._manifest_path = self.root / MANIFEST_NAME

    # -- manifest -------------------------------------------------------------------------------------------
    def manifest(self) -> Manifest:
        if not self._manifest_path.exists():
            return Manifest()
        return Manifest.from_json(self._manifest_path.read_bytes(), self._manifest_path)

    def files(self, sources: Sequence[str] | None = None) -> list[Path]:
        """Absolute paths of the committed data files (optionally of some sources only)."""
        wanted = set(sources) if sources is not None else None
        return [self.root / f.path for f in self.manifest().files if wanted is None or f.source in wanted]

    def count(self) -> int:
        return sum(f.rows for f in self.manifest().files)

    # -- writing --------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Exclusive lock for imports; also clears what an interrupted import left behind."""
        lock_path = self.root / ".lock"
        with lock_path.open("a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise StoreError(f"{self.root}: another import is running in this workspace") from exc
            try:
                self._recover()
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _recover(self) -> None:
        """Remove data files and staging left by an import that never committed."""
        committed = {f.path for f in self.manifest().files}
        for path in self.root.rglob("*.parquet"):
            rel = path.relative_to(self.root).as_posix()
            if rel not in committed:
                path.unlink()
        for stale in self.workspace.tmp_dir.glob("import-*"):
            shutil.rmtree(stale, ignore_errors=True)
        committed_rejects = {b.rejects_file for b in self.manifest().batches if b.rejects_file}
        for path in self.workspace.rejects_dir.glob("*.csv"):
            if path.relative_to(self.workspace.root).as_posix() not in committed_rejects:
                path.unlink()

    def commit(self, staged_root: Path, batch: BatchRecord) -> list[DataFile]:
        """Move the Hive-partitioned files under ``staged_root`` into the store and commit the manifest.

        Must be called inside :meth:`write_lock`. The manifest replace is the commit point.
        """
        manifest = self.manifest()
        new_files: list[DataFile] = []
        touched: set[Path] = set()
        for path in sorted(staged_root.rglob("*.parquet")):
            rel = path.relative_to(staged_root)
            parts = dict(p.split("=", 1) for p in rel.parts[:-1] if "=" in p)
            if "source" not in parts or "year" not in parts:
                raise StoreError(f"staged file {rel} is not partitioned by source and year")
            rows = _parquet_rows(path)
            dest = self.root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            path.replace(dest)
            touched.add(dest.parent)
            new_files.append(
                DataFile(
                    path=rel.as_posix(),
                    rows=rows,
                    source=parts["source"],
                    year=int(parts["year"]),
                    batch=batch.id,
                )
            )
        for directory in touched:
            fsync_dir(directory)
        manifest.files.extend(new_files)
        manifest.batches.append(batch)
        atomic_write_bytes(self._manifest_path, manifest.to_json())
        return new_files

    # -- reading --------------------------------------------------------------------------------------------
    def duckdb(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection configured for this workspace (memory cap, spill directory)."""
        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{self.settings.duckdb_memory_limit}'")
        con.execute(f"SET temp_directory = '{_sql_str(self.workspace.tmp_dir / 'duckdb-spill')}'")
        if self.settings.duckdb_threads:
            con.execute(f"SET threads = {int(self.settings.duckdb_threads)}")
        return con

    def relation_sql(self, sources: Sequence[str] | None = None) -> str:
        """SQL for the events (a ``read_parquet`` over the committed files, or an empty typed table)."""
        files = self.files(sources)
        if not files:
            cols = ", ".join(f"CAST(NULL AS {_duck_type(f.type)}) AS {f.name}" for f in EVENT_SCHEMA)
            return f"(SELECT {cols} WHERE false)"
        listed = ", ".join(f"'{_sql_str(p)}'" for p in files)
        return f"read_parquet([{listed}], hive_partitioning = false, union_by_name = true)"

    def table(self) -> Any:
        """The events as an Ibis table (DuckDB backend)."""
        import ibis

        con = ibis.duckdb.connect(
            memory_limit=self.settings.duckdb_memory_limit,
            temp_directory=str(self.workspace.tmp_dir / "duckdb-spill"),
        )
        files = self.files()
        if not files:
            return con.create_table("events", schema=ibis.Schema.from_pyarrow(EVENT_SCHEMA), temp=True)
        return con.read_parquet([str(p) for p in files], table_name="events", hive_partitioning=False)

    def to_pandas(self, expr: Any | None = None) -> Any:
        """A pandas frame of ``expr`` (an Ibis expression over :meth:`table`), or of all events."""
        return (expr if expr is not None else self.table()).to_pandas()

    def summary(self) -> dict[str, Any]:
        """Counts: total, by_source, by_country, by_year, by_category."""
        con = self.duckdb()
        try:
            rel = self.relation_sql()
            total = con.execute(f"SELECT count(*) FROM {rel}").fetchall()[0][0]

            def by(column: str, null_as: str = "unknown") -> dict[str, int]:
                rows = con.execute(
                    f"SELECT coalesce(CAST({column} AS VARCHAR), '{null_as}') AS k, count(*) FROM {rel} "
                    "GROUP BY k ORDER BY k"
                ).fetchall()
                return {str(k): int(n) for k, n in rows}

            span = con.execute(f"SELECT min(date_start), max(date_end) FROM {rel}").fetchall()[0]
            return {
                "total": int(total),
                "by_source": by("source"),
                "by_country": by("country_iso3"),
                "by_year": by("year"),
                "by_category": by("category"),
                "date_range": [str(span[0]) if span[0] else None, str(span[1]) if span[1] else None],
                "files": len(self.manifest().files),
                "imports": len(self.manifest().batches),
            }
        finally:
            con.close()


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def _sql_str(path: Path | str) -> str:
    return str(path).replace("'", "''")


_DUCK_TYPES = {
    pa.string(): "VARCHAR",
    pa.date32(): "DATE",
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
}


def _duck_type(t: pa.DataType) -> str:
    return _DUCK_TYPES[t]


def open_store(workspace: Path | str, *, create: bool = False, settings: Settings | None = None) -> EventStore:
    """Open the event store of ``workspace`` (``create=True`` makes a new workspace if there is none)."""
    ws = Workspace.open(workspace, create=create)
    return EventStore(ws, settings or load_settings())
