"""User covariate tables joined onto a panel by unit and period, without leaking the future.

A covariate table is a CSV with a unit column, a period column and numeric columns (read by
:func:`detente.warning.sources.read_covariates`). :func:`load_covariates` reads it and parses its periods for the
panel's period kind (``year``: an integer year; ``month``: ``YYYY-MM``). :meth:`Covariates.bind` maps its units onto
the panel's units (exactly, or for ``ISO3:Region`` units by the region alone) and refuses a row whose unit matches
no unit of the panel, naming its line.

**As of t.** :func:`join_covariates` gives a panel row of period s the values of the unit's latest covariate row
dated ≤ s (a value holds until the unit's next row), using only the rows dated ≤ t: a row dated p is invisible to
every panel built as of t < p. :func:`with_covariates` wraps a ``panel_at(t)`` function of the backtests so that
every origin sees exactly this.

**Who uses them.** Only Détente's own models: :func:`base_only` wraps the baselines (and the Early Warning
Project's elastic-net) so that they are fitted on their own features as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from detente.errors import WarningDataError
from detente.warning.sources import read_covariates

__all__ = [
    "PERIOD_KINDS",
    "BoundCovariates",
    "Covariates",
    "OnlyColumns",
    "base_only",
    "bind_all",
    "covariate_features",
    "describe_covariates",
    "join_covariates",
    "load_covariates",
    "load_for_config",
    "prepare",
    "split_by_level",
    "with_covariates",
]

FloatArray = npt.NDArray[np.float64]
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?$")


@dataclass(frozen=True)
class Covariates:
    """One covariate file: rows (``unit``, ``period`` as an integer, ``line``, the columns) and where it came from."""

    path: Path
    unit_column: str
    period_column: str
    kind: str
    frame: pd.DataFrame
    columns: tuple[str, ...]

    def matches(self, units: Iterable[object]) -> int:
        """How many of this file's distinct units name a unit of ``units``."""
        lookup = _unit_lookup(units)
        return sum(1 for u in self.frame["unit"].unique() if str(u) in lookup)

    def bind(self, units: Iterable[object], *, taken: Iterable[str] = ()) -> BoundCovariates:
        """The rows keyed by the panel's own unit values; a unit that matches none, or a column name already used
        by the panel (``taken``), is an error naming the file (and the line)."""
        taken_set = set(taken)
        for col in self.columns:
            if col in taken_set:
                raise WarningDataError(
                    "covariate column has the name of a panel column or of another covariate; rename it",
                    path=self.path,
                    field=col,
                )
        lookup = _unit_lookup(units)
        mapped = self.frame["unit"].map(lookup)
        unmatched = mapped.isna()
        if unmatched.any():
            i = int(unmatched.to_numpy().argmax())
            examples = ", ".join(sorted(lookup)[:5])
            raise WarningDataError(
                f"unit {self.frame['unit'].iloc[i]!r} matches no unit of the panel (units look like: {examples})",
                path=self.path,
                line=int(self.frame["line"].iloc[i]),
                field=self.unit_column,
            )
        frame = self.frame.assign(unit=mapped.to_numpy())[["unit", "period", *self.columns]]
        return BoundCovariates(self.path, frame.sort_values(["period", "unit"], kind="mergesort"), self.columns)


@dataclass(frozen=True)
class BoundCovariates:
    """Covariate rows keyed by the panel's unit values, sorted by period."""

    path: Path
    frame: pd.DataFrame
    columns: tuple[str, ...] = field(default_factory=tuple)


def _unit_lookup(units: Iterable[object]) -> dict[str, object]:
    """Text form → panel unit: the unit itself and, for ``ISO3:Region`` units, the region alone when unambiguous."""
    lookup: dict[str, object] = {}
    short: dict[str, list[object]] = {}
    for u in units:
        text = str(u)
        lookup[text] = u
        _, sep, rest = text.partition(":")
        if sep and rest:
            short.setdefault(rest, []).append(u)
    for name, found in short.items():
        if len(found) == 1 and name not in lookup:
            lookup[name] = found[0]
    return lookup


def _parse_period(text: str, kind: str) -> int | None:
    if kind == "year":
        return int(text) if text.isdigit() and len(text) == 4 else None
    m = _MONTH.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def load_covariates(path: Path | str, *, unit: str = "unit", period: str = "period", kind: str) -> Covariates:
    """Read a covariate CSV for a panel of ``kind`` periods (``year`` or ``month``); see the module docstring."""
    if kind not in ("year", "month"):
        raise ValueError(f"unknown period kind {kind!r}")
    p = Path(path)
    frame = read_covariates(p, unit=unit, period=period)
    parsed = [_parse_period(str(v), kind) for v in frame["period"]]
    for i, value in enumerate(parsed):
        if value is None:
            expected = "a year YYYY" if kind == "year" else "a month YYYY-MM"
            raise WarningDataError(
                f"bad period {frame['period'].iloc[i]!r} (expected {expected})",
                path=p,
                line=int(frame["line"].iloc[i]),
                field=period,
            )
    frame = frame.assign(period=np.asarray(parsed, dtype=np.int64))
    columns = tuple(c for c in frame.columns if c not in ("unit", "period", "line"))
    return Covariates(p, unit, period, kind, frame, columns)


def bind_all(tables: Sequence[Covariates], units: Iterable[object], taken: Iterable[str]) -> list[BoundCovariates]:
    """Bind several files to one panel, refusing a column name used twice."""
    unit_list = list(units)
    used = set(taken)
    out: list[BoundCovariates] = []
    for table in tables:
        out.append(table.bind(unit_list, taken=used))
        used.update(table.columns)
    return out


def covariate_features(bound: Sequence[BoundCovariates]) -> tuple[str, ...]:
    return tuple(c for b in bound for c in b.columns)


def join_covariates(panel: pd.DataFrame, bound: Sequence[BoundCovariates], t: int) -> pd.DataFrame:
    """``panel`` with the covariate columns: for a row of period s, the unit's latest covariate row dated ≤ s,
    among the rows dated ≤ ``t`` only (NaN before the unit's first row)."""
    if not bound:
        return panel
    out = panel.reset_index(drop=True)
    keys = pd.DataFrame(
        {
            "unit": out["unit"].astype(str).to_numpy(object),
            "period": out["period"].astype("int64"),
            "_row": np.arange(len(out)),
        }
    )
    keys = keys.sort_values("period", kind="mergesort")
    for b in bound:
        visible = b.frame[b.frame["period"] <= t]
        visible = visible.assign(unit=visible["unit"].astype(str).to_numpy(object))
        if visible.empty:
            for col in b.columns:
                out[col] = np.nan
            continue
        joined = pd.merge_asof(keys, visible, on="period", by="unit", direction="backward")
        joined = joined.sort_values("_row")
        for col in b.columns:
            out[col] = joined[col].to_numpy(dtype=np.float64)
    return out


def with_covariates(
    panel_at: Callable[[int], pd.DataFrame], bound: Sequence[BoundCovariates]
) -> Callable[[int], pd.DataFrame]:
    """A ``panel_at(t)`` whose panel carries the covariates visible as of ``t``."""
    if not bound:
        return panel_at

    def at(t: int) -> pd.DataFrame:
        return join_covariates(panel_at(t), bound, t)

    return at


@dataclass
class OnlyColumns:
    """A model fitted and applied on ``columns`` only, whatever else the frame carries (keeps baselines unchanged)."""

    model: Any
    columns: tuple[str, ...]
    name: str = ""

    def __post_init__(self) -> None:
        self.name = str(self.model.name)

    def fit(self, X: pd.DataFrame, y: FloatArray, periods: FloatArray) -> OnlyColumns:
        self.model.fit(X[list(self.columns)], y, periods)
        return self

    def predict(self, X: pd.DataFrame) -> FloatArray:
        out: FloatArray = self.model.predict(X[list(self.columns)])
        return out

    def sample(self, X: pd.DataFrame, n: int, rng: np.random.Generator) -> FloatArray:
        out: FloatArray = self.model.sample(X[list(self.columns)], n, rng)
        return out


def base_only(
    make: Callable[[], Sequence[Any]], base: Sequence[str], *, ours: Sequence[str] = ("detente_gbm", "detente_hurdle")
) -> Callable[[], Sequence[Any]]:
    """Wrap a model factory so that every model but Détente's own sees only the ``base`` features."""

    def wrapped() -> Sequence[Any]:
        return [m if m.name in ours else OnlyColumns(m, tuple(base)) for m in make()]

    return wrapped


def prepare(
    tables: Sequence[Covariates], panel: pd.DataFrame, base: Sequence[str]
) -> tuple[list[BoundCovariates], tuple[str, ...]]:
    """Bind ``tables`` to the units of ``panel`` and return them with the features of Détente's model."""
    if not tables:
        return [], tuple(base)
    bound = bind_all(tables, panel["unit"].unique(), panel.columns)
    return bound, (*base, *covariate_features(bound))


def split_by_level(tables: Sequence[Covariates], panels: dict[str, pd.DataFrame]) -> dict[str, list[Covariates]]:
    """Each table goes to the level whose units it matches most (the first level on a tie); a table matching no
    unit of any level stays with the first level, where binding reports its first unmatched line."""
    out: dict[str, list[Covariates]] = {level: [] for level in panels}
    levels = list(panels)
    for table in tables:
        counts = [table.matches(panels[level]["unit"].unique()) for level in levels]
        out[levels[int(np.argmax(counts))]].append(table)
    return out


#: the period kind of each named configuration's panels
PERIOD_KINDS: dict[str, str] = {"ucdp-country-year": "year", "ewp-mass-killing": "year", "ged-syria-monthly": "month"}


def load_for_config(
    config: str, paths: Sequence[Path | str], *, unit: str = "unit", period: str = "period"
) -> list[Covariates]:
    """Read covariate files for a named configuration (its periods: years, or months ``YYYY-MM``)."""
    kind = PERIOD_KINDS.get(config, "year")
    return [load_covariates(p, unit=unit, period=period, kind=kind) for p in paths]


def describe_covariates(bound: Sequence[BoundCovariates]) -> list[dict[str, Any]]:
    """For a protocol record: each file's name, columns and rows."""
    return [{"file": b.path.name, "columns": list(b.columns), "rows": len(b.frame)} for b in bound]
