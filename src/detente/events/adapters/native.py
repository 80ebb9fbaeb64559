"""Détente's own exports read back in: CSV, JSON Lines and Parquet with the canonical field names as columns.

Everything an export holds that ``finalize`` does not recompute comes back as it was: the source, the source's
event id and every content field, so export then import gives the same ``event_id`` and ``content_hash``. The
computed columns in the file (``event_id``, ``year``, ``priogrid_gid``, ``import_batch``, ``content_hash``)
are ignored and derived again; provenance becomes the exported file and its lines. In CSV an empty cell is
null (CSV has no way to tell an empty text from a missing one).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from detente.errors import InputError
from detente.events.adapters.base import Adapter, Probe, ReadOptions
from detente.events.adapters.mapped import RowBatch, iter_text_records, parse_cell
from detente.events.canonical import conform
from detente.events.schema import EVENT_SCHEMA, FIELDS
from detente.spreadsheet import restored_cell

__all__ = ["ADAPTERS", "NativeAdapter", "looks_native"]

_EVENT_NAMES = frozenset(EVENT_SCHEMA.names)
#: the columns read back (everything an adapter gives, except the provenance this import assigns anew)
_READ_FIELDS: dict[str, pa.DataType] = {
    f.name: f.type for f in FIELDS if not f.computed and f.name not in {"source_file", "source_line"}
}
_REQUIRED = ("source", "source_event_id", "date_start", "category")
_MIN_KNOWN = 8


def looks_native(names: Sequence[str]) -> bool:
    """True when ``names`` are (mostly) canonical field names, including ``source`` and ``date_start``."""
    known = [n for n in names if n in _EVENT_NAMES]
    return "source" in names and "date_start" in names and len(set(known)) >= _MIN_KNOWN and len(known) == len(names)


def _missing(names: Sequence[str], path: Path, line: int) -> None:
    for name in _REQUIRED:
        if name not in names:
            raise InputError(f"missing column {name!r} (a Détente export has it)", path=path, line=line, field=name)


class NativeAdapter:
    """Détente's own CSV / JSON Lines / Parquet exports."""

    name = "detente"
    label = "Détente export (CSV, JSON Lines or Parquet with the canonical columns)"

    def sniff(self, probe: Probe) -> str | None:
        if probe.kind == "text" and probe.head_lines:
            header = next(csv.reader([probe.head_lines[0]]), [])
            if looks_native(header):
                return "Détente CSV export (header holds the canonical field names)"
        if probe.kind == "parquet" and looks_native(probe.columns):
            return "Détente Parquet export (canonical columns)"
        if probe.kind == "json":
            for names in (probe.columns, probe.json_keys):
                if looks_native(names):
                    return "Détente JSON Lines export (records keyed by the canonical field names)"
        return None

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        with path.open("rb") as fh:
            start = fh.read(4)
        if start == b"PAR1":
            yield from self._read_parquet(path, options)
        elif start.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
            yield from self._read_jsonl(path, options)
        else:
            yield from self._read_csv(path, options)

    # -- CSV -------------------------------------------------------------------------------------------------

    def _read_csv(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        header: list[str] | None = None
        columns: list[tuple[int, str]] = []
        batch = RowBatch(path.name)
        for rec in iter_text_records(path):
            batch.nbytes += rec.nbytes
            if header is None:
                if rec.error is not None:
                    raise InputError(f"header row: {rec.error}", path=path, line=rec.line)
                header = rec.cells
                _missing(header, path, rec.line)
                columns = [(i, n) for i, n in enumerate(header) if n in _READ_FIELDS]
                continue
            values: dict[str, object] = {}
            reject = rec.error
            if reject is None and rec.cells == header:
                reject = "repeated header row"
            elif reject is None and len(rec.cells) != len(header):
                reject = f"expected {len(header)} fields, found {len(rec.cells)}"
            if reject is None:
                for i, name in columns:
                    cell = rec.cells[i]
                    if cell == "":
                        continue
                    if pa.types.is_string(_READ_FIELDS[name]):
                        cell = restored_cell(cell)  # the export's mark on formula-leading text
                    try:
                        values[name] = parse_cell(cell, _READ_FIELDS[name])
                    except ValueError as exc:
                        reject = f"field {name}: {exc}"
                        break
            batch.add(rec.line, values, reject, rec.raw)
            if len(batch) >= options.batch_rows:
                options.progress(batch.nbytes)
                batch.nbytes = 0
                yield batch.flush()
        if header is None:
            raise InputError("file is empty (no header, no rows)", path=path, line=1)
        options.progress(batch.nbytes)
        if len(batch):
            yield batch.flush()

    # -- JSON Lines ------------------------------------------------------------------------------------------

    def _read_jsonl(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        batch = RowBatch(path.name)
        checked = False
        with path.open("rb") as fh:
            for lineno, data in enumerate(fh, start=1):
                batch.nbytes += len(data)
                if lineno == 1:
                    data = data.removeprefix(b"\xef\xbb\xbf")
                if not data.strip():
                    continue
                values: dict[str, object] = {}
                reject: str | None = None
                raw = data.decode("utf-8", errors="replace").rstrip("\r\n")
                try:
                    record = json.loads(data.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    reject = f"invalid utf-8 (byte 0x{data[exc.start : exc.start + 1].hex()} at line {lineno})"
                except json.JSONDecodeError as exc:
                    reject = f"invalid JSON ({exc.msg}, column {exc.colno})"
                else:
                    if not isinstance(record, dict):
                        reject = "a JSON Lines record must be an object"
                    else:
                        if not checked:
                            _missing(list(record), path, lineno)
                            checked = True
                        reject = _json_values(record, values)
                batch.add(lineno, values, reject, raw)
                if len(batch) >= options.batch_rows:
                    options.progress(batch.nbytes)
                    batch.nbytes = 0
                    yield batch.flush()
        options.progress(batch.nbytes)
        if len(batch):
            yield batch.flush()

    # -- Parquet ---------------------------------------------------------------------------------------------

    def _read_parquet(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(f"not a readable Parquet file ({exc})", path=path) from exc
        names = pf.schema_arrow.names
        _missing(names, path, 1)
        wanted = [n for n in names if n in _READ_FIELDS]
        total = max(pf.metadata.num_rows, 1)
        size = path.stat().st_size
        first = 1
        try:
            for rb in pf.iter_batches(batch_size=options.batch_rows, columns=wanted):
                table = pa.Table.from_batches([rb])
                n = table.num_rows
                table = table.append_column("source_file", pa.array([path.name] * n, pa.string()))
                table = table.append_column("source_line", pa.array(range(first, first + n), pa.int64()))
                first += n
                options.progress(size * n // total)
                yield conform(table)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"unreadable Parquet data near row {first} ({exc})", path=path, line=first) from exc


def _json_values(record: dict[str, object], values: dict[str, object]) -> str | None:
    for name, type_ in _READ_FIELDS.items():
        value = record.get(name)
        if value is None:
            continue
        try:
            if isinstance(value, str):
                values[name] = parse_cell(value, type_)
            elif isinstance(value, bool):
                raise ValueError(f"unexpected boolean {value}")
            elif isinstance(value, int | float) and not pa.types.is_string(type_):
                values[name] = parse_cell(repr(value), type_)
            else:
                raise ValueError(f"unexpected value {value!r}")
        except ValueError as exc:
            return f"field {name}: {exc}"
    return None


ADAPTERS: tuple[Adapter, ...] = (NativeAdapter(),)
