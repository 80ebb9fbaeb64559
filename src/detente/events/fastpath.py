"""DuckDB-native import of GDELT TSV files, plain or zipped: ``read_csv`` → SQL transform → partitioned Parquet.

The generic path (adapter → :func:`detente.events.canonical.finalize` → staging) handles every file exactly; this
module does the same work for a *clean* GDELT file with DuckDB, and declines (returns ``None``, leaving nothing
behind) whenever the file is not clean, so that the caller falls back to the exact path:

- the file (for a zip, its first member, unpacked into the staging folder first, as the adapter reads it) is empty,
  has a carriage return, a blank line or any line DuckDB cannot split into the layout's fields (wrong field
  count, invalid UTF-8, an over-long line): then line numbers or rejects need the exact path;
- any value would be rejected or mapped differently by the adapter (a number that is not plain digits, a bad
  SQLDATE, an event code outside the 2–4 digit CAMEO table, a coordinate out of range): the query stops at the
  first such row (an ``error()`` call), so a dirty file costs little before the fallback.

A clean file gives exactly the rows the generic path gives (same values, ids, content hashes, provenance); the
tests compare both paths on real and generated files.

It runs in two parallel passes (ADR 0015). Line numbers need the file's order, and ``row_number() OVER ()`` over the
reader made the whole query one single-threaded pipeline. So pass 1 copies the fields the transform reads, in file
order, to an uncompressed Parquet file in the staging folder (DuckDB keeps insertion order across threads when it
writes one file); pass 2 reads it back with ``file_row_number`` — the line, for a file with no blank lines — and runs
the transform and the partitioned write with insertion order off, on every core. The row count is checked against a
newline count made alongside.
"""

from __future__ import annotations

import shutil
import threading
import zipfile
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from detente.events.adapters.gdelt import GdeltTsvAdapter
from detente.events.adapters.gdelt_columns import GDELT1_COLUMNS, GDELT2_COLUMNS
from detente.events.canonical import content_hash_sql
from detente.events.countries import all_countries
from detente.events.geo_precision import GDELT_GEO_TYPE
from detente.events.schema import EVENT_SCHEMA
from detente.events.taxonomy import from_cameo, quad_class_of_root

__all__ = ["FastResult", "fast_gdelt"]

_MARK = "detente-fastpath-decline"
#: What pyarrow's ``utf8_trim_whitespace`` trims (the adapter's ``_code``); a test checks this list.
TRIM_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SCAN_BYTES = 64 << 20


@dataclass(frozen=True)
class FastResult:
    """A file imported by the fast path: its rows, written partitioned under ``out_dir``."""

    rows: int
    source: str
    out_dir: Path


class _LineScan(threading.Thread):
    """Counts the newlines of a file, and notes a carriage return (the adapter would split lines there).

    A blank line needs no search of its own: DuckDB's reader gives it no row (or fails), so the row count falls short
    of this count and the fast path declines. The file is read into one reused buffer, so the scan costs little beside
    the query it runs alongside."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.lines = 0
        self.clean = True

    def run(self) -> None:
        buffer = bytearray(_SCAN_BYTES)
        last = 10  # b"\n"
        with self.path.open("rb", buffering=0) as fh:
            while n := fh.readinto(buffer):
                chunk = buffer if n == len(buffer) else buffer[:n]
                if 13 in chunk:  # b"\r"
                    self.clean = False
                    return
                self.lines += chunk.count(b"\n")
                last = chunk[-1]
        if last != 10:
            self.lines += 1


def _sql_str(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


@cache
def _cameo_rows() -> tuple[tuple[str, str, str | None, int | None], ...]:
    """Every 2–4 digit CAMEO code with its category, subcategory and derived QuadClass (as the adapter maps it)."""
    rows = []
    for width in (2, 3, 4):
        for i in range(10**width):
            code = str(i).zfill(width)
            hit = from_cameo(code)
            if hit is not None:
                rows.append((code, hit[0], hit[1], quad_class_of_root(code[:2])))
    return tuple(rows)


@cache
def _fips_rows() -> tuple[tuple[str, str, int | None], ...]:
    """FIPS codes in every letter case (``by_fips`` upper-cases) with ISO3 and GW code."""
    rows: dict[str, tuple[str, str, int | None]] = {}
    for country in all_countries():
        if not country.fips:
            continue
        code = country.fips.strip().upper()
        variants = {""}
        for ch in code:
            variants = {v + c for v in variants for c in {ch.lower(), ch.upper()}}
        for v in variants:
            rows.setdefault(v, (v, country.iso3, country.gw_code))
    return tuple(rows.values())


@cache
def _lookup_tables() -> tuple[pa.Table, pa.Table]:
    cameo = list(zip(*_cameo_rows(), strict=True))
    fips = list(zip(*_fips_rows(), strict=True))
    return (
        pa.table(
            {
                "code": pa.array(cameo[0], pa.string()),
                "category": pa.array(cameo[1], pa.string()),
                "subcategory": pa.array(cameo[2], pa.string()),
                "quad": pa.array(cameo[3], pa.int8()),
            }
        ),
        pa.table(
            {
                "code": pa.array(fips[0], pa.string()),
                "iso3": pa.array(fips[1], pa.string()),
                "gw": pa.array(fips[2], pa.int16()),
            }
        ),
    )


def _lookups(con: duckdb.DuckDBPyConnection) -> None:
    """The CAMEO and FIPS tables the transform joins (loaded from Arrow: row-by-row inserts took over a second)."""
    cameo, fips = _lookup_tables()
    con.register("_fp_cameo_arrow", cameo)
    con.register("_fp_fips_arrow", fips)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _fp_cameo AS SELECT * FROM _fp_cameo_arrow")
        con.execute("CREATE OR REPLACE TEMP TABLE _fp_fips AS SELECT * FROM _fp_fips_arrow")
    finally:
        con.unregister("_fp_cameo_arrow")
        con.unregister("_fp_fips_arrow")


def _decline(cond: str, what: str) -> str:
    """A SQL expression that stops the query (to fall back) where ``cond`` holds, else NULL."""
    return f"CASE WHEN {cond} THEN error('{_MARK} {what} line ' || CAST(_line AS VARCHAR)) END"


def _text(col: str) -> str:
    return f"nullif(\"{col}\", '')"


def _code(col: str) -> str:
    """Trimmed as the adapter trims; the full trim runs only where a first or last character is not printable ASCII."""
    x = f'"{col}"'
    printable = f"ascii({x}) BETWEEN 33 AND 126 AND ascii({x}[-1:]) BETWEEN 33 AND 126"
    return f"nullif(CASE WHEN {printable} THEN {x} ELSE trim({x}, {_sql_str(TRIM_CHARS)}) END, '')"


#: The numeric fields: (column, target, DuckDB type, characters allowed besides digits).
_NUMBERS = (
    ("GoldsteinScale", "intensity", "DOUBLE", ".-"),
    ("AvgTone", "tone", "DOUBLE", ".-"),
    ("NumMentions", "num_mentions", "INTEGER", "-"),
    ("NumSources", "num_sources", "INTEGER", "-"),
    ("NumArticles", "num_articles", "INTEGER", "-"),
    ("QuadClass", "_quad", "TINYINT", "-"),
    ("ActionGeo_Type", "_geo_type", "TINYINT", "-"),
    ("ActionGeo_Lat", "_lat", "DOUBLE", ".-"),
    ("ActionGeo_Long", "_lon", "DOUBLE", ".-"),
)
#: The fields the transform reads.
_WANTED = {"GLOBALEVENTID", "SQLDATE", "EventCode", "ActionGeo_CountryCode", "ActionGeo_ADM1Code",
           "ActionGeo_FullName", "Actor1Name", "Actor1Code", "Actor1Type1Code", "Actor2Name", "Actor2Code",
           "Actor2Type1Code", "SOURCEURL"} | {n[0] for n in _NUMBERS}  # fmt: skip


def _read_sql(path: Path, layout: tuple[str, ...]) -> str:
    """Pass 1: the wanted fields of every line, as text, in file order."""
    columns = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in layout) + "}"
    reader = (
        f"read_csv({_sql_str(path)}, columns = {columns}, delim = '\\t', header = false, quote = '', escape = '', "
        "comment = '', auto_detect = false, new_line = '\\n', strict_mode = true, null_padding = false, "
        "all_varchar = true)"
    )
    return f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}' for c in layout if c in _WANTED)} FROM {reader}"


#: ActionGeo_Type → geo_precision as SQL (the table lives in detente.events.geo_precision)
_GEO_WHENS = " ".join(f"WHEN _geo_type = {t} THEN {p}" for t, p in sorted(GDELT_GEO_TYPE.items()))


def _query(lines: Path, layout: tuple[str, ...], source: str, batch: str, file_name: str) -> str:
    """Pass 2: the SELECT giving EVENT_SCHEMA rows (plus a check column) from pass 1's file ``lines``."""
    numbers = _NUMBERS
    typed = ", ".join(f'TRY_CAST("{c}" AS {t}) AS {target}' for c, target, t, _ in numbers)
    bad_number = " OR ".join(
        f"(\"{c}\" IS NOT NULL AND ({target} IS NULL OR ltrim(\"{c}\", '0123456789{extra}') <> ''))"
        for c, target, _, extra in numbers
    )
    url = _text("SOURCEURL") if "SOURCEURL" in layout else "CAST(NULL AS VARCHAR)"
    raw = f"""
        SELECT {_sql_str(source)} AS source,
               {_code("GLOBALEVENTID")} AS source_event_id,
               _date AS date_start, _date AS date_end, 'day' AS date_precision,
               f.iso3 AS country_iso3, f.gw AS country_gw, CAST(NULL AS VARCHAR) AS country_name,
               {_code("ActionGeo_ADM1Code")} AS admin1, CAST(NULL AS VARCHAR) AS admin2,
               {_text("ActionGeo_FullName")} AS place,
               CASE WHEN _has_geo THEN _lat END AS latitude, CASE WHEN _has_geo THEN _lon END AS longitude,
               CAST(CASE WHEN NOT _has_geo THEN NULL {_GEO_WHENS} END AS TINYINT) AS geo_precision,
               c.category AS category, c.subcategory AS subcategory, _event_code AS source_event_type,
               coalesce(_quad, c.quad) AS quad_class,
               {_text("Actor1Name")} AS actor1_name, {_code("Actor1Code")} AS actor1_id,
               {_code("Actor1Type1Code")} AS actor1_type,
               {_text("Actor2Name")} AS actor2_name, {_code("Actor2Code")} AS actor2_id,
               {_code("Actor2Type1Code")} AS actor2_type,
               CAST(NULL AS INTEGER) AS fatalities_best, CAST(NULL AS INTEGER) AS fatalities_low,
               CAST(NULL AS INTEGER) AS fatalities_high, CAST(NULL AS INTEGER) AS civilian_deaths,
               intensity, tone, num_sources, num_mentions, num_articles, CAST(NULL AS VARCHAR) AS notes,
               {url} AS source_url,
               {_sql_str(file_name)} AS source_file, _line AS source_line,
               coalesce(
                   {_decline(bad_number, "number")},
                   {_decline("_date IS NULL", "date")},
                   {_decline(f"{_code('GLOBALEVENTID')} IS NULL", "id")},
                   {_decline("c.category IS NULL", "event code")},
                   {_decline("_has_geo AND ((_lat IS NULL) <> (_lon IS NULL))", "coordinates")},
                   {_decline("_has_geo AND (_lat < -90 OR _lat > 90 OR _lon < -180 OR _lon > 180)", "coordinates")}
               ) AS _check
        FROM (SELECT *, coalesce(_geo_type BETWEEN 1 AND 5, false) AS _has_geo FROM (
            SELECT *, {typed},
                   CASE WHEN regexp_full_match("SQLDATE", '[0-9]{{8}}')
                        THEN CAST(try_strptime("SQLDATE", '%Y%m%d') AS DATE) END AS _date,
                   {_code("EventCode")} AS _event_code, {_code("ActionGeo_CountryCode")} AS _country_code
            FROM (SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _line
                  FROM read_parquet({_sql_str(lines)}, file_row_number = true))
        ) r0) r
        LEFT JOIN _fp_cameo c ON c.code = r._event_code
        LEFT JOIN _fp_fips f ON f.code = r._country_code
    """
    select = []
    for field in EVENT_SCHEMA:
        name = field.name
        if name == "event_id":
            # the adapter path falls back to the content hash for a missing id; here a missing id declines
            expr = "'ev_' || substr(sha256(source || chr(31) || source_event_id), 1, 24)"
        elif name == "year":
            expr = "CAST(year(date_start) AS SMALLINT)"
        elif name == "priogrid_gid":
            expr = (
                "CASE WHEN latitude IS NULL THEN NULL ELSE CAST("
                "least(floor((latitude + 90) / 0.5), 359) * 720 + least(floor((longitude + 180) / 0.5), 719) + 1"
                " AS INTEGER) END"
            )
        elif name == "import_batch":
            expr = _sql_str(batch)
        elif name == "content_hash":
            expr = "_hash"
        elif name == "source_line":
            expr = "coalesce(CAST(_check AS BIGINT), source_line)"
        else:
            expr = name
        select.append(f"{expr} AS {name}")
    return f"SELECT {', '.join(select)} FROM (SELECT *, {content_hash_sql()} AS _hash FROM ({raw}))"


def _plain_gdelt(path: Path, adapter: object) -> tuple[tuple[str, ...], str, zipfile.ZipInfo | None] | None:
    """The layout and source of a GDELT TSV file the fast path may take, and the zip member holding it, if zipped."""
    if not isinstance(adapter, GdeltTsvAdapter) or adapter.source not in ("gdelt1", "gdelt2"):
        return None
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    member = None
    if head.startswith(b"PK\x03\x04"):
        try:  # the member the adapter reads: the archive's first file
            with zipfile.ZipFile(path) as archive:
                member = next((m for m in archive.infolist() if not m.is_dir()), None)
                if member is None:
                    return None  # the exact path reports what is wrong with the archive
                with archive.open(member) as fh:
                    head = fh.read(1 << 20)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError):
            return None
    if not head:
        return None
    first = head.split(b"\n", 1)[0]
    nfields = first.count(b"\t") + 1
    if nfields not in adapter.counts_ok:
        return None
    layout = GDELT2_COLUMNS if adapter.source == "gdelt2" else GDELT1_COLUMNS
    return layout[:nfields], adapter.source, member


def _unzip(path: Path, member: zipfile.ZipInfo, dest: Path) -> bool:
    """Stream the member to ``dest`` (bounded memory); False if the archive is truncated or corrupt."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, _SCAN_BYTES // 4)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError):
        dest.unlink(missing_ok=True)
        return False
    return True


def fast_gdelt(
    con: duckdb.DuckDBPyConnection, path: Path, adapter: object, out_dir: Path, *, batch: str, tag: str
) -> FastResult | None:
    """Import a clean plain GDELT TSV file into ``out_dir`` (Hive-partitioned); ``None`` if it needs the exact path."""
    plan = _plain_gdelt(path, adapter)
    if plan is None:
        return None
    layout, source, member = plan
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    if member is None:
        return _fast_text(con, path, path, layout, source, out_dir, batch=batch, tag=tag)
    # A zipped file (as GDELT publishes them): its text is unpacked into the staging folder, then taken as a plain
    # file; provenance names the archive, as the exact path does, and lines count within the member.
    text = out_dir.parent / f"unzipped-{tag}.tsv"
    try:
        if not _unzip(path, member, text):
            return None
        return _fast_text(con, text, path, layout, source, out_dir, batch=batch, tag=tag)
    finally:
        text.unlink(missing_ok=True)


def _fast_text(
    con: duckdb.DuckDBPyConnection,
    text: Path,
    path: Path,
    layout: tuple[str, ...],
    source: str,
    out_dir: Path,
    *,
    batch: str,
    tag: str,
) -> FastResult | None:
    """The two passes over the plain text file ``text`` of the imported file ``path``."""
    scan = _LineScan(text)
    scan.start()
    _lookups(con)
    lines = out_dir.parent / f"lines-{tag}.parquet"
    copy = (
        f"COPY ({_query(lines, layout, source, batch, path.name)}) TO {_sql_str(out_dir)} (FORMAT parquet, "
        "COMPRESSION zstd, PARTITION_BY (source, year), WRITE_PARTITION_COLUMNS true, "
        f"FILENAME_PATTERN 'part-{batch}-{tag}-{{i}}')"
    )
    order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    try:
        con.execute("SET preserve_insertion_order = true")  # pass 1 keeps the file's order: the line numbers
        con.execute(f"COPY ({_read_sql(text, layout)}) TO {_sql_str(lines)} (FORMAT parquet, COMPRESSION uncompressed)")
        con.execute("SET preserve_insertion_order = false")  # pass 2 carries its line numbers: any order will do
        rows = int(con.execute(copy).fetchall()[0][0])
    except duckdb.Error:
        scan.join()
        shutil.rmtree(out_dir, ignore_errors=True)
        return None
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if order else 'false'}")
        lines.unlink(missing_ok=True)
    scan.join()
    if not scan.clean or rows != scan.lines:
        shutil.rmtree(out_dir, ignore_errors=True)
        return None
    return FastResult(rows=rows, source=source, out_dir=out_dir)
