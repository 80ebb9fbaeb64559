"""The store configuration on a workspace without admin1 (country-month) and its as-of rule: events after the
as-of month change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.events.export import write_events
from detente.events.ingest import ingest_files
from detente.events.store import open_store
from detente.warning.store_config import StoreConfig, open_store_panels, store_forecast
from detente.warning.watchlist import parse_month, store_watchlist

SMALL = StoreConfig(origins=3, samples=200, n_estimators=30, folds=2)


def _workspace(root: Path, events: pa.Table) -> Path:
    path = root / "events.parquet"
    root.mkdir(parents=True)
    write_events([events], "parquet", path)
    ingest_files(root / "ws", [path])
    return root / "ws"


def _events(months: int) -> pa.Table:
    table, rejects = finalize(generate_demo_events(months=months, scale=1.0), import_batch="test")
    assert not rejects
    return table


def test_a_store_without_admin1_gives_a_country_month_watchlist(tmp_path: Path) -> None:
    events = _events(30)
    events = events.set_column(events.schema.get_field_index("admin1"), "admin1", pa.nulls(len(events), pa.string()))
    ws = _workspace(tmp_path / "a", events)
    doc = store_watchlist(ws, now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), config=SMALL)
    assert doc["level"] == "country" and doc["as_of"] == "2022-06"  # 30 months from January 2020
    assert sorted(u["unit"] for u in doc["units"]) == ["XAR", "XBO"]
    assert {u["unit_name"] for u in doc["units"]} == {"Arcadia (fictional)", "Borealis (fictional)"}
    assert set(doc["model"]["models"]) >= {"detente_hurdle", "conflictology"}


def test_events_after_the_as_of_month_do_not_change_its_forecast(tmp_path: Path) -> None:
    events = _events(30)
    t = parse_month("2021-12")
    later = pc.greater(events["date_start"], pa.scalar(dt.date(2021, 12, 31)))
    deaths = pc.if_else(later, pc.multiply(pc.fill_null(events["fatalities_best"], 0), 10), events["fatalities_best"])
    assert pc.sum(deaths).as_py() > pc.sum(events["fatalities_best"]).as_py()  # the future really differs
    perturbed = events.set_column(events.schema.get_field_index("fatalities_best"), "fatalities_best", deaths)
    a = _workspace(tmp_path / "a", events)
    b = _workspace(tmp_path / "b", perturbed)
    forecasts = []
    for ws in (a, b):
        panels, _ = open_store_panels(open_store(ws).table(), SMALL)
        forecasts.append(store_forecast(panels, t, SMALL))
    assert forecasts[0].equals(forecasts[1])


def test_store_forecast_with_a_baseline_has_its_draws_and_no_drivers(tmp_path: Path) -> None:
    import numpy as np
    import pytest

    from detente.errors import WarningDataError
    from detente.warning.store_config import model_names

    ws = _workspace(tmp_path / "a", _events(30))
    panels, _ = open_store_panels(open_store(ws).table(), SMALL)
    t = parse_month("2021-12")
    assert model_names(SMALL) == ["zero", "last_value", "historical_average", "conflictology", "detente_hurdle"]
    table = store_forecast(panels, t, SMALL, model="last_value")
    last = panels.at(t).set_index(["unit", "period"])["fatalities"]
    for row in table.itertuples():
        deaths = last[(row.unit, t)]  # last value: a point mass at this month's deaths
        assert row.mean == deaths and row.p_exceed == float(deaths >= SMALL.threshold)
        assert row.probability == float(deaths > 0)
    assert set(table["model"]) == {"last_value"}
    assert table["driver_1"].isna().all() and table["driver_1_contribution"].isna().all()
    ours = store_forecast(panels, t, SMALL)
    assert set(ours["model"]) == {"detente_hurdle"} and ours["driver_1"].notna().all()
    assert np.array_equal(table["rank"], np.arange(1, len(table) + 1))
    with pytest.raises(WarningDataError, match="unknown model 'oracle'") as err:
        store_forecast(panels, t, SMALL, model="oracle")
    assert err.value.field == "model"
