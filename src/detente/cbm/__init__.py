"""Confidence-building measures: the catalogue and the trust model between parties.

The catalogue (:mod:`.catalogue`) is a versioned data file validated on load; the trust model (:mod:`.trust`) keeps,
per ordered pair of parties, a Bayesian belief that the other side is a trustworthy type, learning from verified
compliance records and analysts' input. Both are pure and immutable so the planner can call them freely.
"""

from __future__ import annotations

from .catalogue import SCHEMA_VERSION, Catalogue, CatalogueError, check_measures, load_catalogue
from .evidence import (
    AnalystAction,
    AnalystInput,
    ComplianceRecord,
    Evidence,
    Outcome,
    TrustInputError,
    VerificationStrength,
)
from .likelihood import (
    DEFAULT_RELIABILITY,
    TrustParameters,
    likelihood_ratio,
    outcome_likelihoods,
    outcome_probabilities,
    posterior,
    type_likelihoods,
)
from .measure import Domain, HistoricalExample, Measure, VerificationMethod
from .planner import plan
from .planner_baselines import Comparison, compare, exhaustive_optimum
from .planner_replan import FallbackAction, Replan, replan, replan_many
from .planner_types import Constraints, FallbackRule, Plan, PlannedStep, SearchSettings
from .process_state import CbmSettings, PlanRevision, StoredMeasure, extend_parties
from .scenarios import Scenario, get_scenario, scenario_suite, small_instances
from .simulate import Band, Goal, PlanningError, SimulationResult, Step, simulate
from .simulate_core import ResponseModel
from .trust import PairBelief, ReplayError, TrustState, TrustUpdate, replay

__all__ = [
    "DEFAULT_RELIABILITY",
    "SCHEMA_VERSION",
    "AnalystAction",
    "AnalystInput",
    "Band",
    "Catalogue",
    "CatalogueError",
    "CbmSettings",
    "Comparison",
    "ComplianceRecord",
    "Constraints",
    "Domain",
    "Evidence",
    "FallbackAction",
    "FallbackRule",
    "Goal",
    "HistoricalExample",
    "Measure",
    "Outcome",
    "PairBelief",
    "Plan",
    "PlanRevision",
    "PlannedStep",
    "PlanningError",
    "Replan",
    "ReplayError",
    "ResponseModel",
    "Scenario",
    "SearchSettings",
    "SimulationResult",
    "Step",
    "StoredMeasure",
    "TrustInputError",
    "TrustParameters",
    "TrustState",
    "TrustUpdate",
    "VerificationMethod",
    "VerificationStrength",
    "check_measures",
    "compare",
    "exhaustive_optimum",
    "extend_parties",
    "get_scenario",
    "likelihood_ratio",
    "load_catalogue",
    "outcome_likelihoods",
    "outcome_probabilities",
    "plan",
    "posterior",
    "replan",
    "replan_many",
    "replay",
    "scenario_suite",
    "simulate",
    "small_instances",
    "type_likelihoods",
]
