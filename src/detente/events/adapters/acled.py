"""ACLED export CSV: the 2022 layout (31 columns, numeric ``iso``), the pre-2021 and the pre-2019 layouts.

Field meanings follow the ACLED Codebook (January 2021) and the column table that ships with ACLED's export
(``acled_codebook``); ``docs/sources/acled.md`` documents the detection rule and the whole mapping.

This module also holds the CSV record reader that the UCDP GED adapter shares (:func:`iter_csv_records`):
physical line numbers, quoted newlines, invalid UTF-8 per record, progress by bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from detente.errors import BadValue, InputError
from detente.events import countries
from detente.events.adapters.base import Adapter, Probe, ReadOptions
from detente.events.canonical import conform
from detente.events.geo_precision import acled_precision
from detente.events.schema import RAW_SCHEMA
from detente.events.taxonomy import from_acled

__all__ = [
    "ADAPTERS",
    "INTER_LABELS",
    "AcledAdapter",
    "BadValue",
    "CsvRecord",
    "batch_table",
    "iter_csv_records",
]

#: ACLED actor type codes (``inter1``/``inter2``), ACLED Codebook 2021 p. 13. 0 means "no actor".
INTER_LABELS: dict[int, str] = {
    1: "State Forces",
    2: "Rebel Groups",
    3: "Political Militias",
    4: "Identity Militias",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other Forces",
}
#: ``time_precision`` → canonical date precision (1 the day is known, 2 the week, 3 only the month).
_TIME_PRECISION = {1: "day", 2: "week", 3: "month"}
#: Columns every layout must have (lower-case names; the pre-2019 layout is upper-case in the file).
_REQUIRED = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "actor1",
    "country",
    "latitude",
    "longitude",
    "fatalities",
)
#: pre-2019 names → current names
_RENAMES = {"ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2"}
_DATE_FORMATS = {
    "2022": ("%Y-%m-%d", "%d %B %Y"),
    "pre-2021": ("%d %B %Y", "%Y-%m-%d", "%d-%B-%Y"),
    "pre-2019": ("%d/%m/%Y", "%Y-%m-%d"),
}
_BATCH_COLUMNS = [f.name for f in RAW_SCHEMA] + ["_reject", "_raw"]


# ----------------------------------------------------------------------------------------------------
# CSV records with physical line numbers (shared with the UCDP GED adapter)
# ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CsvRecord:
    """One CSV record: the line it starts on, its fields (``None`` if unreadable), its text, and why not."""

    line: int
    fields: list[str] | None
    raw: str
    error: str | None = None


def iter_csv_records(path: Path, options: ReadOptions) -> Iterator[CsvRecord]:
    """Yield the records of a comma-separated file, header included (line 1), reporting progress in bytes."""
    with path.open("rb") as fh:
        pending: list[bytes] = []
        start = 0
        quotes = 0
        for lineno, chunk in enumerate(fh, start=1):
            options.progress(len(chunk))
            if not pending:
                start = lineno
                if lineno == 1:
                    chunk = chunk.removeprefix(b"\xef\xbb\xbf")
            pending.append(chunk)
            quotes += chunk.count(b'"')
            if quotes % 2:
                continue  # inside a quoted field: the record goes on over the next line
            data = b"".join(pending)
            pending, quotes = [], 0
            yield _decode_record(start, data)
        if pending:
            data = b"".join(pending)
            raw = data.decode("utf-8", errors="replace")
            yield CsvRecord(start, None, raw, f"unterminated quoted field starting at line {start}")


def _decode_record(line: int, data: bytes) -> CsvRecord:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raw = data.decode("utf-8", errors="replace")
        return CsvRecord(line, None, raw.rstrip("\r\n"), f"invalid UTF-8 at byte {exc.start} of the record")
    text = text.rstrip("\r\n")
    if not text.strip():
        return CsvRecord(line, [], text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return CsvRecord(line, None, text, f"unreadable CSV record ({exc})")
    if len(rows) != 1:
        return CsvRecord(line, None, text, "unreadable CSV record")
    return CsvRecord(line, rows[0], text)


def read_header(path: Path, records: Iterator[CsvRecord]) -> list[str]:
    """The first record as column names; :class:`InputError` (line 1) when it is unreadable or absent."""
    first = next(records, None)
    if first is None or not first.fields:
        raise InputError("no header line", path=path, line=1)
    if first.error is not None:
        raise InputError(f"unreadable header: {first.error}", path=path, line=1)
    return [c.strip() for c in first.fields]


def require_columns(path: Path, header: list[str], required: tuple[str, ...], what: str) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"not a complete {what} file: missing column(s) {', '.join(missing)}",
            path=path,
            line=1,
            field=missing[0],
        )


def batch_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Build one RAW_SCHEMA table (with ``_reject`` and ``_raw``) from mapped rows."""
    arrays: dict[str, list[Any]] = {name: [r.get(name) for r in rows] for name in _BATCH_COLUMNS}
    types = {f.name: f.type for f in RAW_SCHEMA}
    table = pa.table({n: pa.array(v, type=types.get(n, pa.string())) for n, v in arrays.items()})
    return conform(table)


# ----------------------------------------------------------------------------------------------------
# Field readers
# ----------------------------------------------------------------------------------------------------
def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _int(value: str | None, name: str) -> int | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise BadValue(f"bad integer {text!r} in {name}") from None
    if not number.is_integer():
        raise BadValue(f"bad integer {text!r} in {name}")
    return int(number)


def _float(value: str | None, name: str) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise BadValue(f"bad number {text!r} in {name}") from None


def _date(value: str | None, name: str, formats: tuple[str, ...]) -> date:
    text = _text(value)
    if text is None:
        raise BadValue(f"missing {name}")
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise BadValue(f"bad date {text!r} in {name}")


# ----------------------------------------------------------------------------------------------------
# ACLED
# ----------------------------------------------------------------------------------------------------
def _layout(columns: set[str], upper: bool) -> str:
    if upper or ("gwno" in columns and "iso" not in columns):
        return "pre-2019"
    if "disorder_type" in columns:
        return "2022"
    return "pre-2021"


def _actor_type(value: str | None, name: str) -> str | None:
    code = _int(value, name)
    if code is None or code == 0:
        return None
    label = INTER_LABELS.get(code)
    return f"{code} {label}" if label else str(code)


def _country(rec: Mapping[str, str]) -> tuple[str | None, int | None]:
    found: countries.Country | None = None
    iso = _int(rec.get("iso"), "iso")
    if iso:
        found = countries.by_numeric(iso)
    gwno = _int(rec.get("gwno"), "gwno")
    if found is None and gwno:
        found = countries.by_gw(gwno)
    name = _text(rec.get("country"))
    if found is None and name:
        found = countries.by_name(name)
    if found is None and (iso3 := _text(rec.get("iso3"))):
        found = countries.by_iso3(iso3)
    if found is None:
        return None, gwno
    return found.iso3, gwno if gwno else found.gw_code


def map_acled(rec: Mapping[str, str], layout: str) -> dict[str, Any]:
    """Map one ACLED record (lower-case column names) to canonical fields; raises :class:`BadValue`."""
    event_type = _text(rec.get("event_type"))
    sub_type = _text(rec.get("sub_event_type"))
    if event_type is None:
        raise BadValue("missing event_type")
    cat = from_acled(event_type, sub_type)
    if cat is None:
        raise BadValue(f"unknown event type {event_type!r}")
    day = _date(rec.get("event_date"), "event_date", _DATE_FORMATS[layout])
    precision_code = _int(rec.get("time_precision"), "time_precision")
    precision = _TIME_PRECISION.get(precision_code or 1)
    if precision is None:
        raise BadValue(f"bad time_precision {precision_code}")
    iso3, gw = _country(rec)
    notes = _text(rec.get("notes"))
    extras = [
        f"[{label}: {v}]"
        for label, key in (
            ("associated with actor 1", "assoc_actor_1"),
            ("associated with actor 2", "assoc_actor_2"),
        )
        if (v := _text(rec.get(key)))
    ]
    if extras:
        notes = " ".join([notes or "", *extras]).strip()
    sources = _text(rec.get("source"))
    return {
        "source": "acled",
        "source_event_id": _text(rec.get("event_id_cnty")),
        "date_start": day,
        "date_end": day,
        "date_precision": precision,
        "country_iso3": iso3,
        "country_gw": gw,
        "country_name": _text(rec.get("country")),
        "admin1": _text(rec.get("admin1")),
        "admin2": _text(rec.get("admin2")),
        "place": _text(rec.get("location")),
        "latitude": _float(rec.get("latitude"), "latitude"),
        "longitude": _float(rec.get("longitude"), "longitude"),
        "geo_precision": acled_precision(_int(rec.get("geo_precision"), "geo_precision")),
        "category": cat[0],
        "subcategory": cat[1],
        "source_event_type": f"{event_type}/{sub_type}" if sub_type else event_type,
        "actor1_name": _text(rec.get("actor1")),
        "actor1_type": _actor_type(rec.get("inter1"), "inter1"),
        "actor2_name": _text(rec.get("actor2")),
        "actor2_type": _actor_type(rec.get("inter2"), "inter2"),
        "fatalities_best": _int(rec.get("fatalities"), "fatalities"),
        "num_sources": len([s for s in sources.split(";") if s.strip()]) if sources else None,
        "notes": notes,
    }


class AcledAdapter:
    """ACLED export CSV in any of its three layouts."""

    name: str = "acled"
    label: str = "ACLED export CSV (2022 layout, pre-2021 and pre-2019 layouts)"

    def sniff(self, probe: Probe) -> str | None:
        if probe.kind != "text" or not probe.head_lines:
            return None
        header = next(csv.reader([probe.head_lines[0]]), [])
        columns = {c.strip().lower() for c in header}
        if not {"event_id_cnty", "event_date", "event_type"} <= columns:
            return None
        upper = any(c.strip().isupper() for c in header)
        layout = _layout(columns, upper)
        detail = {
            "2022": "with numeric iso and disorder_type",
            "pre-2021": "with data_id/iso, no disorder_type",
            "pre-2019": "upper-case names with GWNO",
        }[layout]
        return f"ACLED export ({layout} layout): {len(header)} comma-separated columns {detail}"

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        records = iter_csv_records(path, options)
        header = read_header(path, records)
        upper = any(c.isupper() for c in header)
        names = [_RENAMES.get(c.lower(), c.lower()) for c in header]
        require_columns(path, names, _REQUIRED, "ACLED export")
        layout = _layout(set(names), upper)
        folded = [c.lower() for c in header]
        rows: list[dict[str, Any]] = []
        for rec in records:
            row: dict[str, Any] = {"source_file": path.name, "source_line": rec.line, "_raw": rec.raw}
            if rec.error is not None or rec.fields is None:
                row["_reject"] = rec.error
            elif not rec.fields:
                continue  # blank line
            elif [f.strip().lower() for f in rec.fields] == folded:
                row["_reject"] = "repeated header"
            elif len(rec.fields) != len(names):
                row["_reject"] = f"expected {len(names)} fields, found {len(rec.fields)}"
            else:
                try:
                    row.update(map_acled(dict(zip(names, rec.fields, strict=True)), layout))
                except BadValue as exc:
                    row["_reject"] = str(exc)
            rows.append(row)
            if len(rows) >= options.batch_rows:
                yield batch_table(rows)
                rows = []
        if rows:
            yield batch_table(rows)


ADAPTERS: tuple[Adapter, ...] = (AcledAdapter(),)
