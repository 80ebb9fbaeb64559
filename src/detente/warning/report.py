"""Write a backtest's metric tables (CSV, JSON) and reliability diagrams (PNG, SVG) into a folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from detente.warning import metrics
from detente.warning.configs import BacktestResult

__all__ = ["write_report"]


def _reliability_plot(preds: pd.DataFrame, title: str, stem: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    for name, frame in preds.groupby("model", sort=False):
        if frame["p"].nunique() <= 2:
            continue  # 0/1 baselines have no curve to show
        table = metrics.reliability_table(frame["y"].to_numpy(), frame["p"].to_numpy(), bins=10)
        xs = [r["mean_forecast"] for r in table]
        ys = [r["observed_frequency"] for r in table]
        ax.plot(xs, ys, marker="o", linewidth=1.5, label=str(name))
    ax.set_xlabel("forecast probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    out = []
    for ext in ("png", "svg"):
        path = stem.with_suffix(f".{ext}")
        # fixed metadata so the files are reproducible byte for byte
        meta = {"Software": None} if ext == "png" else {"Date": None, "Creator": None}
        fig.savefig(path, dpi=100, metadata=meta)
        out.append(path)
    plt.close(fig)
    return out


def write_report(result: BacktestResult, folder: Path | str) -> list[Path]:
    """Write ``metrics.json``, ``metrics.csv``, the per-row tables and reliability diagrams; return the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    doc = result.as_json()
    path = out / "metrics.json"
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    written.append(path)
    rows = [{"model": m, "metric": k, "value": v} for m, vals in doc["models"].items() for k, v in vals.items()]
    path = out / "metrics.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    written.append(path)
    for name, table in result.tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=False, float_format="%.6g")
        written.append(path)
        if {"p", "y", "model"} <= set(table.columns) and np.isin(table["y"].unique(), [0.0, 1.0]).all():
            written += _reliability_plot(table, f"{result.config}: {name}", out / f"reliability_{name}")
    return written
