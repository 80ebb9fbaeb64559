"""Which model ranks the watchlist: the one that earned it on the workspace's own backtest.

The rule (ADR 0027), applied to the scores of :func:`detente.warning.store_config.store_backtest`:

1. **Brier score of P(≥ N)**, the quantity the watchlist ranks by, decides. The best baseline is the one with the
   lowest Brier score (a tie goes to the simpler: ``zero``, ``last_value``, ``historical_average``,
   ``conflictology``, in that order). Détente's model (``detente_hurdle``) ranks only when its Brier score is lower
   than the best baseline's by more than ``margin`` (relative: 5 % by default), so better than every baseline.
   Otherwise a baseline ranks: the simplest one whose Brier score no baseline beats by more than the margin (the best
   baseline, or a simpler one within the margin of it).
2. **CRPS** is the second check, because the page also shows the whole predictive distribution (expected deaths and
   the 90 % interval): Détente's model, chosen by step 1, keeps the ranking only if its CRPS is not worse than the
   lowest baseline CRPS by more than the margin; otherwise the baseline of step 1 ranks.
3. Without scores (no backtest origin could be scored) Détente's model ranks, and the reason says it is untested.

The result carries the chosen model, the best baseline, every model's scores and a sentence a reader can check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BASELINES",
    "MARGIN",
    "MODEL",
    "MODEL_LABELS",
    "Selection",
    "select_model",
]

MODEL = "detente_hurdle"
#: the baselines, simplest first (ViEWS names)
BASELINES: tuple[str, ...] = ("zero", "last_value", "historical_average", "conflictology")
MARGIN = 0.05
#: a model's name in a sentence
MODEL_LABELS = {
    MODEL: "Détente's model",
    "zero": "zero",
    "last_value": "last value",
    "historical_average": "historical average",
    "conflictology": "conflictology",
}


@dataclass(frozen=True)
class Selection:
    """The verdict: ``chosen`` ranks the units; ``verdict`` is ``model``, ``baseline`` or ``untested``;
    ``best_baseline`` is the baseline with the lowest Brier score, the one Détente's model is measured against."""

    chosen: str
    verdict: str
    reason: str
    best_baseline: str | None = None
    months: int = 0
    margin: float = MARGIN
    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "chosen_label": MODEL_LABELS.get(self.chosen, self.chosen),
            "verdict": self.verdict,
            "reason": self.reason,
            "best_baseline": self.best_baseline,
            "months": self.months,
            "margin": self.margin,
            "rule": "Détente's model ranks when its Brier score of P(>= N) beats the best baseline's by more than the "
            "margin and its CRPS is within the margin of the best baseline CRPS; else the simplest baseline within "
            "the margin of the best",
            "scores": self.scores,
        }


def _beats(a: float, b: float, margin: float) -> bool:
    """``a`` is a better (lower) score than ``b`` by more than ``margin`` of ``b``."""
    return a < b * (1.0 - margin)


def _simplest_best(candidates: list[str], brier: dict[str, float], margin: float) -> str:
    """The first (simplest) candidate that no other candidate beats by the margin."""
    for name in candidates:
        if not any(_beats(brier[other], brier[name], margin) for other in candidates if other != name):
            return name
    return min(candidates, key=lambda n: brier[n])  # pragma: no cover - the lowest score is never beaten


def select_model(
    models: dict[str, dict[str, float | None]], *, months: int, threshold: int, margin: float = MARGIN
) -> Selection:
    """Apply the rule to the backtest's ``models`` table (metric per model) over ``months`` origins."""
    order = [*BASELINES, MODEL]
    known = [m for m in order if m in models] + sorted(m for m in models if m not in order)
    scores = {m: {k: models[m].get(k) for k in ("brier", "crps", "auroc", "positives", "n")} for m in known}
    brier = {m: float(v) for m in known if (v := models[m].get("brier")) is not None}
    crps = {m: float(v) for m in known if (v := models[m].get("crps")) is not None}
    baselines = [m for m in known if m != MODEL and m in brier]
    span = f"over {months} month{'s' if months != 1 else ''}"
    if MODEL not in brier or not baselines:
        return Selection(
            MODEL,
            "untested",
            f"Ranked by {MODEL_LABELS[MODEL]}, untested: the backtest scored no month against the baselines "
            "(too little history before the as-of month, or the time budget ran out).",
            None,
            months,
            margin,
            scores,
        )
    best = min(baselines, key=lambda m: (brier[m], known.index(m)))  # the lowest Brier; a tie to the simpler
    fallback = _simplest_best(baselines, brier, margin)  # ranks when the model does not: within the margin of it
    label, fallback_label = MODEL_LABELS.get(best, best), MODEL_LABELS.get(fallback, fallback)
    ours, theirs = brier[MODEL], brier[best]
    figures = f"{ours:.3f} vs {theirs:.3f} {span}"
    simpler = "" if fallback == best else f", the simpler baseline within {margin:.0%} of {label}"
    if not _beats(ours, theirs, margin):
        why = "no better" if ours >= theirs else f"not better by more than {margin:.0%}"
        reason = (
            f"No model beat the best baseline, {label}: {MODEL_LABELS[MODEL]} was {why} on the Brier score of "
            f"P(≥ {threshold}), {figures}. Ranked by {fallback_label}{simpler}."
        )
        return Selection(fallback, "baseline", reason, best, months, margin, scores)
    best_crps = min((m for m in baselines if m in crps), key=lambda m: crps[m], default=None)
    if best_crps is not None and MODEL in crps and _beats(crps[best_crps], crps[MODEL], margin):
        crps_label = MODEL_LABELS.get(best_crps, best_crps)
        reason = (
            f"{MODEL_LABELS[MODEL]} beat the best baseline, {label}, on the Brier score of P(≥ {threshold}), "
            f"{figures}, but its CRPS, {crps[MODEL]:.2f}, is worse than {crps_label}'s {crps[best_crps]:.2f}. "
            f"Ranked by {fallback_label}{simpler}."
        )
        return Selection(fallback, "baseline", reason, best, months, margin, scores)
    crps_text = (
        f" (CRPS {crps[MODEL]:.2f} vs {crps[best_crps]:.2f}, {MODEL_LABELS.get(best_crps, best_crps)})"
        if best_crps is not None and MODEL in crps
        else ""
    )
    reason = (
        f"{MODEL_LABELS[MODEL]} beat the best baseline, {label}, on the Brier score of P(≥ {threshold}), "
        f"{figures}{crps_text}. Ranked by {MODEL_LABELS[MODEL]}."
    )
    return Selection(MODEL, "model", reason, best, months, margin, scores)
