"""Turn adapter output (``RAW_SCHEMA`` tables) into validated canonical events (``EVENT_SCHEMA``).

One vectorised pass in DuckDB over the Arrow batch: computes the Détente id, the PRIO-GRID cell, the content hash
and the partition year, and splits off the rows that break a rule, each with its reason. Adapters may add two
optional columns to their tables: ``_reject`` (a reason the adapter already found, e.g. an unparseable date) and
``_raw`` (the original record text, kept in the rejects file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from detente.events.schema import EVENT_SCHEMA, FIELDS, PROVENANCE_FIELDS, RAW_SCHEMA
from detente.events.taxonomy import CATEGORIES

__all__ = ["CONTENT_FIELDS", "Reject", "conform", "content_hash_sql", "finalize", "prio_gid"]

#: The fields the content hash covers, in a fixed order (never reorder: hashes are stored).
CONTENT_FIELDS: tuple[str, ...] = tuple(
    f.name for f in FIELDS if not f.computed and f.name not in PROVENANCE_FIELDS and f.name != "source_event_id"
)


@dataclass(frozen=True)
class Reject:
    """A row that could not be imported, with where it came from and why."""

    file: str
    line: int
    reason: str
    raw: str | None = None


def prio_gid(latitude: float, longitude: float) -> int:
    """PRIO-GRID v2 cell id: 0.5° cells numbered from 1 at (-90, -180), west to east, then south to north."""
    row = min(int((latitude + 90.0) // 0.5), 359)
    col = min(int((longitude + 180.0) // 0.5), 719)
    return row * 720 + col + 1


def content_hash_sql(alias: str = "") -> str:
    """SQL expression of the content hash over :data:`CONTENT_FIELDS` (32 hex digits)."""
    prefix = f"{alias}." if alias else ""
    parts = ", ".join(f"coalesce(CAST({prefix}{name} AS VARCHAR), '\u2205')" for name in CONTENT_FIELDS)
    return f"substr(sha256(concat_ws(chr(31), {parts})), 1, 32)"


def conform(table: pa.Table, schema: pa.Schema = RAW_SCHEMA) -> pa.Table:
    """Add missing columns as nulls, cast present ones, and order them as ``schema`` (extra ``_`` columns kept)."""
    columns: list[Any] = []
    names: list[str] = []
    for field in schema:
        if field.name in table.column_names:
            col = table.column(field.name)
            if col.type != field.type:
                col = col.cast(field.type)
            columns.append(col)
        else:
            columns.append(pa.nulls(table.num_rows, type=field.type))
        names.append(field.name)
    for extra in ("_reject", "_raw"):
        if extra in table.column_names:
            columns.append(table.column(extra).cast(pa.string()))
            names.append(extra)
    return pa.Table.from_arrays(columns, names=names)


def _reasons_sql() -> str:
    cats = ", ".join(f"'{c}'" for c in CATEGORIES)
    checks = [
        ("_reject IS NOT NULL", "_reject"),
        ("source IS NULL OR source = ''", "'missing source'"),
        ("date_start IS NULL", "'missing or invalid start date'"),
        (
            "date_end < date_start",
            "'end date ' || CAST(date_end AS VARCHAR) || ' before start date ' || CAST(date_start AS VARCHAR)",
        ),
        (
            "date_precision NOT IN ('day','days','week','month','year','unknown')",
            "'unknown date precision ' || date_precision",
        ),
        (
            "(latitude IS NULL) <> (longitude IS NULL)",
            "'latitude and longitude must both be given or both be empty'",
        ),
        (
            "latitude IS NOT NULL AND (isnan(latitude) OR latitude < -90 OR latitude > 90)",
            "'latitude ' || CAST(latitude AS VARCHAR) || ' out of range -90..90'",
        ),
        (
            "longitude IS NOT NULL AND (isnan(longitude) OR longitude < -180 OR longitude > 180)",
            "'longitude ' || CAST(longitude AS VARCHAR) || ' out of range -180..180'",
        ),
        (
            "category IS NULL",
            "'no canonical category for event type ' || coalesce(source_event_type, '(empty)')",
        ),
        (f"category NOT IN ({cats})", "'unknown category ' || category"),
        (
            "country_iso3 IS NOT NULL AND NOT regexp_full_match(country_iso3, '[A-Z]{3}')",
            "'country code ' || country_iso3 || ' is not ISO 3166 alpha-3'",
        ),
        (
            "fatalities_best < 0 OR fatalities_low < 0 OR fatalities_high < 0 OR civilian_deaths < 0",
            "'negative fatality count'",
        ),
    ]
    whens = " ".join(f"WHEN {cond} THEN {reason}" for cond, reason in checks)
    return f"CASE {whens} ELSE NULL END"


_REASONS = _reasons_sql()

# Empty text means "not given": every adapter's empty strings become nulls before hashing, so the same event read
# from CSV (where empty and missing look alike) and from Parquet or JSON gets the same content hash.
_NORMALIZE = ", ".join(
    ["coalesce(date_end, date_start) AS date_end", "nullif(trim(source_event_id), '') AS source_event_id"]
    + [
        f"nullif({f.name}, '') AS {f.name}"
        for f in RAW_SCHEMA
        if f.type == pa.string() and f.name not in ("source_event_id",)
    ]
)


def finalize(
    table: pa.Table, *, import_batch: str, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[pa.Table, list[Reject]]:
    """Validate ``table`` (RAW_SCHEMA, optional ``_reject``/``_raw``) and derive the computed columns.

    Returns the valid rows as an ``EVENT_SCHEMA`` table, in ``source_line`` order, and the others as
    :class:`Reject` s.
    """
    raw = conform(table)
    if "_reject" not in raw.column_names:
        raw = raw.append_column("_reject", pa.nulls(raw.num_rows, pa.string()))
    if "_raw" not in raw.column_names:
        raw = raw.append_column("_raw", pa.nulls(raw.num_rows, pa.string()))
    own = con is None
    db = duckdb.connect() if con is None else con
    try:
        db.register("_raw_batch", raw)
        checked = db.sql(
            f"""
            SELECT *, {_REASONS} AS _why,
                   {content_hash_sql()} AS _hash
            FROM (SELECT * REPLACE ({_NORMALIZE}) FROM _raw_batch)
            """
        ).to_arrow_table()
        db.register("_checked", checked)
        rejects_tbl = db.execute(
            "SELECT source_file, source_line, _why, _raw FROM _checked WHERE _why IS NOT NULL ORDER BY source_line"
        ).fetchall()
        select = []
        for f in EVENT_SCHEMA:
            if f.name == "event_id":
                expr = "'ev_' || substr(sha256(source || chr(31) || coalesce(source_event_id, _hash)), 1, 24)"
            elif f.name == "source_event_id":
                expr = "coalesce(source_event_id, _hash)"
            elif f.name == "year":
                expr = "CAST(year(date_start) AS SMALLINT)"
            elif f.name == "priogrid_gid":
                expr = (
                    "CASE WHEN latitude IS NULL THEN NULL ELSE CAST("
                    "least(floor((latitude + 90) / 0.5), 359) * 720 + least(floor((longitude + 180) / 0.5), 719) + 1"
                    " AS INTEGER) END"
                )
            elif f.name == "import_batch":
                expr = "$batch"
            elif f.name == "content_hash":
                expr = "_hash"
            else:
                expr = f.name
            select.append(f"{expr} AS {f.name}")
        valid = db.sql(
            f"SELECT {', '.join(select)} FROM _checked WHERE _why IS NULL ORDER BY source_line",
            params={"batch": import_batch},
        ).to_arrow_table()
        db.unregister("_raw_batch")
        db.unregister("_checked")
    finally:
        if own:
            db.close()
    valid = valid.cast(EVENT_SCHEMA)
    rejects = [Reject(file=str(r[0]), line=int(r[1] or 0), reason=str(r[2]), raw=r[3]) for r in rejects_tbl]
    return valid, rejects
