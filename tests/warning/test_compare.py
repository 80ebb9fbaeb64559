"""Détente's forecasts beside the Early Warning Project's: the reader, the comparison, the backtest-rate columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.errors import WarningDataError
from detente.warning import metrics
from detente.warning.compare import compare_forecasts
from detente.warning.forecast import attach_backtest_rates
from detente.warning.sources import read_ewp_forecasts


@pytest.mark.shared_data
def test_reads_the_published_2025_forecasts(shared_data: Path) -> None:
    frame = read_ewp_forecasts(shared_data / "early_warning_project" / "forecasts3Sep2025.csv")
    assert len(frame) == 168 and frame["ewp_name"].is_unique
    risk = frame.set_index("ewp_name")["risk"]
    # the first rows of the file (SOURCE.md: risk_1or2.from2024, ranked)
    assert risk["Burma/Myanmar"] == pytest.approx(0.1041) and risk["Sudan"] == pytest.approx(0.081)
    assert risk.idxmax() == "Burma/Myanmar"


def test_a_bad_risk_names_the_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('"","ewp_name","risk_1or2.from2024"\n"1","A",0.2\n"2","B",1.4\n', encoding="utf-8")
    with pytest.raises(WarningDataError) as err:
        read_ewp_forecasts(path)
    assert err.value.line == 3 and err.value.field == "risk_1or2.from2024"
    path.write_text('"","ewp_name"\n"1","A"\n', encoding="utf-8")
    with pytest.raises(WarningDataError, match="missing column"):
        read_ewp_forecasts(path)


def test_comparison_of_identical_and_reversed_rankings() -> None:
    names = [f"c{i}" for i in range(40)]
    a = pd.Series(np.linspace(0.5, 0.01, 40), index=names)
    same = compare_forecasts(a, a.copy(), top=30)
    assert (same["n"], same["top_overlap"], same["mean_abs_difference"]) == (40, 30, 0.0)
    assert same["spearman"] == pytest.approx(1.0)
    rev = compare_forecasts(a, pd.Series(a.to_numpy()[::-1], index=names), top=10, largest=3)
    assert rev["spearman"] == pytest.approx(-1.0) and rev["top_overlap"] == 0
    # the largest disagreements are the two ends of the list
    assert {r["country"] for r in rev["largest"][:2]} == {"c0", "c39"}


def test_comparison_keeps_only_countries_both_rank() -> None:
    a = pd.Series({"A": 0.4, "B": 0.1, "C": 0.05})
    b = pd.Series({"B": 0.08, "C": 0.02, "D": 0.3})
    out = compare_forecasts(a, b, top=30)
    assert out["n"] == 2 and out["only_ours"] == ["A"] and out["only_theirs"] == ["D"]
    assert out["mean_abs_difference"] == pytest.approx((0.02 + 0.03) / 2)
    assert out["top"] == 2 and out["top_overlap"] == 2


def test_each_forecast_gets_the_rate_of_the_backtest_decile_it_ranks_in() -> None:
    # backtest: 100 forecasts 0.01, 0.02, …, 1.00; the top 20 came true, and 1 in each lower decile
    p = np.arange(1, 101) / 100
    y = np.zeros(100)
    y[80:] = 1.0
    y[[5, 15, 25, 35, 45, 55, 65, 75]] = 1.0
    deciles = [r for r in metrics.calibration_table(y, p) if r["decile"]]
    table = pd.DataFrame({"probability": [0.0, 0.05, 0.101, 0.5, 0.95, 0.999]})
    out = attach_backtest_rates(table, deciles)
    # 0.0 and 0.05 rank in the first decile (0.01-0.10), 0.101 in the second, 0.5 in the fifth, the rest in the top
    assert out["backtest_observed"].tolist() == pytest.approx([0.1, 0.1, 0.1, 0.1, 1.0, 1.0])
    assert out["backtest_count"].tolist() == [10.0] * 6
    assert (out["backtest_observed_low"] <= out["backtest_observed"]).all()
    assert (out["backtest_observed"] <= out["backtest_observed_high"]).all()
    empty = attach_backtest_rates(table, [])
    assert empty["backtest_count"].isna().all()  # no backtest table: nothing claimed
