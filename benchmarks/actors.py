"""Benchmark: build and analyse the actor network of 10^6 GDELT-shaped events.

Events are drawn with a seeded numpy generator from the real GDELT 1.0 Georgia file (105,444 rows): each generated
row is one real row (so actor codes, names, event codes, QuadClass and Goldstein stay jointly distributed as in the
real data) with a new GLOBALEVENTID and a SQLDATE drawn uniformly over the real file's two years. The rows go
through ``ingest_files`` into a fresh workspace; then the registry is built, relations measured and the network
analysed. Times are wall-clock; peak memory is the process's peak RSS (``ru_maxrss``), which includes DuckDB.

    .venv/bin/python benchmarks/actors.py --rows 1000000 [--shared ../shared/data] [--out benchmarks/out]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]


def generate(real: Path, out: Path, rows: int, seed: int = 20240601) -> None:
    table = pq.read_table(real)
    rng = np.random.default_rng(seed)
    picks = table.take(pa.array(rng.integers(0, table.num_rows, rows)))
    day0 = np.datetime64("2011-06-01")
    days = rng.integers(0, int((np.datetime64("2013-06-01") - day0).astype(int)), rows)
    dates = (day0 + days.astype("timedelta64[D]")).astype("datetime64[D]").astype(str)
    sqldate = pa.array(np.char.replace(dates, "-", "").astype(np.int64))
    cols = {name: picks.column(name) for name in picks.column_names}
    cols["GLOBALEVENTID"] = pa.array(np.arange(900_000_000, 900_000_000 + rows, dtype=np.int64))
    cols["SQLDATE"] = pc.cast(sqldate, picks.schema.field("SQLDATE").type)
    pq.write_table(pa.table(cols), out, compression="snappy")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    args = parser.parse_args(argv)
    from detente.actors import ActorService
    from detente.actors.chart import render_network
    from detente.events import ingest_files

    real = args.shared / "gdelt" / "gdelt1_georgia_2011-06_2013-05.parquet"
    figures: dict[str, float | int | str] = {"rows": args.rows}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / f"gdelt1-georgia-shaped-{args.rows}.parquet"
        t = time.perf_counter()
        generate(real, data, args.rows)
        figures["generate_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        report = ingest_files(Path(tmp) / "ws", [data])
        figures["ingest_s"] = round(time.perf_counter() - t, 2)
        figures["imported"] = sum(f.imported for f in report.files)
        figures["peak_rss_after_ingest_mb"] = round(peak_mb(), 1)
        svc = ActorService.open(Path(tmp) / "ws")
        t0 = time.perf_counter()
        built = svc.build()
        figures["build_registry_s"] = round(time.perf_counter() - t0, 2)
        t = time.perf_counter()
        suggestions = svc.suggest(limit=None)
        figures["suggest_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        rs = svc.relations()
        figures["relations_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        result = svc.analyse(rs)
        figures["analyse_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        render_network(rs, result, Path(tmp) / "network.svg")
        figures["chart_s"] = round(time.perf_counter() - t, 2)
        figures["build_to_analysis_s"] = round(time.perf_counter() - t0, 2)
        figures["actors"] = built.canonical
        figures["suggestions"] = len(suggestions)
        figures["directed_pairs"] = len(rs.relations)
        figures["peak_rss_mb"] = round(peak_mb(), 1)
        names = {s.actor_id: s.name for s in result.scores}
        figures["top_hostile"] = "; ".join(f"{names[a]} -> {names[b]} ({n})" for a, b, n in result.top_hostile[:3])
        figures["influencers"] = ", ".join(s.name for s in result.influencers[:5])
        figures["brokers"] = ", ".join(s.name for s in result.brokers[:5])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"actors-{args.rows}.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    json.dump(figures, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
