"""The CBM planner: propose a sequence of reciprocal steps in the spirit of Osgood's GRIT.

``plan(state, catalogue, goal, constraints, settings)`` searches (beam search over the seeded simulation of
:mod:`detente.cbm.simulate`, common random numbers across candidates) for the sequence of steps most likely to bring
every goal pair's trust to the threshold, under per-step cost and risk budgets, a required verifiability, excluded
measures, prerequisites and graduated escalation (Osgood 1962, *An Alternative to War or Surrender*: announced,
graduated, verifiable, reciprocated initiatives, continued for a while even when not reciprocated). It returns a
:class:`Plan` with a plain-language reason for each step, the expected trust trajectory with quantile bands, P(goal)
and the fallback rule. Pure: the same inputs give the same plan byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

from .catalogue import Catalogue
from .measure import VerificationMethod
from .planner_search import Pool, Searcher, Seq, build_pool
from .planner_types import Constraints, FallbackRule, Plan, PlannedStep, SearchSettings, input_digest
from .simulate import Goal, SimContext, SimulationResult, Step, pair_label, summarise
from .simulate_core import ResponseModel
from .trust import TrustState

__all__ = ["fallback_rule", "plan", "plan_from_sequence", "search"]

_METHOD_WORDS: dict[VerificationMethod, str] = {
    VerificationMethod.SELF_REPORT: "self-report",
    VerificationMethod.EVENT_DATA_CHECK: "a check against event data",
    VerificationMethod.COUNTERPART_OBSERVATION: "the other side's direct observation",
    VerificationMethod.RECIPROCAL_INSPECTION: "reciprocal inspection",
    VerificationMethod.REMOTE_SENSING: "remote sensing",
    VerificationMethod.THIRD_PARTY_OBSERVER: "a third-party observer",
}


def fallback_rule(model: ResponseModel, reverse_threshold: float = 0.5) -> FallbackRule:
    pause = model.pause_steps
    text = (
        f"If a defection is observed (a verified non-compliance by any side): pause for {pause} step"
        f"{'s' if pause != 1 else ''} and do not escalate; the wronged side reverses its most recent step towards "
        f"the defector if that step's reversibility is at least {reverse_threshold:.1f}; keep the communication "
        "channels open; resume, at no higher cost than the broken step, only after the defecting side's next "
        "verified compliance, and replan from the updated trust. Unreciprocated steps are not defections: an "
        f"initiator continues for up to {model.patience} unreciprocated steps in a row before pausing once."
    )
    return FallbackRule(pause_steps=pause, patience=model.patience, reverse_threshold=reverse_threshold, text=text)


def plan(
    state: TrustState,
    catalogue: Catalogue,
    goal: Goal | None = None,
    constraints: Constraints | None = None,
    settings: SearchSettings | None = None,
) -> Plan:
    """Search for the sequence most likely to reach ``goal`` from ``state``; see the module docstring."""
    goal = goal or Goal()
    constraints = constraints or Constraints()
    settings = settings or SearchSettings()
    searcher, seq = search(state, catalogue, goal, constraints, settings)
    method = "beam search"
    if settings.selection_worlds:
        method += f", best of {len(searcher.finalists)} finalists on {settings.selection_worlds} fresh worlds"
    return plan_from_sequence(searcher.ctx, searcher.pool, seq, goal, constraints, settings, method, searcher.evaluated)


def search(
    state: TrustState, catalogue: Catalogue, goal: Goal, constraints: Constraints, settings: SearchSettings
) -> tuple[Searcher, Seq]:
    """The planner's choice: beam search on the planning worlds (stream 0), then, unless ``selection_worlds`` is 0,
    the finalists re-scored on that many fresh worlds (stream 1, same seed) and the best of them taken.

    Choosing among the finalists on worlds the search did not see removes most of the search's optimism about its
    own sample (the winner's curse); the greedy baselines' sequences are among the finalists."""
    ctx = SimContext.create(state, catalogue, goal, settings.seed, settings.worlds, settings.model)
    pool = build_pool(catalogue, constraints, state.parameters)
    searcher = Searcher(ctx, pool, constraints, settings.exposure_weight)
    finalists = settings.finalists if settings.selection_worlds else 0
    seq, _ = searcher.beam(settings.beam_width, settings.evaluations_per_depth, finalists)
    if finalists:
        judge = SimContext.create(
            state, catalogue, goal, settings.seed, settings.selection_worlds, settings.model, stream=1
        )
        seq, _ = searcher.select(judge, searcher.finalists)
    return searcher, seq


def to_steps(ctx: SimContext, pool: Pool, seq: Seq) -> list[Step]:
    return [Step(measure_id=pool.measures[m].id, initiator=ctx.parties[who]) for m, who in seq]


def plan_from_sequence(
    ctx: SimContext,
    pool: Pool,
    seq: Seq,
    goal: Goal,
    constraints: Constraints,
    settings: SearchSettings,
    method: str,
    evaluated: int,
) -> Plan:
    """Wrap a found sequence into a :class:`Plan`: simulate it, explain each step, state the fallback."""
    steps = to_steps(ctx, pool, seq)
    result = summarise(ctx, steps)
    planned = [_explain(ctx, pool, seq, position, result, goal) for position in range(len(seq))]
    beliefs = {pair_label(a, b): round(p, 6) for (a, b), p in sorted(ctx.state.beliefs().items())}
    digest = input_digest(
        {
            "catalogue": ctx.catalogue.version,
            "measures": list(ctx.catalogue.ids),
            "beliefs": beliefs,
            "goal": goal.model_dump(mode="json"),
            "constraints": constraints.model_dump(mode="json"),
            "settings": settings.model_dump(mode="json"),
        }
    )
    if planned:
        summary = (
            f"{len(planned)} steps, opening with {planned[0].initiator}'s '{planned[0].measure_name}'; "
            f"P(goal: {goal.describe(ctx.parties)}) = {result.p_goal:.2f} over {ctx.worlds} simulated worlds"
        )
    else:
        summary = "no step satisfies the constraints; relax the budgets, the verifiability or the exclusions"
    return Plan(
        plan_id=digest,
        catalogue_version=ctx.catalogue.version,
        parties=ctx.parties,
        beliefs=beliefs,
        goal=goal,
        constraints=constraints,
        settings=settings,
        method=method,
        candidates_evaluated=evaluated,
        steps=tuple(planned),
        p_goal=result.p_goal,
        summary=summary,
        fallback=fallback_rule(settings.model),
        simulation=result,
    )


def _median(result: SimulationResult, truster: str, trustee: str, step: int) -> float:
    return result.trajectory[pair_label(truster, trustee)][step].quantiles[2]


def _explain(ctx: SimContext, pool: Pool, seq: Seq, position: int, result: SimulationResult, goal: Goal) -> PlannedStep:
    m_index, who = seq[position]
    m = pool.measures[m_index]
    initiator = ctx.parties[who]
    responders = tuple(p for p in ctx.parties if p != initiator)
    method = pool.table.methods[m_index]
    reasons: list[str] = []

    if position == 0:
        reasons.append(
            f"opens with a step of low cost ({m.cost_to_initiator:.2f}) and risk ({m.risk_to_initiator:.2f})"
        )
    else:
        prev = pool.measures[seq[position - 1][0]].cost_to_initiator
        if m.cost_to_initiator > prev:
            reasons.append(f"raises the cost from {prev:.2f} to {m.cost_to_initiator:.2f} (graduated escalation)")
        elif m.cost_to_initiator == prev:
            reasons.append(f"holds the cost at {prev:.2f} (no escalation while trust catches up)")
        else:
            reasons.append(f"steps the cost down from {prev:.2f} to {m.cost_to_initiator:.2f} (no escalation yet)")
    if m.reversibility >= 0.6:
        reasons.append(f"easily undone if exploited (reversibility {m.reversibility:.2f})")
    elif m.reversibility <= 0.2:
        reasons.append(f"hard to undo (reversibility {m.reversibility:.2f}), which is what makes it credible")
    else:
        reasons.append(f"partly reversible ({m.reversibility:.2f})")
    if m.signal_strength >= 0.6:
        reasons.append(f"a strong signal ({m.signal_strength:.2f}): an untrustworthy party would rarely imitate it")
    elif m.signal_strength >= 0.3:
        reasons.append(f"a moderate signal ({m.signal_strength:.2f})")
    else:
        reasons.append(f"a weak signal ({m.signal_strength:.2f}), chosen to open communication rather than to persuade")
    reasons.append(f"verified by {_METHOD_WORDS[method]} (verifiability {m.verifiability:.2f})")

    pairs = goal.resolve(ctx.parties)
    lowest = min(pairs, key=lambda ab: (_median(result, ab[0], ab[1], position), ab))
    low = _median(result, lowest[0], lowest[1], position)
    if lowest[1] == initiator:
        reasons.append(
            f"{initiator} moves because {lowest[0]}'s trust in {initiator} (median {low:.2f}) is furthest from the goal"
        )
    elif m.reciprocity_expected and lowest[1] in responders:
        reasons.append(
            f"{initiator} moves first so that {lowest[1]} can reciprocate: {lowest[1]}'s reciprocation is what "
            f"raises {lowest[0]}'s trust in {lowest[1]} (median {low:.2f}), the furthest from the goal"
        )
    effects = []
    for r in responders:
        before, after = _median(result, r, initiator, position), _median(result, r, initiator, position + 1)
        effects.append(f"{r}'s trust in {initiator} median {before:.2f} -> {after:.2f}")
    stats = result.per_step[position + 1]
    if m.reciprocity_expected:
        effects.append(f"reciprocated in {stats.p_reciprocated:.0%} of simulated worlds")
    else:
        effects.append("a unilateral gesture: carried out whatever the response")
    reasons.append("expected: " + ", ".join(effects))

    invite = f" and invites {', '.join(responders)} to reciprocate" if m.reciprocity_expected else ""
    announcement = f"{initiator} announces in advance that it will carry out '{m.name}'{invite}."
    return PlannedStep(
        position=position + 1,
        measure_id=m.id,
        measure_name=m.name,
        domain=m.domain,
        initiator=initiator,
        responders=responders,
        reciprocity_expected=m.reciprocity_expected,
        cost=m.cost_to_initiator,
        risk=m.risk_to_initiator,
        signal=m.signal_strength,
        reversibility=m.reversibility,
        verifiability=m.verifiability,
        verification_method=method,
        announcement=announcement,
        reason="; ".join(reasons) + ".",
    )


def steps_of(plan_: Plan) -> Sequence[Step]:
    return [s.as_step() for s in plan_.steps]
