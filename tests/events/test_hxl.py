"""The HXL adapter: hashtag parsing, real ACLED events re-tagged as HXL, files from elsewhere, bad input."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from detente.errors import InputError
from detente.events.adapters import detect, probe_file
from detente.events.adapters.base import ReadOptions
from detente.events.adapters.hxl import (
    HXL_TAGS,
    HxlAdapter,
    HxlTag,
    column_fields,
    find_hashtag_row,
    parse_tag,
)
from detente.events.canonical import Reject, finalize

#: HXL hashtags for the ACLED export columns (untagged columns are ignored by HXL readers)
ACLED_TAGS = {
    "event_id_cnty": "#event+code",
    "event_date": "#date+occurred",
    "event_type": "#event+type",
    "sub_event_type": "#event+type+sub",
    "actor1": "#group+name+actor1",
    "actor2": "#group+name+actor2",
    "country": "#country+name",
    "admin1": "#adm1+name",
    "admin2": "#adm2+name",
    "location": "#loc+name",
    "latitude": "#geo+lat",
    "longitude": "#geo+lon",
    "notes": "#description",
    "fatalities": "#affected+killed",
}

LOG = (
    "Date,Region,District,Killed,Type,Country\n"
    "#date,#adm1+name,#adm2 +name,#affected+killed,#event+type,#country+code\n"
    "2023-04-03,Darfur,Nyala,3,battle,sdn\n"
    "2023-04,Darfur,,0,Protests,SDN\n"
    "2023-04-05,Kordofan,Kadugli,,195,SDN\n"
)


def _read(path: Path, batch_rows: int = 1000) -> tuple[pa.Table, list[Reject]]:
    adapter, _ = detect(probe_file(path))
    assert adapter.name == "hxl"
    tables = list(adapter.read(path, ReadOptions(batch_rows=batch_rows)))
    events, rejects = finalize(pa.concat_tables(tables), import_batch="t")
    return events.sort_by("source_line"), rejects  # finalize does not promise to keep row order


def test_parse_tag_is_case_insensitive_and_order_free() -> None:
    assert parse_tag(" #Geo +LAT ") == HxlTag("#geo", frozenset({"lat"}))
    assert parse_tag("#date+end+start") == parse_tag("#DATE+start+end")
    assert parse_tag("Date") is None and parse_tag("#1date") is None and parse_tag("#date+") is None
    assert find_hashtag_row([["Title", ""], ["Date", "Place"], ["#date", ""]]) == 2


def test_most_specific_tag_wins() -> None:
    tags = ["#affected+killed+f", "#affected+killed+min", "#affected+killed", "#adm1+code", "#adm1+name"]
    assert column_fields(tags) == {"fatalities_best": 2, "fatalities_low": 1, "admin1": 4}


def test_real_acled_events_tagged_as_hxl(shared_data: Path, tmp_path: Path) -> None:
    with (shared_data / "acled" / "acled_argentina_2022-06_326.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    path = tmp_path / "acled_hxl.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["ACLED events re-tagged with HXL hashtags (test variant)"])
        out.writerow(header)
        out.writerow([ACLED_TAGS.get(name, "") for name in header])
        out.writerows(rows[1:])
    events, rejects = _read(path, batch_rows=100)
    assert rejects == []
    assert events.num_rows == 326
    assert set(events.column("country_iso3").to_pylist()) == {"ARG"}
    assert set(events.column("country_gw").to_pylist()) == {160}
    by_id = {r["source_event_id"]: r for r in events.to_pylist()}
    first = by_id["ARG10607"]
    assert first["category"] == "protest" and first["subcategory"] == "peaceful_protest"
    assert first["source_event_type"] == "Protests/Peaceful protest"
    assert first["date_start"] == dt.date(2022, 6, 30) and first["source"] == "hxl"
    assert first["latitude"] == pytest.approx(-45.8644) and first["source_line"] == 4
    assert set(events.column("category").to_pylist()) <= {
        "protest",
        "riot",
        "battle",
        "violence_against_civilians",
        "strategic_development",
        "coercion",
        "remote_violence",
    }


def test_humanitarian_log_with_preamble_and_mixed_types(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    preamble = "".join(f"Security log line {i},\n" for i in range(10))
    path.write_text(preamble + LOG.replace("#date,", "#DATE,").replace("#event+type", "#Event +Type"), "utf-8")
    events, rejects = _read(path)
    assert rejects == []
    rows = events.to_pylist()
    assert [r["source_line"] for r in rows] == [13, 14, 15]
    assert (rows[0]["category"], rows[0]["country_iso3"], rows[0]["admin2"]) == ("battle", "SDN", "Nyala")
    assert rows[1]["category"] == "protest" and rows[1]["date_precision"] == "month"
    assert rows[1]["date_end"] == dt.date(2023, 4, 30)
    assert rows[2]["category"] == "remote_violence" and rows[2]["quad_class"] == 4
    assert rows[2]["fatalities_best"] is None


def test_source_slug_from_meta_source(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("#meta+source,#date+start,#event+category\nmy_ngo,2020-01-01,threat\n,2020-01-02,threat\n")
    events, _ = _read(path)
    assert events.column("source").to_pylist() == ["my_ngo", "hxl"]


def test_missing_hashtag(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(LOG.replace("#date,", "#loc+name,"), encoding="utf-8")
    with pytest.raises(InputError, match=r"missing hashtag #date\+start") as err:
        list(detect(probe_file(path))[0].read(path, ReadOptions()))
    assert err.value.line == 2 and err.value.field == "#date+start"


def test_bad_date(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(LOG.replace("2023-04-05", "2023-13-45"), encoding="utf-8")
    events, rejects = _read(path)
    assert events.num_rows == 2
    assert [(r.file, r.line) for r in rejects] == [("log.csv", 5)]
    assert rejects[0].reason.startswith("#date: bad date '2023-13-45'")


def test_repeated_header_row(tmp_path: Path) -> None:
    lines = LOG.splitlines(keepends=True)
    path = tmp_path / "log.csv"
    path.write_text("".join(lines[:3] + lines[1:2] + lines[3:]), encoding="utf-8")
    events, rejects = _read(path)
    assert events.num_rows == 3
    assert [(r.line, r.reason) for r in rejects] == [(4, "repeated header row")]


def test_invalid_utf8_row(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(LOG.encode().replace(b"Nyala", b"Ny\xe1la"))
    events, rejects = _read(path)
    assert events.num_rows == 2
    assert rejects[0].line == 3 and "invalid utf-8 (byte 0xe1 at line 3" in rejects[0].reason


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        detect(probe_file(path))
    with pytest.raises(InputError, match="no HXL hashtag row"):
        list(HxlAdapter().read(path, ReadOptions()))


def test_every_canonical_field_has_a_distinct_tag() -> None:
    parsed = [parse_tag(t) for t in HXL_TAGS.values()]
    assert None not in parsed and len(set(parsed)) == len(parsed)
    assert column_fields(list(HXL_TAGS.values())) == {name: i for i, name in enumerate(HXL_TAGS)}
