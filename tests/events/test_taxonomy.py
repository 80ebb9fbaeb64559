"""The taxonomy maps every code the real sources use, and the docs match the code."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.events import docs
from detente.events.canonical import finalize, prio_gid
from detente.events.taxonomy import (
    CATEGORIES,
    SUBCATEGORIES,
    from_acled,
    from_cameo,
    from_ucdp,
    quad_class_of_root,
)

REPO = Path(__file__).resolve().parents[2]


def test_every_acled_event_type_maps(shared_data: Path) -> None:
    with (shared_data / "acled" / "acled_event_categories.csv").open(encoding="utf-8") as fh:
        pairs = [(r["event_type"], r["sub_event_type"]) for r in csv.DictReader(fh)]
    assert len(pairs) == 25
    for et, st_ in pairs:
        hit = from_acled(et, st_)
        assert hit is not None, (et, st_)
        assert hit[0] in CATEGORIES and hit[1] in SUBCATEGORIES
        assert hit[1] != "other" or st_ == "Other", (et, st_)


def test_every_cameo_event_code_maps(shared_data: Path) -> None:
    lines = (shared_data / "cameo" / "CAMEO.eventcodes.txt").read_text(encoding="utf-8").splitlines()[1:]
    codes = [ln.split("\t")[0] for ln in lines if ln.strip()]
    assert len(codes) > 250
    for code in codes:
        hit = from_cameo(code)
        assert hit is not None, code
        assert hit[0] in CATEGORIES and hit[1] in SUBCATEGORIES


def test_quad_class_agrees_with_gdelt_rows(shared_data: Path) -> None:
    checked = 0
    for name in ("gdelt2_events_sample100.export.tsv", "gdelt1_events_sample100.tsv"):
        for line in (shared_data / "gdelt" / name).read_text(encoding="utf-8").splitlines():
            f = line.split("\t")
            root, quad = f[28], f[29]
            assert quad_class_of_root(root) == int(quad), (name, root, quad)
            checked += 1
    assert checked == 200


def test_quad_class_agrees_with_the_georgia_file(shared_data: Path) -> None:
    import duckdb

    path = str(shared_data / "gdelt" / "gdelt1_georgia_2011-06_2013-05.parquet")
    pairs = duckdb.connect().execute(f"SELECT DISTINCT EventRootCode, QuadClass FROM read_parquet('{path}')").fetchall()
    assert len(pairs) == 20
    for root, quad in pairs:
        assert quad_class_of_root(root) == quad, (root, quad)


def test_ucdp_violence_types_map() -> None:
    assert from_ucdp(1) == ("battle", "state_based")
    assert from_ucdp(2) == ("battle", "non_state")
    assert from_ucdp(3) == ("violence_against_civilians", "one_sided")
    assert from_ucdp(4) is None


def test_cameo_refinements_use_longest_prefix() -> None:
    assert from_cameo("145")[0] == "riot"  # type: ignore[index]
    assert from_cameo("1451")[0] == "riot"  # type: ignore[index]
    assert from_cameo("1821") == ("violence_against_civilians", "sexual_violence")
    assert from_cameo("182") == ("violence_against_civilians", "assault")
    assert from_cameo("99") is None


def test_generated_docs_are_current() -> None:
    for name, render in (
        ("event-schema.md", docs.render_schema_table),
        ("taxonomy.md", docs.render_taxonomy_tables),
    ):
        text = (REPO / "docs" / name).read_text(encoding="utf-8")
        assert docs.splice(text, render()) == text, f"docs/{name} is stale: run python -m detente.events.docs docs"


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(-90, 90, allow_nan=False), lon=st.floats(-180, 180, allow_nan=False))
def test_priogrid_sql_equals_python(lat: float, lon: float) -> None:
    table = pa.table(
        {
            "source": ["t"],
            "source_event_id": ["1"],
            "date_start": [date(2020, 1, 1)],
            "date_precision": ["day"],
            "category": ["battle"],
            "latitude": [lat],
            "longitude": [lon],
            "source_file": ["f"],
            "source_line": [1],
        }
    )
    valid, rejects = finalize(table, import_batch="b")
    assert not rejects
    gid = valid.column("priogrid_gid")[0].as_py()
    assert gid == prio_gid(lat, lon)
    assert 1 <= gid <= 259_200
