"""Reference methods for judging the planner: exhaustive search and three simple baselines.

* ``exhaustive`` — every feasible sequence up to the horizon (only for small instances); the optimum P(goal) on
  the planning worlds.
* ``random`` — feasible steps in random order (seeded), averaged over several orders.
* ``signal`` — greedy biggest-signal-first.
* ``cheapest`` — cheapest-first.

The baselines choose only the measures; their initiators alternate, starting with the least trusted party. All
methods are scored with the same simulation; :func:`compare` can score on worlds independent of the planning ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalogue import Catalogue
from .planner_search import Searcher, Seq, build_pool, greedy_key
from .planner_types import Constraints, SearchSettings
from .simulate import Goal, SimContext
from .simulate_core import IntArray
from .trust import TrustState

__all__ = ["Comparison", "compare", "exhaustive_optimum"]


@dataclass(frozen=True)
class Comparison:
    """P(goal) of each method's sequence, on the evaluation worlds."""

    planner: float
    random: float
    signal: float
    cheapest: float
    planner_sequence: Seq
    evaluated: int


def _searcher(
    state: TrustState, catalogue: Catalogue, goal: Goal, constraints: Constraints, settings: SearchSettings, seed: int
) -> Searcher:
    ctx = SimContext.create(state, catalogue, goal, seed, settings.worlds, settings.model)
    pool = build_pool(catalogue, constraints, state.parameters)
    return Searcher(ctx, pool, constraints, settings.exposure_weight)


def exhaustive_optimum(
    state: TrustState, catalogue: Catalogue, goal: Goal, constraints: Constraints, settings: SearchSettings
) -> tuple[Seq, float, float]:
    """(best sequence, its P(goal), the beam planner's P(goal)) on the same planning worlds."""
    searcher = _searcher(state, catalogue, goal, constraints, settings, settings.seed)
    best, p_best = searcher.exhaustive()
    beam = _searcher(state, catalogue, goal, constraints, settings, settings.seed)
    _, p_beam = beam.beam(settings.beam_width, settings.evaluations_per_depth)
    return best, p_best, p_beam


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
    """Plan with beam search on the planning worlds; score it and the baselines on ``eval_seed``'s worlds.

    ``eval_worlds`` (default: the planning count) sets how many independent worlds score the sequences.
    """
    planner = _searcher(state, catalogue, goal, constraints, settings, settings.seed)
    seq, _ = planner.beam(settings.beam_width, settings.evaluations_per_depth)
    judge = _searcher(state, catalogue, goal, constraints, settings, settings.seed if eval_seed is None else eval_seed)
    measures = judge.pool.measures
    rng = np.random.default_rng([settings.seed, 7])

    def pick_random(options: IntArray, _: int) -> int:
        return int(options[rng.integers(len(options))])

    random_p = float(np.mean([judge.evaluate(judge.rule_based(pick_random)) for _ in range(random_orders)]))
    return Comparison(
        planner=judge.evaluate(seq),
        random=random_p,
        signal=judge.evaluate(judge.rule_based(greedy_key(measures, "signal"))),
        cheapest=judge.evaluate(judge.rule_based(greedy_key(measures, "cheapest"))),
        planner_sequence=seq,
        evaluated=planner.evaluated,
    )
