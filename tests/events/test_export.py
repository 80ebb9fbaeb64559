"""Export writers: each format's layout, streaming to a file object, and no half-written file on failure."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from detente.errors import DetenteError
from detente.events.adapters.hxl import HXL_TAGS, parse_tag
from detente.events.canonical import conform, finalize
from detente.events.export import FORMATS, export_events, hxl_label, write_events
from detente.events.schema import EVENT_SCHEMA


def _events() -> pa.Table:
    rows = [
        {
            "source": "ucdp_ged",
            "source_event_id": "1",
            "date_start": dt.date(2019, 5, 1),
            "date_precision": "day",
            "latitude": 36.2,
            "longitude": 37.15,
            "category": "battle",
            "tone": float("nan"),
            "notes": 'Aleppo, "east"',
            "source_file": "f",
            "source_line": 2,
        },
        {
            "source": "ucdp_ged",
            "source_event_id": "2",
            "date_start": dt.date(2019, 5, 2),
            "date_precision": "day",
            "category": "battle",
            "source_file": "f",
            "source_line": 3,
        },
    ]
    events, rejects = finalize(conform(pa.Table.from_pylist(rows)), import_batch="b")
    assert rejects == []
    return events


def test_csv_header_is_the_field_names(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    assert write_events([_events(), _events()], "csv", path) == 4
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert rows[0] == EVENT_SCHEMA.names and len(rows) == 5
    assert rows[1][EVENT_SCHEMA.names.index("notes")] == 'Aleppo, "east"'


def test_json_lines_one_event_per_line(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    write_events([_events()], "json", path)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2 and records[0]["date_start"] == "2019-05-01"
    assert records[0]["tone"] is None  # NaN has no JSON form
    assert set(records[1]) == set(EVENT_SCHEMA.names)


def test_geojson_points_and_skipped_count(tmp_path: Path) -> None:
    path = tmp_path / "e.geojson"
    result = export_events([_events()], "geojson", path)
    assert (result.written, result.skipped_no_coordinates) == (1, 1)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 1
    feature = doc["features"][0]
    assert feature["geometry"] == {
        "type": "Point",
        "coordinates": [37.15, 36.2],
    }  # longitude first (RFC 7946)
    assert feature["properties"]["source_event_id"] == "1" and "latitude" not in feature["properties"]


def test_geojson_with_no_events_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "e.geojson"
    assert write_events([], "geojson", path) == 0
    assert json.loads(path.read_text(encoding="utf-8")) == {"type": "FeatureCollection", "features": []}


def test_parquet_has_the_event_schema(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    write_events([_events()], "parquet", path)
    table = pq.read_table(path)
    assert table.schema.equals(EVENT_SCHEMA) and table.num_rows == 2


def test_hxl_header_then_hashtag_row(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    write_events([_events()], "hxl", path)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert rows[0] == [hxl_label(n) for n in EVENT_SCHEMA.names]
    assert rows[1] == [HXL_TAGS[n] for n in EVENT_SCHEMA.names]
    assert all(parse_tag(t) is not None for t in rows[1]) and len(rows) == 4


@pytest.mark.parametrize("fmt", FORMATS)
def test_streams_to_a_binary_file_object(fmt: str) -> None:
    buf = io.BytesIO()
    assert write_events(iter([_events()]), fmt, buf) == (1 if fmt == "geojson" else 2)
    assert buf.getvalue()


def test_failed_export_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    with pytest.raises(DetenteError, match="lacks"):
        write_events([_events(), _events().drop_columns(["category"])], "csv", path)
    assert list(tmp_path.iterdir()) == []


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DetenteError, match="unknown export format 'xlsx'"):
        write_events([], "xlsx", tmp_path / "e.xlsx")
