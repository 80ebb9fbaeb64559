"""Seeded Monte Carlo simulation of a sequence of confidence-building steps (public API).

``simulate(state, catalogue, steps, goal, seed=...)`` plays a fixed sequence of :class:`Step` in many simulated
worlds (the model is described in :mod:`detente.cbm.simulate_core` and ``docs/cbm-planner.md``) and returns the
trust trajectory of every ordered pair with quantile bands, the probability that the goal was reached by each step,
and how often steps were reciprocated or met with a reported defection. The same inputs give the same result byte
for byte.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.errors import PlanningError

from .catalogue import Catalogue
from .simulate_core import (
    FloatArray,
    MeasureTable,
    ResponseModel,
    SimBatch,
    advance,
    draw_types,
    initial_batch,
    measure_table,
    position_randoms,
)
from .trust import TrustState

__all__ = [
    "QUANTILES",
    "Band",
    "Goal",
    "PlanningError",
    "SimContext",
    "SimulationResult",
    "Step",
    "StepStats",
    "pair_label",
    "simulate",
]

#: quantiles reported in the bands
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


class Goal(BaseModel):
    """Every listed ordered pair's belief at or above ``threshold`` at some step (default: all ordered pairs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = Field(default=0.6, gt=0.0, lt=1.0)
    #: (truster, trustee) pairs; empty means every ordered pair of distinct parties
    pairs: tuple[tuple[str, str], ...] = ()

    def resolve(self, parties: Sequence[str]) -> tuple[tuple[str, str], ...]:
        if not self.pairs:
            return tuple((a, b) for a in parties for b in parties if a != b)
        for a, b in self.pairs:
            if a not in parties or b not in parties or a == b:
                raise PlanningError(f"goal pair ({a}, {b}) is not an ordered pair of {tuple(parties)}", field="goal")
        return self.pairs

    def describe(self, parties: Sequence[str]) -> str:
        pairs = self.resolve(parties)
        if not self.pairs:
            return f"every party's trust in every other at least {self.threshold:.2f}"
        listed = ", ".join(f"{a}'s trust in {b}" for a, b in pairs)
        return f"{listed} at least {self.threshold:.2f}"


class Step(BaseModel):
    """One step: ``initiator`` carries out ``measure_id``; the others are invited to reciprocate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measure_id: str
    initiator: str


class Band(BaseModel):
    """Distribution of one pair's belief after a step, over the simulated worlds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: int
    mean: float
    quantiles: tuple[float, ...]


class StepStats(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    step: int
    p_goal: float
    p_reciprocated: float
    p_defection_seen: float
    p_paused: float


def pair_label(truster: str, trustee: str) -> str:
    return f"{truster}->{trustee}"


class SimulationResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    parties: tuple[str, ...]
    steps: tuple[Step, ...]
    goal: Goal
    seed: int
    worlds: int
    quantiles: tuple[float, ...] = QUANTILES
    #: pair label "A->B" -> bands for step 0 (now) .. len(steps)
    trajectory: dict[str, list[Band]]
    per_step: list[StepStats]
    p_goal: float
    expected_exposure: float

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


@dataclass
class SimContext:
    """Everything fixed while planning or simulating: parties, beliefs, drawn types and random blocks."""

    parties: tuple[str, ...]
    beliefs: FloatArray
    catalogue: Catalogue
    goal: Goal
    seed: int
    worlds: int
    model: ResponseModel
    state: TrustState
    goal_pairs: tuple[tuple[int, int], ...] = ()
    goal_logit: float = 0.0
    types: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: random stream: 0 for the planning worlds, 1 for the planner's selection worlds (see ``docs/cbm-planner.md``)
    stream: int = 0
    _randoms: dict[int, FloatArray] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        state: TrustState,
        catalogue: Catalogue,
        goal: Goal,
        seed: int,
        worlds: int,
        model: ResponseModel | None = None,
        stream: int = 0,
    ) -> SimContext:
        if worlds < 1:
            raise PlanningError("need at least one simulated world", field="worlds")
        if seed < 0 or stream < 0:
            raise PlanningError("the seed and the stream must be non-negative integers", field="seed")
        parties = state.parties
        k = len(parties)
        beliefs = np.full((k, k), 0.5)
        for (a, b), p in state.beliefs().items():
            beliefs[parties.index(a), parties.index(b)] = p
        pairs = tuple((parties.index(a), parties.index(b)) for a, b in goal.resolve(parties))
        ctx = cls(
            parties=parties,
            beliefs=beliefs,
            catalogue=catalogue,
            goal=goal,
            seed=seed,
            worlds=worlds,
            model=model or ResponseModel(),
            state=state,
            goal_pairs=pairs,
            goal_logit=math.log(goal.threshold / (1.0 - goal.threshold)),
            stream=stream,
        )
        ctx.types = draw_types(beliefs, seed, worlds, stream)
        return ctx

    def randoms(self, position: int) -> FloatArray:
        if position not in self._randoms:
            self._randoms[position] = position_randoms(self.seed, position, self.worlds, len(self.parties), self.stream)
        return self._randoms[position]

    def start(self) -> SimBatch:
        batch = initial_batch(self.beliefs, self.worlds)
        met = np.ones(self.worlds, dtype=np.bool_)
        for a, b in self.goal_pairs:
            met &= batch.logit[:, a, b] >= self.goal_logit
        return SimBatch(
            batch.logit, batch.pause, batch.unreciprocated, met, batch.exposure, batch.engaged, batch.defection_seen
        )

    def step(
        self, batch: SimBatch, table: MeasureTable, candidates: np.ndarray, initiator: int, position: int
    ) -> SimBatch:
        return advance(
            batch,
            table,
            candidates,
            initiator,
            self.types,
            self.randoms(position),
            self.model,
            self.state.parameters,
            self.goal_pairs,
            self.goal_logit,
        )

    def party_index(self, name: str) -> int:
        try:
            return self.parties.index(name)
        except ValueError:
            raise PlanningError(f"party {name!r} is not in {self.parties}", field="initiator") from None


def _bands(logit: FloatArray, step: int) -> Band:
    beliefs = 1.0 / (1.0 + np.exp(-logit))
    qs = np.quantile(beliefs, QUANTILES, method="inverted_cdf")
    return Band(step=step, mean=round(float(beliefs.mean()), 6), quantiles=tuple(round(float(q), 6) for q in qs))


def run_sequence(ctx: SimContext, steps: Sequence[Step]) -> tuple[list[SimBatch], MeasureTable]:
    """The worlds after each step (index 0 is now)."""
    measures = []
    for s in steps:
        if s.measure_id not in ctx.catalogue:
            raise PlanningError(f"no measure {s.measure_id!r} in the catalogue", field="steps")
        measures.append(ctx.catalogue.get(s.measure_id))
    table = measure_table(measures, ctx.state.parameters)
    batches = [ctx.start()]
    for position, s in enumerate(steps):
        nxt = ctx.step(batches[-1], table, np.array([position]), ctx.party_index(s.initiator), position)
        batches.append(nxt.take(0))
    return batches, table


def summarise(ctx: SimContext, steps: Sequence[Step]) -> SimulationResult:
    batches, _ = run_sequence(ctx, steps)
    k = len(ctx.parties)
    trajectory: dict[str, list[Band]] = {}
    for a in range(k):
        for b in range(k):
            if a != b:
                label = pair_label(ctx.parties[a], ctx.parties[b])
                trajectory[label] = [_bands(batch.logit[:, a, b], t) for t, batch in enumerate(batches)]
    per_step = [
        StepStats(
            step=t,
            p_goal=round(float(batch.reached.mean()), 6),
            p_reciprocated=round(float(batch.engaged.mean()), 6),
            p_defection_seen=round(float(batch.defection_seen.mean()), 6),
            p_paused=round(float((batch.pause > 0).mean()), 6),
        )
        for t, batch in enumerate(batches)
    ]
    return SimulationResult(
        parties=ctx.parties,
        steps=tuple(steps),
        goal=ctx.goal,
        seed=ctx.seed,
        worlds=ctx.worlds,
        trajectory=trajectory,
        per_step=per_step,
        p_goal=per_step[-1].p_goal,
        expected_exposure=round(float(batches[-1].exposure.mean()), 6),
    )


def simulate(
    state: TrustState,
    catalogue: Catalogue,
    steps: Sequence[Step],
    goal: Goal | None = None,
    *,
    seed: int = 0,
    worlds: int = 1000,
    model: ResponseModel | None = None,
) -> SimulationResult:
    """Play ``steps`` from ``state`` in ``worlds`` seeded simulated worlds; pure and reproducible."""
    ctx = SimContext.create(state, catalogue, goal or Goal(), seed, worlds, model)
    return summarise(ctx, steps)
