"""Two sets of country forecasts side by side: rank agreement, overlap at the top, and where they differ most.

Used to set Détente's ``ewp-mass-killing`` forecast beside the Early Warning Project's published one. Only the
countries both rank are compared. Spearman's rank correlation is the Pearson correlation of the mid-ranks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["compare_forecasts"]


def compare_forecasts(ours: pd.Series, theirs: pd.Series, *, top: int = 30, largest: int = 10) -> dict[str, Any]:
    """Compare two forecasts indexed by country: ``n`` (countries in both), ``spearman``, ``top_overlap`` (countries
    in both top-``top`` lists), ``mean_abs_difference``, ``mean_ours`` / ``mean_theirs``, ``only_ours`` /
    ``only_theirs`` (countries one of the two does not rank) and ``largest`` (the ``largest`` countries with the
    biggest |ours − theirs|: country, ours, theirs, both ranks)."""
    a = pd.to_numeric(ours, errors="coerce").dropna()
    b = pd.to_numeric(theirs, errors="coerce").dropna()
    if a.index.has_duplicates or b.index.has_duplicates:
        raise ValueError("a country is listed twice")
    both = a.index.intersection(b.index)
    a, b = a.loc[both].astype(np.float64), b.loc[both].astype(np.float64)
    rank_a = a.rank(ascending=False, method="average")
    rank_b = b.rank(ascending=False, method="average")
    k = min(top, len(both))
    top_a = set(a.sort_values(ascending=False, kind="mergesort").index[:k])
    top_b = set(b.sort_values(ascending=False, kind="mergesort").index[:k])
    diff = (a - b).abs()
    order = diff.sort_values(ascending=False, kind="mergesort").index[:largest]
    return {
        "n": len(both),
        "spearman": float(rank_a.corr(rank_b)) if len(both) > 1 else float("nan"),
        "top": k,
        "top_overlap": len(top_a & top_b),
        "mean_abs_difference": float(diff.mean()) if len(both) else float("nan"),
        "mean_ours": float(a.mean()) if len(both) else float("nan"),
        "mean_theirs": float(b.mean()) if len(both) else float("nan"),
        "only_ours": sorted(str(c) for c in ours.index.difference(both)),
        "only_theirs": sorted(str(c) for c in theirs.index.difference(both)),
        "largest": [
            {
                "country": str(c),
                "ours": float(a[c]),
                "theirs": float(b[c]),
                "rank_ours": float(rank_a[c]),
                "rank_theirs": float(rank_b[c]),
            }
            for c in order
        ],
    }
