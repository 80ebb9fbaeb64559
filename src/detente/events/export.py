"""Export writers: canonical events (``EVENT_SCHEMA`` tables) to CSV, JSON Lines, GeoJSON, Parquet or HXL.

Writers stream: each table is written as it comes, so an export of the whole store runs in bounded memory. A
path target is written to a temporary sibling and renamed into place at the end, so a failed export leaves no
half-written file. ``docs/export-formats.md`` describes each format; CSV, JSON Lines, Parquet and HXL are read
back by the ``detente`` and ``hxl`` adapters with the same event ids and content hashes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from detente.errors import DetenteError
from detente.events.adapters.hxl import HXL_TAGS
from detente.events.schema import EVENT_SCHEMA
from detente.spreadsheet import MARKED_PATTERN

__all__ = ["FORMATS", "ExportFormat", "ExportResult", "export_events", "hxl_label", "neutral_table", "write_events"]

ExportFormat = Literal["csv", "json", "geojson", "parquet", "hxl"]
FORMATS: tuple[str, ...] = get_args(ExportFormat)


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    written: int
    #: GeoJSON only: events left out because they have no coordinates
    skipped_no_coordinates: int = 0


def hxl_label(name: str) -> str:
    """The human header written above the hashtag row in HXL exports (``date_start`` -> ``Date start``)."""
    return name.replace("_", " ").capitalize()


def _events(table: pa.Table) -> pa.Table:
    missing = [n for n in EVENT_SCHEMA.names if n not in table.column_names]
    if missing:
        raise DetenteError(f"export needs canonical events; the table lacks {', '.join(missing)}")
    return table.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value


def neutral_table(table: pa.Table) -> pa.Table:
    """*table* with every text cell that starts like a spreadsheet formula (or with a single quote) prefixed by a
    single quote (``detente.spreadsheet``), for the CSV and HXL exports."""
    columns: list[Any] = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            marked: Any = pc.match_substring_regex(column, MARKED_PATTERN)
            quoted: Any = pc.binary_join_element_wise(pa.scalar("'", column.type), column, "")  # type: ignore[call-overload]
            column = pc.if_else(pc.fill_null(marked, False), quoted, column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def _text_header(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


class _Writer:
    def __init__(self, sink: BinaryIO, fmt: ExportFormat) -> None:
        self.sink = sink
        self.fmt = fmt
        self.written = 0
        self.skipped = 0
        self._parquet: pq.ParquetWriter | None = None
        self._first_feature = True
        if fmt == "csv":
            sink.write(_text_header([list(EVENT_SCHEMA.names)]))
        elif fmt == "hxl":
            sink.write(
                _text_header([[hxl_label(n) for n in EVENT_SCHEMA.names], [HXL_TAGS[n] for n in EVENT_SCHEMA.names]])
            )
        elif fmt == "geojson":
            sink.write(b'{"type":"FeatureCollection","features":[\n')
        elif fmt == "parquet":
            self._parquet = pq.ParquetWriter(sink, EVENT_SCHEMA, compression="zstd")

    def write(self, table: pa.Table) -> None:
        table = _events(table)
        if table.num_rows == 0:
            return
        if self.fmt in ("csv", "hxl"):
            pacsv.write_csv(neutral_table(table), self.sink, write_options=pacsv.WriteOptions(include_header=False))
            self.written += table.num_rows
        elif self.fmt == "parquet":
            assert self._parquet is not None
            self._parquet.write_table(table)
            self.written += table.num_rows
        elif self.fmt == "json":
            for row in table.to_pylist():
                line = json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False, separators=(",", ":"))
                self.sink.write(line.encode("utf-8") + b"\n")
            self.written += table.num_rows
        else:
            self._features(table)

    def _features(self, table: pa.Table) -> None:
        for row in table.to_pylist():
            lat, lon = row.pop("latitude"), row.pop("longitude")
            if lat is None or lon is None:
                self.skipped += 1
                continue
            feature = {
                "type": "Feature",
                "id": row["event_id"],
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {k: _plain(v) for k, v in row.items()},
            }
            prefix = b"" if self._first_feature else b",\n"
            self._first_feature = False
            self.sink.write(prefix + json.dumps(feature, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            self.written += 1

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        elif self.fmt == "geojson":
            self.sink.write(b"\n]}\n")


def _write(tables: Iterable[pa.Table], fmt: ExportFormat, sink: BinaryIO) -> ExportResult:
    writer = _Writer(sink, fmt)
    for table in tables:
        writer.write(table)
    writer.close()
    return ExportResult(writer.written, writer.skipped)


def export_events(tables: Iterable[pa.Table], fmt: str, out: Path | BinaryIO) -> ExportResult:
    """Write ``tables`` (``EVENT_SCHEMA``) to ``out`` in ``fmt``; see :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise DetenteError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    chosen: ExportFormat = fmt  # type: ignore[assignment]
    if not isinstance(out, Path):
        return _write(tables, chosen, out)
    tmp = out.with_name(f".{out.name}.part")
    try:
        with tmp.open("wb") as fh:
            result = _write(tables, chosen, fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


def write_events(tables: Iterable[pa.Table], fmt: str, out: Path | BinaryIO) -> int:
    """Write ``tables`` to ``out`` in ``fmt``; returns the number of events written.

    For GeoJSON, events without coordinates are left out; :func:`export_events` also returns how many.
    """
    return export_events(tables, fmt, out).written
