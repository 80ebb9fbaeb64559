"""What each source covers, computed from real imports: UCDP GED Syria (2016-01..2019-11) with ACLED Argentina
(2022-06), and GDELT 1.0 Georgia (2011-06..2013-05, March 2013 missing); readable names for GDELT's ADM1 codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente.cli.app import app
from detente.events.coverage import compute_coverage, month_label, store_coverage
from detente.events.ingest import ingest_files
from detente.events.store import open_store
from detente.events.unit_names import COUNTRY_WIDE, admin1_names, name_from_places

runner = CliRunner()


def _m(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


@pytest.fixture(scope="module")
def syria_argentina(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("coverage") / "ws"
    files = [
        shared_data / "ucdp_ged" / "ged191_syria_2016-2019.parquet",
        shared_data / "acled" / "acled_argentina_2022-06_326.csv",
    ]
    report = ingest_files(ws, files)
    assert report.imported == 16566 + 326 and report.rejected == 0
    return ws


@pytest.fixture(scope="module")
def georgia(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("coverage-gdelt") / "ws"
    ingest_files(ws, [shared_data / "gdelt" / "gdelt1_georgia_2011-06_2013-05.parquet"])
    return ws


def test_each_source_covers_its_own_months_and_countries(syria_argentina: Path) -> None:
    found = store_coverage(open_store(syria_argentina).table())
    by = {s.source: s for s in found.sources}
    assert set(by) == {"acled", "ucdp_ged"}
    ged, acled = by["ucdp_ged"], by["acled"]
    assert (ged.first_event.isoformat(), ged.last_event.isoformat()) == ("2016-01-01", "2019-11-30")
    assert [c.iso3 for c in ged.countries] == ["SYR"] and [c.iso3 for c in acled.countries] == ["ARG"]
    assert ged.countries[0].windows == ((_m("2016-01"), _m("2019-11")),)
    assert acled.countries[0].windows == ((_m("2022-06"), _m("2022-06")),)
    assert ged.carries_deaths and acled.carries_deaths and not ged.gaps and not acled.gaps
    assert sum(ged.geo_precision.values()) == 16566 and sum(acled.geo_precision.values()) == 326
    # Syria after UCDP's last month is no data; Argentina before ACLED's first month too
    assert found.covered("SYR", _m("2019-11")) and not found.covered("SYR", _m("2019-12"))
    assert not found.covered("SYR", _m("2022-06")) and found.covered("ARG", _m("2022-06"))
    assert not found.covered("ARG", _m("2022-05")) and not found.covered("ARG", _m("2022-07"))
    assert found.last_month() == _m("2022-06") and found.last_month(["SYR"]) == _m("2019-11")


def test_gdelt_carries_no_deaths_and_its_missing_month_is_a_gap(georgia: Path) -> None:
    table = open_store(georgia).table()
    found = store_coverage(table)
    (gdelt,) = found.sources
    assert gdelt.source == "gdelt1" and not gdelt.carries_deaths and gdelt.deaths_share == 0
    assert [month_label(m) for m in gdelt.gaps] == ["2013-03"]  # the file has no March 2013 (SOURCE.md)
    assert found.covered("GEO", _m("2013-02")) and not found.covered("GEO", _m("2013-03"))
    assert found.covered("GEO", _m("2013-04")) and not found.covered("GEO", _m("2013-04"), deaths=True)
    assert gdelt.geo_precision["country only"] > 0 and gdelt.geo_precision["exact place"] > 0


def test_gdelt_adm1_codes_get_the_names_its_places_give(georgia: Path) -> None:
    names = admin1_names(open_store(georgia).table())
    assert names["GEO:GG02"] == "Abkhazia" and names["GEO:GG04"] == "Ajaria"
    assert names["GEO:GG"] == COUNTRY_WIDE  # the country code alone: events placed at country level
    assert not any(n.startswith("GG") for n in names.values())


def test_a_name_comes_from_the_second_to_last_part_of_the_places() -> None:
    places = [("Batumi, Ajaria**, Georgia", 5), ("Ajaria, Ajaria**, Georgia", 2), ("Somewhere, Other, Georgia", 1)]
    assert name_from_places("GG04", places) == "Ajaria"
    assert name_from_places("GG99", [("Georgia", 3)]) == "GG99"  # nothing explains the code: it stays
    assert name_from_places("GG", places) == COUNTRY_WIDE


def test_the_coverage_command_prints_and_writes_json(syria_argentina: Path, georgia: Path) -> None:
    res = runner.invoke(app, ["events", "coverage", "-w", str(syria_argentina), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    ged = next(s for s in doc["sources"] if s["source"] == "ucdp_ged")
    assert ged["countries"][0]["windows"] == [["2016-01", "2019-11"]] and ged["carries_deaths"] is True
    res = runner.invoke(app, ["events", "coverage", "-w", str(georgia)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # the terminal wraps lines
    assert "no deaths recorded" in text and "gaps (months without any event): 2013-03" in text
    assert "Georgia (GEO)" in text


def test_the_coverage_of_an_empty_store_is_a_clean_error(tmp_path: Path) -> None:
    open_store(tmp_path / "empty", create=True)
    res = runner.invoke(app, ["events", "coverage", "-w", str(tmp_path / "empty")])
    assert res.exit_code == 2 and "events" in res.output and "Traceback" not in res.output


_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b"]),  # source
        st.sampled_from(["f1.csv", "f2.csv"]),  # file
        st.sampled_from(["XAR", "XBO"]),  # country
        st.integers(24000, 24040),  # month
        st.integers(1, 40),  # events
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(_ROWS)
def test_a_month_with_events_is_always_covered_and_nothing_before_the_first(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    frame = pd.DataFrame(rows, columns=["source", "source_file", "country_iso3", "month", "events"])
    frame = frame.groupby(["source", "source_file", "country_iso3", "month"], as_index=False)["events"].sum()
    frame["country_name"] = frame["country_iso3"]
    frame["with_deaths"] = 0
    frame["first_event"] = pd.to_datetime([f"{m // 12}-{m % 12 + 1:02d}-01" for m in frame["month"]])
    frame["last_event"] = frame["first_event"]
    geo = frame.groupby("source", as_index=False)["events"].sum().assign(geo_precision=1)
    found = compute_coverage(frame, geo)
    for source, country, month in zip(frame["source"], frame["country_iso3"], frame["month"], strict=True):
        cov = next(s for s in found.sources if s.source == source).country(country)
        assert cov is not None and cov.covers(int(month))  # a month with events is never a gap nor outside
    for s in found.sources:
        for c in s.countries:
            first = int(frame[(frame["source"] == s.source) & (frame["country_iso3"] == c.iso3)]["month"].min())
            assert not c.covers(first - 1) and c.first_month == first
            assert all(a[1] + 1 < b[0] for a, b in zip(c.windows, c.windows[1:], strict=False))  # merged, sorted
