"""UCDP GED adapter on the real CSV and Parquet files and on API pages built from real rows (in tmp_path)."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from detente.errors import InputError
from detente.events.adapters import detect, probe_file
from detente.events.adapters.base import ReadOptions
from detente.events.adapters.ucdp import DATE_PRECISION, GEO_PRECISION, UcdpGedAdapter
from detente.events.canonical import Reject, finalize

ADAPTER = UcdpGedAdapter()
CSV_FILE = "ged231_global_random_sample_1000.csv"
SAMPLE = "ged231_global_random_sample_1000.parquet"
SYRIA = "ged191_syria_2016-2019.parquet"


def _read(path: Path, batch_rows: int = 250_000) -> tuple[pa.Table, list[Reject]]:
    tables = list(ADAPTER.read(path, ReadOptions(batch_rows=batch_rows)))
    return finalize(pa.concat_tables(tables), import_batch="test")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _api_page(path: Path, records: list[dict[str, Any]], text: str | None = None) -> Path:
    page = {
        "TotalCount": 1000,
        "TotalPages": 1000 // max(len(records), 1),
        "PreviousPageUrl": "",
        "NextPageUrl": "https://ucdpapi.pcr.uu.se/api/gedevents/23.1?pagesize=10&page=1",
        "Result": [{k: _json_value(v) for k, v in r.items()} for r in records],
    }
    path.write_text(text if text is not None else json.dumps(page, indent=1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "rows", "why"),
    [
        (CSV_FILE, 1000, "UCDP GED CSV: 49 comma-separated columns with type_of_violence, where_prec"),
        (SAMPLE, 1000, "UCDP GED Parquet: 49 columns with type_of_violence and where_prec"),
        (SYRIA, 16_566, "UCDP GED Parquet: 41 columns with type_of_violence and where_prec"),
    ],
)
def test_real_files_import_every_row(shared_data: Path, name: str, rows: int, why: str) -> None:
    path = shared_data / "ucdp_ged" / name
    adapter, reason = detect(probe_file(path))
    assert adapter.name == "ucdp_ged" and reason == why
    seen: list[int] = []
    tables = list(ADAPTER.read(path, ReadOptions(batch_rows=4000, on_progress=seen.append)))
    assert all(t.num_rows <= 4000 for t in tables)
    assert 0 < sum(seen) <= path.stat().st_size
    valid, rejects = finalize(pa.concat_tables(tables), import_batch="test")
    assert rejects == []
    assert valid.num_rows == rows  # SOURCE.md row counts
    assert len(set(valid.column("source_event_id").to_pylist())) == rows
    assert valid.column("country_iso3").null_count == 0


def test_csv_and_parquet_of_the_sample_give_the_same_events(shared_data: Path) -> None:
    from_csv, _ = _read(shared_data / "ucdp_ged" / CSV_FILE)
    from_parquet, _ = _read(shared_data / "ucdp_ged" / SAMPLE)
    assert from_csv.column("content_hash").to_pylist() == from_parquet.column("content_hash").to_pylist()
    assert from_csv.column("source_line").to_pylist()[:3] == [2, 3, 4]  # header is line 1
    assert from_parquet.column("source_line").to_pylist()[:3] == [1, 2, 3]  # Parquet: row number


def test_field_mapping_against_the_file(shared_data: Path) -> None:
    path = shared_data / "ucdp_ged" / SAMPLE
    valid, _ = _read(path)
    ref = pq.read_table(path).to_pylist()
    for event in valid.to_pylist():
        src = ref[event["source_line"] - 1]
        assert event["source_event_id"] == str(src["id"])
        assert event["date_start"] == src["date_start"].date() and event["date_end"] == src["date_end"].date()
        assert event["date_precision"] == DATE_PRECISION[src["date_prec"]]
        assert event["geo_precision"] == GEO_PRECISION[src["where_prec"]]
        assert event["country_gw"] == src["country_id"]
        assert event["actor1_name"] == src["side_a"] and event["actor1_id"] == str(src["side_a_new_id"])
        assert event["actor2_name"] == src["side_b"] and event["actor2_id"] == str(src["side_b_new_id"])
        assert (event["fatalities_best"], event["fatalities_low"], event["fatalities_high"]) == (
            src["best"],
            src["low"],
            src["high"],
        )
        assert event["civilian_deaths"] == src["deaths_civilians"]
        assert event["source_event_type"] == str(src["type_of_violence"])
        assert event["notes"] == (src["where_description"] or src["source_headline"])
    by_name = {e["country_name"]: e["country_iso3"] for e in valid.to_pylist()}
    assert by_name["DR Congo (Zaire)"] == "COD"
    assert by_name["Serbia (Yugoslavia)"] == "SRB"
    assert by_name["Yemen (North Yemen)"] == "YEM"
    assert by_name["Kingdom of eSwatini (Swaziland)"] == "SWZ"


@pytest.mark.parametrize("name", [SAMPLE, SYRIA])
def test_priogrid_cell_matches_the_files_own(shared_data: Path, name: str) -> None:
    path = shared_data / "ucdp_ged" / name
    valid, _ = _read(path)
    ref = pq.read_table(path, columns=["priogrid_gid"]).column("priogrid_gid").to_pylist()
    ours = valid.column("priogrid_gid").to_pylist()
    lines = valid.column("source_line").to_pylist()
    mismatches = [(line, gid, ref[line - 1]) for line, gid in zip(lines, ours, strict=True) if gid != ref[line - 1]]
    assert mismatches == []  # every real row has coordinates, and every cell agrees


def test_api_json_page(tmp_path: Path, shared_data: Path) -> None:
    records = pq.read_table(shared_data / "ucdp_ged" / SAMPLE).slice(0, 10).to_pylist()
    path = _api_page(tmp_path / "page.json", records)
    adapter, why = detect(probe_file(path))
    assert adapter.name == "ucdp_ged" and "API page" in why
    valid, rejects = _read(path)
    assert rejects == [] and valid.num_rows == 10
    assert valid.column("source_line").to_pylist() == list(range(1, 11))  # JSON: record index
    from_parquet, _ = _read(shared_data / "ucdp_ged" / SAMPLE)
    assert valid.column("content_hash").to_pylist() == from_parquet.column("content_hash").to_pylist()[:10]


# ----------------------------------------------------------------------------------------------------
# Bad input: one test per kind
# ----------------------------------------------------------------------------------------------------
def _csv_copy(tmp_path: Path, shared_data: Path, edit: dict[str, str], row: int = 0) -> Path:
    with (shared_data / "ucdp_ged" / CSV_FILE).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = [next(reader) for _ in range(5)]
    rows[row] = {**rows[row], **edit}
    path = tmp_path / "ged.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c for c in header if c in rows[0]])
        writer.writerows([[r[c] for c in header if c in rows[0]] for r in rows])
    return path


def test_missing_column(tmp_path: Path, shared_data: Path) -> None:
    path = _csv_copy(tmp_path, shared_data, {})
    text = path.read_text(encoding="utf-8").replace(",best,", ",bestest,", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(ADAPTER.read(path, ReadOptions()))
    assert (err.value.line, err.value.field) == (1, "best")
    assert "ged.csv:1" in str(err.value)


def test_missing_column_in_parquet(tmp_path: Path, shared_data: Path) -> None:
    table = pq.read_table(shared_data / "ucdp_ged" / SAMPLE).drop_columns(["date_prec"])
    pq.write_table(table, tmp_path / "ged.parquet")
    with pytest.raises(InputError, match=r"missing column\(s\) date_prec"):
        list(ADAPTER.read(tmp_path / "ged.parquet", ReadOptions()))


def test_bad_date(tmp_path: Path, shared_data: Path) -> None:
    valid, rejects = _read(_csv_copy(tmp_path, shared_data, {"date_start": "2013-02-30 00:00:00.000"}, row=1))
    assert valid.num_rows == 4
    assert [(r.line, r.reason) for r in rejects] == [(3, "bad date '2013-02-30 00:00:00.000' in date_start")]


def test_end_before_start_caught_by_finalize(tmp_path: Path, shared_data: Path) -> None:
    path = _csv_copy(tmp_path, shared_data, {"date_end": "1970-01-01 00:00:00.000"})
    _, rejects = _read(path)
    assert [r.line for r in rejects] == [2] and rejects[0].reason.startswith("end date 1970-01-01 before")


def test_out_of_range_longitude_caught_by_finalize(tmp_path: Path, shared_data: Path) -> None:
    _, rejects = _read(_csv_copy(tmp_path, shared_data, {"longitude": "236.5"}, row=3))
    assert [(r.line, r.reason) for r in rejects] == [(5, "longitude 236.5 out of range -180..180")]


def test_unknown_type_of_violence(tmp_path: Path, shared_data: Path) -> None:
    _, rejects = _read(_csv_copy(tmp_path, shared_data, {"type_of_violence": "4"}, row=2))
    assert [(r.line, r.reason) for r in rejects] == [(4, "unknown type_of_violence '4'")]


def test_invalid_utf8(tmp_path: Path, shared_data: Path) -> None:
    path = _csv_copy(tmp_path, shared_data, {"adm_1": "PLACEHOLDER"}, row=4)
    path.write_bytes(path.read_bytes().replace(b"PLACEHOLDER", b"\xff\xfe province"))
    valid, rejects = _read(path)
    assert valid.num_rows == 4 and [r.line for r in rejects] == [6]
    assert rejects[0].reason.startswith("invalid UTF-8")


def test_repeated_header(tmp_path: Path, shared_data: Path) -> None:
    path = _csv_copy(tmp_path, shared_data, {})
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines[:2], lines[0], *lines[2:]]))
    valid, rejects = _read(path)
    assert valid.num_rows == 5 and [(r.line, r.reason) for r in rejects] == [(3, "repeated header")]


def test_truncated_json_page(tmp_path: Path, shared_data: Path) -> None:
    records = pq.read_table(shared_data / "ucdp_ged" / SAMPLE).slice(0, 3).to_pylist()
    whole = _api_page(tmp_path / "whole.json", records).read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(whole[: len(whole) // 2], encoding="utf-8")
    with pytest.raises(InputError, match="invalid or truncated JSON") as err:
        list(ADAPTER.read(path, ReadOptions()))
    assert err.value.line is not None and err.value.line > 1


def test_json_record_that_is_not_an_object(tmp_path: Path, shared_data: Path) -> None:
    records: list[Any] = pq.read_table(shared_data / "ucdp_ged" / SAMPLE).slice(0, 2).to_pylist()
    path = _api_page(tmp_path / "page.json", records)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["Result"].insert(1, "oops")
    path.write_text(json.dumps(doc), encoding="utf-8")
    valid, rejects = _read(path)
    assert valid.num_rows == 2 and [(r.line, r.reason) for r in rejects] == [(2, "record is not an object")]


def test_json_without_result_list(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text('{"TotalCount": 0, "Result": null}', encoding="utf-8")
    with pytest.raises(InputError, match="no 'Result' list"):
        list(ADAPTER.read(path, ReadOptions()))
