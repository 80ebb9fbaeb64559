"""Deduplicate the staged rows of an import against the store and within the import, and write them partitioned.

The staged rows of file ``i`` are the Parquet files under ``stage/f<i>/`` (``EVENT_SCHEMA`` columns): either
chunks from the generic path, or files the fast path already wrote Hive-partitioned (``final``). Work is skipped
where it cannot change the result:

- the store is not read at all when it holds no file of the staged sources;
- the repeat analysis (a window over the ids given more than once) runs only when the number of distinct ids (by a
  64-bit hash of the id, so equal counts prove there is no repeat) is below the number of rows;
- with neither, every staged row is imported: files the fast path wrote are moved as they are, others are
  written by one partitioned COPY;
- per-file ``imported`` counts are derived (staged − duplicates of stored events − later repeats), not queried.

Semantics (ADR 0002): an id already stored, or given by an earlier file of the import, keeps its first version and
counts as a duplicate (``changed`` when the content differs); the same id twice within one file with different
content is quarantined.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from detente.events.canonical import Reject
from detente.events.schema import EVENT_SCHEMA
from detente.events.store import EventStore

__all__ = ["Staged", "dedupe_and_write"]


class _Counts(Protocol):
    imported: int
    duplicates: int
    changed: int


@dataclass
class Staged:
    """What was staged, per file index."""

    root: Path
    rows: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    sources: set[str] = field(default_factory=set)
    final: dict[int, bool] = field(default_factory=dict)

    def file_dir(self, index: int) -> Path:
        return self.root / f"f{index:05d}"

    def add(self, index: int, rows: int, sources: set[str], *, final: bool) -> None:
        self.rows[index] += rows
        self.sources |= sources
        self.final[index] = final

    def files(self, index: int) -> list[Path]:
        return sorted(self.file_dir(index).rglob("*.parquet"))


def _q(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _staged_view(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    cols = ", ".join(f.name for f in EVENT_SCHEMA)
    parts = []
    for index in sorted(i for i, n in staged.rows.items() if n):
        listed = ", ".join(_q(p) for p in staged.files(index))
        parts.append(
            f"SELECT {cols}, CAST({index} AS INTEGER) AS _file_idx "
            f"FROM read_parquet([{listed}], hive_partitioning = false)"
        )
    con.execute("CREATE OR REPLACE TEMP VIEW staged AS " + " UNION ALL ".join(parts))


def dedupe_and_write(
    con: duckdb.DuckDBPyConnection,
    store: EventStore,
    staged: Staged,
    out_dir: Path,
    reports: Sequence[_Counts],
    batch: str,
) -> list[tuple[Reject, int]]:
    """Write the rows to import under ``out_dir``, update the per-file counts, return the late rejects."""
    out_dir.mkdir(parents=True, exist_ok=True)
    total = sum(staged.rows.values())
    if not total:
        return []
    _staged_view(con, staged)
    has_stored = bool(store.files(sorted(staged.sources)))
    distinct = int(con.execute("SELECT count(DISTINCT hash(event_id)) FROM staged").fetchall()[0][0])
    repeats = distinct < total
    if not has_stored and not repeats:
        for index, n in staged.rows.items():
            reports[index].imported += n
        if all(staged.final.get(i, True) for i, n in staged.rows.items() if n):
            _move_final(staged, out_dir)
        else:
            _copy(con, "FROM staged", out_dir, batch)
        return []

    removed: dict[int, int] = defaultdict(int)
    keep = []
    if has_stored:
        stored = store.relation_sql(sorted(staged.sources))
        con.execute(
            "CREATE OR REPLACE TEMP TABLE existing AS "
            f"SELECT event_id, any_value(content_hash) AS content_hash FROM {stored} "
            "WHERE event_id IN (SELECT event_id FROM staged) GROUP BY event_id"
        )
        for idx, dup, changed in con.execute(
            "SELECT s._file_idx, count(*), count(*) FILTER (WHERE s.content_hash <> e.content_hash) "
            "FROM staged s JOIN existing e USING (event_id) GROUP BY 1"
        ).fetchall():
            reports[idx].duplicates += int(dup)
            reports[idx].changed += int(changed)
            removed[int(idx)] += int(dup)
        keep.append("NOT EXISTS (SELECT 1 FROM existing e WHERE e.event_id = s.event_id)")
    late: list[tuple[Reject, int]] = []
    if repeats:
        late = _repeats(con, reports, removed, has_stored)
        keep.append(
            "NOT EXISTS (SELECT 1 FROM later l WHERE l._file_idx = s._file_idx AND l.source_line = s.source_line "
            "AND l.event_id = s.event_id)"
        )
    for index, n in staged.rows.items():
        reports[index].imported += n - removed[index]
    _copy(con, "FROM staged s WHERE " + " AND ".join(keep), out_dir, batch)
    return late


def _repeats(
    con: duckdb.DuckDBPyConnection, reports: Sequence[_Counts], removed: dict[int, int], has_stored: bool
) -> list[tuple[Reject, int]]:
    """Rows after the first occurrence of an id within this import (ids not already stored): count or quarantine."""
    not_stored = "AND event_id NOT IN (SELECT event_id FROM existing)" if has_stored else ""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE later AS
        SELECT * FROM (
            SELECT event_id, source_event_id, content_hash, source_file, source_line, _file_idx,
                   row_number() OVER w AS rn,
                   first_value(content_hash) OVER w AS first_hash,
                   first_value(source_file) OVER w AS first_file,
                   first_value(source_line) OVER w AS first_line,
                   first_value(_file_idx) OVER w AS first_idx
            FROM staged
            WHERE event_id IN (SELECT event_id FROM staged GROUP BY event_id HAVING count(*) > 1) {not_stored}
            WINDOW w AS (PARTITION BY event_id ORDER BY _file_idx, source_line)
        ) WHERE rn > 1
        """
    )
    for idx, n in con.execute("SELECT _file_idx, count(*) FROM later GROUP BY 1").fetchall():
        removed[int(idx)] += int(n)
    # A repeat from an earlier file of this import is treated like a stored event: the first version is kept.
    for idx, dup, changed in con.execute(
        "SELECT _file_idx, count(*), count(*) FILTER (WHERE content_hash <> first_hash) FROM later "
        "WHERE content_hash = first_hash OR first_idx <> _file_idx GROUP BY 1"
    ).fetchall():
        reports[idx].duplicates += int(dup)
        reports[idx].changed += int(changed)
    # The same id twice in one file with different content is an error in that file: quarantine the later rows.
    late: list[tuple[Reject, int]] = []
    for file, line, sid, first_file, first_line, idx in con.execute(
        "SELECT source_file, source_line, source_event_id, first_file, first_line, _file_idx FROM later "
        "WHERE content_hash <> first_hash AND first_idx = _file_idx ORDER BY _file_idx, source_line"
    ).fetchall():
        reason = (
            f"source id {sid} already given at {first_file}:{first_line} with different content "
            "(quarantined: cannot tell which is right)"
        )
        late.append((Reject(file=str(file), line=int(line), reason=reason), int(idx)))
    return late


def _copy(con: duckdb.DuckDBPyConnection, rows: str, out_dir: Path, batch: str) -> None:
    cols = ", ".join(f.name for f in EVENT_SCHEMA)
    con.execute(
        f"COPY (SELECT {cols} {rows}) TO {_q(out_dir)} (FORMAT parquet, COMPRESSION zstd, "
        f"PARTITION_BY (source, year), WRITE_PARTITION_COLUMNS true, "
        f"FILENAME_PATTERN 'part-{batch}-{{i}}')"
    )


def _move_final(staged: Staged, out_dir: Path) -> None:
    """Move the fast path's partitioned files into ``out_dir`` as they are (names are unique per file)."""
    for index, n in staged.rows.items():
        if not n:
            continue
        root = staged.file_dir(index)
        for path in staged.files(index):
            dest = out_dir / path.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            path.replace(dest)
