"""Early-warning benchmarks: the three backtests in full, calibration, the comparison with the Early Warning
Project's published forecasts, and the PRIO-GRID-month speed benchmark.

    python benchmarks/warning.py --data PATH/TO/shared/data [--only backtests|calibration|speed]
                                 [--cells 10000 --months 360]

Prints every metric of every model (JSON; for ged-syria-monthly also the escalation alerts' detection and
false-alarm rates, precision and lead time, the ``alerts`` block). For ``ewp-mass-killing`` and
``ucdp-country-year`` it prints the calibration table of every model (tenths of the probability scale, deciles of
the forecasts and the highest 5 % of forecasts, pooled over origins: count, positives, mean forecast, observed rate,
95 % Wilson interval) and checks the targets on ``ewp-mass-killing``: in the top 5 % bin |mean forecast - observed
rate| <= 0.05, AUROC at least the elastic net's, and at least 61 onsets in the top 30 (pooled over origins). Then
Détente's forecast from the 2024 predictors (trained on every outcome known) is set beside the Early Warning
Project's published 2025 forecast (``forecasts3Sep2025.csv``, ``risk_1or2.from2024``): rank correlation, overlap of
the top 30, mean absolute difference and the largest disagreements. For speed: fit + forecast time and peak memory
(RSS) of Détente's hurdle model on the Syria PRIO-GRID-month panel and on a generated panel of cells × months.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _fit_forecast(panel: pd.DataFrame, features: list[str]) -> dict[str, float]:
    from detente.warning.models import HurdleBoost

    last = int(panel["period"].max())
    target = panel.set_index(["unit", "period"])["fatalities"]
    train = panel[panel["period"] <= last - 1].copy()
    train["_y"] = target.reindex(pd.MultiIndex.from_arrays([train["unit"], train["period"] + 1])).to_numpy()
    train = train[train["_y"].notna()]
    start = time.perf_counter()
    model = HurdleBoost(n_estimators=100, folds=2).fit(
        train[features], train["_y"].to_numpy(float), train["period"].to_numpy(float)
    )
    draws = model.sample(panel[panel["period"] == last][features], 500, np.random.default_rng(1))
    return {
        "rows": float(len(train)),
        "fit_forecast_s": time.perf_counter() - start,
        "mean_forecast": float(draws.mean()),
    }


def generated_panel(cells: int, months: int, seed: int = 1) -> pd.DataFrame:
    """A synthetic PRIO-GRID-month panel: cells with persistent, clustered negative-binomial violence."""
    rng = np.random.default_rng(seed)
    level = rng.gamma(0.3, 2.0, cells)
    drift = rng.normal(0, 0.05, (months, cells)).cumsum(axis=0)
    mu = level[None, :] * np.exp(drift)
    counts = rng.negative_binomial(0.5, 0.5 / (0.5 + mu)).astype(np.float32)
    unit = np.tile(np.arange(cells), months)
    period = np.repeat(np.arange(months), cells)
    frame = pd.DataFrame({"unit": unit, "period": period, "fatalities": counts.ravel()})
    frame = frame.sort_values(["unit", "period"], kind="stable").reset_index(drop=True)
    g = frame.groupby("unit", sort=False)["fatalities"]
    logged = np.log1p(frame["fatalities"])
    frame["f_r1"] = logged.astype(np.float32)
    for w in (3, 6, 12):
        frame[f"f_r{w}"] = logged.groupby(frame["unit"]).transform(lambda s, w=w: s.rolling(w, min_periods=1).mean())
    frame["lag1"] = g.shift(1)
    return frame


def speed(data: Path, cells: int, months: int) -> dict[str, dict[str, float]]:
    from detente.warning.monthly import MONTHLY_FEATURES, syria_panels

    out: dict[str, dict[str, float]] = {}
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        panels = syria_panels(data, Path(tmp))
        panel = panels.at("priogrid", panels.last)
        build = time.perf_counter() - start
        res = _fit_forecast(panel, list(MONTHLY_FEATURES["priogrid"]))
        out["syria_priogrid_month"] = {"panel_build_s": build, **res, "peak_rss_mb": _peak_mb()}
    start = time.perf_counter()
    big = generated_panel(cells, months)
    build = time.perf_counter() - start
    res = _fit_forecast(big, ["f_r1", "f_r3", "f_r6", "f_r12", "lag1"])
    out[f"generated_{cells}x{months}"] = {"panel_build_s": build, **res, "peak_rss_mb": _peak_mb()}
    return out


#: targets on ewp-mass-killing (full walk-forward): top-5 % calibration gap, AUROC floor model, onsets in the top 30
TOP_GAP = 0.05
TOP30_FLOOR = 61.0


def print_calibration(doc: dict[str, Any]) -> None:
    for outcome, tables in doc.get("calibration", {}).items():
        for model, rows in tables.items():
            print(f"\n{doc['config']} / {outcome} / {model}: calibration pooled over origins")
            print(f"  {'bin':>22} {'count':>6} {'pos':>5} {'mean fc':>8} {'observed':>8}  95% interval")
            for r in rows:
                if r["top_share"]:
                    label = f"top {r['top_share']:.0%} ({r['bin_low']:.3f}-{r['bin_high']:.3f})"
                elif r["decile"]:
                    label = f"decile {r['decile']:.0f} ({r['bin_low']:.3f}-{r['bin_high']:.3f})"
                else:
                    label = f"{r['bin_low']:.1f}-{r['bin_high']:.1f}"
                print(
                    f"  {label:>22} {r['count']:6.0f} {r['positives']:5.0f} {r['mean_forecast']:8.3f} "
                    f"{r['observed_frequency']:8.3f}  [{r['interval_low']:.3f}, {r['interval_high']:.3f}]"
                )


def check_ewp_targets(doc: dict[str, Any]) -> bool:
    gbm, enet = doc["models"]["detente_gbm"], doc["models"]["ewp_elastic_net"]
    checks = [
        (
            f"top 5 % bin |mean forecast - observed| <= {TOP_GAP}",
            gbm["top5pct_gap"] <= TOP_GAP,
            f"{gbm['top5pct_mean_forecast']:.3f} vs {gbm['top5pct_observed']:.3f}: gap {gbm['top5pct_gap']:.3f}",
        ),
        (
            "AUROC >= the elastic net's",
            gbm["auroc"] >= enet["auroc"],
            f"{gbm['auroc']:.4f} vs {enet['auroc']:.4f} (ratio {gbm['auroc'] / enet['auroc']:.4f}); mean of the "
            f"origins' AUROC {gbm['auroc_mean_by_origin']:.4f} vs {enet['auroc_mean_by_origin']:.4f}",
        ),
        (
            f"onsets in the top 30 >= {TOP30_FLOOR:g}",
            gbm["positives_in_top30"] >= TOP30_FLOOR,
            f"{gbm['positives_in_top30']:g} (elastic net {enet['positives_in_top30']:g}) of {gbm['positives']:g}",
        ),
    ]
    print("\newp-mass-killing targets (detente_gbm, full walk-forward):")
    for name, ok, figures in checks:
        print(f"  {'met    ' if ok else 'NOT MET'}  {name}: {figures}")
    return all(ok for _, ok, _ in checks)


def compare_with_ewp(data: Path) -> dict[str, Any]:
    from detente.warning.compare import compare_forecasts
    from detente.warning.forecast import run_forecast
    from detente.warning.sources import read_ewp_forecasts

    start = time.perf_counter()
    ours = run_forecast("ewp-mass-killing", data, "2024").table.set_index("unit")["probability"]
    theirs = read_ewp_forecasts(data / "early_warning_project" / "forecasts3Sep2025.csv").set_index("ewp_name")
    out = compare_forecasts(ours, theirs["risk"], top=30, largest=12)
    out["seconds"] = round(time.perf_counter() - start, 1)
    print("\nDétente (2024 predictors, every known outcome) vs the Early Warning Project's 2025 forecast:")
    print(
        f"  {out['n']} countries in both; Spearman {out['spearman']:.3f}; top-30 overlap {out['top_overlap']}/30; "
        f"mean |difference| {out['mean_abs_difference']:.4f}; mean forecast {out['mean_ours']:.4f} (Détente) vs "
        f"{out['mean_theirs']:.4f} (EWP)"
    )
    print(f"  {'country':>28} {'Détente':>8} {'EWP':>8} {'rank D':>7} {'rank EWP':>8}")
    for r in out["largest"]:
        print(f"  {r['country']:>28} {r['ours']:8.3f} {r['theirs']:8.3f} {r['rank_ours']:7.0f} {r['rank_theirs']:8.0f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--only", choices=["backtests", "calibration", "speed"])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=360)
    args = parser.parse_args()
    if args.only in (None, "backtests", "calibration"):
        from detente.warning import CONFIGS, run_backtest

        names = list(CONFIGS) if args.only != "calibration" else ["ewp-mass-killing", "ucdp-country-year"]
        for name in names:
            start = time.perf_counter()
            doc = run_backtest(name, args.data).as_json()
            doc["seconds"] = round(time.perf_counter() - start, 1)
            print(json.dumps({k: v for k, v in doc.items() if k != "calibration"}, indent=1))
            print_calibration(doc)
            if name == "ewp-mass-killing":
                check_ewp_targets(doc)
        compare_with_ewp(args.data)
    if args.only in (None, "speed"):
        print(json.dumps(speed(args.data, args.cells, args.months), indent=1))


if __name__ == "__main__":
    main()
