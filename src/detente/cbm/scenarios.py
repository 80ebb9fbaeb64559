"""A documented, seeded suite of generated planning scenarios (for tests, the benchmark and the CLI).

``scenario_suite()`` returns five hand-shaped scenarios (named after the situations they stand for) followed by
generated ones (``gen-01`` …) whose priors, goal threshold, budgets and exclusions are drawn from a seeded
generator. ``small_instances()`` returns instances small enough for exhaustive search: a handful of measures without
prerequisites, sampled from the catalogue, and a short horizon. All are fictional; the parties' names are generic.
Same seed, same suite.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from .catalogue import Catalogue
from .measure import Domain
from .planner_types import Constraints
from .simulate import Goal, PlanningError
from .trust import TrustState

__all__ = ["Scenario", "get_scenario", "scenario_suite", "small_instances"]

SUITE_SEED = 2025


class Scenario(BaseModel):
    """Parties, starting beliefs, a goal and constraints; optionally a subset of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    parties: tuple[str, ...]
    #: "A->B" -> A's prior belief that B is trustworthy
    priors: dict[str, float]
    goal: Goal
    constraints: Constraints
    #: measure ids to plan from (empty: the whole catalogue)
    measures: tuple[str, ...] = ()

    def state(self) -> TrustState:
        priors: dict[tuple[str, str], float] = {}
        for label, p in self.priors.items():
            a, b = label.split("->")
            priors[(a, b)] = p
        return TrustState.start(self.parties, prior=priors)

    def catalogue(self, base: Catalogue) -> Catalogue:
        if not self.measures:
            return base
        return Catalogue(
            version=base.version,
            schema_version=base.schema_version,
            measures=tuple(base.get(m) for m in self.measures),
            sources=(*base.sources, f"scenario:{self.name}"),
        )


def _two(a: str, b: str, ab: float, ba: float) -> dict[str, float]:
    return {f"{a}->{b}": ab, f"{b}->{a}": ba}


def _named() -> list[Scenario]:
    return [
        Scenario(
            name="frozen-conflict",
            description="Two states after a long frozen conflict; both mistrustful to the same degree.",
            parties=("North", "South"),
            priors=_two("North", "South", 0.35, 0.35),
            goal=Goal(threshold=0.6),
            constraints=Constraints(horizon=10),
        ),
        Scenario(
            name="asymmetric-insurgency",
            description="A government that deeply distrusts an armed movement, which is somewhat less distrustful.",
            parties=("Government", "Movement"),
            priors=_two("Government", "Movement", 0.2, 0.45),
            goal=Goal(threshold=0.5),
            constraints=Constraints(horizon=12),
        ),
        Scenario(
            name="post-ceasefire",
            description="A ceasefire and hotline hold; talks need trust of 0.75 on both sides.",
            parties=("Government", "Front"),
            priors=_two("Government", "Front", 0.5, 0.45),
            goal=Goal(threshold=0.75),
            constraints=Constraints(horizon=10, max_cost=0.7, in_place=("bilateral_ceasefire", "military_hotline")),
        ),
        Scenario(
            name="low-budget",
            description="Neither side can afford steps costing more than 0.3, nor risk more than 0.3.",
            parties=("East", "West"),
            priors=_two("East", "West", 0.4, 0.3),
            goal=Goal(threshold=0.55),
            constraints=Constraints(horizon=8, max_cost=0.3, max_risk=0.3),
        ),
        Scenario(
            name="three-party",
            description="Three communities; every one must come to trust each of the others.",
            parties=("Alpha", "Beta", "Gamma"),
            priors={
                "Alpha->Beta": 0.45,
                "Alpha->Gamma": 0.35,
                "Beta->Alpha": 0.4,
                "Beta->Gamma": 0.4,
                "Gamma->Alpha": 0.35,
                "Gamma->Beta": 0.45,
            },
            goal=Goal(threshold=0.55),
            constraints=Constraints(horizon=10),
        ),
    ]


def _generated(rng: np.random.Generator, n: int) -> Scenario:
    ab, ba = (round(float(x), 2) for x in rng.uniform(0.2, 0.55, size=2))
    threshold = round(min(0.9, max(ab, ba) + float(rng.uniform(0.1, 0.3))), 2)
    domains = list(Domain)
    dropped = domains[int(rng.integers(len(domains)))] if rng.random() < 0.5 else None
    kept = tuple(d for d in domains if d != dropped) if dropped is not None else ()
    constraints = Constraints(
        horizon=int(rng.integers(6, 13)),
        max_cost=round(float(rng.uniform(0.35, 0.75)), 2),
        max_risk=round(float(rng.uniform(0.35, 0.75)), 2),
        min_verifiability=round(float(rng.uniform(0.4, 0.8)), 2),
        max_cost_increase=round(float(rng.uniform(0.15, 0.35)), 2),
        domains=kept,
    )
    what = f"no {dropped.value} measures; " if dropped is not None else ""
    return Scenario(
        name=f"gen-{n:02d}",
        description=f"Generated: priors {ab:.2f}/{ba:.2f}, goal {threshold:.2f}; {what}budgets drawn at random.",
        parties=("Party A", "Party B"),
        priors=_two("Party A", "Party B", ab, ba),
        goal=Goal(threshold=threshold),
        constraints=constraints,
    )


def scenario_suite(seed: int = SUITE_SEED, generated: int = 10) -> tuple[Scenario, ...]:
    """The named scenarios, then ``generated`` seeded random ones."""
    rng = np.random.default_rng(seed)
    return (*_named(), *(_generated(rng, n + 1) for n in range(generated)))


def get_scenario(name: str, seed: int = SUITE_SEED) -> Scenario:
    for s in scenario_suite(seed):
        if s.name == name:
            return s
    names = ", ".join(s.name for s in scenario_suite(seed))
    raise PlanningError(f"no scenario {name!r}; known: {names}", field="scenario")


def small_instances(
    base: Catalogue, seed: int = SUITE_SEED, count: int = 5, measures: int = 8, horizon: int = 4
) -> tuple[Scenario, ...]:
    """Instances small enough for exhaustive search: ``measures`` prerequisite-free measures, short horizon."""
    rng = np.random.default_rng([seed, 99])
    free = [m.id for m in base if not m.prerequisites]
    out = []
    for n in range(count):
        chosen = tuple(sorted(str(x) for x in rng.choice(free, size=measures, replace=False)))
        ab, ba = (round(float(x), 2) for x in rng.uniform(0.3, 0.5, size=2))
        out.append(
            Scenario(
                name=f"small-{n + 1:02d}",
                description=f"{measures} measures, horizon {horizon}, priors {ab:.2f}/{ba:.2f}.",
                parties=("Party A", "Party B"),
                priors=_two("Party A", "Party B", ab, ba),
                goal=Goal(threshold=round(max(ab, ba) + 0.15, 2)),
                constraints=Constraints(
                    horizon=horizon, max_cost=1.0, max_risk=1.0, min_verifiability=0.0, max_cost_increase=1.0
                ),
                measures=chosen,
            )
        )
    return tuple(out)
