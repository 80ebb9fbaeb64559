"""Round trip (Hypothesis): export canonical events, detect the file, import it, get the same events."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.errors import InputError
from detente.events.adapters import detect, get_adapter, probe_file
from detente.events.adapters.base import ReadOptions
from detente.events.canonical import CONTENT_FIELDS, conform, finalize
from detente.events.export import write_events
from detente.events.schema import DATE_PRECISIONS
from detente.events.taxonomy import CATEGORIES, SUBCATEGORIES

#: formats an export can be read back from, and the adapter that must recognise each
IMPORTABLE = {"csv": "detente", "json": "detente", "parquet": "detente", "hxl": "hxl"}
COMPARED = ("event_id", "content_hash", "source_event_id", *CONTENT_FIELDS)

# Text with the characters that break naive CSV/HXL writers. Empty text is left out: CSV has one spelling for
# an empty text and a missing one, and Détente reads it as missing (see docs/export-formats.md). NUL is left
# out because DuckDB strings cannot hold it.
_tricky = st.sampled_from([",", '"', "\n", "\r", "#", "+", ";", "\t", " ", "é", "ß", "🕊", "\u2028", "\x85"])
_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
TEXT = st.text(alphabet=st.one_of(_tricky, _chars), min_size=1, max_size=12)


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def _ints(low: int, high: int) -> st.SearchStrategy[int | None]:
    return _opt(st.integers(low, high))


_finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def event(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
    span = draw(_ints(0, 400))
    located = draw(st.booleans())
    lat = draw(st.one_of(st.sampled_from([-90.0, 90.0, 0.0, -0.0]), st.floats(-90, 90))) if located else None
    lon = draw(st.one_of(st.sampled_from([-180.0, 180.0, 179.99999]), st.floats(-180, 180))) if located else None
    row: dict[str, Any] = {
        "source": draw(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)),
        "source_event_id": draw(_opt(TEXT)),
        "date_start": start,
        "date_end": None if span is None else start + dt.timedelta(days=span),
        "date_precision": draw(st.sampled_from(DATE_PRECISIONS)),
        "country_iso3": draw(_opt(st.from_regex(r"[A-Z]{3}", fullmatch=True))),
        "country_gw": draw(_ints(-(2**15), 2**15 - 1)),
        "latitude": lat,
        "longitude": lon,
        "geo_precision": draw(_ints(1, 4)),
        "category": draw(st.sampled_from(sorted(CATEGORIES))),
        "subcategory": draw(_opt(st.sampled_from(sorted(SUBCATEGORIES)))),
        "quad_class": draw(_ints(1, 4)),
        "intensity": draw(_opt(_finite)),
        "tone": draw(_opt(_finite)),
        "source_file": "generated",
        "source_line": 1,
    }
    for name in (
        "country_name",
        "admin1",
        "admin2",
        "place",
        "source_event_type",
        "actor1_name",
        "actor1_id",
        "actor1_type",
        "actor2_name",
        "actor2_id",
        "actor2_type",
        "notes",
        "source_url",
    ):
        row[name] = draw(_opt(TEXT))
    for name in (
        "fatalities_best",
        "fatalities_low",
        "fatalities_high",
        "civilian_deaths",
        "num_sources",
        "num_mentions",
        "num_articles",
    ):
        row[name] = draw(_ints(0, 2**31 - 1))
    return row


def _canonical(rows: list[dict[str, Any]]) -> pa.Table:
    events, rejects = finalize(conform(pa.Table.from_pylist(rows)), import_batch="export")
    assert rejects == []
    return events


def _import(path: Path, expected_adapter: str, auto: bool) -> pa.Table:
    if auto:
        adapter, _ = detect(probe_file(path))
        assert adapter.name == expected_adapter
    else:
        adapter = get_adapter(expected_adapter)
    tables = list(adapter.read(path, ReadOptions(batch_rows=3)))
    events, rejects = finalize(pa.concat_tables(tables), import_batch="import")
    assert rejects == []
    return events


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    """The compared fields, in a fixed order (``finalize`` does not promise to keep row order)."""
    rows = table.select(COMPARED).to_pylist()
    return sorted(rows, key=lambda r: (r["event_id"], r["content_hash"]))


def _jsonl_probe_supported(tmp: Path) -> bool:
    path = tmp / "probe.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    try:
        probe_file(path)
    except InputError:
        return False
    return True


@pytest.mark.parametrize("fmt", sorted(IMPORTABLE))
def test_export_then_import_gives_the_same_events(fmt: str, tmp_path: Path) -> None:
    # Until probe_file reads JSON Lines (a change in adapters/__init__.py), JSON is read by the named adapter.
    auto = fmt != "json" or _jsonl_probe_supported(tmp_path)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=st.lists(event(), min_size=1, max_size=5))
    def check(rows: list[dict[str, Any]]) -> None:
        original = _canonical(rows)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"events.{fmt}"
            assert write_events([original.slice(0, 2), original.slice(2)], fmt, path) == original.num_rows
            back = _import(path, IMPORTABLE[fmt], auto)
        assert back.num_rows == original.num_rows
        for before, after in zip(_rows(original), _rows(back), strict=True):
            assert after == before

    check()
