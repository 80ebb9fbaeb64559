"""Generate a GDELT-2.0-shaped export file from the value distributions of the real sample rows.

Rows are drawn with a seeded numpy generator from the empirical distribution of the real GDELT 2.0 rows: the
event block (codes, QuadClass, Goldstein), each actor block and the action-geography block are each drawn jointly
from one real row, so codes, countries and coordinates stay consistent; SQLDATE is drawn uniformly over
2015–2020 and GLOBALEVENTID is a running number. Building the text is vectorised (Arrow string joins).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as _pc

from detente.events.adapters.gdelt_columns import GDELT2_COLUMNS

__all__ = ["REAL_FILES", "generate"]

pc: Any = _pc

REAL_FILES = ("gdelt2_events_sample100.export.tsv", "gdelt2_events_translingual_sample100.export.tsv")
_CHUNK = 250_000


def _groups() -> list[list[int]]:
    """Column positions drawn together from one real row."""
    idx = {name: i for i, name in enumerate(GDELT2_COLUMNS)}
    actor1 = [i for n, i in idx.items() if n.startswith("Actor1") and not n.startswith("Actor1Geo")]
    actor2 = [i for n, i in idx.items() if n.startswith("Actor2") and not n.startswith("Actor2Geo")]
    event = [idx[n] for n in ("IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
                              "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone")]  # fmt: skip
    geos = [[i for n, i in idx.items() if n.startswith(p)] for p in ("Actor1Geo", "Actor2Geo", "ActionGeo")]
    return [actor1, actor2, event, *geos, [idx["SOURCEURL"]]]


def _real_rows(gdelt_dir: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for name in REAL_FILES:
        for line in (gdelt_dir / name).read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if len(fields) == len(GDELT2_COLUMNS):
                rows.append(fields)
    return rows


def generate(gdelt_dir: Path, out: Path, rows: int, seed: int = 20240601) -> dict[str, Any]:
    """Write ``rows`` lines to ``out``; returns the event codes used (for the reference pipelines)."""
    real = _real_rows(gdelt_dir)
    columns = [pa.array([r[c] for r in real], pa.string()) for c in range(len(GDELT2_COLUMNS))]
    rng = np.random.default_rng(seed)
    day0 = np.datetime64("2015-01-01")
    ndays = int((np.datetime64("2021-01-01") - day0).astype(int))
    start_id = 900_000_000
    with out.open("wb") as fh:
        for start in range(0, rows, _CHUNK):
            n = min(_CHUNK, rows - start)
            picks: dict[int, pa.Array] = {}
            for group in _groups():
                which = pa.array(rng.integers(0, len(real), n))
                for c in group:
                    picks[c] = pc.take(columns[c], which)
            days = day0 + rng.integers(0, ndays, n).astype("timedelta64[D]")
            ymd = np.datetime_as_string(days, unit="D")
            sqldate = pc.replace_substring(pa.array(ymd), "-", "")
            picks[0] = pc.cast(pa.array(np.arange(start_id + start, start_id + start + n)), pa.string())
            picks[1] = sqldate
            picks[2] = pc.utf8_slice_codeunits(sqldate, 0, 6)
            picks[3] = pc.utf8_slice_codeunits(sqldate, 0, 4)
            picks[4] = pc.binary_join_element_wise(picks[3], "0000", ".")
            picks[59] = pc.binary_join_element_wise(sqldate, "000000", "")
            parts = [picks[c] for c in range(len(GDELT2_COLUMNS))]
            parts[-1] = pc.binary_join_element_wise(parts[-1], "\n", "")
            text = pc.binary_join_element_wise(*parts, "\t")
            offsets = text.buffers()[1]
            first, last = np.frombuffer(offsets, dtype=np.int32, count=n + 1, offset=text.offset * 4)[[0, -1]]
            fh.write(memoryview(text.buffers()[2])[int(first) : int(last)])
    codes = sorted(set(r[GDELT2_COLUMNS.index("EventCode")] for r in real))
    return {"event_codes": codes}
