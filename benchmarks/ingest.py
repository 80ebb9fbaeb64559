"""Ingest benchmark: Détente vs plain pandas (aggregation only; a plain import) vs one raw DuckDB query.

    .venv/bin/python benchmarks/ingest.py [--rows N] [--out DIR] [--only PIPELINE ...] [--dirty]

Generates N rows (default 5,000,000) shaped like the real GDELT 2.0 sample, then runs each pipeline in its own
subprocess (so peak resident memory is measured separately, by polling the process tree with psutil) and computes
country-month event counts by canonical category three ways:

1. Détente: ``ingest_files`` into a fresh workspace, then an Ibis group-by over ``open_store(ws).table()``;
2. pandas the way common GDELT scripts do it: ``read_csv(sep="\\t", header=None, dtype=str, chunksize=…)``,
   mapped and counted chunk by chunk — an aggregation only, nothing is imported;
3. ``pandas_import``: the same *import* written plainly with pandas — typed columns, dedupe on the event id, a
   year-partitioned Parquet store, then the aggregation read back from it (the issue's "same import + aggregation");
4. one DuckDB SQL query over the file (``read_csv`` + join to the CAMEO→category table + GROUP BY), the near-limit
   reference: it imports nothing either;
5. ``duckdb_import``: the floor for any import — one raw DuckDB ``COPY`` of the typed, mapped columns into a
   year-partitioned Parquet store (no validation, hashes, line numbers or dedupe), then the aggregation over it.

Prints a Rich table with rows/s, MB/s, wall time, peak RSS and the ratios, checks that all the results agree, and
writes ``ingest-<rows>.json`` to the out dir.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "src"))

PIPELINES = ("detente", "pandas", "pandas_import", "duckdb", "duckdb_import")


def _lookups() -> tuple[dict[str, str], dict[str, str]]:
    """CAMEO event code -> canonical category (every 2–4 digit code), and FIPS -> ISO3."""
    from detente.events.countries import all_countries
    from detente.events.taxonomy import from_cameo

    cats: dict[str, str] = {}
    for width in (2, 3, 4):
        for i in range(10**width):
            code = str(i).zfill(width)
            hit = from_cameo(code)
            if hit is not None and int(code[:2]) in range(1, 21):
                cats[code] = hit[0]
    fips = {c.fips: c.iso3 for c in all_countries() if c.fips}
    return cats, fips


def run_detente(path: Path, work: Path) -> list[tuple[Any, ...]]:
    from detente.events import open_store
    from detente.events.ingest import ingest_files

    ws = work / "workspace"
    ws.mkdir()
    report = ingest_files(ws, [path], fmt="auto")
    f = report.files[0]
    print(json.dumps({"imported": f.imported, "rejected": f.rejected, "duplicates": f.duplicates}), file=sys.stderr)
    t = open_store(ws).table()
    month = t.date_start.truncate("M")
    expr = t.group_by([t.country_iso3, month.name("month"), t.category]).agg(n=t.count())
    df = expr.to_pandas()
    return [
        (r.country_iso3 if isinstance(r.country_iso3, str) else None, str(r.month)[:7], r.category, int(r.n))
        for r in df.itertuples()
    ]


def run_pandas(path: Path, work: Path) -> list[tuple[Any, ...]]:
    import pandas as pd

    from detente.events.adapters.gdelt_columns import GDELT2_COLUMNS

    cats, fips = _lookups()
    parts = []
    for chunk in pd.read_csv(
        path, sep="\t", header=None, names=list(GDELT2_COLUMNS), dtype=str, chunksize=500_000, quoting=3
    ):
        frame = pd.DataFrame(
            {
                "country": chunk["ActionGeo_CountryCode"].map(fips),
                "month": chunk["SQLDATE"].str.slice(0, 4) + "-" + chunk["SQLDATE"].str.slice(4, 6),
                "category": chunk["EventCode"].map(cats),
            }
        )
        parts.append(frame.groupby(["country", "month", "category"], dropna=False).size())
    total = pd.concat(parts).groupby(level=[0, 1, 2], dropna=False).sum()
    return [(c if isinstance(c, str) else None, m, k, int(n)) for (c, m, k), n in total.items()]


def run_pandas_import(path: Path, work: Path) -> list[tuple[Any, ...]]:
    """The same job as an import written plainly with pandas: typed columns, dedupe on the event id, a Parquet store
    partitioned by year, then the aggregation read back from that store (what Détente's import and query do, minus
    line numbers, content hashes, validation and atomic commit)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from detente.events.adapters.gdelt_columns import GDELT2_COLUMNS

    cats, fips = _lookups()
    store = work / "store"
    seen = np.empty(0, dtype=np.int64)  # ids imported so far (vectorised: a set of strings grows quadratically slow)
    for i, chunk in enumerate(
        pd.read_csv(path, sep="\t", header=None, names=list(GDELT2_COLUMNS), dtype=str, chunksize=500_000, quoting=3)
    ):
        ids = pd.to_numeric(chunk["GLOBALEVENTID"]).to_numpy(np.int64)
        chunk = chunk[~np.isin(ids, seen)].drop_duplicates("GLOBALEVENTID")
        seen = np.union1d(seen, ids)
        date = pd.to_datetime(chunk["SQLDATE"], format="%Y%m%d", errors="coerce")
        frame = pd.DataFrame(
            {
                "source_event_id": chunk["GLOBALEVENTID"],
                "date": date,
                "year": date.dt.year,
                "country_iso3": chunk["ActionGeo_CountryCode"].map(fips),
                "admin1": chunk["ActionGeo_ADM1Code"],
                "place": chunk["ActionGeo_FullName"],
                "category": chunk["EventCode"].map(cats),
                "event_code": chunk["EventCode"],
                "actor1": chunk["Actor1Name"],
                "actor2": chunk["Actor2Name"],
                "source_url": chunk["SOURCEURL"],
            }
        )
        for col in ("GoldsteinScale", "AvgTone", "ActionGeo_Lat", "ActionGeo_Long"):
            frame[col] = pd.to_numeric(chunk[col], errors="coerce")
        for col in ("NumMentions", "NumSources", "NumArticles", "QuadClass"):
            frame[col] = pd.to_numeric(chunk[col], errors="coerce").astype("Int32")
        pq.write_to_dataset(
            pa.Table.from_pandas(frame, preserve_index=False),
            store,
            partition_cols=["year"],
            basename_template=f"part-{i}-{{i}}.parquet",
        )
    table = pd.read_parquet(store, columns=["country_iso3", "date", "category"])
    table["month"] = table["date"].dt.strftime("%Y-%m")
    total = table.groupby(["country_iso3", "month", "category"], dropna=False).size()
    return [(c if isinstance(c, str) else None, m, k, int(n)) for (c, m, k), n in total.items()]


def _duck_with_lookups() -> Any:
    """A DuckDB connection holding the CAMEO → category and FIPS → ISO3 tables."""
    import duckdb

    cats, fips = _lookups()
    con = duckdb.connect()
    con.execute("CREATE TABLE cats (code VARCHAR, category VARCHAR)")
    con.executemany("INSERT INTO cats VALUES (?, ?)", list(cats.items()))
    con.execute("CREATE TABLE fips (fips VARCHAR, iso3 VARCHAR)")
    con.executemany("INSERT INTO fips VALUES (?, ?)", list(fips.items()))
    return con


def run_duckdb(path: Path, work: Path) -> list[tuple[Any, ...]]:
    from detente.events.adapters.gdelt_columns import GDELT2_COLUMNS

    con = _duck_with_lookups()
    cols = ", ".join(f"'{c}': 'VARCHAR'" for c in GDELT2_COLUMNS)
    q = f"""
        SELECT f.iso3, substr(e.SQLDATE, 1, 4) || '-' || substr(e.SQLDATE, 5, 2) AS month, c.category, count(*) AS n
        FROM read_csv('{path}', delim = '\t', header = false, quote = '', escape = '', columns = {{{cols}}}) e
        LEFT JOIN cats c ON c.code = e.EventCode
        LEFT JOIN fips f ON f.fips = e.ActionGeo_CountryCode
        GROUP BY ALL
    """
    return [tuple(r) for r in con.execute(q).fetchall()]


def run_duckdb_import(path: Path, work: Path) -> list[tuple[Any, ...]]:
    """The floor for any import: one raw DuckDB COPY of the file's typed, mapped columns into a year-partitioned
    Parquet store (no validation, no hashes, no line numbers, no dedupe), then the aggregation over that store."""
    from detente.events.adapters.gdelt_columns import GDELT2_COLUMNS

    con = _duck_with_lookups()
    cols = ", ".join(f"'{c}': 'VARCHAR'" for c in GDELT2_COLUMNS)
    store = work / "store"
    con.execute(f"""
        COPY (
            SELECT e.GLOBALEVENTID AS source_event_id, strptime(e.SQLDATE, '%Y%m%d')::DATE AS date,
                   CAST(substr(e.SQLDATE, 1, 4) AS INTEGER) AS year, f.iso3 AS country_iso3,
                   e.ActionGeo_ADM1Code AS admin1, e.ActionGeo_FullName AS place, c.category,
                   e.EventCode AS event_code, e.Actor1Name AS actor1, e.Actor2Name AS actor2,
                   CAST(e.GoldsteinScale AS DOUBLE) AS goldstein, CAST(e.AvgTone AS DOUBLE) AS tone,
                   CAST(e.ActionGeo_Lat AS DOUBLE) AS lat, CAST(e.ActionGeo_Long AS DOUBLE) AS lon,
                   CAST(e.NumMentions AS INTEGER) AS mentions, CAST(e.NumSources AS INTEGER) AS sources,
                   CAST(e.NumArticles AS INTEGER) AS articles, CAST(e.QuadClass AS TINYINT) AS quad,
                   e.SOURCEURL AS source_url
            FROM read_csv('{path}', delim = '\t', header = false, quote = '', escape = '', columns = {{{cols}}}) e
            LEFT JOIN cats c ON c.code = e.EventCode
            LEFT JOIN fips f ON f.fips = e.ActionGeo_CountryCode
        ) TO '{store}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year))
    """)
    q = f"""
        SELECT country_iso3, strftime(date, '%Y-%m') AS month, category, count(*) AS n
        FROM read_parquet('{store}/**/*.parquet') GROUP BY ALL
    """
    return [tuple(r) for r in con.execute(q).fetchall()]


def _child(pipeline: str, path: Path, work: Path, result: Path) -> None:
    runner = {
        "detente": run_detente,
        "pandas": run_pandas,
        "pandas_import": run_pandas_import,
        "duckdb": run_duckdb,
        "duckdb_import": run_duckdb_import,
    }[pipeline]
    rows = runner(path, work)
    result.write_text(json.dumps(sorted([list(r) for r in rows], key=lambda r: [str(x) for x in r])))


def _measure(pipeline: str, path: Path, work: Path) -> dict[str, Any]:
    import resource

    import psutil

    result = work / f"{pipeline}.json"
    cmd = [sys.executable, __file__, "--child", pipeline, "--file", str(path), "--work", str(work),
           "--result", str(result)]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = watched.memory_info().rss + sum(c.memory_info().rss for c in watched.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{pipeline} failed:\n{err}")
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak / 2**20, "stderr": err.strip()[-500:], "result": result}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data", help="real data folder")
    ap.add_argument("--only", choices=PIPELINES, action="append", help="run only these pipelines")
    ap.add_argument(
        "--dirty",
        action="store_true",
        help="append one malformed line, so Détente takes its exact (adapter) path and quarantines it; Détente only",
    )
    ap.add_argument("--child", choices=PIPELINES, help=argparse.SUPPRESS)
    ap.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, args.file, args.work, args.result)
        return 0

    from rich.console import Console
    from rich.table import Table

    from _gdelt_gen import generate

    console = Console()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.out / f"gdelt2-{args.rows}.export.CSV"
    if not data.exists():
        t0 = time.perf_counter()
        generate(args.shared / "gdelt", data, args.rows)
        console.print(f"generated {data} in {time.perf_counter() - t0:.1f} s")
    pipelines = args.only or PIPELINES
    if args.dirty:
        clean, data = data, args.out / f"gdelt2-{args.rows}-dirty.export.CSV"
        if not data.exists():
            shutil.copyfile(clean, data)
            with data.open("ab") as fh:
                fh.write(b"999999999999\t20200101\tthis line has too few fields\n")
        pipelines = ["detente"]
    size_mb = data.stat().st_size / 1e6
    figures: dict[str, dict[str, Any]] = {}
    results: dict[str, list[Any]] = {}
    for name in pipelines:
        with tempfile.TemporaryDirectory(dir=args.out) as tmp:
            m = _measure(name, data, Path(tmp))
            results[name] = json.loads(m.pop("result").read_text())
        m["rows_per_s"] = args.rows / m["wall_s"]
        m["mb_per_s"] = size_mb / m["wall_s"]
        figures[name] = m
        console.print(f"{name}: {m['wall_s']:.1f} s")

    table = Table(title=f"Ingest + country-month aggregation, {args.rows:,} rows, {size_mb:,.0f} MB")
    for col in ("pipeline", "wall s", "CPU s", "rows/s", "MB/s", "peak RSS MB"):
        table.add_column(col, justify="right")
    for name, m in figures.items():
        table.add_row(name, f"{m['wall_s']:.1f}", f"{m['cpu_s']:.1f}", f"{m['rows_per_s']:,.0f}",
                      f"{m['mb_per_s']:.1f}", f"{m['peak_rss_mb']:,.0f}")  # fmt: skip
    console.print(table)
    ratios: dict[str, float] = {}
    if "detente" in figures:
        targets = (
            ("pandas", "≥ 5× faster"),
            ("pandas_import", "≥ 5× faster"),
            ("duckdb", "within 2×"),
            ("duckdb_import", "within 2×"),
        )
        for other, target in targets:
            if other in figures:
                ratios[f"detente_vs_{other}"] = figures[other]["wall_s"] / figures["detente"]["wall_s"]
                console.print(f"Détente speed vs {other}: {ratios[f'detente_vs_{other}']:.2f}× (target {target})")
                ratios[f"detente_vs_{other}_cpu"] = figures[other]["cpu_s"] / figures["detente"]["cpu_s"]
                console.print(f"  by CPU time (less sensitive to other load): {ratios[f'detente_vs_{other}_cpu']:.2f}×")
    names = list(results)
    agree = all(results[n] == results[names[0]] for n in names)
    console.print(f"results agree: {agree} ({len(results[names[0]])} country-month-category cells)")
    report = {"rows": args.rows, "file_mb": size_mb, "pipelines": figures, "ratios": ratios, "agree": agree}
    out = args.out / f"ingest-{args.rows}{'-dirty' if args.dirty else ''}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    console.print(f"wrote {out}")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
