"""Track record: each party's compliance over time with its uncertainty, charted, and fed to the trust model.

Per party, informative assessments (compliant, partially compliant, non-compliant) update a Beta(1, 1) prior:
compliant counts one success, non-compliant one failure, partially compliant half of each. The record is the
cumulative posterior after each period end (mean and equal-tailed 90 % interval). :func:`compliance_records`
turns assessments into :class:`detente.cbm.ComplianceRecord` values for :class:`detente.cbm.TrustState`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scipy.stats import beta as beta_dist  # type: ignore[import-untyped]

from detente.cbm.evidence import ComplianceRecord, Outcome
from detente.cbm.measure import VerificationMethod
from detente.errors import InputError

__all__ = ["AssessedOutcome", "RecordPoint", "compliance_records", "plot_track_record", "track_record"]

_WEIGHT = {Outcome.COMPLIANT: 1.0, Outcome.PARTIALLY_COMPLIANT: 0.5, Outcome.NON_COMPLIANT: 0.0}


@dataclass(frozen=True)
class AssessedOutcome:
    """What the track record reads from one assessment (joined with its commitment)."""

    commitment_id: int
    parties: tuple[str, ...]
    outcome: Outcome
    time: datetime
    verification: VerificationMethod
    measure_id: str | None
    summary: str
    #: the narrowest label of the assessment and its commitment: who may read what is computed from it
    label: str = "mediators_only"


@dataclass(frozen=True)
class RecordPoint:
    party: str
    time: datetime
    alpha: float
    beta: float
    mean: float
    low: float
    high: float
    n: int


def track_record(
    outcomes: Iterable[AssessedOutcome], *, prior: tuple[float, float] = (1.0, 1.0), level: float = 0.9
) -> dict[str, list[RecordPoint]]:
    """Party → cumulative posterior after each informative assessment, in time order."""
    if not 0 < level < 1 or min(prior) <= 0:
        raise InputError("the interval level is in (0, 1) and the prior's parameters are positive", field="prior")
    tail = (1 - level) / 2
    state: dict[str, tuple[float, float, int]] = {}
    out: dict[str, list[RecordPoint]] = {}
    for item in sorted(outcomes, key=lambda o: (o.time, o.commitment_id)):
        if item.outcome not in _WEIGHT:
            continue
        w = _WEIGHT[item.outcome]
        for party in item.parties:
            a, b, n = state.get(party, (prior[0], prior[1], 0))
            a, b, n = a + w, b + (1 - w), n + 1
            state[party] = (a, b, n)
            low, high = (float(x) for x in beta_dist.ppf([tail, 1 - tail], a, b))
            out.setdefault(party, []).append(RecordPoint(party, item.time, a, b, a / (a + b), low, high, n))
    return out


def compliance_records(outcomes: Iterable[AssessedOutcome]) -> list[ComplianceRecord]:
    """One :class:`ComplianceRecord` per party bound by each assessed commitment (for the CBM trust model).

    A commitment without a catalogue measure gets a middling signal strength (0.5).
    """
    records: list[ComplianceRecord] = []
    for item in sorted(outcomes, key=lambda o: (o.time, o.commitment_id)):
        for party in item.parties:
            records.append(
                ComplianceRecord(
                    commitment_id=str(item.commitment_id),
                    party=party,
                    outcome=item.outcome,
                    verification=item.verification,
                    time=item.time,
                    measure_id=item.measure_id,
                    signal_strength=None if item.measure_id else 0.5,
                    summary=item.summary,
                )
            )
    return records


def plot_track_record(record: Mapping[str, Sequence[RecordPoint]], path: Path, *, title: str = "Track record") -> Path:
    """Posterior mean and 90 % band per party over time, as PNG or SVG (by *path*'s suffix); offline (Agg)."""
    if path.suffix.lower() not in (".png", ".svg"):
        raise InputError("the chart is written as .png or .svg", path=str(path))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    try:
        for party, points in sorted(record.items()):
            times: Any = [p.time for p in points]
            ax.step(times, [p.mean for p in points], where="post", label=party)
            ax.fill_between(times, [p.low for p in points], [p.high for p in points], step="post", alpha=0.2)
        ax.set_ylim(0, 1)
        ax.set_ylabel("P(keeps a commitment), 90 % interval")
        ax.set_title(title)
        if record:
            ax.legend(loc="lower left")
        fig.autofmt_xdate()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, metadata={"Date": None} if path.suffix.lower() == ".svg" else None)
    finally:
        plt.close(fig)
    return path
