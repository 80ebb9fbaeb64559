"""User covariate tables: clear errors for bad files, the as-of-t join, and end to end on the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli.forecast import app
from detente.errors import WarningDataError
from detente.warning.covariates import join_covariates, load_covariates, prepare, split_by_level

runner = CliRunner()


def _csv(tmp_path: Path, text: str, name: str = "cov.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PANEL = pd.DataFrame({"unit": ["SYR:Aleppo", "SYR:Aleppo", "SYR:Idlib", "SYR:Idlib"], "period": [10, 11, 10, 11]})


# -- bad input: one test per kind ------------------------------------------------------------------------------


def test_unknown_unit_column_names_the_field(tmp_path: Path) -> None:
    path = _csv(tmp_path, "region,period,x\nSYR:Aleppo,2019-01,1\n")
    with pytest.raises(WarningDataError) as err:
        load_covariates(path, unit="unit", period="period", kind="month")
    assert err.value.field == "unit" and err.value.path == str(path)
    assert "missing column" in str(err.value)


def test_unknown_period_column_names_the_field(tmp_path: Path) -> None:
    path = _csv(tmp_path, "unit,month,x\nSYR:Aleppo,2019-01,1\n")
    with pytest.raises(WarningDataError) as err:
        load_covariates(path, unit="unit", period="period", kind="month")
    assert err.value.field == "period"


def test_non_numeric_value_names_line_and_field(tmp_path: Path) -> None:
    path = _csv(tmp_path, "unit,period,x,y\nSYR:Aleppo,2019-01,1,2\nSYR:Idlib,2019-01,NA,high\n")
    with pytest.raises(WarningDataError) as err:
        load_covariates(path, unit="unit", period="period", kind="month")
    assert (err.value.line, err.value.field) == (3, "y")
    assert f"{path}:3: field 'y'" in str(err.value) and "'high'" in str(err.value)


def test_duplicate_unit_period_names_both_lines(tmp_path: Path) -> None:
    path = _csv(tmp_path, "unit,period,x\nSYR:Aleppo,2019-01,1\nSYR:Idlib,2019-01,2\nSYR:Aleppo,2019-01,3\n")
    with pytest.raises(WarningDataError) as err:
        load_covariates(path, unit="unit", period="period", kind="month")
    assert err.value.line == 4 and "first on line 2" in str(err.value)


def test_bad_period_names_line(tmp_path: Path) -> None:
    path = _csv(tmp_path, "unit,period,x\n490,2019,1\n490,19-20,2\n")
    with pytest.raises(WarningDataError) as err:
        load_covariates(path, unit="unit", period="period", kind="year")
    assert (err.value.line, err.value.field) == (3, "period")


def test_unit_matching_nothing_names_line(tmp_path: Path) -> None:
    path = _csv(tmp_path, "unit,period,x\nAleppo,2019-01,1\nHoms,2019-01,2\n")
    cov = load_covariates(path, unit="unit", period="period", kind="month")
    with pytest.raises(WarningDataError) as err:
        prepare([cov], PANEL, ("lag0",))
    assert err.value.line == 3 and err.value.field == "unit" and "'Homs'" in str(err.value)


def test_column_clashing_with_a_panel_column_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, "unit,period,lag0\nAleppo,2019-01,1\n")
    cov = load_covariates(path, unit="unit", period="period", kind="month")
    with pytest.raises(WarningDataError) as err:
        prepare([cov], PANEL.assign(lag0=0.0), ("lag0",))
    assert err.value.field == "lag0"


# -- the join as of t -------------------------------------------------------------------------------------------


def test_join_carries_values_forward_and_hides_rows_after_t(tmp_path: Path) -> None:
    # months 10, 11 are 1970-11 and 1970-12 (month index = year * 12 + month - 1)
    path = _csv(tmp_path, "unit,period,x\nAleppo,0000-11,5\nAleppo,0000-12,7\nIdlib,0000-12,9\n")
    cov = load_covariates(path, unit="unit", period="period", kind="month")
    bound, features = prepare([cov], PANEL, ("lag0",))
    assert features == ("lag0", "x")
    full = join_covariates(PANEL, bound, 11)
    assert full["x"].tolist()[:2] == [5.0, 7.0] and np.isnan(full["x"].iloc[2]) and full["x"].iloc[3] == 9.0
    # as of month 10 the rows dated 11 do not exist, even on a panel row of period 11
    early = join_covariates(PANEL, bound, 10)
    assert early["x"].tolist()[:2] == [5.0, 5.0] and early["x"].iloc[2:].isna().all()


def test_tables_go_to_the_level_their_units_name(tmp_path: Path) -> None:
    grid = pd.DataFrame({"unit": ["150001", "150002"], "period": [10, 10]})
    a = load_covariates(_csv(tmp_path, "unit,period,x\nIdlib,0000-11,1\n", "a.csv"), kind="month")
    b = load_covariates(_csv(tmp_path, "unit,period,y\n150002,0000-11,1\n", "b.csv"), kind="month")
    split = split_by_level([a, b], {"admin1": PANEL, "priogrid": grid})
    assert split == {"admin1": [a], "priogrid": [b]}


def test_cli_reports_the_bad_file_and_line(tmp_path: Path) -> None:
    path = _csv(tmp_path, "gw,year,x\n490,2019,1\n490,2019,2\n")
    args = ["backtest", "--config", "ucdp-country-year", "--data", str(tmp_path), "--covariates", str(path)]
    res = runner.invoke(app, [*args, "--covariate-unit", "gw", "--covariate-period", "year"])
    assert res.exit_code == 2
    assert f"{path}:3" in res.output.replace("\n", "") and "duplicate" in res.output


# -- real data ------------------------------------------------------------------------------------------------


def _next_year_deaths(
    shared_data: Path, tmp_path: Path, *, scramble_after: int | None = None, gap: int | None = None
) -> Path:
    """A covariate from a real column, shifted: ``bd_next`` dated year p = log1p(state-based deaths in p + 1), and
    a random column ``noise``; rows after ``scramble_after`` scrambled, rows of year ``gap`` left out."""
    from detente.warning.country_year import CountryYearData, build_country_year

    source = CountryYearData.from_dir(shared_data)
    panel = build_country_year(source, as_of=source.last_year)
    frame = panel[["unit", "period", "bd_log"]].sort_values(["unit", "period"])
    frame["bd_next"] = frame.groupby("unit")["bd_log"].shift(-1)
    frame["noise"] = np.random.default_rng(7).normal(size=len(frame))
    frame = frame.dropna(subset=["bd_next"])[["unit", "period", "bd_next", "noise"]]
    if scramble_after is not None:
        late = frame["period"] > scramble_after
        rng = np.random.default_rng(11)
        frame.loc[late, "bd_next"] = rng.permutation(frame.loc[late, "bd_next"].to_numpy()) * 5 + 3
        frame.loc[late, "noise"] = -frame.loc[late, "noise"]
    if gap is not None:
        frame = frame[frame["period"] != gap]
    path = tmp_path / f"cov-{scramble_after}-{gap}.csv"
    frame.rename(columns={"unit": "gw", "period": "year"}).to_csv(path, index=False)
    return path


def _forecast(shared_data: Path, cov: Path | None, out: Path, as_of: str) -> pd.DataFrame:
    args = ["run", "--config", "ucdp-country-year", "--as-of", as_of, "--data", str(shared_data), "--out", str(out)]
    if cov is not None:
        args += ["--covariates", str(cov), "--covariate-unit", "gw", "--covariate-period", "year"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return pd.read_csv(out, dtype={"unit": str})


@pytest.mark.shared_data
def test_covariate_joins_and_drives_the_forecast(shared_data: Path, tmp_path: Path) -> None:
    from detente.warning.forecast import BINARY_COLUMNS

    cov = _next_year_deaths(shared_data, tmp_path)
    with_cov = _forecast(shared_data, cov, tmp_path / "a.csv", "2015")
    assert list(with_cov.columns) == BINARY_COLUMNS
    drivers = set(with_cov["driver_1"]) | set(with_cov["driver_2"])
    assert "bd_next" in drivers
    plain = _forecast(shared_data, None, tmp_path / "b.csv", "2015")
    assert "bd_next" not in set(plain[["driver_1", "driver_2", "driver_3"]].to_numpy().ravel())
    assert not np.allclose(with_cov.sort_values("unit")["probability"], plain.sort_values("unit")["probability"])


@pytest.mark.shared_data
def test_covariate_rows_after_t_do_not_change_forecasts_as_of_t(shared_data: Path, tmp_path: Path) -> None:
    t = 2012
    # year t itself is missing from the file, so a join that looked forward would pick up the scrambled rows
    good = _forecast(shared_data, _next_year_deaths(shared_data, tmp_path, gap=t), tmp_path / "a.csv", str(t))
    bad = _next_year_deaths(shared_data, tmp_path, scramble_after=t, gap=t)
    late = _forecast(shared_data, bad, tmp_path / "b.csv", str(t))
    pd.testing.assert_frame_equal(good, late)
    # and the perturbation is real: scrambling rows dated <= t does change them
    early = _forecast(
        shared_data, _next_year_deaths(shared_data, tmp_path, scramble_after=t - 3, gap=t), tmp_path / "c.csv", str(t)
    )
    assert not np.allclose(good["probability"], early.set_index("unit").loc[good["unit"], "probability"])


@pytest.mark.shared_data
def test_backtest_covariates_reach_only_detentes_model(shared_data: Path, tmp_path: Path) -> None:
    from detente.warning.backtest import BinarySpec, walk_forward_binary
    from detente.warning.configs import country_year_models
    from detente.warning.country_year import COUNTRY_YEAR_FEATURES, CountryYearData, build_country_year
    from detente.warning.covariates import base_only, with_covariates

    source = CountryYearData.from_dir(shared_data)
    truth = build_country_year(source, as_of=source.last_year)
    cov = load_covariates(_next_year_deaths(shared_data, tmp_path), unit="gw", period="year", kind="year")
    bound, features = prepare([cov], truth, COUNTRY_YEAR_FEATURES)

    def panel_at(s: int) -> pd.DataFrame:
        return build_country_year(source, as_of=s)

    plain = walk_forward_binary(
        panel_at, truth, [2010], BinarySpec("y_bd25", COUNTRY_YEAR_FEATURES), country_year_models("y_bd25")
    )
    joined = walk_forward_binary(
        with_covariates(panel_at, bound),
        truth,
        [2010],
        BinarySpec("y_bd25", features),
        base_only(country_year_models("y_bd25"), COUNTRY_YEAR_FEATURES),
    )
    for name in ("zero", "last_value", "historical_average", "conflictology"):
        pd.testing.assert_frame_equal(
            plain[plain["model"] == name].reset_index(drop=True), joined[joined["model"] == name].reset_index(drop=True)
        )
    ours_a = plain.loc[plain["model"] == "detente_gbm", "p"].to_numpy()
    ours_b = joined.loc[joined["model"] == "detente_gbm", "p"].to_numpy()
    assert not np.allclose(ours_a, ours_b)
