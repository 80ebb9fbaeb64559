"""UCDP Georeferenced Event Dataset: CSV and Parquet as UCDP publishes them, and the UCDP API's JSON pages.

Field meanings follow the UCDP GED Codebook version 22.1 (Högbladh 2022); ``docs/sources/ucdp.md``
documents the detection rule and the whole mapping, with the ``date_prec`` and ``where_prec`` tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from detente.errors import InputError
from detente.events import countries
from detente.events.adapters.acled import (
    BadValue,
    batch_table,
    iter_csv_records,
    read_header,
    require_columns,
)
from detente.events.adapters.base import Adapter, Probe, ReadOptions
from detente.events.geo_precision import UCDP_WHERE_PREC
from detente.events.taxonomy import from_ucdp

__all__ = ["ADAPTERS", "DATE_PRECISION", "GEO_PRECISION", "UcdpGedAdapter", "map_ged"]

#: ``date_prec`` (codebook 22.1): 1 exact day; 2 within 2–6 days; 3 only the week; 4 within a month;
#: 5 within a year.
DATE_PRECISION: dict[int, str] = {1: "day", 2: "days", 3: "week", 4: "month", 5: "year"}
#: ``where_prec`` (codebook 22.1) → canonical geo precision: one table for every source, in
#: :mod:`detente.events.geo_precision`.
GEO_PRECISION: dict[int, int] = UCDP_WHERE_PREC
_REQUIRED = (
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "where_prec",
    "latitude",
    "longitude",
    "country",
    "country_id",
    "date_prec",
    "date_start",
    "date_end",
    "best",
)
_SIGNATURE = {"id", "type_of_violence", "where_prec", "date_prec", "best"}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str | None:
    if _blank(value):
        return None
    return str(value).strip()


def _int(value: object, name: str) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise BadValue(f"bad integer {value!r} in {name}")
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        raise BadValue(f"bad integer {value!r} in {name}") from None
    if not number.is_integer():
        raise BadValue(f"bad integer {value!r} in {name}")
    return int(number)


def _float(value: object, name: str) -> float | None:
    if _blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise BadValue(f"bad number {value!r} in {name}") from None


def _date(value: object, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if text is None:
        raise BadValue(f"missing {name}")
    # "2013-01-03", "2013-01-03 00:00:00.000" (CSV) or "2013-01-03T00:00:00" (API); the time must be valid too
    head, sep, rest = text.partition("T") if "T" in text else text.partition(" ")
    try:
        day = date.fromisoformat(head)
        if sep and rest:
            datetime.fromisoformat(f"{head}T{rest.removesuffix('Z')}")
    except ValueError:
        raise BadValue(f"bad date {text!r} in {name}") from None
    return day


def _country(rec: Mapping[str, object]) -> tuple[str | None, int | None]:
    gw = _int(rec.get("country_id"), "country_id")
    name = _text(rec.get("country"))
    found = countries.by_name(name) if name else None  # "Serbia (Yugoslavia)" → SRB although GW 345 is Yugoslavia
    if found is None and gw is not None:
        found = countries.by_gw(gw)
    return (found.iso3 if found else None), gw


def map_ged(rec: Mapping[str, object]) -> dict[str, Any]:
    """Map one GED record (CSV strings, Parquet or JSON values) to canonical fields.

    Raises :class:`BadValue` (its message is the reject reason).
    """
    tov = _int(rec.get("type_of_violence"), "type_of_violence")
    cat = from_ucdp(tov) if tov is not None else None
    if cat is None:
        raise BadValue(f"unknown type_of_violence {rec.get('type_of_violence')!r}")
    prec_code = _int(rec.get("date_prec"), "date_prec")
    precision = DATE_PRECISION.get(prec_code) if prec_code is not None else "unknown"
    if precision is None:
        raise BadValue(f"bad date_prec {prec_code}")
    where = _int(rec.get("where_prec"), "where_prec")
    if where is not None and where not in GEO_PRECISION:
        raise BadValue(f"bad where_prec {where}")
    iso3, gw = _country(rec)
    sources = _int(rec.get("number_of_sources"), "number_of_sources")
    return {
        "source": "ucdp_ged",
        "source_event_id": _text(rec.get("id")),
        "date_start": _date(rec.get("date_start"), "date_start"),
        "date_end": _date(rec.get("date_end"), "date_end"),
        "date_precision": precision,
        "country_iso3": iso3,
        "country_gw": gw,
        "country_name": _text(rec.get("country")),
        "admin1": _text(rec.get("adm_1")),
        "admin2": _text(rec.get("adm_2")),
        "place": _text(rec.get("where_coordinates")),
        "latitude": _float(rec.get("latitude"), "latitude"),
        "longitude": _float(rec.get("longitude"), "longitude"),
        "geo_precision": GEO_PRECISION.get(where) if where is not None else None,
        "category": cat[0],
        "subcategory": cat[1],
        "source_event_type": str(tov),
        "actor1_name": _text(rec.get("side_a")),
        "actor1_id": _text(rec.get("side_a_new_id")),
        "actor2_name": _text(rec.get("side_b")),
        "actor2_id": _text(rec.get("side_b_new_id")),
        "fatalities_best": _int(rec.get("best"), "best"),
        "fatalities_low": _int(rec.get("low"), "low"),
        "fatalities_high": _int(rec.get("high"), "high"),
        "civilian_deaths": _int(rec.get("deaths_civilians"), "deaths_civilians"),
        "num_sources": sources if sources is not None and sources >= 0 else None,  # -1: not recorded
        "notes": _text(rec.get("where_description")) or _text(rec.get("source_headline")),
    }


def _row(path: Path, line: int, rec: Mapping[str, object], raw: str) -> dict[str, Any]:
    row: dict[str, Any] = {"source_file": path.name, "source_line": line, "_raw": raw}
    try:
        row.update(map_ged(rec))
    except BadValue as exc:
        row["_reject"] = str(exc)
    return row


def _json_raw(rec: Mapping[str, object]) -> str:
    return json.dumps(rec, default=str, ensure_ascii=False)


class UcdpGedAdapter:
    """UCDP GED as CSV, Parquet or an API JSON page."""

    name: str = "ucdp_ged"
    label: str = "UCDP GED (CSV or Parquet as published, UCDP API JSON page)"

    def sniff(self, probe: Probe) -> str | None:
        if probe.kind == "text" and probe.head_lines:
            columns = {c.strip().strip('"').lower() for c in probe.head_lines[0].split(",")}
            if _SIGNATURE.issubset(columns):
                return f"UCDP GED CSV: {len(columns)} comma-separated columns with type_of_violence, where_prec"
        if probe.kind == "parquet" and _SIGNATURE.issubset(probe.columns):
            return f"UCDP GED Parquet: {len(probe.columns)} columns with type_of_violence and where_prec"
        if probe.kind == "json" and _SIGNATURE.issubset(probe.columns):
            shape = "API page (Result, TotalCount)" if "Result" in probe.json_keys else "array of records"
            return f"UCDP GED JSON {shape} whose records have type_of_violence and where_prec"
        return None

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.Table]:
        with path.open("rb") as fh:
            head = fh.read(4)
        if head == b"PAR1":
            reader = self._parquet
        elif head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
            reader = self._json
        else:
            reader = self._csv
        rows: list[dict[str, Any]] = []
        for row in reader(path, options):
            rows.append(row)
            if len(rows) >= options.batch_rows:
                yield batch_table(rows)
                rows = []
        if rows:
            yield batch_table(rows)

    def _csv(self, path: Path, options: ReadOptions) -> Iterator[dict[str, Any]]:
        records = iter_csv_records(path, options)
        header = read_header(path, records)
        names = [c.lower() for c in header]
        require_columns(path, names, _REQUIRED, "UCDP GED CSV")
        for rec in records:
            if rec.error is not None or rec.fields is None:
                yield {
                    "source_file": path.name,
                    "source_line": rec.line,
                    "_raw": rec.raw,
                    "_reject": rec.error,
                }
            elif not rec.fields:
                continue
            elif [f.strip().lower() for f in rec.fields] == names:
                yield {
                    "source_file": path.name,
                    "source_line": rec.line,
                    "_raw": rec.raw,
                    "_reject": "repeated header",
                }
            elif len(rec.fields) != len(names):
                reason = f"expected {len(names)} fields, found {len(rec.fields)}"
                yield {"source_file": path.name, "source_line": rec.line, "_raw": rec.raw, "_reject": reason}
            else:
                yield _row(path, rec.line, dict(zip(names, rec.fields, strict=True)), rec.raw)

    def _parquet(self, path: Path, options: ReadOptions) -> Iterator[dict[str, Any]]:
        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(f"not a readable Parquet file ({exc})", path=path) from exc
        require_columns(path, list(pf.schema_arrow.names), _REQUIRED, "UCDP GED Parquet")
        total = max(pf.metadata.num_rows, 1)
        size = path.stat().st_size
        line = 0
        try:
            for batch in pf.iter_batches(batch_size=min(options.batch_rows, 65_536)):
                options.progress(size * batch.num_rows // total)
                for rec in batch.to_pylist():
                    line += 1
                    yield _row(path, line, rec, _json_raw(rec))
        except OSError as exc:
            raise InputError(f"unreadable Parquet data after row {line} ({exc})", path=path, line=line) from exc

    def _json(self, path: Path, options: ReadOptions) -> Iterator[dict[str, Any]]:
        data = path.read_bytes()
        options.progress(len(data))
        try:
            doc = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(f"invalid UTF-8 at byte {exc.start}", path=path, line=line) from exc
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid or truncated JSON: {exc.msg}", path=path, line=exc.lineno) from exc
        records = doc.get("Result") if isinstance(doc, dict) else doc
        if not isinstance(records, list):
            raise InputError("not a UCDP API page: no 'Result' list of records", path=path, line=1)
        first = next((r for r in records if isinstance(r, dict)), None)
        if first is not None:
            require_columns(path, list(first.keys()), _REQUIRED, "UCDP GED JSON")
        for index, rec in enumerate(records, start=1):
            if not isinstance(rec, dict):
                raw = json.dumps(rec, default=str)
                yield {
                    "source_file": path.name,
                    "source_line": index,
                    "_raw": raw,
                    "_reject": "record is not an object",
                }
                continue
            yield _row(path, index, rec, _json_raw(rec))


ADAPTERS: tuple[Adapter, ...] = (UcdpGedAdapter(),)
