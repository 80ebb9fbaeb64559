"""The three backtest configurations, reduced, through the CLI on the real data; forecasts in use."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli.forecast import app

runner = CliRunner()
pytestmark = pytest.mark.shared_data


def _backtest_doc(config: str, data: Path, out: Path) -> dict[str, Any]:
    args = ["backtest", "--config", config, "--data", str(data), "--reduced", "--json", "--out-dir", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    doc: dict[str, Any] = json.loads(res.stdout)
    assert doc["config"] == config and doc["reduced"] is True
    # progress on stderr, one bar per outcome (and level), each at its last origin
    bars = re.findall(r"backtest (\S.*?) .*?(\d+)/(\d+) origins", res.stderr)
    assert bars and all(done == total for _, done, total in bars), res.stderr
    if "origins" in doc["protocol"]:
        assert {int(total) for _, _, total in bars} == {len(doc["protocol"]["origins"])}
    assert (out / "metrics.json").exists() and (out / "metrics.csv").exists()
    return doc


def _backtest(config: str, data: Path, out: Path) -> dict[str, dict[str, float]]:
    models: dict[str, dict[str, float]] = _backtest_doc(config, data, out)["models"]
    return models


def test_ucdp_country_year_beats_conflictology_and_last_value(shared_data: Path, tmp_path: Path) -> None:
    m = _backtest("ucdp-country-year", shared_data, tmp_path)
    assert set(m) == {"zero", "last_value", "historical_average", "conflictology", "detente_gbm"}
    for outcome in ("bd25", "onset"):
        ours = m["detente_gbm"]
        for base in ("conflictology", "last_value"):
            assert ours[f"{outcome}_aupr"] > m[base][f"{outcome}_aupr"], (outcome, base)
            assert ours[f"{outcome}_brier"] < m[base][f"{outcome}_brier"], (outcome, base)
    assert (tmp_path / "reliability_predictions_bd25.png").exists()
    assert (tmp_path / "reliability_predictions_bd25.svg").exists()


def test_ewp_mass_killing_reports_auroc_top30_and_calibration(shared_data: Path, tmp_path: Path) -> None:
    doc = _backtest_doc("ewp-mass-killing", shared_data, tmp_path)
    m = doc["models"]
    for model in ("ewp_elastic_net", "detente_gbm"):
        assert 0.5 < m[model]["auroc"] <= 1.0
        assert 0 <= m[model]["positives_in_top30"] <= m[model]["positives"]
        rows = doc["calibration"]["mk_onset_1or2"][model]
        scale = [r for r in rows if not r["top_share"] and not r["decile"]]
        deciles, top = [r for r in rows if r["decile"]], [r for r in rows if r["top_share"]]
        assert len(deciles) == 10
        for group in (scale, deciles):
            assert sum(r["count"] for r in group) == m[model]["n"]
            assert sum(r["positives"] for r in group) == m[model]["positives"]
        assert len(top) == 1 and top[0]["count"] == m[model]["top5pct_n"]
        assert top[0]["mean_forecast"] == pytest.approx(m[model]["top5pct_mean_forecast"], abs=1e-5)
    chosen = doc["protocol"]["tuning"]["chosen"]["mk_onset_1or2"]
    assert chosen and all(c["calibrator"] in ("platt", "beta", "isotonic", "identity") for c in chosen)
    # the forecast says, next to each probability, how often the backtest's forecasts in its bin came true
    bt = tmp_path / "bt.json"
    bt.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "f.csv"
    args = ["run", "--config", "ewp-mass-killing", "--as-of", "2020", "--data", str(shared_data), "--out", str(out)]
    res = runner.invoke(app, [*args, "--backtest", str(bt)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    deciles = [r for r in doc["calibration"]["mk_onset_1or2"]["detente_gbm"] if r["decile"]]
    assert len(deciles) == 10 and frame["backtest_count"].notna().all()
    for p, rate, n in frame[["probability", "backtest_observed", "backtest_count"]].itertuples(index=False):
        # the decile of the backtest's forecasts it would rank in: the first whose highest forecast reaches it
        row = next((r for r in deciles if p <= r["bin_high"]), deciles[-1])
        assert (rate, n) == (pytest.approx(row["observed_frequency"], abs=1e-6), row["count"])
    assert "came true" in res.output  # the warning beside the top forecasts
    wrong = runner.invoke(app, ["run", "--config", "ucdp-country-year", "--as-of", "2020", "--data", str(shared_data),
                                "--backtest", str(bt)])  # fmt: skip
    assert wrong.exit_code == 2 and "ewp-mass-killing" in wrong.output


def test_ged_syria_monthly_scores_every_level_and_horizon(shared_data: Path, tmp_path: Path) -> None:
    m = _backtest("ged-syria-monthly", shared_data, tmp_path)
    assert set(m) == {"zero", "last_value", "historical_average", "conflictology", "detente_hurdle"}
    for level in ("admin1", "priogrid"):
        for h in (1, 2, 3):
            for metric in ("crps", "ignorance", "mis90"):
                assert m["detente_hurdle"][f"{level}_h{h}_{metric}"] >= 0
        assert m["detente_hurdle"][f"{level}_crps"] < m["zero"][f"{level}_crps"]


def test_forecast_run_writes_documented_columns(shared_data: Path, tmp_path: Path) -> None:
    from detente.warning.forecast import BINARY_COLUMNS

    out = tmp_path / "f.csv"
    res = runner.invoke(
        app, ["run", "--config", "ucdp-country-year", "--as-of", "2020", "--data", str(shared_data), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == BINARY_COLUMNS
    assert frame["rank"].tolist() == list(range(1, len(frame) + 1))
    assert frame["probability"].between(0, 1).all() and frame["change"].notna().any()
    top = frame.iloc[0]
    assert top["probability"] > 0.5 and isinstance(top["driver_1"], str)
    # each driver is also a sentence with the unit's value of the input ("…: 1,204 (high) — raises the risk")
    assert re.search(r": [\d,.]+( \((high|medium|low|none)\))? — (raises|lowers) the risk$", top["driver_1_text"])
    assert "_" not in top["driver_1_text"]  # words, not feature names such as bd_log
    doc = Path(__file__).resolve().parents[2] / "docs" / "forecast-files.md"
    text = doc.read_text(encoding="utf-8")
    assert all(f"`{c}`" in text for c in BINARY_COLUMNS)


def test_unknown_config_is_a_clean_error(shared_data: Path) -> None:
    res = runner.invoke(app, ["backtest", "--config", "nope", "--data", str(shared_data)])
    assert res.exit_code == 2 and "[unknown_config]" in res.output  # the user's mistake: one line, no traceback
    assert len(res.output.strip().splitlines()) == 1
