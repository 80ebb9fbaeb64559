"""The Bayesian core of the trust model: how likely each type is to produce an outcome, and the update.

Two types of trustee, after Kydd (2005, *Trust and Mistrust in International Relations*): a trustworthy type, who
prefers mutual cooperation, and an untrustworthy type, who would exploit the other side. For a measure with signal
strength ``s`` (how costly it is for an untrustworthy party to imitate), with error rate ``e`` and imitation drop
``lam`` (``docs/cbm.md`` derives this):

* trustworthy:   P(compliant) = 1 - e,            P(partial) = e/2,             P(non-compliant) = e/2
* untrustworthy: P(compliant) = (1 - e)(1 - lam*s), and the missing mass X = (1 - e)*lam*s goes to
  partial (share ``partial_share``) and non-compliant (the rest), on top of e/2 each.

So at ``s = 0`` (cheap talk) both types behave alike and nothing is learnt; the costlier the imitation, the more a
kept commitment raises the belief and the more a broken one lowers it. A record whose verification has reliability
``r`` is a true reading with probability ``r`` and uninformative noise (uniform over the three outcomes) otherwise:
P(report | type) = r * P(outcome | type) + (1 - r) / 3. The likelihood ratio P(report | trustworthy) /
P(report | untrustworthy) multiplies the prior odds. Everything here is pure float arithmetic, cheap enough for the
planner's Monte Carlo loops.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .evidence import Outcome
from .measure import VerificationMethod

__all__ = [
    "DEFAULT_RELIABILITY",
    "TrustParameters",
    "clamp_belief",
    "likelihood_ratio",
    "outcome_likelihoods",
    "outcome_probabilities",
    "posterior",
    "type_likelihoods",
]

#: How far a record verified this way can be taken at face value (judgements; ``docs/cbm.md``).
DEFAULT_RELIABILITY: dict[VerificationMethod, float] = {
    VerificationMethod.SELF_REPORT: 0.25,
    VerificationMethod.EVENT_DATA_CHECK: 0.45,
    VerificationMethod.COUNTERPART_OBSERVATION: 0.6,
    VerificationMethod.RECIPROCAL_INSPECTION: 0.7,
    VerificationMethod.REMOTE_SENSING: 0.75,
    VerificationMethod.THIRD_PARTY_OBSERVER: 0.9,
}

_INFORMATIVE = (Outcome.COMPLIANT, Outcome.PARTIALLY_COMPLIANT, Outcome.NON_COMPLIANT)


class TrustParameters(BaseModel):
    """The model's constants; stored with every trust state so a history replays under the same ones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: how often a trustworthy party still fails a commitment (spoilers, lack of capacity, accidents)
    error_rate: float = Field(default=0.1, gt=0.0, lt=0.5)
    #: how much an untrustworthy party's compliance drops per unit of signal strength (< 1 keeps ratios finite)
    imitation_drop: float = Field(default=0.9, gt=0.0, lt=1.0)
    #: share of an untrustworthy party's extra failures that show as partial (rather than full) non-compliance
    partial_share: float = Field(default=0.3, ge=0.0, le=1.0)
    reliability: dict[VerificationMethod, float] = Field(default_factory=lambda: dict(DEFAULT_RELIABILITY))
    #: beliefs are kept in [floor, 1 - floor]
    floor: float = Field(default=1e-6, gt=0.0, lt=0.01)

    @field_validator("reliability")
    @classmethod
    def _complete(cls, value: dict[VerificationMethod, float]) -> dict[VerificationMethod, float]:
        missing = [m.value for m in VerificationMethod if m not in value]
        if missing:
            raise ValueError(f"no reliability for {', '.join(missing)}")
        for method, r in value.items():
            if not 0.0 < r <= 1.0:
                raise ValueError(f"reliability of {method.value} must be in (0, 1], not {r}")
        return value


def type_likelihoods(signal: float, params: TrustParameters) -> tuple[tuple[float, float, float], ...]:
    """((P(c|T), P(p|T), P(n|T)), (P(c|U), P(p|U), P(n|U))) for a measure of signal strength ``signal``."""
    e = params.error_rate
    extra = (1.0 - e) * params.imitation_drop * signal
    trustworthy = (1.0 - e, e / 2.0, e / 2.0)
    untrustworthy = (
        (1.0 - e) - extra,
        e / 2.0 + extra * params.partial_share,
        e / 2.0 + extra * (1.0 - params.partial_share),
    )
    return trustworthy, untrustworthy


def outcome_likelihoods(
    outcome: Outcome, signal: float, reliability: float, params: TrustParameters
) -> tuple[float, float]:
    """(P(report | trustworthy), P(report | untrustworthy)) for an informative outcome verified with ``reliability``."""
    k = _INFORMATIVE.index(outcome)
    trustworthy, untrustworthy = type_likelihoods(signal, params)
    noise = (1.0 - reliability) / 3.0
    return reliability * trustworthy[k] + noise, reliability * untrustworthy[k] + noise


def likelihood_ratio(outcome: Outcome, signal: float, reliability: float, params: TrustParameters) -> float:
    """How many times likelier the report is from a trustworthy type; 1.0 for pending or not verifiable."""
    if not outcome.informative:
        return 1.0
    p_true, p_false = outcome_likelihoods(outcome, signal, reliability, params)
    return p_true / p_false


def clamp_belief(p: float, floor: float) -> float:
    return min(max(p, floor), 1.0 - floor)


def posterior(prior: float, ratio: float, floor: float) -> float:
    """Bayes' rule in odds form, kept in [floor, 1 - floor]; never moves against the ratio's direction."""
    if ratio == 1.0:
        return prior
    odds = prior / (1.0 - prior) * ratio
    after = clamp_belief(odds / (1.0 + odds) if math.isfinite(odds) else 1.0, floor)
    return max(after, prior) if ratio > 1.0 else min(after, prior)


def outcome_probabilities(belief: float, signal: float, params: TrustParameters) -> tuple[float, float, float]:
    """Predictive (P(compliant), P(partial), P(non-compliant)) of the true outcome given the current belief.

    The planner's simulator draws the trustee's response from this.
    """
    trustworthy, untrustworthy = type_likelihoods(signal, params)
    c, p, n = (belief * t + (1.0 - belief) * u for t, u in zip(trustworthy, untrustworthy, strict=True))
    return c, p, n
