"""The watchlist: ranked units with forecast, uncertainty, change, alerts, drivers and recent history.

:func:`syria_watchlist` (and :func:`build_watchlist` for any forecast table and panel) return plain dictionaries a
web page or the CLI can render: one entry per unit, in rank order, each with the last 12 periods of history (for a
small chart) and the event ids behind its alert.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from detente.errors import WarningDataError
from detente.events.coverage import store_coverage
from detente.warning.alerts import Alert, AlertRule, measure_rates, scan_panel
from detente.warning.forecast import count_forecast, parse_period
from detente.warning.monthly import MonthlyPanels, syria_panels
from detente.warning.panels import month_label, period_end
from detente.warning.selection import select_model
from detente.warning.store_config import (
    StoreConfig,
    StorePanels,
    default_as_of,
    manifest_version,
    open_store_panels,
    store_backtest,
    store_events,
    store_forecast,
)
from detente.warning.unit_data import driver_sentences

__all__ = [
    "CACHE_FORMAT",
    "RunStore",
    "build_watchlist",
    "parse_month",
    "store_watchlist",
    "syria_watchlist",
]


def build_watchlist(
    forecast: pd.DataFrame,
    panel: pd.DataFrame,
    alerts: list[Alert],
    *,
    value_column: str = "fatalities",
    history: int = 12,
    rule: AlertRule = AlertRule(),
) -> dict[str, Any]:
    """Combine a forecast table, its panel and the alerts into the watchlist document."""
    by_unit = {a.unit: a for a in alerts}
    entries: list[dict[str, Any]] = []
    for row in forecast.to_dict(orient="records"):
        unit = str(row["unit"])
        series = panel[panel["unit"] == unit].sort_values("period").tail(history)
        alert = by_unit.get(unit)
        entries.append(
            {
                "rank": int(row["rank"]),
                "unit": unit,
                "unit_name": row["unit_name"],
                "forecast": row.get("mean", row.get("probability")),
                "probability": row.get("probability"),
                "interval90": [row["q05"], row["q95"]] if "q05" in row else None,
                "change": row.get("change"),
                "alert": alert.as_dict() if alert and alert.level in ("surge", "sharp increase") else None,
                "level": alert.level if alert else "none",
                "drivers": [
                    {"feature": row[f"driver_{i}"], "contribution": row[f"driver_{i}_contribution"]} for i in (1, 2, 3)
                ],
                "history": [
                    {"period": int(p), "value": float(v)}
                    for p, v in zip(series["period"], series[value_column], strict=True)
                ],
            }
        )
    return {
        "target": str(forecast["target"].iloc[0]) if len(forecast) else None,
        "as_of": str(forecast["as_of"].iloc[0]) if len(forecast) else None,
        "alert_rule": {
            "test": "negative-binomial exceedance vs. the unit's own trailing history (method of moments)",
            "window": rule.window,
            "alpha": rule.alpha,
            "min_count": rule.min_count,
            **measure_rates(rule, trials=300),
        },
        "units": entries,
    }


def _events(panels: MonthlyPanels, t: int) -> pd.DataFrame:
    import ibis

    tbl = panels.table
    tbl = tbl.filter((tbl.country_iso3 == panels.country) & (tbl.date_start <= ibis.literal(period_end(t, "month"))))
    tbl = tbl.filter(tbl.date_start.year() * 12 + tbl.date_start.month() - 1 == t)
    frame: pd.DataFrame = tbl.select("event_id", "admin1", "fatalities_best").to_pandas()
    frame["unit"] = panels.country + ":" + frame["admin1"].astype(str)
    frame["period"] = t
    frame["fatalities_best"] = frame["fatalities_best"].fillna(0)
    return frame


def syria_watchlist(data: Path | str, as_of: str, *, rule: AlertRule = AlertRule()) -> dict[str, Any]:
    """The admin1 watchlist of the GED Syria file as of month ``as_of`` (``YYYY-MM``)."""
    t = parse_period("ged-syria-monthly", as_of)
    with tempfile.TemporaryDirectory(prefix="detente-watchlist-") as tmp:
        panels = syria_panels(Path(data), Path(tmp))
        forecast = count_forecast(panels, "admin1", t)
        panel = panels.at("admin1", t)
        alerts = scan_panel(panel, "fatalities", t, rule, events=_events(panels, t))
        doc = build_watchlist(forecast, panel, alerts, rule=rule)
        driver_sentences(doc["units"], panel, t)
        doc["as_of"] = month_label(t)
        return doc


# -- the watchlist of any workspace's event store ---------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-ready: NumPy scalars to Python, NaN/inf to None, recursively."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class RunStore:
    """Forecast runs kept in the workspace (``<workspace>/warning/runs/<id>.csv`` + ``<id>.json``), and the
    computed watchlists (``<workspace>/warning/cache/``), so the next run can report the change since this one."""

    def __init__(self, workspace: Path | str) -> None:
        self.root = Path(workspace) / "warning"
        self.runs = self.root / "runs"
        self.cache = self.root / "cache"

    @staticmethod
    def run_id(as_of: str, version: str) -> str:
        return f"{as_of}_{version}"

    def _write(self, path: Path, data: bytes) -> None:
        from detente.workspace import atomic_write_bytes

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)

    def save_run(self, table: pd.DataFrame, meta: dict[str, Any]) -> None:
        run = str(meta["id"])
        self._write(self.runs / f"{run}.csv", table.to_csv(index=False, float_format="%.6g").encode())
        self._write(self.runs / f"{run}.json", json.dumps(_clean(meta), indent=1).encode())

    def load_run(self, run: str) -> pd.DataFrame:
        return pd.read_csv(self.runs / f"{run}.csv", dtype={"unit": str})

    def metas(self) -> list[dict[str, Any]]:
        out = []
        for path in sorted(self.runs.glob("*.json")) if self.runs.exists() else []:
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue  # a damaged run file is skipped, not fatal
            if isinstance(meta, dict) and (self.runs / f"{meta.get('id')}.csv").exists():
                out.append(meta)
        return out

    def previous(self, as_of: str, version: str) -> dict[str, Any] | None:
        """The latest run before this one: an earlier as-of month, or the same month on an earlier store version."""
        current = self.run_id(as_of, version)
        older = [m for m in self.metas() if m["id"] != current and str(m["as_of"]) <= as_of]
        return max(older, key=lambda m: (str(m["computed_at"]), str(m["as_of"]))) if older else None

    def cached(self, name: str) -> dict[str, Any] | None:
        path = self.cache / f"{name}.json"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        return doc if isinstance(doc, dict) else None

    def store_cached(self, name: str, doc: dict[str, Any]) -> None:
        self._write(self.cache / f"{name}.json", json.dumps(_clean(doc)).encode())


def _window(first: int, last: int) -> dict[str, str]:
    start = period_end(first - 1, "month") + dt.timedelta(days=1)
    return {"start": start.isoformat(), "end": period_end(last, "month").isoformat()}


def _events_query(unit: str, level: str, first: int, last: int) -> dict[str, str]:
    return {"country": unit.partition(":")[0], **_window(first, last)}


#: the cached document's format: a new one when the document changes (v2: ``ranked_by``, the backtest chooses)
CACHE_FORMAT = "v4"  # v2: the model chosen by the backtest (ADR 0027); v3: with coverage (ADR 0030); v4: backtest_rate


def store_watchlist(
    workspace: Path | str,
    *,
    now: dt.datetime,
    as_of: str | None = None,
    config: StoreConfig = StoreConfig(),
    rule: AlertRule = AlertRule(),
    budget_seconds: float = 60.0,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """The watchlist of a workspace's event store as of ``as_of`` (default: the latest complete month before
    ``now``), cached per store version and as-of month; the forecast run is kept for the next run's change.

    The backtest runs first (within ``budget_seconds``); :func:`detente.warning.selection.select_model` picks from
    its scores the model that ranks the units (``ranked_by``: the model, the best baseline, the scores, the reason),
    and the forecast is that model's."""
    import time

    from detente.events import open_store

    started = time.monotonic()
    store = open_store(workspace)
    version = manifest_version(store.manifest().to_json())
    table = store.table()
    coverage = store_coverage(table)  # the default month needs it, before the cache can be looked up
    default = default_as_of(coverage, now.date())
    t = default if as_of is None else parse_month(as_of)
    label = month_label(t)
    runs = RunStore(workspace)
    cache_name = f"watchlist-{label}-{version}-{config.key()}-{CACHE_FORMAT}"
    hit = runs.cached(cache_name)
    if hit is not None:
        return hit
    panels, _ = open_store_panels(table, config, coverage=coverage)
    # the backtest first: its verdict chooses the model that ranks the units (detente.warning.selection)
    backtest = store_backtest(panels, t, config, deadline=started + budget_seconds, progress=progress)
    selection = select_model(
        backtest["models"], months=len(backtest["protocol"]["origins"]), threshold=config.threshold
    )
    chosen = selection.chosen
    current_id = runs.run_id(label, version)
    prev_meta = runs.previous(label, version)
    previous: pd.DataFrame | None
    if prev_meta is None and t - 1 >= panels.first + config.min_history:
        # no earlier run: make the one a month before, with the same model, so the change is the data's
        previous = store_forecast(panels, t - 1, config, model=chosen)
        prev_meta = {"id": runs.run_id(month_label(t - 1), version), "as_of": month_label(t - 1), "version": version,
                     "computed_at": now.isoformat(), "model": chosen, "backfilled": True}  # fmt: skip
        runs.save_run(previous, prev_meta)
    else:
        previous = runs.load_run(str(prev_meta["id"])) if prev_meta is not None else None
    forecast = store_forecast(panels, t, config, previous=previous, model=chosen)
    panel = panels.at(t)
    events = store_events(panels, t)
    alerts = scan_panel(panel, "fatalities", t, rule, events=events)
    doc = build_watchlist(forecast, panel, alerts, rule=rule)
    details: dict[str, dict[str, Any]] = {
        str(r["event_id"]): {
            "event_id": str(r["event_id"]),
            "date": str(r["date_start"])[:10],
            "place": r["place"],
            "category": r["category"],
            "fatalities": r["fatalities_best"],
        }
        for r in events.to_dict(orient="records")
    }
    for entry, row in zip(doc["units"], forecast.to_dict(orient="records"), strict=True):
        entry["p_exceed"] = row["p_exceed"]
        entry["previous_p_exceed"] = row["previous_p_exceed"]
        entry["previous_mean"] = row["previous_mean"]
        entry["q50"] = row["q50"]
        # only Détente's model has drivers; a baseline's rows have empty driver columns
        entry["drivers"] = [d for d in entry["drivers"] if isinstance(d["feature"], str) and d["feature"]]
        for h in entry["history"]:
            h["month"] = month_label(int(h["period"]))
        entry["events_query"] = _events_query(entry["unit"], panels.level, t - 11, t)
        if entry["alert"] is not None:
            entry["alert"]["month"] = label
            entry["alert"]["events_query"] = _events_query(entry["unit"], panels.level, t, t)
            entry["alert"]["event_details"] = [details[e] for e in entry["alert"]["events"] if e in details]
    _add_unit_data(doc, panels, panel, t, default, config)
    runs.save_run(
        forecast,
        {"id": current_id, "as_of": label, "version": version, "computed_at": now.isoformat(), "model": chosen},
    )
    doc.update(
        {
            "store_version": version,
            "level": panels.level,
            "as_of": label,
            "threshold": config.threshold,
            "computed_at": now.isoformat(),
            "duration_seconds": round(time.monotonic() - started, 2),
            "run": current_id,
            "previous_run": None
            if prev_meta is None
            else {
                **{k: prev_meta[k] for k in ("id", "as_of", "computed_at")},
                # a run kept before the backtest chose the model names none: it was the hurdle's
                "model": str(prev_meta.get("model", "detente_hurdle")),
            },
            "config": asdict(config),
            "ranked_by": selection.as_dict(),
            "model": backtest,
        }
    )
    _add_backtest_rates(doc["units"], backtest["reliability"].get(chosen, []))
    clean: dict[str, Any] = _clean(doc)
    runs.store_cached(cache_name, clean)
    return clean


def _add_backtest_rates(units: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """Beside each ranked unit's P(≥ N): how often the ranking model's forecasts in the same decile of its own
    backtest came true (``backtest_rate``: ``count``, ``hits``, ``observed``, 95 % Wilson ``low``/``high``), so a
    forecast is read against the record of forecasts like it; None when the backtest has no deciles."""
    from detente.warning.forecast import attach_backtest_rates

    deciles = [r for r in rows if r.get("decile")]
    ranked = [u for u in units if u.get("rank") is not None and u.get("p_exceed") is not None]
    for u in units:
        u["backtest_rate"] = None
    if not deciles or not ranked:
        return
    table = attach_backtest_rates(pd.DataFrame({"probability": [float(u["p_exceed"]) for u in ranked]}), deciles)
    for u, row in zip(ranked, table.to_dict(orient="records"), strict=True):
        count, observed = float(row["backtest_count"]), float(row["backtest_observed"])
        u["backtest_rate"] = {
            "count": int(count),
            "hits": round(count * observed),
            "observed": observed,
            "low": float(row["backtest_observed_low"]),
            "high": float(row["backtest_observed_high"]),
        }


def _add_unit_data(
    doc: dict[str, Any], panels: StorePanels, panel: pd.DataFrame, t: int, default: int, config: StoreConfig
) -> None:
    """Sources, freshness and status per unit, the units without a forecast, drivers with their values, and the
    months to choose from (:mod:`detente.warning.unit_data`)."""
    from detente.warning.unit_data import add_unit_data, month_choices

    coverage = panels.coverage
    assert coverage is not None
    units = sorted(str(u) for u in panel["unit"].unique())
    names = {u: panels.name(u) for u in units}
    add_unit_data(doc, coverage=coverage, panel=panel, t=t, names=names,
                  country_of={u: panels.country(u) for u in units}, min_history=config.min_history,
                  horizon=config.horizon)  # fmt: skip
    for entry in doc["units"]:
        if entry["rank"] is None:
            entry["events_query"] = _events_query(entry["unit"], panels.level, t - 11, t)
    doc["default_as_of"] = month_label(default)
    doc["months"] = month_choices(coverage, panels.first + config.min_history, default, default)
    doc["coverage"] = coverage.as_dict()


def parse_month(text: str) -> int:
    """``2025-11`` → month index; a bad value names the ``as_of`` field."""
    try:
        year, month = (int(p) for p in text.split("-"))
        if not 1 <= month <= 12 or not 1900 <= year <= 2200:
            raise ValueError(text)
    except ValueError as exc:
        raise WarningDataError(f"bad month {text!r} (expected YYYY-MM)", field="as_of") from exc
    return year * 12 + month - 1
