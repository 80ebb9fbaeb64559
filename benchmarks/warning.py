"""Early-warning benchmarks: the three backtests in full, and the PRIO-GRID-month speed benchmark.

    python benchmarks/warning.py --data PATH/TO/shared/data [--only backtests|speed] [--cells 10000 --months 360]

Prints every metric of every model (JSON; for ged-syria-monthly also the escalation alerts' detection and
false-alarm rates, precision and lead time, the ``alerts`` block) and, for speed, fit + forecast time and peak
memory (RSS) of Détente's hurdle model on the Syria PRIO-GRID-month panel and on a generated panel of cells × months.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--only", choices=["backtests", "speed"])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=360)
    args = parser.parse_args()
    if args.only in (None, "backtests"):
        from detente.warning import CONFIGS, run_backtest

        for name in CONFIGS:
            start = time.perf_counter()
            doc = run_backtest(name, args.data).as_json()
            doc["seconds"] = round(time.perf_counter() - start, 1)
            print(json.dumps(doc, indent=1))
    if args.only in (None, "speed"):
        print(json.dumps(speed(args.data, args.cells, args.months), indent=1))


if __name__ == "__main__":
    main()
