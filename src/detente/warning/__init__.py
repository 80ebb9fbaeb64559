"""Early warning: indicators and panels, probabilistic forecasts, rolling-origin backtests, alerts and watchlists.

Pure computations live in :mod:`~detente.warning.metrics`, :mod:`~detente.warning.features` and the models; panels
are Ibis expressions over the event store (:mod:`~detente.warning.panels`) or adapters for non-event sources
(:mod:`~detente.warning.sources`). See ``docs/warning.md``.
"""

from __future__ import annotations

from detente.warning.configs import CONFIGS, BacktestResult, run_backtest

__all__ = ["CONFIGS", "BacktestResult", "run_backtest"]
