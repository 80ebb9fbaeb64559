"""No data is not zero (ADR 0030), on real imports whose sources end at different months: UCDP GED Syria (to
2019-11) with ACLED Argentina (2022-06 only), and GDELT 1.0 Georgia (no deaths recorded)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli.app import app
from detente.errors import WarningDataError
from detente.events.ingest import ingest_files
from detente.events.store import open_store
from detente.warning.alerts import scan_panel
from detente.warning.drivers import level_of, sentence
from detente.warning.store_config import StoreConfig, open_store_panels
from detente.warning.watchlist import store_watchlist

SMALL = StoreConfig(origins=2, samples=200, n_estimators=30, folds=2)
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
runner = CliRunner()


@pytest.fixture(scope="module")
def syria_argentina(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("wl-coverage") / "ws"
    ingest_files(
        ws,
        [
            shared_data / "ucdp_ged" / "ged191_syria_2016-2019.parquet",
            shared_data / "acled" / "acled_argentina_2022-06_326.csv",
        ],
    )
    return ws


@pytest.fixture(scope="module")
def latest(syria_argentina: Path) -> dict[str, Any]:
    return store_watchlist(syria_argentina, now=NOW, config=SMALL)


def _no_number(unit: dict[str, Any]) -> None:
    """A unit without a forecast carries no number that could read as 0 % or 0 deaths."""
    for key in ("rank", "forecast", "probability", "p_exceed", "q50", "interval90", "change", "alert"):
        assert unit[key] is None, key
    assert unit["drivers"] == []


def test_the_default_as_of_is_the_last_month_with_data_and_syria_is_no_data(latest: dict[str, Any]) -> None:
    assert latest["as_of"] == latest["default_as_of"] == "2022-06"  # ACLED Argentina's month, not today's
    syria = [u for u in latest["units"] if u["unit"].startswith("SYR:")]
    argentina = [u for u in latest["units"] if u["unit"].startswith("ARG:")]
    assert len(syria) == 14 and len(argentina) >= 20
    for u in syria:
        _no_number(u)
        assert u["status"] == "no data" and u["level"] == "no data"
        assert "the last data is 2019-11 (ucdp_ged), 31 months before" in u["status_text"]
        assert [(s["source"], s["last_month"], s["months_behind"]) for s in u["sources"]] == [
            ("ucdp_ged", "2019-11", 31)
        ]
        # the months after UCDP's last are no data in the sparkline, never 0 deaths
        assert all(h["value"] is None for h in u["history"] if h["month"] > "2019-11")
        assert "Governorate, Syria" in u["unit_name"]
    for u in argentina:  # one month of ACLED is too little to forecast from: said, not ranked
        _no_number(u)
        assert u["status"] == "too little data" and u["months_of_data"] == 1
        assert u["sources"][0]["source"] == "acled" and u["sources"][0]["months_behind"] == 0
    assert latest["status_counts"] == {"no data": 14, "too little data": len(argentina)}
    assert latest["months"][0] == {"month": "2022-06", "default": True, "note": "last month of acled in Argentina"}
    assert {"month": "2019-11", "default": False, "note": "last month of ucdp_ged in Syria"} in latest["months"]


def test_a_month_when_syria_has_data_ranks_its_governorates_with_drivers_in_words(syria_argentina: Path) -> None:
    doc = store_watchlist(syria_argentina, now=NOW, as_of="2019-11", config=SMALL)
    ranked = [u for u in doc["units"] if u["rank"] is not None]
    assert doc["as_of"] == "2019-11" and doc["default_as_of"] == "2022-06"
    assert {u["unit"][:3] for u in ranked} == {"SYR"} and len(ranked) == 14
    assert [u["rank"] for u in ranked] == list(range(1, 15))
    # as of 2019-11 no event names an Argentine province yet: the panel as of then does not know them
    assert all(u["rank"] is not None for u in doc["units"])
    for u in ranked:
        assert u["status"] == "forecast" and u["sources"][0]["months_behind"] == 0
        for d in u["drivers"]:
            assert re.fullmatch(r"[A-Z][^_]*: [\d,.]+ \((high|medium|low|none)\) — (raises|lowers) the risk", d["text"])
            assert d["value"] is not None and d["level"] in ("high", "medium", "low", "none")
    assert doc["model"]["models"]  # the backtest ran on Syria's months


def test_bad_months_name_the_field(syria_argentina: Path) -> None:
    for bad in ("2022-13", "June 2022", "2022-6-1"):
        with pytest.raises(WarningDataError) as err:
            store_watchlist(syria_argentina, now=NOW, as_of=bad, config=SMALL)
        assert err.value.field == "as_of"
    with pytest.raises(WarningDataError) as err:
        store_watchlist(syria_argentina, now=NOW, as_of="2023-01", config=SMALL)
    assert err.value.field == "as_of" and "outside the data" in err.value.reason and "2022-06" in err.value.reason


def test_the_cli_names_the_sources_per_unit_and_their_freshness(syria_argentina: Path) -> None:
    res = runner.invoke(app, ["watchlist", "-w", str(syria_argentina), "--json", "--backtest-months", "2"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["as_of"] == "2022-06" and all(u["sources"] for u in doc["units"])
    res = runner.invoke(app, ["watchlist", "-w", str(syria_argentina), "--backtest-months", "2"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "No forecast for 2022-06" in text and "ucdp_ged to 2019-11 (31 months old)" in text
    assert "acled to 2022-06 (current)" in text and "0.000" not in text
    res = runner.invoke(app, ["watchlist", "-w", str(syria_argentina), "--as-of", "2031-01"])
    assert res.exit_code == 2 and "as_of" in res.output and "Traceback" not in res.output


def test_gdelt_regions_have_names_and_no_deaths_recorded_rather_than_zero(shared_data: Path, tmp_path: Path) -> None:
    ingest_files(tmp_path / "ws", [shared_data / "gdelt" / "gdelt1_georgia_2011-06_2013-05.parquet"])
    doc = store_watchlist(tmp_path / "ws", now=NOW, config=SMALL)
    assert doc["as_of"] == "2013-05"
    names = {u["unit_name"] for u in doc["units"]}
    assert {"Abkhazia, Georgia", "Ajaria, Georgia", "whole country (no region given), Georgia"} <= names
    assert not any(re.search(r"\bGG\d*\b", n) for n in names)  # no raw FIPS ADM1 codes
    for u in doc["units"]:
        _no_number(u)
        assert u["status"] == "no deaths recorded"
        assert u["status_text"].startswith("no deaths recorded by this source (gdelt1)")
        assert all(h["value"] is None for h in u["history"])
    assert {"month": "2013-03", "default": False, "note": "missing from gdelt1"} in doc["months"]


def test_the_panel_has_no_zero_where_no_source_looked(syria_argentina: Path) -> None:
    panels, _ = open_store_panels(open_store(syria_argentina).table(), SMALL)
    panel = panels.at(panels.last)
    syria_late = panel[panel["unit"].str.startswith("SYR:") & (panel["period"] > 2019 * 12 + 10)]
    assert len(syria_late) and syria_late["fatalities"].isna().all() and not syria_late["covered"].any()
    syria_early = panel[panel["unit"].str.startswith("SYR:") & (panel["period"] <= 2019 * 12 + 10)]
    assert syria_early["fatalities"].notna().all() and syria_early["deaths_known"].all()
    # alerts neither fire on nor count months without data
    alerts = scan_panel(panel, "fatalities", panels.last)
    assert {a.unit[:3] for a in alerts} <= {"ARG"} and not any(a.unit.startswith("SYR:") for a in alerts)


def test_an_alert_history_leaves_out_months_without_data() -> None:
    quiet = [2.0, 3.0, 2.0, 1.0, 2.0, 3.0]
    rows = [("u", p, v) for p, v in enumerate([*quiet, np.nan, np.nan, np.nan, 40.0])]
    rows += [("v", p, v) for p, v in enumerate([*quiet, 2.0, 3.0, 2.0, np.nan])]
    panel = pd.DataFrame(rows, columns=["unit", "period", "fatalities"])
    alerts = {a.unit: a for a in scan_panel(panel, "fatalities", 9)}
    assert alerts["u"].level == "surge" and alerts["u"].expected == pytest.approx(np.mean(quiet))
    assert "v" not in alerts  # no data this month: no level at all, not "decrease"


def test_levels_and_sentences() -> None:
    others = [0, 0, 1, 2, 3, 5, 8, 13, 21, 1204]
    assert level_of(1204, others) == "high" and level_of(1, others) == "low" and level_of(5, others) == "medium"
    assert level_of(0, others) == "none" and level_of(None, others) is None
    assert (
        sentence("fatalities_r12", 1.0, 1204, "high")
        == "Deaths over the last 12 months: 1,204 (high) — raises the risk"
    )
    assert sentence("bd_log", -0.2, 3.0, "low") == "Battle deaths in the as-of year: 3 (low) — lowers the risk"
