"""What the explorer's map costs, against a floor measured in the same run.

Imports a GDELT or ACLED file (default: the GDELT 1.0 Georgia extract, 105,444 rows) into a temporary workspace,
then times ``EventQueries.map`` (counts, centroid stacks and names in one scan; points or cells in a second) and,
as the floor, the two plain queries that only count the located events and draw their cells (what the map did
before it told centroids apart and named places). Prints the minimum and median of each and their ratio.

    .venv/bin/python benchmarks/explorer_map.py --file DATA/gdelt/gdelt1_georgia_2011-06_2013-05.parquet
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from detente.events import open_store
from detente.events.explore import EventQueries, choose_cell_size, where
from detente.events.explore_query import ExplorerQuery, parse_query
from detente.events.ingest import ingest_files


def _times(fn: Callable[[], object], reps: int) -> list[float]:
    fn()
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _floor(queries: EventQueries, q: ExplorerQuery) -> object:
    """The located events' count and extent, then their cells: no centroids told apart, no names."""
    clause, qargs = where(q)
    located = "latitude IS NOT NULL AND longitude IS NOT NULL"
    where_located = f"{clause} AND {located}" if clause else f"WHERE {located}"
    with queries.cursor() as cur:
        _, _, x0, y0, x1, y1 = cur.execute(
            "SELECT count(*), count(latitude + longitude), min(longitude), min(latitude), "
            f"max(longitude), max(latitude) FROM events {clause}",
            qargs,
        ).fetchall()[0]
        size = choose_cell_size(x1 - x0, y1 - y0)
        return cur.execute(
            f"SELECT floor(longitude / {size}) AS gx, floor(latitude / {size}) AS gy, count(*) "
            f"FROM events {where_located} GROUP BY gx, gy",
            qargs,
        ).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, required=True, help="an events file the ingest reads")
    parser.add_argument("--reps", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        ingest_files(ws, [args.file])
        queries = EventQueries(open_store(ws))
        for items in ([], [("start", "2012-06-01"), ("end", "2012-06-30")]):
            q = parse_query(items)
            base = _times(lambda q=q: _floor(queries, q), args.reps)  # type: ignore[misc]
            full = _times(lambda q=q: queries.map(q), args.reps)  # type: ignore[misc]
            label = ", ".join(f"{k}={v}" for k, v in items) or "no filter"
            print(
                f"{label}: map {min(full) * 1000:.1f} ms min / {statistics.median(full) * 1000:.1f} ms median; "
                f"floor {min(base) * 1000:.1f} / {statistics.median(base) * 1000:.1f} ms; "
                f"ratio {statistics.median(full) / statistics.median(base):.2f}"
            )
        queries.close()


if __name__ == "__main__":
    main()
