"""The native adapter: Détente's own CSV / JSON Lines / Parquet exports read back, and bad input in them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest

from detente.errors import InputError
from detente.events.adapters import detect, probe_file
from detente.events.adapters.base import ReadOptions
from detente.events.adapters.native import NativeAdapter
from detente.events.canonical import Reject, conform, finalize
from detente.events.export import write_events


def _events(n: int = 3) -> pa.Table:
    rows = [
        {
            "source": "acled",
            "source_event_id": f"E{i}",
            "date_start": dt.date(2021, 3, 1 + i),
            "date_precision": "day",
            "country_iso3": "SDN",
            "country_name": "Sudan",
            "latitude": 12.5 + i,
            "longitude": 30.25,
            "category": "battle",
            "actor1_name": 'Group "A", north',
            "fatalities_best": i,
            "notes": "line one\nline two",
            "source_file": "orig.csv",
            "source_line": i + 2,
        }
        for i in range(n)
    ]
    events, rejects = finalize(conform(pa.Table.from_pylist(rows)), import_batch="b0")
    assert rejects == []
    return events.sort_by("source_line")


def _read(path: Path, batch_rows: int = 1000) -> tuple[list[pa.Table], list[int]]:
    seen: list[int] = []
    adapter = NativeAdapter()
    return list(adapter.read(path, ReadOptions(batch_rows=batch_rows, on_progress=seen.append))), seen


def _finalize(tables: list[pa.Table]) -> tuple[pa.Table, list[Reject]]:
    events, rejects = finalize(pa.concat_tables(tables), import_batch="b1")
    return events.sort_by("source_line"), rejects  # finalize does not promise to keep row order


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_reads_its_own_exports_in_batches(tmp_path: Path, fmt: str) -> None:
    original = _events(5)
    path = tmp_path / f"events.{fmt}"
    write_events([original], fmt, path)
    if fmt != "json":  # JSON Lines detection needs probe_file to accept JSON Lines (see the report)
        adapter, why = detect(probe_file(path))
        assert adapter.name == "detente" and "Détente" in why
    tables, progress = _read(path, batch_rows=2)
    assert [t.num_rows for t in tables] == [2, 2, 1]
    assert sum(progress) > 0
    events, rejects = _finalize(tables)
    assert rejects == []
    assert events.column("event_id").to_pylist() == original.column("event_id").to_pylist()
    assert events.column("content_hash").to_pylist() == original.column("content_hash").to_pylist()
    assert set(events.column("source_file").to_pylist()) == {path.name}


def test_csv_source_lines_are_physical_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events([_events(3)], "csv", path)
    events, _ = _finalize(_read(path)[0])
    assert events.column("source_line").to_pylist() == [2, 4, 6]  # each note spans two lines


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events([_events(2)], "csv", path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].split(",")
    at = header.index("category")
    lines[0] = ",".join(h if i != at else "kategorie" for i, h in enumerate(header))
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match="missing column 'category'") as err:
        _read(path)
    assert err.value.line == 1 and err.value.field == "category"


def test_invalid_utf8_row(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events([_events(3)], "csv", path)
    path.write_bytes(path.read_bytes().replace(b"E1", b"E\xff1"))
    events, rejects = _finalize(_read(path)[0])
    assert events.num_rows == 2
    assert [(r.file, r.line) for r in rejects] == [("events.csv", 4)]
    assert "invalid utf-8 (byte 0xff at line 4" in rejects[0].reason and rejects[0].raw


def test_bad_date(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events([_events(2)], "csv", path)
    path.write_text(path.read_text(encoding="utf-8").replace("2021-03-02", "2021-02-30", 1), encoding="utf-8")
    events, rejects = _finalize(_read(path)[0])
    assert events.num_rows == 1
    assert rejects[0].line == 4 and rejects[0].reason.startswith("field date_start: bad date '2021-02-30'")


def test_repeated_header_row(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events([_events(2)], "csv", path)
    text = path.read_text(encoding="utf-8")
    header = text.splitlines(keepends=True)[0]
    path.write_text(text + header, encoding="utf-8")
    events, rejects = _finalize(_read(path)[0])
    assert events.num_rows == 2
    assert [(r.line, r.reason) for r in rejects] == [(6, "repeated header row")]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        _read(path)


def test_bad_json_line_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_events([_events(2)], "json", path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[1])
    record["fatalities_best"] = "many"
    path.write_text(lines[0] + "{not json\n" + json.dumps(record) + "\n", encoding="utf-8")
    events, rejects = _finalize(_read(path)[0])
    assert events.num_rows == 1
    assert [r.line for r in rejects] == [2, 3]
    assert rejects[0].reason.startswith("invalid JSON") and "fatalities_best" in rejects[1].reason
