"""Reference methods for judging the planner: exhaustive search and three simple baselines.

* ``exhaustive`` — every feasible sequence up to the horizon (only for small instances); the optimum P(goal) on
  the evaluation worlds.
* ``random`` — feasible steps in random order (seeded), averaged over several orders.
* ``signal`` — greedy biggest-signal-first.
* ``cheapest`` — cheapest-first.

The baselines choose only the measures; their initiators alternate, starting with the least trusted party. All
methods are scored with the same simulation, on held-out evaluation worlds (a random stream the planner never uses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .catalogue import Catalogue
from .planner import search
from .planner_search import Searcher, Seq, build_pool, greedy_key
from .planner_types import Constraints, SearchSettings
from .simulate import Goal, SimContext
from .simulate_core import FloatArray, IntArray
from .trust import TrustState

__all__ = ["BASELINES", "EVAL_STREAM", "Comparison", "Optimum", "compare", "exhaustive_optimum"]


#: random stream of the evaluation worlds: the planner searches on stream 0 and selects on stream 1
EVAL_STREAM = 2
BASELINES = ("random", "signal", "cheapest")


@dataclass(frozen=True)
class Comparison:
    """P(goal) of each method's sequence on held-out evaluation worlds, with standard errors.

    The evaluation worlds come from a random stream the planner never sees (``EVAL_STREAM``), so the planner's
    choice is not favoured by the luck of its own sample. All methods are scored on the same worlds (common random
    numbers), so the differences are paired: ``diff_se[name]`` is the standard error of planner − ``name``."""

    planner: float
    random: float
    signal: float
    cheapest: float
    planner_sequence: Seq
    evaluated: int
    eval_worlds: int = 0
    #: standard error of each method's P(goal) ("planner", "random", "signal", "cheapest")
    se: dict[str, float] = field(default_factory=dict)
    #: standard error of the paired difference planner − baseline, per baseline
    diff_se: dict[str, float] = field(default_factory=dict)

    def diff(self, baseline: str) -> float:
        value: float = getattr(self, baseline)
        return self.planner - value

    def significant(self, baseline: str, z: float = 1.96) -> bool:
        """Whether planner − ``baseline`` is more than ``z`` standard errors from zero (two-sided 5% by default)."""
        se = self.diff_se[baseline]
        return abs(self.diff(baseline)) > z * se if se > 0 else self.diff(baseline) != 0


def _searcher(
    state: TrustState,
    catalogue: Catalogue,
    goal: Goal,
    constraints: Constraints,
    settings: SearchSettings,
    seed: int,
    worlds: int | None = None,
    stream: int = 0,
) -> Searcher:
    ctx = SimContext.create(
        state, catalogue, goal, seed, worlds or settings.worlds, settings.model, stream=stream
    )  # fmt: skip
    pool = build_pool(catalogue, constraints, state.parameters)
    return Searcher(ctx, pool, constraints, settings.exposure_weight)


@dataclass(frozen=True)
class Optimum:
    """The planner against exhaustive search on a small instance, both scored on held-out evaluation worlds.

    The exhaustive search is given the planner's selection worlds (more than its search worlds) and returns the
    best of every feasible sequence there; ``flattered`` is the best P(goal) of any sequence on the evaluation
    worlds themselves, an upper bound inflated by choosing on the sample it is scored on."""

    planner: float
    optimum: float
    #: the exhaustive choice's P(goal) on the worlds it was chosen on
    optimum_in_sample: float
    planner_sequence: Seq
    optimum_sequence: Seq
    flattered: float | None = None

    @property
    def share(self) -> float:
        return self.planner / self.optimum if self.optimum else 1.0


def exhaustive_optimum(
    state: TrustState,
    catalogue: Catalogue,
    goal: Goal,
    constraints: Constraints,
    settings: SearchSettings,
    *,
    eval_seed: int | None = None,
    eval_worlds: int | None = None,
    flattered: bool = False,
) -> Optimum:
    """Plan as :func:`~.planner.plan` does and search every feasible sequence; score both on held-out worlds.

    Exhaustive search runs on the planner's selection worlds (stream 1; its search worlds if selection is off),
    so it sees everything the planner saw and more; ``flattered=True`` also searches the evaluation worlds."""
    _, seq = search(state, catalogue, goal, constraints, settings)
    if settings.selection_worlds:
        oracle = _searcher(state, catalogue, goal, constraints, settings, settings.seed, settings.selection_worlds, 1)
    else:
        oracle = _searcher(state, catalogue, goal, constraints, settings, settings.seed)
    best, p_in_sample = oracle.exhaustive()
    seed = settings.seed if eval_seed is None else eval_seed
    judge = _searcher(state, catalogue, goal, constraints, settings, seed, eval_worlds, EVAL_STREAM)
    p = judge.evaluate_many([seq, best])[0]
    return Optimum(
        planner=float(p[0]),
        optimum=float(p[1]),
        optimum_in_sample=p_in_sample,
        planner_sequence=seq,
        optimum_sequence=best,
        flattered=judge.exhaustive()[1] if flattered else None,
    )


def _se(values: FloatArray) -> float:
    return float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def compare(
    state: TrustState,
    catalogue: Catalogue,
    goal: Goal,
    constraints: Constraints,
    settings: SearchSettings,
    *,
    eval_seed: int | None = None,
    random_orders: int = 10,
    eval_worlds: int | None = None,
) -> Comparison:
    """Plan as :func:`~.planner.plan` does; score the plan and the baselines on held-out evaluation worlds.

    The evaluation worlds are ``eval_worlds`` (default: the planning count) worlds of ``eval_seed`` (default: the
    planning seed) on the evaluation stream, which neither the search nor the selection stage uses."""
    searcher, seq = search(state, catalogue, goal, constraints, settings)
    seed = settings.seed if eval_seed is None else eval_seed
    judge = _searcher(state, catalogue, goal, constraints, settings, seed, eval_worlds, EVAL_STREAM)
    measures = judge.pool.measures
    rng = np.random.default_rng([settings.seed, 7])

    def pick_random(options: IntArray, _: int) -> int:
        return int(options[rng.integers(len(options))])

    randoms = [judge.rule_based(pick_random) for _ in range(random_orders)]
    fixed = [seq, judge.rule_based(greedy_key(measures, "signal")), judge.rule_based(greedy_key(measures, "cheapest"))]
    reached, _ = judge.outcomes([*fixed, *randoms])
    per_world = {
        "planner": reached[0].astype(np.float64),
        "signal": reached[1].astype(np.float64),
        "cheapest": reached[2].astype(np.float64),
        "random": reached[3:].mean(axis=0) if randoms else np.zeros(judge.ctx.worlds),
    }
    means = {name: float(v.mean()) for name, v in per_world.items()}
    return Comparison(
        planner=means["planner"],
        random=means["random"],
        signal=means["signal"],
        cheapest=means["cheapest"],
        planner_sequence=seq,
        evaluated=searcher.evaluated,
        eval_worlds=judge.ctx.worlds,
        se={name: _se(v) for name, v in per_world.items()},
        diff_se={name: _se(per_world["planner"] - per_world[name]) for name in BASELINES},
    )
