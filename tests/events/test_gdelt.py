"""GDELT adapters on the real sample files and on broken variants built in tmp_path."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from detente.errors import FormatError, InputError
from detente.events.adapters import ReadOptions, detect, probe_file
from detente.events.adapters.gdelt import ADAPTERS
from detente.events.canonical import Reject, finalize
from detente.events.schema import RAW_SCHEMA

EVENT_FILES = {
    "gdelt1_events_sample100.tsv": "gdelt1",
    "gdelt2_events_sample100.export.tsv": "gdelt2",
    "gdelt2_events_translingual_sample100.export.tsv": "gdelt2",
}
GEORGIA = "gdelt1_georgia_2011-06_2013-05.parquet"


def _read(path: Path, batch_rows: int = 250_000, fmt: str = "auto") -> tuple[str, str, pa.Table]:
    adapter, why = detect(probe_file(path), fmt)
    tables = list(adapter.read(path, ReadOptions(batch_rows=batch_rows)))
    assert all(t.num_rows <= batch_rows for t in tables)
    table = pa.concat_tables(tables) if tables else RAW_SCHEMA.empty_table()
    return adapter.name, why, table


def _import(path: Path, batch_rows: int = 250_000) -> tuple[pa.Table, list[Reject]]:
    _, _, table = _read(path, batch_rows)
    return finalize(table, import_batch="test")


def _lines(shared_data: Path, name: str) -> list[bytes]:
    return (shared_data / "gdelt" / name).read_bytes().splitlines(keepends=True)


def _write(tmp_path: Path, name: str, lines: list[bytes]) -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(lines))
    return path


@pytest.mark.parametrize(("name", "fmt"), sorted(EVENT_FILES.items()))
def test_real_files_detect_and_import_every_row(shared_data: Path, name: str, fmt: str) -> None:
    adapter, why, table = _read(shared_data / "gdelt" / name, batch_rows=37)
    assert adapter == fmt
    assert "tab-separated fields" in why
    assert (
        table.schema.remove(table.schema.get_field_index("_reject")).remove(table.schema.get_field_index("_raw") - 1)
        == RAW_SCHEMA
    )
    assert table.column("source_line").to_pylist() == list(range(1, 101))
    assert set(table.column("source_file").to_pylist()) == {name}
    valid, rejects = finalize(table, import_batch="test")
    assert rejects == []
    assert valid.num_rows == 100
    assert set(valid.column("source").to_pylist()) == {fmt}
    codes = valid.column("source_event_type").to_pylist()
    assert all(len(c) >= 3 for c in codes), "CAMEO codes keep their leading zeros"


def test_gdelt1_mixed_57_and_58_fields(shared_data: Path) -> None:
    _, _, table = _read(shared_data / "gdelt" / "gdelt1_events_sample100.tsv")
    urls = table.column("source_url")
    assert urls.null_count == 40  # the 57-field backfile lines have no SOURCEURL
    assert urls[45].as_py() == "http://www.startribune.com/nation/200818961.html"
    row = table.slice(45, 1).to_pylist()[0]
    assert (row["country_iso3"], row["admin1"], row["geo_precision"]) == ("USA", "USNV", 3)
    assert row["actor2_id"] is None  # a blank code is missing, not " "
    backfile = table.slice(0, 1).to_pylist()[0]
    assert backfile["latitude"] is None  # ActionGeo_Type empty: the 0/0 coordinates mean "no place"


def test_gdelt2_mapping_of_one_row(shared_data: Path) -> None:
    _, _, table = _read(shared_data / "gdelt" / "gdelt2_events_sample100.export.tsv")
    row = table.slice(0, 1).to_pylist()[0]
    assert row["source_event_id"] == "410412347"
    assert str(row["date_start"]) == str(row["date_end"]) == "2014-02-18"
    assert (row["country_iso3"], row["country_gw"], row["admin1"]) == ("ZAF", 560, "SF03")
    assert (row["latitude"], row["longitude"], row["geo_precision"]) == (-30.3098, 25.2971, 1)
    assert (row["category"], row["subcategory"], row["source_event_type"]) == (
        "verbal_cooperation",
        "consult",
        "043",
    )
    assert (row["quad_class"], row["intensity"], row["num_mentions"]) == (1, 2.8, 5)
    assert (row["actor2_name"], row["actor2_id"], row["actor2_type"]) == ("PRESIDENT", "GOV", "GOV")
    assert row["source_url"].startswith("http://www.dailymaverick.co.za/")


def test_georgia_parquet_reads_fully(shared_data: Path) -> None:
    adapter, why, table = _read(shared_data / "gdelt" / GEORGIA, batch_rows=40_000)
    assert adapter == "gdelt1-parquet"
    assert "59 columns" in why
    assert table.num_rows == 105_444
    assert table.column("source_line").to_pylist()[-1] == 105_444
    ids = table.column("source_event_id")
    assert len(pc.unique(ids)) == 105_444 - 6  # six GLOBALEVENTIDs occur twice; the store decides
    valid, rejects = finalize(table, import_batch="test")
    assert rejects == []
    assert valid.num_rows == 105_444
    assert set(valid.column("country_iso3").to_pylist()) == {"GEO"}


def test_mentions_file_is_named_and_refused(shared_data: Path) -> None:
    path = shared_data / "gdelt" / "gdelt2_mentions_sample100.mentions.tsv"
    adapter, _ = detect(probe_file(path))
    assert adapter.name == "gdelt2-mentions"
    with pytest.raises(FormatError, match="mentions"):
        list(adapter.read(path, ReadOptions()))


@pytest.mark.parametrize("name", ["gdelt2_events_sample100.export.tsv", "gdelt1_events_sample100.tsv"])
def test_zipped_copy_gives_the_same_rows(shared_data: Path, tmp_path: Path, name: str) -> None:
    plain = shared_data / "gdelt" / name
    zipped = tmp_path / "20150218230000.export.CSV.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(plain, arcname="20150218230000.export.CSV")
    fmt, why, from_zip = _read(zipped)
    assert fmt == EVENT_FILES[name]
    assert "zip member 20150218230000.export.CSV" in why
    _, _, from_plain = _read(plain)
    assert from_zip.drop_columns(["source_file"]).equals(from_plain.drop_columns(["source_file"]))


def test_many_blocks_crlf_and_no_final_newline(shared_data: Path, tmp_path: Path) -> None:
    lines = _lines(shared_data, "gdelt2_events_sample100.export.tsv") * 30  # > 1 MB: several read blocks
    lines = [line.replace(b"\n", b"\r\n") for line in lines]
    lines[-1] = lines[-1].rstrip(b"\r\n")
    path = _write(tmp_path, "big.export.tsv", lines)
    _, _, table = _read(path, batch_rows=700)
    assert table.column("source_line").to_pylist() == list(range(1, 3001))
    assert not any(u.endswith("\r") for u in table.column("source_url").to_pylist() if u)
    valid, rejects = finalize(table, import_batch="test")
    assert rejects == []
    assert valid.num_rows == 3000


def test_wrong_field_count_rejects_that_line(shared_data: Path, tmp_path: Path) -> None:
    lines = _lines(shared_data, "gdelt2_events_sample100.export.tsv")
    lines[6] = b"\t".join(lines[6].split(b"\t")[:40]) + b"\n"
    valid, rejects = _import(_write(tmp_path, "cut.export.tsv", lines))
    assert valid.num_rows == 99
    assert [(r.line, r.reason) for r in rejects] == [(7, "expected 61 tab-separated fields, found 40")]
    assert rejects[0].raw is not None and rejects[0].raw.count("\t") == 39


def test_unparseable_sqldate_rejects_that_line(shared_data: Path, tmp_path: Path) -> None:
    lines = _lines(shared_data, "gdelt1_events_sample100.tsv")
    fields = lines[49].split(b"\t")
    fields[1] = b"20131345"
    lines[49] = b"\t".join(fields)
    valid, rejects = _import(_write(tmp_path, "baddate.tsv", lines))
    assert valid.num_rows == 99
    assert [(r.line, r.reason) for r in rejects] == [(50, "unparseable SQLDATE '20131345' (expected YYYYMMDD)")]


def test_non_numeric_goldstein_rejects_that_line(shared_data: Path, tmp_path: Path) -> None:
    lines = _lines(shared_data, "gdelt2_events_sample100.export.tsv")
    fields = lines[2].split(b"\t")
    fields[30] = b"strong"
    lines[2] = b"\t".join(fields)
    valid, rejects = _import(_write(tmp_path, "gold.export.tsv", lines))
    assert valid.num_rows == 99
    assert [(r.line, r.reason) for r in rejects] == [(3, "GoldsteinScale 'strong' is not a number")]


def test_invalid_utf8_rejects_that_line(shared_data: Path, tmp_path: Path) -> None:
    lines = _lines(shared_data, "gdelt2_events_sample100.export.tsv")
    fields = lines[10].split(b"\t")
    fields[6] = b"CAF\xe9"  # Latin-1, not UTF-8
    lines[10] = b"\t".join(fields)
    valid, rejects = _import(_write(tmp_path, "latin1.export.tsv", lines))
    assert valid.num_rows == 99
    assert len(rejects) == 1
    assert rejects[0].line == 11
    assert rejects[0].reason.startswith("invalid UTF-8 at byte")
    assert rejects[0].raw is not None and "CAF\ufffd" in rejects[0].raw


def test_truncated_zip_names_the_file(shared_data: Path, tmp_path: Path) -> None:
    plain = shared_data / "gdelt" / "gdelt2_events_sample100.export.tsv"
    whole = tmp_path / "whole.export.CSV.zip"
    with zipfile.ZipFile(whole, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(plain, arcname="x.export.CSV")
    cut = tmp_path / "cut.export.CSV.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    adapter = next(a for a in ADAPTERS if a.name == "gdelt2")
    with pytest.raises(InputError) as info:
        list(adapter.read(cut, ReadOptions()))
    assert info.value.path is not None and info.value.path.endswith("cut.export.CSV.zip")
    assert "zip" in str(info.value)


def test_parquet_without_gdelt_columns_is_refused(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "not_gdelt.parquet"
    pq.write_table(pa.table({"GLOBALEVENTID": [1], "SQLDATE": [20200101]}), path)
    adapter = next(a for a in ADAPTERS if a.name == "gdelt1-parquet")
    assert adapter.sniff(probe_file(path)) is None
    with pytest.raises(InputError, match="missing GDELT column"):
        list(adapter.read(path, ReadOptions()))


def test_gdelt1_file_is_not_taken_for_gdelt2(shared_data: Path) -> None:
    probe = probe_file(shared_data / "gdelt" / "gdelt1_events_sample100.tsv")
    with pytest.raises(FormatError, match="looks like gdelt1"):
        detect(probe, "gdelt2")
