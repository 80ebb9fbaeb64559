"""Value types of the CBM planner: constraints, search settings, planned steps, the fallback rule and the plan."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .measure import Domain, VerificationMethod
from .simulate import Goal, SimulationResult, Step
from .simulate_core import ResponseModel

__all__ = [
    "Constraints",
    "FallbackRule",
    "Plan",
    "PlannedStep",
    "SearchSettings",
    "input_digest",
]


class Constraints(BaseModel):
    """What a plan may contain. Every field relaxes monotonically: a looser value never removes a sequence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    horizon: int = Field(default=8, ge=1, le=40)
    #: largest cost to the initiator of any one step
    max_cost: float = Field(default=0.6, ge=0.0, le=1.0)
    #: largest risk to the initiator of any one step
    max_risk: float = Field(default=0.6, ge=0.0, le=1.0)
    #: least verifiability of any step (GRIT: steps must be verifiable)
    min_verifiability: float = Field(default=0.5, ge=0.0, le=1.0)
    #: graduated escalation: the first step costs at most this, each later one at most this more than the last
    max_cost_increase: float = Field(default=0.25, ge=0.0, le=1.0)
    exclude: tuple[str, ...] = ()
    #: measures already in place: they satisfy prerequisites and are not proposed again
    in_place: tuple[str, ...] = ()
    #: only measures of these domains (empty: all)
    domains: tuple[Domain, ...] = ()
    #: parties that may initiate steps (empty: all)
    initiators: tuple[str, ...] = ()
    #: who must take the first step (set by the fallback after a defection)
    first_initiator: str | None = None


class SearchSettings(BaseModel):
    """How hard the planner searches; part of the plan's inputs, so a plan is reproducible from them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=0, ge=0)
    #: simulated worlds per candidate (common random numbers across candidates)
    worlds: int = Field(default=400, ge=10, le=100_000)
    #: least beam width; the beam widens on small problems (see ``evaluations_per_depth``)
    beam_width: int = Field(default=8, ge=1, le=256)
    #: candidate evaluations allowed per plan position: width = max(beam_width, this / branching), at most 256
    evaluations_per_depth: int = Field(default=1024, ge=1, le=1_000_000)
    #: weight of the initiators' expected exposure (risk x irreversibility of exploited steps) in the search score
    exposure_weight: float = Field(default=0.05, ge=0.0, le=10.0)
    #: fresh worlds (an independent random stream) on which the finalists are re-scored; 0 skips that stage
    selection_worlds: int = Field(default=4000, ge=0, le=200_000)
    #: finalists taken from the beam search (best by P(goal) on the planning worlds and the last beam), besides
    #: the greedy baselines' sequences and greedy completions of beam prefixes
    finalists: int = Field(default=24, ge=1, le=1000)
    model: ResponseModel = Field(default_factory=ResponseModel)


class FallbackRule(BaseModel):
    """What to do when a defection is observed; stated in every plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pause_steps: int
    patience: int
    #: the wronged side reverses its most recent step towards the defector if at least this reversible
    reverse_threshold: float = 0.5
    text: str


class PlannedStep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    position: int
    measure_id: str
    measure_name: str
    domain: Domain
    initiator: str
    responders: tuple[str, ...]
    reciprocity_expected: bool
    cost: float
    risk: float
    signal: float
    reversibility: float
    verifiability: float
    verification_method: VerificationMethod
    announcement: str
    reason: str

    def as_step(self) -> Step:
        return Step(measure_id=self.measure_id, initiator=self.initiator)


class Plan(BaseModel):
    """A proposed sequence with its expected trust trajectory, P(goal), reasons and fallback rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_id: str
    catalogue_version: str
    parties: tuple[str, ...]
    #: beliefs the plan starts from, "A->B" -> P(B trustworthy) in A's eyes
    beliefs: dict[str, float]
    goal: Goal
    constraints: Constraints
    settings: SearchSettings
    method: str
    candidates_evaluated: int
    steps: tuple[PlannedStep, ...]
    p_goal: float
    summary: str
    fallback: FallbackRule
    simulation: SimulationResult
    #: steps of earlier revisions already carried out (verified compliant), oldest first
    taken: tuple[PlannedStep, ...] = ()

    @property
    def next_step(self) -> PlannedStep | None:
        return self.steps[0] if self.steps else None

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> Plan:
        return cls.model_validate_json(text)


def input_digest(payload: dict[str, Any]) -> str:
    """A short stable id for a plan's inputs (same inputs, same id)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
