"""Benchmark: build and analyse the actor network of 10^6 GDELT-shaped events; merge-suggestion precision@k.

Events are drawn with a seeded numpy generator from the real GDELT 1.0 Georgia file (105,444 rows): each generated
row is one real row (so actor codes, names, event codes, QuadClass and Goldstein stay jointly distributed as in the
real data) with a new GLOBALEVENTID and a SQLDATE drawn uniformly over the real file's two years. The rows go
through ``ingest_files`` into a fresh workspace; then the registry is built, relations measured and the network
analysed. Times are wall-clock; peak memory is the process's peak RSS (``ru_maxrss``), which includes DuckDB.

Merge suggestions are measured on the labelled set of ``tests/actors/labelled.py`` (names of UCDP ACD, UCDP GED and
the UCDP actor list; true pairs share a UCDP ``ActorId``): precision@k of the suggestions, against a baseline in the
same run that ranks the same candidate pairs by their name evidence alone (a shared name or alias, no corroboration).

    .venv/bin/python benchmarks/actors.py --rows 1000000 [--shared ../shared/data] [--out benchmarks/out]
    .venv/bin/python benchmarks/actors.py --labelled-only   # precision@k only (seconds)
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
_KS = (10, 20, 50, 100, 200)


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


def precision_figures(shared: Path) -> dict[str, float | int | str]:
    """precision@k of the suggestions on the UCDP labelled set, and of the name-only baseline."""
    sys.path.insert(0, str(REPO / "tests"))
    from actors.labelled import build_labelled_set, precision_at  # type: ignore[import-not-found]
    from detente.actors.suggest import Suggestion, name_evidence, suggest_merges

    t = time.perf_counter()
    labelled = build_labelled_set(shared)
    figures: dict[str, float | int | str] = {"labelled_actors": len(labelled.registry.actors)}
    figures["labelled_true_pairs"] = labelled.positives()
    suggestions = labelled.suggestions()
    figures["suggestions"] = len(suggestions)
    true_found = sum(labelled.is_true(s) for s in suggestions)
    figures["suggestions_true"] = true_found
    figures["recall"] = round(true_found / labelled.positives(), 3)
    every = suggest_merges(labelled.registry, min_score=0.0, counterparts=labelled.counterparts)
    reg = labelled.registry
    baseline: list[Suggestion] = []
    for s in every:
        if s.score > 0:
            evidence, why = name_evidence(reg.actors[s.a], reg.actors[s.b])
            if evidence >= 0.75:
                baseline.append(Suggestion(s.a, s.b, evidence, (why,)))
    baseline.sort(key=lambda s: (-s.score, s.a, s.b))
    figures["baseline_suggestions"] = len(baseline)
    for k in _KS:
        p, b = precision_at(suggestions, labelled, k), precision_at(baseline, labelled, k)
        figures[f"precision@{k}"] = round(p, 3)
        figures[f"baseline_precision@{k}"] = round(b, 3)
        figures[f"ratio@{k}"] = round(p / b, 3) if b else "n/a"
    figures["precision_all"] = round(true_found / len(suggestions), 3) if suggestions else 0.0
    base_true = sum(labelled.is_true(s) for s in baseline)
    figures["baseline_precision_all"] = round(base_true / len(baseline), 3) if baseline else 0.0
    figures["baseline_recall"] = round(base_true / labelled.positives(), 3)
    figures["labelled_s"] = round(time.perf_counter() - t, 2)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--labelled-only", action="store_true", help="only precision@k on the UCDP labelled set")
    args = parser.parse_args(argv)
    if args.labelled_only:
        json.dump(precision_figures(args.shared), sys.stdout, indent=1)
        print()
        return 0
    from detente.actors import ActorAnalysis, build_registry
    from detente.actors.chart import render_network
    from detente.events import ingest_files
    from detente.events.store import open_store

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
        engine = ActorAnalysis(open_store(Path(tmp) / "ws"))
        t0 = time.perf_counter()
        registry = build_registry(engine.store_sources())
        figures["build_registry_s"] = round(time.perf_counter() - t0, 2)
        t = time.perf_counter()
        suggestions = engine.suggest(registry, limit=None)
        figures["suggest_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        rs = engine.relations(registry)
        figures["relations_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        result = engine.analyse(rs, registry)
        figures["analyse_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        render_network(rs, result, Path(tmp) / "network.svg")
        figures["chart_s"] = round(time.perf_counter() - t, 2)
        figures["build_to_analysis_s"] = round(time.perf_counter() - t0, 2)
        figures["actors"] = len(registry.actors)
        figures["suggestions"] = len(suggestions)
        figures["directed_pairs"] = len(rs.relations)
        figures["peak_rss_mb"] = round(peak_mb(), 1)
        names = {s.actor_id: s.name for s in result.scores}
        figures["top_hostile"] = "; ".join(f"{names[a]} -> {names[b]} ({n})" for a, b, n in result.top_hostile[:3])
        figures["influencers"] = ", ".join(s.name for s in result.influencers[:5])
        figures["brokers"] = ", ".join(s.name for s in result.brokers[:5])
        figures["spoilers"] = ", ".join(f"{s.name} ({s.spoiler_risk:.2f})" for s in result.spoilers[:5])
    figures.update(precision_figures(args.shared))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"actors-{args.rows}.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    json.dump(figures, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
