"""``detente cbm``: browse the catalogue, plan a sequence of confidence-building steps (for a scenario, a state file,
or a process of the workspace), simulate a sequence, record an analyst's trust judgement, replan a process from
its verified compliance records, make a planned step a commitment, and set who reads a process's trust and plans.

The process commands are a thin shell over :mod:`detente.services.cbm` and :mod:`detente.services.cbm_plans`: the
workbench's use cases, access rules and audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from detente.cbm import (
    Catalogue,
    Constraints,
    Domain,
    Goal,
    Plan,
    PlanningError,
    SearchSettings,
    SimulationResult,
    Step,
    TrustState,
    get_scenario,
    load_catalogue,
    plan,
    simulate,
)
from detente.cli.common import UserOpt, WorkspaceOpt, as_user, console, handle_errors, open_app, print_json

__all__ = ["app"]

app = typer.Typer(help="Confidence-building measures: catalogue, GRIT-style plans and their simulation.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ScenarioOpt = Annotated[str | None, typer.Option("--scenario", help="A scenario of the generated suite.")]
StateOpt = Annotated[Path | None, typer.Option("--state", help="A trust state JSON file (TrustState.to_json).")]
ChartOpt = Annotated[Path | None, typer.Option("--chart", help="Write the trust trajectory chart (.svg or .png).")]
ThresholdOpt = Annotated[float | None, typer.Option("--threshold", help="Goal: every pair's trust at least this.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the simulated worlds.")]
WorldsOpt = Annotated[int, typer.Option("--worlds", help="Simulated worlds.")]


def _inputs(scenario: str | None, state_file: Path | None) -> tuple[TrustState, Goal, Constraints, Catalogue]:
    base = load_catalogue()
    if (scenario is None) == (state_file is None):
        raise PlanningError("give exactly one of --scenario NAME or --state FILE")
    if scenario is not None:
        sc = get_scenario(scenario)
        return sc.state(), sc.goal, sc.constraints, sc.catalogue(base)
    assert state_file is not None
    try:
        state = TrustState.from_json(state_file.read_bytes())
    except OSError as exc:
        raise PlanningError(f"cannot read the state file ({exc})", path=state_file) from exc
    except ValueError as exc:
        raise PlanningError(f"not a trust state ({exc})", path=state_file) from exc
    return state, Goal(), Constraints(), base


def _print_trajectory(result: SimulationResult) -> None:
    table = Table("step", *result.trajectory.keys(), "P(goal)", title="Trust (median [5%–95%])")
    for t, stats in enumerate(result.per_step):
        cells = []
        for bands in result.trajectory.values():
            q = bands[t].quantiles
            cells.append(f"{q[2]:.2f} [{q[0]:.2f}–{q[4]:.2f}]")
        table.add_row(str(t), *cells, f"{stats.p_goal:.2f}")
    console.print(table)


@app.command()
@handle_errors
def catalogue(
    domain: Annotated[list[Domain] | None, typer.Option("--domain", help="Only these domains (repeat).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the catalogue of measures."""
    cat = load_catalogue()
    wanted = set(domain or [])
    measures = [m for m in cat if not wanted or m.domain in wanted]
    if as_json:
        data = cat.to_dict()
        data["measures"] = [m.model_dump(mode="json") for m in measures]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    table = Table("id", "domain", "cost", "risk", "signal", "rev.", "verif.", title=f"Catalogue {cat.version}")
    for m in measures:
        table.add_row(
            m.id,
            m.domain.value,
            f"{m.cost_to_initiator:.2f}",
            f"{m.risk_to_initiator:.2f}",
            f"{m.signal_strength:.2f}",
            f"{m.reversibility:.2f}",
            f"{m.verifiability:.2f}",
        )
    console.print(table)


ProcessOpt = Annotated[int, typer.Option("--process", help="Id of a process of the workspace.")]


@app.command("plan")
@handle_errors
def plan_command(
    scenario: ScenarioOpt = None,
    state_file: StateOpt = None,
    process: Annotated[
        int | None, typer.Option("--process", help="Plan for this process from its trust state, and save it.")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", envvar="DETENTE_USER", help="Who plans (with --process).")
    ] = None,
    threshold: ThresholdOpt = None,
    horizon: Annotated[int | None, typer.Option(help="Steps to plan.")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Largest cost of one step.")] = None,
    max_risk: Annotated[float | None, typer.Option(help="Largest risk of one step.")] = None,
    min_verifiability: Annotated[float | None, typer.Option(help="Least verifiability of a step.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Exclude a measure (repeat).")] = None,
    seed: SeedOpt = 0,
    worlds: WorldsOpt = 400,
    chart: ChartOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose a GRIT-style sequence of steps with reasons, trust bands, P(goal) and the fallback rule.

    With --process ID --user NAME the plan is made from the process's trust state and catalogue and saved as a new
    revision, exactly as the workbench's "Plan" does (same access rules, audited); otherwise it is computed for a
    scenario or a state file and only printed."""
    if process is not None:
        _plan_process(process, user, threshold, horizon, max_cost, max_risk, min_verifiability, exclude, seed,
                      workspace, as_json)  # fmt: skip
        return
    state, goal, constraints, cat = _inputs(scenario, state_file)
    if threshold is not None:
        goal = goal.model_copy(update={"threshold": threshold})
    changes: dict[str, object] = {
        k: v
        for k, v in {
            "horizon": horizon,
            "max_cost": max_cost,
            "max_risk": max_risk,
            "min_verifiability": min_verifiability,
        }.items()
        if v is not None
    }
    if exclude:
        changes["exclude"] = (*constraints.exclude, *exclude)
    constraints = Constraints.model_validate({**constraints.model_dump(), **changes})
    goal = Goal.model_validate(goal.model_dump())
    result = plan(state, cat, goal, constraints, SearchSettings(seed=seed, worlds=worlds))
    if chart is not None:
        from detente.cbm.simulate_chart import write_chart

        write_chart(result.simulation, chart)
    if as_json:
        typer.echo(result.to_json())
        return
    _print_plan(result)


def _plan_process(
    process: int,
    user: str | None,
    threshold: float | None,
    horizon: int | None,
    max_cost: float | None,
    max_risk: float | None,
    min_verifiability: float | None,
    exclude: list[str] | None,
    seed: int,
    workspace: Path | None,
    as_json: bool,
) -> None:
    from detente.services import cbm, cbm_plans
    from detente.services.cbm_views import revision_out

    if not user:
        raise PlanningError("planning for a process needs --user (whose access it is)", field="user")
    given = {
        "threshold": threshold,
        "horizon": horizon,
        "max_cost": max_cost,
        "max_risk": max_risk,
        "min_verifiability": min_verifiability,
    }
    req = cbm_plans.PlanRequest(
        **{k: v for k, v in given.items() if v is not None},  # type: ignore[arg-type]
        exclude=tuple(exclude or ()),
        seed=seed,
    )
    with open_app(workspace) as a:
        caller = as_user(a, user)
        cp = cbm.open_process(a, caller, process)
        saved = cbm_plans.new_plan(a, caller, cp, req)
    if as_json:
        print_json(revision_out(saved, None, {}))
        return
    console.print(f"[bold]Revision {saved.revision.revision}[/] of process {process} (visible to {saved.label}).")
    _print_plan(saved.revision.plan)


def _print_plan(result: Plan) -> None:
    console.print(f"[bold]Plan {result.plan_id}[/]: {result.summary}")
    for s in result.steps:
        console.print(f"[bold]{s.position}. {s.initiator}: {s.measure_name}[/] ({s.measure_id})")
        console.print(f"   {s.announcement}")
        console.print(f"   why: {s.reason}", highlight=False)
    _print_trajectory(result.simulation)
    console.print(f"[bold]Fallback[/]: {result.fallback.text}")


@app.command("replan")
@handle_errors
def replan_command(
    process: Annotated[int, typer.Option("--process", help="Id of the process whose latest plan is recomputed.")],
    user: UserOpt,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replan from the verified compliance records not yet in the trust history; earlier plans are kept.

    Exactly what the workbench's "Replan" does, under the same access rules (the process's planners, under its plan
    label): the new records update trust (a verified non-compliance triggers the fallback), the latest plan is
    recomputed from the new state and saved as a new revision beside the earlier ones, and the action is audited.
    """
    from detente.services import cbm, cbm_plans
    from detente.services.cbm_views import revision_out

    with open_app(workspace) as a:
        caller = as_user(a, user)
        cp = cbm.open_process(a, caller, process)
        result = cbm_plans.replan_verified(a, caller, cp)
        _, before = cbm_plans.get_plan(a, caller, cp, result.revision.revision.revision)
    revision = result.revision.revision
    if as_json:
        out = revision_out(result.revision, before, {})
        out.records_applied = result.applied
        out.trust_moves = list(result.trust_moves)
        print_json(out)
        return
    earlier = revision.supersedes or 0
    kept = "" if not earlier else "; revision 1 is kept" if earlier == 1 else f"; revisions 1–{earlier} are kept"
    console.print(f"[bold]Revision {revision.revision}[/] of process {process}{kept}.")
    console.print(f"{result.applied} new verified record(s) applied.")
    for move in result.trust_moves:
        console.print(f"  trust: {move}", highlight=False)
    if revision.fallback is not None:
        console.print(f"[bold]{revision.fallback.explanation}[/]", highlight=False)
    _print_plan(revision.plan)


@app.command("trust-input")
@handle_errors
def trust_input_command(
    process: ProcessOpt,
    user: UserOpt,
    truster: Annotated[str, typer.Option(help="The party whose trust is judged.")],
    trustee: Annotated[str, typer.Option(help="The party trusted (or not).")],
    action: Annotated[str, typer.Option(help="set (belief 0-1) or nudge (log-odds shift).")],
    value: Annotated[float, typer.Option(help="The belief (set) or the shift (nudge).")],
    rationale: Annotated[str, typer.Option(help="Why (kept in the trust history).")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an analyst's judgement on one pair's trust, with its rationale (the workbench's trust form)."""
    from detente.services import cbm
    from detente.services.cbm_views import trust_out

    with open_app(workspace) as a:
        caller = as_user(a, user)
        cp = cbm.open_process(a, caller, process)
        state = cbm.analyst_input(a, caller, cp, truster=truster, trustee=trustee, action=action, value=value,
                                  rationale=rationale)  # fmt: skip
    if as_json:
        out = trust_out(state, None, cp.settings.trust_label)
        out.update = state.history[-1]
        print_json(out)
        return
    console.print(state.history[-1].explanation, highlight=False)


@app.command("commit-step")
@handle_errors
def commit_step_command(
    process: ProcessOpt,
    user: UserOpt,
    revision: Annotated[int, typer.Option(help="The plan revision.")],
    position: Annotated[int, typer.Option(help="The step's position in that revision (1 = first).")],
    label: Annotated[str, typer.Option(help="Who may read the commitment.")] = "all_parties",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a planned step a commitment of the verification record (logged, linked back to the step)."""
    from detente.services import cbm, cbm_plans

    with open_app(workspace) as a:
        caller = as_user(a, user)
        cp = cbm.open_process(a, caller, process)
        cid = cbm_plans.make_commitment(a, caller, cp, revision, position, label=label)
    if as_json:
        typer.echo(json.dumps({"commitment_id": cid, "revision": revision, "position": position, "label": label}))
        return
    console.print(f"step {position} of revision {revision} is commitment {cid}")


@app.command("labels")
@handle_errors
def labels_command(
    process: ProcessOpt,
    user: UserOpt,
    trust_label: Annotated[str | None, typer.Option("--trust", help="Who may read the trust state.")] = None,
    plan_label: Annotated[str | None, typer.Option("--plans", help="Who may read the plans.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the widest labels the process's trust state and plans are shown under."""
    from detente.services import cbm

    with open_app(workspace) as a:
        caller = as_user(a, user)
        cp = cbm.open_process(a, caller, process)
        updated = cbm.set_labels(a, caller, cp, trust_label=trust_label, plan_label=plan_label)
    if as_json:
        print_json(updated)
        return
    console.print(f"trust: {updated.trust_label}; plans: {updated.plan_label}")


@app.command("simulate")
@handle_errors
def simulate_command(
    step: Annotated[list[str], typer.Option("--step", help="MEASURE_ID:INITIATOR, in order (repeat).")],
    scenario: ScenarioOpt = None,
    state_file: StateOpt = None,
    threshold: ThresholdOpt = None,
    seed: SeedOpt = 0,
    worlds: WorldsOpt = 1000,
    chart: ChartOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a given sequence of steps: trust bands per step and P(goal)."""
    state, goal, _, cat = _inputs(scenario, state_file)
    if threshold is not None:
        goal = Goal.model_validate({**goal.model_dump(), "threshold": threshold})
    steps = []
    for item in step:
        measure, sep, who = item.partition(":")
        if not sep or not measure or not who:
            raise PlanningError(f"--step {item!r} must be MEASURE_ID:INITIATOR", field="step")
        steps.append(Step(measure_id=measure, initiator=who))
    result = simulate(state, cat, steps, goal, seed=seed, worlds=worlds)
    if chart is not None:
        from detente.cbm.simulate_chart import write_chart

        write_chart(result, chart)
    if as_json:
        typer.echo(result.to_json())
        return
    _print_trajectory(result)
    console.print(f"P(goal) = {result.p_goal:.2f}; expected exposure {result.expected_exposure:.3f}")
