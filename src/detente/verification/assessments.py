"""Compliance assessments and the Peace Accords Matrix style implementation score.

An assessment judges one commitment for one period: compliant, partially compliant, non-compliant, not verifiable
or pending (the vocabulary of :class:`detente.cbm.Outcome`), with a rationale and the reports it rests on.
Scores follow the Peace Accords Matrix (Joshi, Quinn & Regan 2015, JPR 52(4)): 0 not implemented, 1 minimal,
2 intermediate, 3 full implementation. Compliant is 3, non-compliant 0, partially compliant 1 or 2 (the assessor
says which; 2 by default); not verifiable and pending carry no score. A commitment's score is that of its latest
scored assessment; a party's and a process's implementation is the sum of their commitments' scores over 3 per
commitment (the PAM aggregate), reported with the mean score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from detente.cbm.evidence import Outcome
from detente.errors import InputError

from .commitments import iso

__all__ = ["Assessment", "Implementation", "Outcome", "aggregate", "latest_scores", "score_for"]


def score_for(status: Outcome, score: int | None) -> int | None:
    """The 0–3 score an assessment carries, validated against its status."""
    if status is Outcome.COMPLIANT:
        allowed, default = {3}, 3
    elif status is Outcome.PARTIALLY_COMPLIANT:
        allowed, default = {1, 2}, 2
    elif status is Outcome.NON_COMPLIANT:
        allowed, default = {0}, 0
    else:
        if score is not None:
            raise InputError(f"a {status.value} assessment carries no score", field="score")
        return None
    if score is None:
        return default
    if score not in allowed:
        raise InputError(f"a {status.value} assessment scores {sorted(allowed)}, not {score}", field="score")
    return score


@dataclass(frozen=True)
class Assessment:
    commitment_id: int
    period: str
    status: Outcome
    rationale: str
    assessor: str
    time: datetime
    label: str
    report_ids: tuple[int, ...] = ()
    score: int | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "status", Outcome(self.status))
        except ValueError as exc:
            raise InputError(str(exc), field="status") from exc
        object.__setattr__(self, "score", score_for(self.status, self.score))
        if not self.rationale.strip():
            raise InputError("an assessment needs a rationale", field="rationale")
        if not self.period.strip():
            raise InputError("an assessment is for a period", field="period")
        if (
            self.status in (Outcome.COMPLIANT, Outcome.PARTIALLY_COMPLIANT, Outcome.NON_COMPLIANT)
            and not self.report_ids
        ):
            raise InputError("a compliance judgement rests on at least one report", field="report_ids")
        iso(self.time)

    def to_body(self) -> dict[str, Any]:
        return {
            "commitment_id": self.commitment_id,
            "period": self.period,
            "status": self.status.value,
            "score": self.score,
            "rationale": self.rationale,
            "assessor": self.assessor,
            "time": iso(self.time),
            "report_ids": list(self.report_ids),
            "label": self.label,
        }


def latest_scores(assessments: Iterable[tuple[int, datetime, int | None]]) -> dict[int, int]:
    """Commitment id → score of its latest scored assessment, from ``(commitment_id, time, score)``."""
    best: dict[int, tuple[datetime, int]] = {}
    for cid, when, score in assessments:
        if score is not None and (cid not in best or when >= best[cid][0]):
            best[cid] = (when, score)
    return {cid: score for cid, (_, score) in best.items()}


@dataclass(frozen=True)
class Implementation:
    """PAM-style aggregate: commitments scored, sum of scores, ratio to full implementation, mean score."""

    commitments: int
    scored: int
    total: int

    @property
    def ratio(self) -> float | None:
        return None if self.scored == 0 else self.total / (3 * self.scored)

    @property
    def mean(self) -> float | None:
        return None if self.scored == 0 else self.total / self.scored


def aggregate(
    parties_of: dict[int, Sequence[str]], scores: dict[int, int]
) -> tuple[Implementation, dict[str, Implementation]]:
    """The process aggregate and one per party (a commitment counts for every party it binds)."""
    per: dict[str, list[int | None]] = {}
    for cid, parties in parties_of.items():
        for party in parties:
            per.setdefault(party, []).append(scores.get(cid))

    def agg(values: Sequence[int | None]) -> Implementation:
        got = [v for v in values if v is not None]
        return Implementation(commitments=len(values), scored=len(got), total=sum(got))

    process = agg([scores.get(cid) for cid in parties_of])
    return process, {party: agg(values) for party, values in sorted(per.items())}
