"""Search over step sequences: beam search (the planner), exhaustive search and the baselines.

A sequence is a tuple of (measure index in the pool, initiator index). All candidates at one plan position are
simulated on the same worlds with the same random numbers (common random numbers), so differences between them
are differences of the steps, not of luck. The score of a partial sequence is the share of worlds that reached the
goal, plus half the progress (in log-odds, towards the threshold, of the goal pair furthest behind) in the others,
minus a small weight times the initiators' expected exposure — so the beam can tell promising prefixes apart before
any world has reached the goal. The final choice is by P(goal), then score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .catalogue import Catalogue
from .likelihood import TrustParameters
from .measure import Measure
from .planner_types import Constraints
from .simulate import PlanningError, SimContext
from .simulate_core import BoolArray, FloatArray, IntArray, MeasureTable, SimBatch, measure_table

__all__ = ["Pool", "Searcher", "Seq", "build_pool", "greedy_key"]

Seq = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Pool:
    """The measures the constraints allow at all, with their prerequisites as pool indices."""

    measures: tuple[Measure, ...]
    table: MeasureTable
    #: pool indices of each measure's prerequisites not already in place; None when one can never be met
    prerequisites: tuple[tuple[int, ...] | None, ...]


def build_pool(catalogue: Catalogue, constraints: Constraints, params: TrustParameters) -> Pool:
    for name in (*constraints.exclude, *constraints.in_place):
        if name not in catalogue:
            raise PlanningError(f"no measure {name!r} in the catalogue", field="constraints")
    done = frozenset(constraints.in_place)
    measures = tuple(
        m
        for m in catalogue.select(
            domains=constraints.domains or None,
            max_cost=constraints.max_cost,
            max_risk=constraints.max_risk,
            min_verifiability=constraints.min_verifiability,
            exclude=(*constraints.exclude, *constraints.in_place),
        )
    )
    index = {m.id: n for n, m in enumerate(measures)}
    prereqs: list[tuple[int, ...] | None] = []
    for m in measures:
        needed = [p for p in m.prerequisites if p not in done]
        prereqs.append(None if any(p not in index for p in needed) else tuple(index[p] for p in needed))
    return Pool(measures=measures, table=measure_table(measures, params), prerequisites=tuple(prereqs))


@dataclass
class _Node:
    """A search node; children keep a reference into their candidate batch until they are kept."""

    seq: Seq
    p: float
    score: float
    batch: SimBatch | None = None
    source: SimBatch | None = None
    index: int = 0

    def materialised(self) -> _Node:
        if self.batch is None:
            assert self.source is not None
            return _Node(self.seq, self.p, self.score, self.source.take(self.index))
        return self


class Searcher:
    """Feasibility, scoring and the search methods over one context and pool."""

    def __init__(self, ctx: SimContext, pool: Pool, constraints: Constraints, exposure_weight: float) -> None:
        self.ctx = ctx
        self.pool = pool
        self.constraints = constraints
        self.exposure_weight = exposure_weight
        self.evaluated = 0
        #: candidate answers for the selection stage, filled by :meth:`beam` when asked for finalists
        self.finalists: list[Seq] = []
        start = ctx.start()
        self.root = start
        self._pairs = ctx.goal_pairs
        self._base = np.array([start.logit[0, a, b] for a, b in ctx.goal_pairs])
        names = constraints.initiators or ctx.parties
        self._initiators = [ctx.party_index(n) for n in names]
        self._first = None if constraints.first_initiator is None else ctx.party_index(constraints.first_initiator)

    # --- feasibility ------------------------------------------------------------------------------------

    def initiators(self, position: int) -> list[int]:
        if position == 0 and self._first is not None:
            return [self._first]
        return self._initiators

    def feasible(self, seq: Seq) -> IntArray:
        """Pool indices that may come next after ``seq`` (unused, prerequisites met, graduated cost)."""
        used = {m for m, _ in seq}
        last = float(self.pool.table.cost[seq[-1][0]]) if seq else 0.0
        ceiling = last + self.constraints.max_cost_increase + 1e-12
        out = [
            n
            for n, pre in enumerate(self.pool.prerequisites)
            if n not in used and pre is not None and all(p in used for p in pre) and self.pool.table.cost[n] <= ceiling
        ]
        return np.array(out, dtype=np.int64)

    # --- scoring ----------------------------------------------------------------------------------------

    def _scores(self, batch: SimBatch) -> tuple[FloatArray, FloatArray]:
        """(P(goal), search score) per candidate of a batch with a leading candidate axis."""
        reached = batch.reached
        p = reached.mean(axis=-1)
        progress = np.ones(reached.shape)
        for n, (a, b) in enumerate(self._pairs):
            gap = self.ctx.goal_logit - self._base[n]
            if gap > 0:
                progress = np.minimum(progress, np.clip((batch.logit[..., a, b] - self._base[n]) / gap, 0.0, 1.0))
        score = np.where(reached, 1.0, 0.5 * progress).mean(axis=-1) - self.exposure_weight * batch.exposure.mean(
            axis=-1
        )
        return p, score

    def children(self, node: _Node) -> list[_Node]:
        position = len(node.seq)
        options = self.feasible(node.seq)
        if options.size == 0:
            return []
        node = node.materialised()
        assert node.batch is not None
        out: list[_Node] = []
        for who in self.initiators(position):
            batch = self.ctx.step(node.batch, self.pool.table, options, who, position)
            self.evaluated += len(options)
            p, score = self._scores(batch)
            for n, m in enumerate(options):
                out.append(_Node((*node.seq, (int(m), who)), float(p[n]), float(score[n]), source=batch, index=n))
        return out

    def _root(self) -> _Node:
        p, score = self._scores(_with_axis(self.root))
        return _Node((), float(p[0]), float(score[0]), self.root)

    # --- methods ----------------------------------------------------------------------------------------

    def beam(self, width: int, evaluations_per_depth: int = 0, finalists: int = 0) -> tuple[Seq, float]:
        """Beam search; the width grows to ``evaluations_per_depth / branching`` (at most 256) on small problems.

        Returns the best sequence by P(goal) on the planning worlds. When ``finalists`` > 0, :attr:`finalists` is
        filled with distinct candidate answers for a selection stage (:meth:`select`): the best sequence, the
        ``finalists`` best children by P(goal), the last beam, the greedy baselines' sequences and greedy
        completions (biggest-signal-first and cheapest-first) of the two best prefixes at every depth.
        """
        beam = [self._root()]
        best = beam[0]
        branching = len(self.pool.measures) * len(self._initiators)
        if branching:
            width = max(width, min(256, evaluations_per_depth // branching))
        seen: list[tuple[float, float, Seq]] = []
        prefixes: list[Seq] = []

        def better(a: _Node, b: _Node) -> bool:
            return (a.p, a.score, -len(a.seq)) > (b.p, b.score, -len(b.seq))

        for _ in range(self.constraints.horizon):
            pool: list[_Node] = []
            for node in beam:
                pool.extend(self.children(node))
            if not pool:
                break
            # every generated child is a complete candidate plan: keep the best by P(goal) even if the beam drops it
            for kid in pool:
                if better(kid, best):
                    best = kid
            if finalists:
                seen.extend((kid.p, kid.score, kid.seq) for kid in pool)
            order = sorted(range(len(pool)), key=lambda i: (-pool[i].score, -pool[i].p, i))
            beam = [pool[i].materialised() for i in order[:width]]
            prefixes.extend(node.seq for node in beam[:2])
        rules = [greedy_key(self.pool.measures, rule) for rule in ("signal", "cheapest")]
        # the greedy rules' sequences are cheap incumbents: the planner never returns less than they reach
        for rule in rules:
            seq = self.rule_based(rule)
            p = self.evaluate(seq)
            if (p, -len(seq)) > (best.p, -len(best.seq)):
                best = _Node(seq, p, best.score)
        if finalists:
            seen.sort(key=lambda t: (-t[0], -t[1], len(t[2])))
            ranked = [best.seq, *(seq for _, _, seq in seen[:finalists]), *(node.seq for node in beam)]
            ranked += [self.rule_based(rule) for rule in rules]
            ranked += [self.rule_based(rule, prefix=prefix) for prefix in prefixes for rule in rules]
            self.finalists = list(dict.fromkeys(ranked))
        return best.seq, best.p

    def select(self, judge: SimContext, seqs: Sequence[Seq]) -> tuple[Seq, float]:
        """The sequence with the highest P(goal) on ``judge``'s worlds (ties: lower exposure, shorter, earlier)."""
        p, exposure = self.evaluate_many(seqs, judge)
        chosen = min(range(len(seqs)), key=lambda i: (-p[i], exposure[i], len(seqs[i]), i))
        return seqs[chosen], float(p[chosen])

    def exhaustive(self) -> tuple[Seq, float]:
        """Best P(goal) over every feasible sequence of full length (or ending where nothing is feasible)."""
        best: list[_Node] = [self._root()]

        def visit(node: _Node) -> None:
            kids = self.children(node)
            if not kids or len(node.seq) == self.constraints.horizon:
                if (node.p, node.score) > (best[0].p, best[0].score):
                    best[0] = node
                return
            for kid in kids:
                if len(kid.seq) == self.constraints.horizon:
                    if (kid.p, kid.score) > (best[0].p, best[0].score):
                        best[0] = kid
                else:
                    visit(kid.materialised())

        visit(best[0])
        return best[0].seq, best[0].p

    def evaluate(self, seq: Seq) -> float:
        return float(self.evaluate_many([seq])[0][0])

    def evaluate_many(self, seqs: Sequence[Seq], ctx: SimContext | None = None) -> tuple[FloatArray, FloatArray]:
        """(P(goal), expected exposure) of each sequence on ``ctx``'s worlds (default: the planning worlds)."""
        reached, exposure = self.outcomes(seqs, ctx)
        return reached.mean(axis=1), exposure.mean(axis=1)

    def outcomes(self, seqs: Sequence[Seq], ctx: SimContext | None = None) -> tuple[BoolArray, FloatArray]:
        """Per sequence and world (S, N): whether the goal was reached, and the exposure, on ``ctx``'s worlds.

        Sequences are walked as a prefix tree, so a shared prefix is simulated once and the candidates that
        differ at one position are simulated in one vectorised call, on the same random numbers."""
        ctx = ctx or self.ctx
        reached = np.zeros((len(seqs), ctx.worlds), dtype=np.bool_)
        exposure = np.zeros((len(seqs), ctx.worlds))

        def visit(batch: SimBatch, depth: int, members: list[int]) -> None:
            groups: dict[int, dict[int, list[int]]] = {}
            for i in members:
                if len(seqs[i]) == depth:
                    reached[i] = batch.reached
                    exposure[i] = batch.exposure
                else:
                    m, who = seqs[i][depth]
                    groups.setdefault(who, {}).setdefault(m, []).append(i)
            for who, by_measure in sorted(groups.items()):
                options = sorted(by_measure)
                out = ctx.step(batch, self.pool.table, np.array(options, dtype=np.int64), who, depth)
                for n, m in enumerate(options):
                    visit(out.take(n), depth + 1, by_measure[m])

        visit(ctx.start(), 0, list(range(len(seqs))))
        return reached, exposure

    def rule_based(self, choose: Callable[[IntArray, int], int], alternate: bool = True, prefix: Seq = ()) -> Seq:
        """``prefix`` continued by ``choose(feasible, position)`` up to the horizon; initiators alternate from the
        least trusted party (after a prefix: from the party after the prefix's last initiator)."""
        trust_in = [self.ctx.beliefs[:, j].sum() - self.ctx.beliefs[j, j] for j in range(len(self.ctx.parties))]
        order = sorted(self._initiators, key=lambda j: (trust_in[j], j))
        offset = 0
        if prefix and prefix[-1][1] in order:
            offset = order.index(prefix[-1][1]) + 1 - len(prefix)
        seq: Seq = prefix
        for position in range(len(prefix), self.constraints.horizon):
            options = self.feasible(seq)
            if options.size == 0:
                break
            allowed = self.initiators(position)
            who = (
                allowed[0] if len(allowed) == 1 else order[(position + offset) % len(order)] if alternate else order[0]
            )
            seq = (*seq, (choose(options, position), who))
        return seq


def _with_axis(batch: SimBatch) -> SimBatch:
    return SimBatch(
        batch.logit[None],
        batch.pause[None],
        batch.unreciprocated[None],
        batch.reached[None],
        batch.exposure[None],
        batch.engaged[None],
        batch.defection_seen[None],
    )


def greedy_key(measures: Sequence[Measure], rule: str) -> Callable[[IntArray, int], int]:
    """Choice function of a baseline: ``signal`` (biggest signal first) or ``cheapest`` (lowest cost first)."""

    def by_signal(options: IntArray, _: int) -> int:
        return int(min(options, key=lambda n: (-measures[n].signal_strength, measures[n].cost_to_initiator, n)))

    def by_cost(options: IntArray, _: int) -> int:
        return int(min(options, key=lambda n: (measures[n].cost_to_initiator, -measures[n].signal_strength, n)))

    if rule == "signal":
        return by_signal
    if rule == "cheapest":
        return by_cost
    raise PlanningError(f"unknown baseline rule {rule!r}")
