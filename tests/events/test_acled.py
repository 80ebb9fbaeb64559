"""ACLED adapter on the real 2022 export and on the older layouts built from it (in tmp_path)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from detente.errors import InputError
from detente.events.adapters import detect, probe_file
from detente.events.adapters.acled import AcledAdapter
from detente.events.adapters.base import ReadOptions
from detente.events.canonical import Reject, finalize

ADAPTER = AcledAdapter()
REAL = ("acled", "acled_argentina_2022-06_326.csv")


def _read(path: Path, batch_rows: int = 250_000) -> tuple[pa.Table, list[Reject]]:
    tables = list(ADAPTER.read(path, ReadOptions(batch_rows=batch_rows)))
    return finalize(pa.concat_tables(tables), import_batch="test")


def _real_rows(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data.joinpath(*REAL)).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _copy_with(tmp_path: Path, shared_data: Path, edit: dict[str, str], row: int = 0) -> Path:
    """The real header and first 5 rows, with ``edit`` applied to row ``row``."""
    rows = _real_rows(shared_data)[:5]
    rows[row] = {**rows[row], **edit}
    header = list(rows[0].keys())
    return _write(tmp_path / "acled.csv", header, [[r[c] for c in header] for r in rows])


def test_real_2022_export_imports_every_row(shared_data: Path) -> None:
    path = shared_data.joinpath(*REAL)
    probe = probe_file(path)
    adapter, why = detect(probe)
    assert adapter.name == "acled"
    assert why == "ACLED export (2022 layout): 31 comma-separated columns with numeric iso and disorder_type"
    seen: list[int] = []
    tables = list(ADAPTER.read(path, ReadOptions(batch_rows=100, on_progress=seen.append)))
    assert [t.num_rows for t in tables] == [100, 100, 100, 26]
    assert sum(seen) == path.stat().st_size
    valid, rejects = finalize(pa.concat_tables(tables), import_batch="test")
    assert rejects == []
    assert valid.num_rows == 326  # SOURCE.md: 326 rows
    events = valid.to_pylist()
    assert {e["country_iso3"] for e in events} == {"ARG"}
    assert {e["country_gw"] for e in events} == {160}
    assert min(e["date_start"] for e in events) == date(2022, 6, 1)
    assert max(e["date_start"] for e in events) == date(2022, 6, 30)
    assert {e["date_precision"] for e in events} == {"day", "week"}  # time_precision 1 and 2 in the file
    assert len({e["source_event_id"] for e in events}) == 326
    first = events[0]
    assert first["source_event_id"] == "ARG10607"
    assert first["source_line"] == 2
    assert first["category"] == "protest" and first["subcategory"] == "peaceful_protest"
    assert first["source_event_type"] == "Protests/Peaceful protest"
    assert first["actor1_type"] == "6 Protesters" and first["actor2_type"] is None
    assert first["num_sources"] == 2
    assert first["notes"].endswith(
        "[associated with actor 1: SISAP: Public Health Union; Health Workers "
        "(Argentina); ATE: Association of State Workers; Labour Group (Argentina)]"
    )
    # every line of the file is accounted for: line numbers 2..327
    assert sorted(e["source_line"] for e in events) == list(range(2, 328))


def _pre2021(rows: list[dict[str, str]], iso_dates: bool) -> tuple[list[str], list[list[str]]]:
    header = [
        "data_id",
        "iso",
        "event_id_cnty",
        "event_id_no_cnty",
        "event_date",
        "year",
        "time_precision",
        "event_type",
        "sub_event_type",
        "actor1",
        "assoc_actor_1",
        "inter1",
        "actor2",
        "assoc_actor_2",
        "inter2",
        "interaction",
        "region",
        "country",
        "admin1",
        "admin2",
        "admin3",
        "location",
        "latitude",
        "longitude",
        "geo_precision",
        "source",
        "source_scale",
        "notes",
        "fatalities",
        "timestamp",
        "iso3",
    ]
    out = []
    for n, r in enumerate(rows, start=1):
        day = date.fromisoformat(r["event_date"])
        text = day.isoformat() if iso_dates else f"{day.day} {day:%B %Y}"
        rec = {
            **r,
            "data_id": str(9000 + n),
            "event_id_no_cnty": r["event_id_cnty"][3:],
            "event_date": text,
            "iso3": "ARG",
        }
        out.append([rec[c] for c in header])
    return header, out


@pytest.mark.parametrize("iso_dates", [False, True])
def test_pre_2021_layout(tmp_path: Path, shared_data: Path, iso_dates: bool) -> None:
    real = _real_rows(shared_data)
    header, rows = _pre2021(real, iso_dates)
    path = _write(tmp_path / "old.csv", header, rows)
    adapter, why = detect(probe_file(path))
    assert adapter.name == "acled" and "pre-2021 layout" in why
    valid, rejects = _read(path)
    assert rejects == [] and valid.num_rows == 326
    assert valid.column("date_start").to_pylist() == [date.fromisoformat(r["event_date"]) for r in real]
    assert set(valid.column("country_iso3").to_pylist()) == {"ARG"}


def test_pre_2019_layout_upper_case(tmp_path: Path, shared_data: Path) -> None:
    real = _real_rows(shared_data)
    header = [
        "GWNO",
        "EVENT_ID_CNTY",
        "EVENT_ID_NO_CNTY",
        "EVENT_DATE",
        "YEAR",
        "TIME_PRECISION",
        "EVENT_TYPE",
        "ACTOR1",
        "ALLY_ACTOR_1",
        "INTER1",
        "ACTOR2",
        "ALLY_ACTOR_2",
        "INTER2",
        "INTERACTION",
        "COUNTRY",
        "ADMIN1",
        "ADMIN2",
        "ADMIN3",
        "LOCATION",
        "LATITUDE",
        "LONGITUDE",
        "GEO_PRECISION",
        "SOURCE",
        "NOTES",
        "FATALITIES",
    ]
    old_type = {
        "Protests": "Riots/Protests",
        "Riots": "Riots/Protests",
        "Battles": "Battle-No change of territory",
        "Violence against civilians": "Violence against civilians",
        "Strategic developments": "Strategic development",
        "Explosions/Remote violence": "Remote violence",
    }
    rows = []
    for r in real:
        day = date.fromisoformat(r["event_date"])
        rec = {k.upper(): v for k, v in r.items()}
        rec.update(
            GWNO="160",
            EVENT_ID_NO_CNTY=r["event_id_cnty"][3:],
            EVENT_DATE=f"{day:%d/%m/%Y}",
            EVENT_TYPE=old_type[r["event_type"]],
            ALLY_ACTOR_1=r["assoc_actor_1"],
            ALLY_ACTOR_2=r["assoc_actor_2"],
        )
        rows.append([rec[c] for c in header])
    path = _write(tmp_path / "old2018.csv", header, rows)
    adapter, why = detect(probe_file(path))
    assert adapter.name == "acled" and "pre-2019 layout" in why
    valid, rejects = _read(path)
    assert rejects == [] and valid.num_rows == 326
    assert set(valid.column("country_iso3").to_pylist()) == {"ARG"}
    assert set(valid.column("country_gw").to_pylist()) == {160}
    assert valid.column("date_start").to_pylist() == [date.fromisoformat(r["event_date"]) for r in real]
    protests = [e for e in valid.to_pylist() if e["source_event_type"] == "Riots/Protests"]
    assert protests and {e["category"] for e in protests} == {"protest"}


# ----------------------------------------------------------------------------------------------------
# Bad input: one test per kind
# ----------------------------------------------------------------------------------------------------
def test_missing_column_names_file_line_and_column(tmp_path: Path, shared_data: Path) -> None:
    rows = _real_rows(shared_data)[:3]
    header = [c for c in rows[0] if c != "event_date"]
    path = _write(tmp_path / "cut.csv", header, [[r[c] for c in header] for r in rows])
    with pytest.raises(InputError) as err:
        list(ADAPTER.read(path, ReadOptions()))
    assert err.value.line == 1 and err.value.field == "event_date"
    assert "cut.csv:1" in str(err.value) and "missing column(s) event_date" in str(err.value)


def test_bad_date_rejects_the_row(tmp_path: Path, shared_data: Path) -> None:
    valid, rejects = _read(_copy_with(tmp_path, shared_data, {"event_date": "2022-13-45"}, row=2))
    assert valid.num_rows == 4
    assert [(r.line, r.reason) for r in rejects] == [(4, "bad date '2022-13-45' in event_date")]


def test_unknown_event_type_rejects_the_row(tmp_path: Path, shared_data: Path) -> None:
    valid, rejects = _read(_copy_with(tmp_path, shared_data, {"event_type": "Picnics"}))
    assert valid.num_rows == 4
    assert [(r.line, r.reason) for r in rejects] == [(2, "unknown event type 'Picnics'")]


def test_out_of_range_latitude_caught_by_finalize(tmp_path: Path, shared_data: Path) -> None:
    valid, rejects = _read(_copy_with(tmp_path, shared_data, {"latitude": "-145.86"}, row=1))
    assert valid.num_rows == 4
    assert [(r.line, r.reason) for r in rejects] == [(3, "latitude -145.86 out of range -90..90")]
    assert rejects[0].raw is not None and "-145.86" in rejects[0].raw


def test_bad_number_rejects_the_row(tmp_path: Path, shared_data: Path) -> None:
    _, rejects = _read(_copy_with(tmp_path, shared_data, {"fatalities": "many"}, row=4))
    assert [(r.line, r.reason) for r in rejects] == [(6, "bad integer 'many' in fatalities")]


def test_invalid_utf8_rejects_that_row_only(tmp_path: Path, shared_data: Path) -> None:
    path = _copy_with(tmp_path, shared_data, {"location": "PLACEHOLDER"}, row=1)
    path.write_bytes(path.read_bytes().replace(b"PLACEHOLDER", b"San Mart\xedn"))  # Latin-1 byte
    valid, rejects = _read(path)
    assert valid.num_rows == 4
    assert len(rejects) == 1 and rejects[0].line == 3
    assert rejects[0].reason.startswith("invalid UTF-8 at byte")


def test_repeated_header_rejects_the_row(tmp_path: Path, shared_data: Path) -> None:
    path = _copy_with(tmp_path, shared_data, {})
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:3], lines[0], *lines[3:]]), encoding="utf-8")
    valid, rejects = _read(path)
    assert valid.num_rows == 5
    assert [(r.line, r.reason) for r in rejects] == [(4, "repeated header")]


def test_wrong_field_count_rejects_the_row(tmp_path: Path, shared_data: Path) -> None:
    path = _copy_with(tmp_path, shared_data, {})
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\r\n") + ",extra\r\n"
    path.write_text("".join(lines), encoding="utf-8")
    _, rejects = _read(path)
    assert [(r.line, r.reason) for r in rejects] == [(3, "expected 31 fields, found 32")]


def test_quoted_newline_keeps_physical_line_numbers(tmp_path: Path, shared_data: Path) -> None:
    path = _copy_with(tmp_path, shared_data, {"notes": "first line\nsecond line"}, row=1)
    valid, rejects = _read(path)
    assert rejects == []
    assert valid.column("source_line").to_pylist() == [2, 3, 5, 6, 7]
    assert valid.column("notes").to_pylist()[1].startswith("first line\nsecond line")


def test_unterminated_quote_at_end_of_file(tmp_path: Path, shared_data: Path) -> None:
    path = _copy_with(tmp_path, shared_data, {})
    path.write_bytes(path.read_bytes() + b'ARG99999,2022-06-01,2022,1,"Demonstrations,Protests\n')
    valid, rejects = _read(path)
    assert valid.num_rows == 5
    assert [(r.line, r.reason) for r in rejects] == [(7, "unterminated quoted field starting at line 7")]


def test_sniff_declines_other_csv(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("id,date,value\n1,2020-01-01,3\n", encoding="utf-8")
    assert ADAPTER.sniff(probe_file(path)) is None
