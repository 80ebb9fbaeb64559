"""``detente actors``: build the actor registry, review merge suggestions, measure relations, analyse, export."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import WorkspaceOpt, console, handle_errors, resolve_workspace

__all__ = ["app"]

app = typer.Typer(help="Actors: registry across sources, merge review, relations from events, network analysis.")

WindowOpt = Annotated[str | None, typer.Option("--window", help="YYYY-MM-DD..YYYY-MM-DD (default: all events).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ByOpt = Annotated[str, typer.Option("--by", envvar="DETENTE_USER", help="Who decides (recorded with the decision).")]
NoteOpt = Annotated[str, typer.Option("--note", help="Why (recorded with the decision).")]
SourcesOpt = Annotated[list[str] | None, typer.Option("--source", help="Only events of this source (repeatable).")]
TopOpt = Annotated[int, typer.Option("--top", min=1, help="How many rows per list.")]


def _svc(workspace: Path | None) -> Any:
    from detente.actors.service import ActorService

    return ActorService.open(resolve_workspace(workspace))


def _window(text: str | None) -> Any:
    from detente.actors.relations import Window

    return Window.parse(text) if text else None


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=1, ensure_ascii=False, default=str))


@app.command()
@handle_errors
def build(
    workspace: WorkspaceOpt = None,
    ucdp_actors: Annotated[Path | None, typer.Option("--ucdp-actors", help="UCDP actor list CSV to include.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Collect the actors of every source in the store (and the UCDP actor list) into the registry."""
    report = _svc(workspace).build(ucdp_actor_list=ucdp_actors)
    if as_json:
        _print_json(report.as_dict())
        return
    systems = ", ".join(f"{k} {v}" for k, v in report.by_system.items())
    console.print(f"{report.source_actors} source actors ({systems}); {report.canonical} canonical actors")
    if report.stale:
        console.print(f"[yellow]decisions that no longer apply[/]: {', '.join(report.stale)}")


@app.command()
@handle_errors
def suggest(
    workspace: WorkspaceOpt = None,
    min_score: Annotated[float, typer.Option("--min-score")] = 0.75,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Merge suggestions (nothing is merged until you run `merge`)."""
    svc = _svc(workspace)
    reg = svc.registry()
    found = svc.suggest(min_score=min_score, limit=limit)
    if as_json:
        _print_json([{**asdict(s), "a_name": reg.actors[s.a].name, "b_name": reg.actors[s.b].name} for s in found])
        return
    table = Table("score", "a", "b", "reasons")
    for s in found:
        a, b = reg.actors[s.a], reg.actors[s.b]
        table.add_row(f"{s.score:.2f}", f"{a.name}\n{s.a}", f"{b.name}\n{s.b}", "; ".join(s.reasons))
    console.print(table)


@app.command()
@handle_errors
def merge(
    into: Annotated[str, typer.Argument(help="Actor that stays (id, source key or unique name).")],
    other: Annotated[str, typer.Argument(help="Actor that joins it.")],
    by: ByOpt = "analyst",
    note: NoteOpt = "",
    workspace: WorkspaceOpt = None,
) -> None:
    """Record that OTHER is the same actor as INTO."""
    d = _svc(workspace).merge(into, other, by=by, note=note)
    console.print(f"{d.id}: merged {d.other} into {d.into}")


@app.command()
@handle_errors
def reject(
    a: Annotated[str, typer.Argument()],
    b: Annotated[str, typer.Argument()],
    by: ByOpt = "analyst",
    note: NoteOpt = "",
    workspace: WorkspaceOpt = None,
) -> None:
    """Record that A and B are different actors."""
    d = _svc(workspace).reject(a, b, by=by, note=note)
    console.print(f"{d.id}: {d.into} and {d.other} are different actors")


@app.command()
@handle_errors
def undo(
    decision: Annotated[str | None, typer.Argument(help="Decision id (default: the latest active one).")] = None,
    by: ByOpt = "analyst",
    note: NoteOpt = "",
    workspace: WorkspaceOpt = None,
) -> None:
    """Undo a merge or a rejection."""
    d = _svc(workspace).undo(decision, by=by, note=note)
    console.print(f"{d.id}: undid {d.target}")


@app.command()
@handle_errors
def show(
    actor: Annotated[str, typer.Argument(help="Id, source key or unique name.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One canonical actor: name, kind, country, aliases, source keys, parents."""
    a = _svc(workspace).actor(actor)
    if as_json:
        _print_json(asdict(a))
        return
    console.print(f"[bold]{a.name}[/] {a.id}  {a.kind.value}  {a.country_iso3 or '-'}  {a.events} events")
    console.print(f"aliases: {'; '.join(a.aliases) or '-'}")
    console.print(f"sources: {', '.join(a.source_keys)}")
    if a.parents:
        console.print(f"part of: {', '.join(a.parents)}")


@app.command()
@handle_errors
def relations(
    workspace: WorkspaceOpt = None,
    window: WindowOpt = None,
    source: SourcesOpt = None,
    layer: Annotated[str, typer.Option("--layer", help="hostile, cooperative, events or fatalities")] = "hostile",
    top: TopOpt = 15,
    as_json: JsonOpt = False,
) -> None:
    """Top directed actor pairs in a window, with counts, fatalities and trend."""
    svc = _svc(workspace)
    reg = svc.registry()
    rs = svc.relations(_window(window), sources=source, registry=reg)
    rows = rs.top(layer, top)
    if as_json:
        _print_json(
            [
                {
                    **asdict(r),
                    "trend": r.trend,
                    "source_name": reg.actors[r.source].name,
                    "target_name": reg.actors[r.target].name,
                }
                for r in rows
            ]
        )
        return
    table = Table("from", "to", "hostile", "coop", "fatalities", "1st half", "2nd half", "trend", title=str(rs.window))
    for r in rows:
        table.add_row(
            reg.actors[r.source].name, reg.actors[r.target].name, str(r.hostile), str(r.cooperative),
            str(r.fatalities), str(r.hostile_first), str(r.hostile_second), r.trend,
        )  # fmt: skip
    console.print(table)


@app.command()
@handle_errors
def analyse(
    workspace: WorkspaceOpt = None,
    window: WindowOpt = None,
    source: SourcesOpt = None,
    process: Annotated[str | None, typer.Option("--process", help="Use this process's public profiles.")] = None,
    reach: Annotated[str | None, typer.Option("--reach", help="Influence paths to this actor ...")] = None,
    access: Annotated[list[str] | None, typer.Option("--access", help="... from actors we have access to.")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write the network chart (.svg or .png).")] = None,
    top: TopOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """Brokers, influencers, likely spoilers, coalitions, the power-interest grid and engagement priorities."""
    svc = _svc(workspace)
    rs = svc.relations(_window(window), sources=source)
    result = svc.analyse(rs, process_id=process, top=top)
    paths = svc.influence_paths(rs, access or [], reach, process_id=process) if reach else []
    if chart is not None:
        from detente.actors.chart import render_network

        render_network(rs, result, chart)
    if as_json:
        doc = asdict(result)
        doc.pop("scores")
        doc["grid"] = [g for g in doc["grid"] if g["quadrant"] != "monitor"][: top * 4]
        doc["influence_paths"] = [asdict(p) for p in paths]
        _print_json(doc)
        return
    names = {s.actor_id: s.name for s in result.scores}
    console.print(f"[bold]window[/] {result.window}")
    console.print(
        "[bold]top hostile dyads[/]: "
        + "; ".join(f"{names[a]} -> {names[b]} ({n})" for a, b, n in result.top_hostile[:5])
    )
    console.print("[bold]brokers[/]: " + ", ".join(f"{s.name} ({s.betweenness:.3f})" for s in result.brokers))
    console.print("[bold]influencers[/]: " + ", ".join(f"{s.name} ({s.pagerank:.3f})" for s in result.influencers))
    console.print("[bold]likely spoilers[/]: " + ", ".join(f"{s.name} ({s.spoiler_risk:.2f})" for s in result.spoilers))
    table = Table("#", "actor", "score", "why", title="engagement priority")
    for p in result.priorities:
        table.add_row(str(p.rank), p.name, f"{p.score:.2f}", p.reason)
    console.print(table)
    for path in paths:
        console.print(f"reach: {' -> '.join(path.names)} (cost {path.cost:.2f}; {'; '.join(path.via)})")
    for note in result.notes:
        console.print(f"[dim]{note}[/]")


@app.command()
@handle_errors
def diff(
    before: Annotated[str, typer.Argument(help="YYYY-MM-DD..YYYY-MM-DD")],
    after: Annotated[str, typer.Argument(help="YYYY-MM-DD..YYYY-MM-DD")],
    workspace: WorkspaceOpt = None,
    min_events: Annotated[int, typer.Option("--min-events", min=1)] = 3,
    as_json: JsonOpt = False,
) -> None:
    """What changed between two windows: who turned hostile, who went quiet, new and ended hostile dyads."""
    from detente.actors.relations import Window

    d = _svc(workspace).diff(Window.parse(before), Window.parse(after), min_events=min_events)
    if as_json:
        _print_json(asdict(d))
        return
    console.print(f"[bold]turned hostile[/] ({len(d.turned_hostile)})")
    for _, name, why in d.turned_hostile[:20]:
        console.print(f"  {name}: {why}")
    console.print(f"[bold]went quiet[/] ({len(d.went_quiet)})")
    for _, name, why in d.went_quiet[:20]:
        console.print(f"  {name}: {why}")
    console.print(f"new hostile dyads: {len(d.new_hostile_dyads)}; ended: {len(d.ended_hostile_dyads)}")


@app.command()
@handle_errors
def export(
    out: Annotated[Path, typer.Argument(help="Folder to write network.graphml, actors.csv, relations.csv into.")],
    workspace: WorkspaceOpt = None,
    window: WindowOpt = None,
    source: SourcesOpt = None,
    chart: Annotated[bool, typer.Option("--chart", help="Also write network.svg.")] = False,
) -> None:
    """Export the actor network of a window as GraphML and CSV (and an SVG chart)."""
    from detente.actors.export import network_graph, write_csv, write_graphml

    svc = _svc(workspace)
    reg = svc.registry()
    rs = svc.relations(_window(window), sources=source, registry=reg)
    result = svc.analyse(rs)
    graph = network_graph(rs, reg, result)
    out.mkdir(parents=True, exist_ok=True)
    write_graphml(graph, out / "network.graphml")
    write_csv(graph, out / "actors.csv", out / "relations.csv")
    if chart:
        from detente.actors.chart import render_network

        render_network(rs, result, out / "network.svg")
    console.print(f"{graph.number_of_nodes()} actors, {graph.number_of_edges()} relations -> {out}")
