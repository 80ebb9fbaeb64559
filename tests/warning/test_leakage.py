"""No leakage: perturbing every datum after t leaves the forecasts made as of t unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.warning.backtest import BinarySpec, walk_forward_binary
from detente.warning.configs import country_year_models
from detente.warning.country_year import COUNTRY_YEAR_FEATURES, CountryYearData, build_country_year

pytestmark = pytest.mark.shared_data


def _scramble(frame: pd.DataFrame, after: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.copy()
    late = out["year"] > after
    for col in out.columns:
        if col not in ("gw", "year", "name", "state_start") and pd.api.types.is_numeric_dtype(out[col]):
            out.loc[late, col] = rng.permutation(out.loc[late, col].to_numpy()) * 3 + 1
    return out


@pytest.mark.parametrize("target", ["y_bd25", "y_onset"])
def test_country_year_forecasts_ignore_data_after_origin(shared_data: Path, target: str) -> None:
    """Forecasts *and the tree settings tuned inside the training window* are the same when all data after t change."""
    data = CountryYearData.from_dir(shared_data)
    t = 2008
    bad = CountryYearData(brd=_scramble(data.brd, t, 1), acd=_scramble(data.acd, t, 2), states=data.states)
    truth = build_country_year(data, as_of=data.last_year)
    spec = BinarySpec(target=target, features=COUNTRY_YEAR_FEATURES)
    tuned_a: list[dict[str, object]] = []
    tuned_b: list[dict[str, object]] = []
    a = walk_forward_binary(
        lambda s: build_country_year(data, as_of=s), truth, [t], spec, country_year_models(target), tuning=tuned_a
    )
    b = walk_forward_binary(
        lambda s: build_country_year(bad, as_of=s), truth, [t], spec, country_year_models(target), tuning=tuned_b
    )
    pd.testing.assert_frame_equal(a, b)
    assert tuned_a == tuned_b
    assert [r["model"] for r in tuned_a] == ["detente_gbm"] and tuned_a[0]["tuned"] is True
    # and the perturbation is real: the panel as of the last year differs
    assert not build_country_year(bad, as_of=2015)["bd_log"].equals(build_country_year(data, as_of=2015)["bd_log"])


def test_monthly_forecasts_ignore_events_after_origin(shared_data: Path, tmp_path: Path) -> None:
    import ibis

    from detente.warning.forecast import count_forecast
    from detente.warning.monthly import SYRIA_BBOX, panels_for_country, syria_panels
    from detente.warning.panels import period_end

    good = syria_panels(shared_data, tmp_path / "ws")
    t = good.first + 20
    cut = ibis.literal(period_end(t, "month"))
    table = good.table
    bad_table = table.mutate(
        fatalities_best=ibis.cases(
            (table.date_start > cut, table.fatalities_best * 7 + 11), else_=table.fatalities_best
        ),
        date_start=ibis.cases(
            (table.date_start > cut, table.date_start + ibis.interval(days=3)), else_=table.date_start
        ).cast("date"),
    )
    bad = panels_for_country(bad_table, "SYR", SYRIA_BBOX)
    a = count_forecast(good, "priogrid", t)
    b = count_forecast(bad, "priogrid", t)
    pd.testing.assert_frame_equal(a, b)
    assert dt.date(2016, 1, 1) <= period_end(t, "month")
