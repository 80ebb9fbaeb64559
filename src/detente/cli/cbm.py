"""``detente cbm``: browse the catalogue, plan a sequence of confidence-building steps, simulate a sequence, and
replan a process of the workspace from its verified compliance records (earlier plan revisions are kept)."""

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
    PlanStore,
    SearchSettings,
    SimulationResult,
    Step,
    TrustState,
    get_scenario,
    load_catalogue,
    plan,
    simulate,
)
from detente.cli.common import WorkspaceOpt, console, handle_errors, resolve_workspace
from detente.errors import NotFoundError

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


@app.command("plan")
@handle_errors
def plan_command(
    scenario: ScenarioOpt = None,
    state_file: StateOpt = None,
    threshold: ThresholdOpt = None,
    horizon: Annotated[int | None, typer.Option(help="Steps to plan.")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Largest cost of one step.")] = None,
    max_risk: Annotated[float | None, typer.Option(help="Largest risk of one step.")] = None,
    min_verifiability: Annotated[float | None, typer.Option(help="Least verifiability of a step.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Exclude a measure (repeat).")] = None,
    seed: SeedOpt = 0,
    worlds: WorldsOpt = 400,
    chart: ChartOpt = None,
    save: Annotated[str | None, typer.Option(help="Save the plan as a new revision of this process.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose a GRIT-style sequence of steps with reasons, trust bands, P(goal) and the fallback rule."""
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
    if save is not None:
        PlanStore(resolve_workspace(workspace)).save(save, result, state)
    if chart is not None:
        from detente.cbm.simulate_chart import write_chart

        write_chart(result.simulation, chart)
    if as_json:
        typer.echo(result.to_json())
        return
    _print_plan(result)


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
    user: Annotated[str, typer.Option("--user", help="Username of the person replanning.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replan from the verified compliance records not yet in the trust history; earlier plans are kept.

    Exactly what the workbench's "Replan" does, under the same access rules (a mediator, analyst or administrator
    who may create records with the process's plan label): the new records update trust (a verified
    non-compliance triggers the fallback), the latest plan is recomputed from the new state and saved as a new
    revision beside the earlier ones, and the action is audited.
    """
    from detente.config import load_settings
    from detente.db import Database
    from detente.db.processes import load_subject
    from detente.db.users import get_user_by_username
    from detente.web.cbm import service
    from detente.web.security import Principal, WebContext

    ws = resolve_workspace(workspace)
    if not ws.is_dir():
        raise PlanningError(f"no workspace at {ws}", field="workspace")
    db = Database.from_settings(load_settings(workspace=ws))
    try:
        with db.transaction() as s:
            found = get_user_by_username(s, user)
            if found is None:
                raise NotFoundError(f"no user named {user!r}")
            principal = Principal(
                user_id=found.id,
                username=found.username,
                display_name=found.display_name,
                is_admin=found.is_admin,
                subject=load_subject(s, found.id),
                via="cli",
                scopes=frozenset(),
            )
        ctx = WebContext(db=db, workspace=str(ws), clock=db.clock)
        cp = service.open_process(ctx, principal, process)
        result = service.replan_verified(ctx, principal, cp, "cli")
    finally:
        db.close()
    revision = result.revision
    if as_json:
        payload = {
            "process": process,
            "revision": revision.revision,
            "supersedes": revision.supersedes,
            "applied": result.applied,
            "trust_moves": list(result.trust_moves),
            "fallback": revision.fallback.model_dump(mode="json") if revision.fallback else None,
            "plan": revision.plan.model_dump(mode="json"),
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
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
