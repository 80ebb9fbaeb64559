"""Windowed features over a complete unit × period panel (sorted by unit, then period).

Everything here looks backwards only: a value at period s depends on periods ≤ s of the same unit (or of its
neighbouring cells, for spatial lags), so a panel cut at t yields the same features for s ≤ t as the full panel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["WINDOWS", "add_lags", "add_rolling", "add_spatial_lag", "add_time_since", "priogrid_neighbours"]

WINDOWS: tuple[int, ...] = (1, 3, 6, 12, 36)


def add_rolling(frame: pd.DataFrame, columns: Sequence[str], windows: Sequence[int] = WINDOWS) -> pd.DataFrame:
    """``<col>_r<w>``: mean of the last w periods (partial windows at the start), on log1p scale for counts."""
    g = frame.groupby("unit", sort=False)
    new: dict[str, pd.Series] = {}
    for col in columns:
        logged = np.log1p(frame[col].clip(lower=0))
        for w in windows:
            if w == 1:
                new[f"{col}_r1"] = logged
            else:
                new[f"{col}_r{w}"] = logged.groupby(frame["unit"], sort=False).transform(
                    lambda s, w=w: s.rolling(w, min_periods=1).mean()
                )
    del g
    return pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)


def add_lags(frame: pd.DataFrame, column: str, lags: int, prefix: str) -> pd.DataFrame:
    """``<prefix>0 .. <prefix>{lags-1}``: the raw value 0..lags-1 periods back (NaN before the first period)."""
    g = frame.groupby("unit", sort=False)[column]
    new = {f"{prefix}{k}": g.shift(k) for k in range(lags)}
    return pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)


def add_time_since(frame: pd.DataFrame, column: str, *, half_life: float, cap: float = 120.0) -> pd.DataFrame:
    """``since_<col>``: periods since the last period with ``column`` > 0 (cap when never) and its decay 2^(-d/h)."""
    active = frame["period"].where(frame[column] > 0)
    last = active.groupby(frame["unit"], sort=False).ffill()
    since = (frame["period"] - last).fillna(cap).clip(upper=cap)
    frame = frame.copy()
    frame[f"since_{column}"] = since
    frame[f"decay_{column}"] = np.power(2.0, -since / half_life)
    return frame


def priogrid_neighbours(gid: int) -> list[int]:
    """The 8 queen neighbours of a PRIO-GRID cell (720 columns per row; no wrap at the date line)."""
    col = (gid - 1) % 720
    out = []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if (dr or dc) and 0 <= col + dc < 720:
                out.append(gid + dr * 720 + dc)
    return out


def add_spatial_lag(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``slag_<col>``: mean of ``column`` over the queen neighbours of a PRIO-GRID cell in the same period.

    Neighbours outside the panel count as 0 (no recorded events there).
    """
    wide = frame.pivot(index="period", columns="unit", values=column)
    cells = [int(u) for u in wide.columns]
    values = wide.to_numpy(dtype=np.float64)
    index = {c: i for i, c in enumerate(cells)}
    lag = np.zeros_like(values)
    for j, cell in enumerate(cells):
        nb = [index[n] for n in priogrid_neighbours(cell) if n in index]
        if nb:
            lag[:, j] = values[:, nb].sum(axis=1) / 8.0
    long = pd.DataFrame(lag, index=wide.index, columns=wide.columns).stack().reset_index()
    long.columns = pd.Index(["period", "unit", f"slag_{column}"])
    return frame.merge(long, on=["period", "unit"], how="left")
