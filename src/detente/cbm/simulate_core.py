"""The vectorised kernel of the CBM simulator: one planned step applied to many simulated worlds at once.

Each simulated world draws every party's latent type (trustworthy or not) once, from the current beliefs, and then
plays the plan. A step has an *initiator* who carries out a measure (announced in advance, GRIT style) and, when the
measure expects reciprocity, *responders* who may match it. Per step and party:

* the initiator's true outcome (compliant / partial / non-compliant) is drawn from its type's likelihoods
  (:func:`detente.cbm.likelihood.type_likelihoods`), so an untrustworthy party rarely imitates a strong signal;
* a responder *engages* (commits to reciprocate) with a probability that rises with its belief in the initiator and
  falls with the measure's risk — the assurance-game logic of Kydd (2005): only a party that trusts enough matches a
  risky step. Engagement does not depend on type, so by itself it teaches nothing; what the responder then *does*
  is drawn from its type's likelihoods like the initiator's;
* each outcome is seen with probability = the measure's verifiability; a seen outcome is reported through the
  measure's strongest verification method, truthfully with that method's reliability and as uniform noise
  otherwise — exactly the report model of the trust model, so every observer updates by the same likelihood ratios
  (:func:`detente.cbm.likelihood.likelihood_ratio`) as :meth:`detente.cbm.TrustState.apply` would;
* a reported non-compliance (an observed defection, true or a false alarm) triggers the fallback: the plan pauses
  for ``pause_steps`` steps; an initiator left unreciprocated ``patience`` times in a row also pauses one step
  (Osgood's "continue for a while even when not reciprocated").

Beliefs are kept as log-odds, so an update is one addition. Everything is pure numpy; random numbers come in as an
array, one block per plan position, so candidate steps at the same position share them (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from .evidence import Outcome
from .likelihood import TrustParameters, likelihood_ratio, type_likelihoods
from .measure import Measure, VerificationMethod

__all__ = [
    "RANDOM_SLOTS",
    "MeasureTable",
    "ResponseModel",
    "SimBatch",
    "advance",
    "draw_types",
    "initial_batch",
    "measure_table",
    "position_randoms",
    "strongest_method",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: random numbers per party per step: act, observe, reliable, noise, engage
RANDOM_SLOTS = 5
_ACT, _OBS, _REL, _NOISE, _ENGAGE = range(RANDOM_SLOTS)
_OUTCOMES = (Outcome.COMPLIANT, Outcome.PARTIALLY_COMPLIANT, Outcome.NON_COMPLIANT)


class ResponseModel(BaseModel):
    """How simulated parties respond to a step (judgements, documented in ``docs/cbm-planner.md``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: belief in the initiator at which a responder is even odds to reciprocate a riskless step
    engage_base: float = Field(default=0.2, ge=0.0, le=1.0)
    #: extra belief needed per unit of the measure's risk to the responder
    engage_slope: float = Field(default=0.5, ge=0.0, le=1.0)
    #: softness of that threshold (a logistic scale on the belief)
    engage_spread: float = Field(default=0.08, gt=0.0, le=1.0)
    #: unreciprocated steps in a row an initiator takes before pausing one step
    patience: int = Field(default=3, ge=1, le=20)
    #: steps paused after an observed defection
    pause_steps: int = Field(default=1, ge=0, le=5)


def strongest_method(measure: Measure, params: TrustParameters) -> VerificationMethod:
    """The measure's verification method with the highest reliability (first listed on ties)."""
    return max(measure.verification_methods, key=lambda m: params.reliability[m])


@dataclass(frozen=True)
class MeasureTable:
    """The numbers the kernel needs for a list of measures, as arrays indexed like ``ids``."""

    ids: tuple[str, ...]
    cost: FloatArray
    risk: FloatArray
    reversibility: FloatArray
    verifiability: FloatArray
    reliability: FloatArray
    reciprocal: BoolArray
    #: P(compliant | untrustworthy) and P(compliant or partial | untrustworthy)
    untrusted_cum: FloatArray
    #: log likelihood ratio of a reported compliant / partial / non-compliant outcome, shape (M, 3)
    log_lr: FloatArray
    methods: tuple[VerificationMethod, ...]


def measure_table(measures: Sequence[Measure], params: TrustParameters) -> MeasureTable:
    cum = np.zeros((len(measures), 2))
    log_lr = np.zeros((len(measures), 3))
    methods = []
    reliability = np.zeros(len(measures))
    for n, m in enumerate(measures):
        method = strongest_method(m, params)
        methods.append(method)
        r = params.reliability[method]
        reliability[n] = r
        _, untrusted = type_likelihoods(m.signal_strength, params)
        cum[n] = (untrusted[0], untrusted[0] + untrusted[1])
        for k, outcome in enumerate(_OUTCOMES):
            log_lr[n, k] = math.log(likelihood_ratio(outcome, m.signal_strength, r, params))

    def col(name: str) -> FloatArray:
        return np.array([float(getattr(m, name)) for m in measures], dtype=np.float64)

    return MeasureTable(
        ids=tuple(m.id for m in measures),
        cost=col("cost_to_initiator"),
        risk=col("risk_to_initiator"),
        reversibility=col("reversibility"),
        verifiability=col("verifiability"),
        reliability=reliability,
        reciprocal=np.array([m.reciprocity_expected for m in measures], dtype=np.bool_),
        untrusted_cum=cum,
        log_lr=log_lr,
        methods=tuple(methods),
    )


@dataclass(frozen=True)
class SimBatch:
    """Simulated worlds after some steps. Leading axes: (candidates,) optional, then worlds N."""

    #: log-odds of truster (row) believing trustee (column) trustworthy, (..., N, k, k); diagonal unused
    logit: FloatArray
    #: steps still paused, (..., N)
    pause: IntArray
    #: unreciprocated steps in a row per initiator, (..., N, k)
    unreciprocated: IntArray
    #: whether the goal has been met at some step so far, (..., N)
    reached: BoolArray
    #: initiator's exposure: risk x (1 - reversibility) of steps the responder exploited, (..., N)
    exposure: FloatArray
    #: worlds in which the responder reciprocated (engaged) at the last step, (..., N)
    engaged: BoolArray
    #: worlds in which a defection was reported at the last step, (..., N)
    defection_seen: BoolArray

    def take(self, index: int) -> SimBatch:
        """Candidate ``index`` of a batch with a leading candidate axis."""
        return SimBatch(
            self.logit[index],
            self.pause[index],
            self.unreciprocated[index],
            self.reached[index],
            self.exposure[index],
            self.engaged[index],
            self.defection_seen[index],
        )


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _key(seed: int, slot: int, stream: int) -> list[int]:
    """Seed key of one block; stream 0 keeps the original keys, streams >= 1 are independent of it and of each other."""
    return [seed, slot] if stream == 0 else [seed, slot, stream]


def draw_types(beliefs: FloatArray, seed: int, worlds: int, stream: int = 0) -> BoolArray:
    """Latent types per world, (N, k): party j is trustworthy with the mean of the others' beliefs about it."""
    k = beliefs.shape[0]
    off = ~np.eye(k, dtype=np.bool_)
    prob = np.array([beliefs[off[:, j], j].mean() for j in range(k)])
    rng = np.random.default_rng(_key(seed, 0, stream))
    result: BoolArray = rng.random((worlds, k)) < prob
    return result


def position_randoms(seed: int, position: int, worlds: int, parties: int, stream: int = 0) -> FloatArray:
    """The random block for plan position ``position`` (independent of horizon and of the candidates)."""
    rng = np.random.default_rng(_key(seed, position + 1, stream))
    block: FloatArray = rng.random((worlds, parties, RANDOM_SLOTS))
    return block


def initial_batch(beliefs: FloatArray, worlds: int) -> SimBatch:
    k = beliefs.shape[0]
    clipped = np.clip(beliefs, 1e-6, 1 - 1e-6)
    logit = np.log(clipped / (1.0 - clipped))
    np.fill_diagonal(logit, 0.0)
    return SimBatch(
        logit=np.broadcast_to(logit, (worlds, k, k)).copy(),
        pause=np.zeros(worlds, dtype=np.int64),
        unreciprocated=np.zeros((worlds, k), dtype=np.int64),
        reached=np.zeros(worlds, dtype=np.bool_),
        exposure=np.zeros(worlds),
        engaged=np.zeros(worlds, dtype=np.bool_),
        defection_seen=np.zeros(worlds, dtype=np.bool_),
    )


def _outcome(u: FloatArray, trustworthy: BoolArray, cum: FloatArray, error_rate: float) -> IntArray:
    """True outcome category (0 compliant, 1 partial, 2 non-compliant), (C, N)."""
    c_thr = np.where(trustworthy[None, :], 1.0 - error_rate, cum[:, 0:1])
    p_thr = np.where(trustworthy[None, :], 1.0 - error_rate / 2.0, cum[:, 1:2])
    result: IntArray = (u[None, :] >= c_thr).astype(np.int64) + (u[None, :] >= p_thr)
    return result


def _report(true: IntArray, rnd: FloatArray, reliability: FloatArray) -> IntArray:
    noise = np.minimum((rnd[:, _NOISE] * 3.0).astype(np.int64), 2)
    result: IntArray = np.where(rnd[None, :, _REL] < reliability[:, None], true, noise[None, :])
    return result


def advance(
    batch: SimBatch,
    table: MeasureTable,
    candidates: IntArray,
    initiator: int,
    types: BoolArray,
    randoms: FloatArray,
    model: ResponseModel,
    params: TrustParameters,
    goal_pairs: Sequence[tuple[int, int]],
    goal_logit: float,
) -> SimBatch:
    """Apply each candidate measure (taken by ``initiator``) to the same worlds; result has a leading C axis.

    ``batch`` has no candidate axis. ``randoms`` is this position's block, (N, k, RANDOM_SLOTS).
    """
    c = len(candidates)
    n, k, _ = batch.logit.shape
    lo, hi = _logit(params.floor), _logit(1.0 - params.floor)
    e = params.error_rate
    idx = candidates
    risk = table.risk[idx]
    verif = table.verifiability[idx]
    rel = table.reliability[idx]
    log_lr = table.log_lr[idx]
    cum = table.untrusted_cum[idx]
    recip = table.reciprocal[idx]
    active = batch.pause == 0  # (N,)

    logit = np.broadcast_to(batch.logit, (c, n, k, k)).copy()
    others = [j for j in range(k) if j != initiator]

    rnd_i = randoms[:, initiator, :]
    cat_i = _outcome(rnd_i[:, _ACT], types[:, initiator], cum, e)
    seen_i = active[None, :] & (rnd_i[None, :, _OBS] < verif[:, None])
    rep_i = _report(cat_i, rnd_i, rel)
    delta_i = np.where(seen_i, np.take_along_axis(log_lr, rep_i, axis=1), 0.0)
    for j in others:
        view = logit[:, :, j, initiator]
        view += delta_i
        np.clip(view, lo, hi, out=view)
    defect_seen = seen_i & (rep_i == 2)

    engaged_any = np.zeros((c, n), dtype=np.bool_)
    exposure = np.broadcast_to(batch.exposure, (c, n)).copy()
    loss = (risk * (1.0 - table.reversibility[idx]))[:, None]
    threshold = (model.engage_base + model.engage_slope * risk)[:, None]
    for j in others:
        rnd_j = randoms[:, j, :]
        belief = 1.0 / (1.0 + np.exp(-logit[:, :, j, initiator]))
        willing = 1.0 / (1.0 + np.exp(-(belief - threshold) / model.engage_spread))
        engaged = active[None, :] & recip[:, None] & (rnd_j[None, :, _ENGAGE] < willing)
        cat_j = _outcome(rnd_j[:, _ACT], types[:, j], cum, e)
        seen_j = engaged & (rnd_j[None, :, _OBS] < verif[:, None])
        rep_j = _report(cat_j, rnd_j, rel)
        delta_j = np.where(seen_j, np.take_along_axis(log_lr, rep_j, axis=1), 0.0)
        for w in range(k):
            if w != j:
                view = logit[:, :, w, j]
                view += delta_j
                np.clip(view, lo, hi, out=view)
        defect_seen |= seen_j & (rep_j == 2)
        engaged_any |= engaged
        exploited = engaged & (cat_j == 2) & (cat_i == 0)
        exposure += np.where(exploited, loss, 0.0)

    unrec = np.broadcast_to(batch.unreciprocated, (c, n, k)).copy()
    waited = active[None, :] & recip[:, None] & ~engaged_any
    count = np.where(waited, unrec[:, :, initiator] + 1, np.where(engaged_any, 0, unrec[:, :, initiator]))
    impatient = count >= model.patience
    unrec[:, :, initiator] = np.where(impatient, 0, count)

    pause = np.where(
        active[None, :],
        np.where(defect_seen, model.pause_steps, np.where(impatient, 1, 0)),
        np.broadcast_to(batch.pause - 1, (c, n)),
    ).astype(np.int64)

    met = np.ones((c, n), dtype=np.bool_)
    for a, b in goal_pairs:
        met &= logit[:, :, a, b] >= goal_logit
    return SimBatch(
        logit=logit,
        pause=pause,
        unreciprocated=unrec,
        reached=batch.reached[None, :] | met,
        exposure=exposure,
        engaged=engaged_any,
        defection_seen=defect_seen,
    )
