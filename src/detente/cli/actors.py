"""``detente actors``: build the actor registry, review merge suggestions, curate it (merge, reject, undo), measure
relations, analyse, record stakeholder profiles, export. A thin shell over :mod:`detente.services.actors`: curation
and profiles are decided per process for ``--user``, as on the workbench, and audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import (
    FromOpt,
    JsonOpt,
    ToOpt,
    UserOpt,
    WorkspaceOpt,
    as_user,
    console,
    handle_errors,
    open_app,
    print_json,
)

__all__ = ["app"]

app = typer.Typer(help="Actors: registry across sources, merge review, relations from events, network analysis.")

WindowOpt = Annotated[
    str | None,
    typer.Option("--window", help="FROM..TO or one period (YYYY, YYYY-MM, YYYY-MM-DD); or use --from/--to."),
]
PeriodArg = "FROM..TO or one period, each YYYY, YYYY-MM or YYYY-MM-DD (2023 = the whole year)"
ProcessOpt = Annotated[
    int, typer.Option("--process", help="The process whose curators decide (access is per process).")
]
NoteOpt = Annotated[str, typer.Option("--note", help="Why (recorded with the decision).")]
SourcesOpt = Annotated[list[str] | None, typer.Option("--source", help="Only events of this source (repeatable).")]
TopOpt = Annotated[int, typer.Option("--top", min=1, help="How many rows per list.")]


@contextmanager
def _engine(workspace: Path | None) -> Iterator[tuple[Any, Any]]:
    """The workspace's actor analysis and its registry (shared analysis: unlabelled, no access needed to read)."""
    from detente.services import actors

    with open_app(workspace) as a:
        yield actors.engine(a), actors.registry(a)


def _window(text: str | None, start: str | None = None, end: str | None = None) -> Any:
    """The window of ``--window`` or of ``--from``/``--to`` (None: every event)."""
    from detente.actors.relations import Window
    from detente.errors import InputError

    if text and (start or end):
        raise InputError("give either --window or --from/--to, not both", field="window")
    return Window.parse(text) if text else Window.between(start, end)


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=1, ensure_ascii=False, default=str))


@app.command()
@handle_errors
def build(
    workspace: WorkspaceOpt = None,
    ucdp_actors: Annotated[Path | None, typer.Option("--ucdp-actors", help="UCDP actor list CSV to include.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Collect the actors of every source in the store (and the UCDP actor list) into the registry (the operator)."""
    from detente.services import actors
    from detente.services.caller import operator

    with open_app(workspace) as a:
        report = actors.build(a, operator(), ucdp_actor_list=ucdp_actors)
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
    with _engine(workspace) as (engine, reg):
        found = engine.suggest(reg, min_score=min_score, limit=limit)
    if as_json:
        _print_json([{**asdict(s), "a_name": reg.actors[s.a].name, "b_name": reg.actors[s.b].name} for s in found])
        return
    table = Table("score", "a", "b", "reasons")
    for s in found:
        a, b = reg.actors[s.a], reg.actors[s.b]
        table.add_row(f"{s.score:.2f}", f"{a.name}\n{s.a}", f"{b.name}\n{s.b}", "; ".join(s.reasons))
    console.print(table)


def _decide(workspace: Path | None, user: str, process: int, kind: str, **kw: Any) -> Any:
    from detente.services import actors

    with open_app(workspace) as a:
        return actors.record_decision(a, as_user(a, user), process, kind, **kw)


@app.command()
@handle_errors
def merge(
    into: Annotated[str, typer.Argument(help="Actor that stays (id, source key or unique name).")],
    other: Annotated[str, typer.Argument(help="Actor that joins it.")],
    process: ProcessOpt,
    user: UserOpt,
    note: NoteOpt = "",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that OTHER is the same actor as INTO (a curator of the process: administrator, mediator, analyst)."""
    d = _decide(workspace, user, process, "merge", a=into, b=other, note=note)
    if as_json:
        print_json(d)
        return
    console.print(f"{d.id}: merged {d.other} into {d.into}")


@app.command()
@handle_errors
def reject(
    a: Annotated[str, typer.Argument()],
    b: Annotated[str, typer.Argument()],
    process: ProcessOpt,
    user: UserOpt,
    note: NoteOpt = "",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that A and B are different actors."""
    d = _decide(workspace, user, process, "reject", a=a, b=b, note=note)
    if as_json:
        print_json(d)
        return
    console.print(f"{d.id}: {d.into} and {d.other} are different actors")


@app.command()
@handle_errors
def undo(
    process: ProcessOpt,
    user: UserOpt,
    decision: Annotated[str | None, typer.Argument(help="Decision id (default: the latest active one).")] = None,
    note: NoteOpt = "",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Undo a merge or a rejection."""
    d = _decide(workspace, user, process, "undo", target=decision, note=note)
    if as_json:
        print_json(d)
        return
    console.print(f"{d.id}: undid {d.target}")


@app.command()
@handle_errors
def profile(
    actor: Annotated[str, typer.Argument(help="Id, source key or unique name.")],
    process: ProcessOpt,
    user: UserOpt,
    label: Annotated[str, typer.Option(help="public, all_parties, party:<id> or mediators_only")],
    attitude: Annotated[str, typer.Option(help="champion, supporter, neutral, sceptic or spoiler")],
    evidence: Annotated[str, typer.Option(help="What the attitude is based on.")],
    date: Annotated[str, typer.Option(help="Date of the evidence, YYYY-MM-DD.")],
    power: Annotated[float | None, typer.Option(help="Your judgement of its power, 0-1.")] = None,
    interest: Annotated[float | None, typer.Option(help="Your judgement of its interest, 0-1.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or update the actor's stakeholder profile in a process, under a label."""
    from detente.services import actors
    from detente.services.actors import ProfileInput

    data = ProfileInput(label, attitude, evidence, _day(date, "date"), power, interest)
    with open_app(workspace) as a:
        made = actors.set_profile(a, as_user(a, user), process, actor, data)
    if as_json:
        print_json(made)
        return
    console.print(f"{made.actor_id} [{made.label}]: {made.attitude} (version {made.version})")


@app.command()
@handle_errors
def entry(
    actor: Annotated[str, typer.Argument(help="Id, source key or unique name.")],
    process: ProcessOpt,
    user: UserOpt,
    label: Annotated[str, typer.Option(help="The label of the profile to add to.")],
    kind: Annotated[str, typer.Option(help="interest, position, leverage or contribution")],
    text: Annotated[str, typer.Option(help="The interest, the stance, what the leverage is, or the contribution.")],
    evidence: Annotated[str, typer.Option(help="What it is based on.")],
    date: Annotated[str, typer.Option(help="Date of the evidence, YYYY-MM-DD.")],
    issue: Annotated[str, typer.Option(help="The issue (positions).")] = "",
    over: Annotated[list[str] | None, typer.Option(help="An actor the leverage is over (repeat).")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an interest, a position, a leverage or the potential contribution to a profile."""
    from detente.services import actors
    from detente.services.actors import EntryInput

    data = EntryInput(label, kind, text, evidence, _day(date, "date"), issue, tuple(over or ()))
    with open_app(workspace) as a:
        made = actors.add_entry(a, as_user(a, user), process, actor, data)
    if as_json:
        print_json(made)
        return
    console.print(f"{made.actor_id} [{made.label}]: {made.kind} added (version {made.version})")


def _day(text: str, field: str) -> Any:
    import datetime as dt

    from detente.errors import InputError

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


@app.command()
@handle_errors
def show(
    actor: Annotated[str, typer.Argument(help="Id, source key or unique name.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One canonical actor: name, kind, country, aliases, source keys, parents."""
    with _engine(workspace) as (_, reg):
        a = reg.resolve(actor)
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
    start: FromOpt = None,
    end: ToOpt = None,
    source: SourcesOpt = None,
    layer: Annotated[str, typer.Option("--layer", help="hostile, cooperative, events or fatalities")] = "hostile",
    top: TopOpt = 15,
    as_json: JsonOpt = False,
) -> None:
    """Top directed actor pairs in a window, with counts, fatalities and trend."""
    with _engine(workspace) as (engine, reg):
        rs = engine.relations(reg, _window(window, start, end), sources=source)
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
    start: FromOpt = None,
    end: ToOpt = None,
    source: SourcesOpt = None,
    process: Annotated[
        int | None, typer.Option("--process", help="Use the profiles of this process that --user may read.")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", envvar="DETENTE_USER", help="Whose access (with --process).")
    ] = None,
    reach: Annotated[str | None, typer.Option("--reach", help="Influence paths to this actor ...")] = None,
    access: Annotated[list[str] | None, typer.Option("--access", help="... from actors we have access to.")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write the network chart (.svg or .png).")] = None,
    top: TopOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """Brokers, influencers, likely spoilers, coalitions, the power-interest grid and engagement priorities."""
    from detente.errors import InputError
    from detente.services import actors

    if process is not None and not user:
        raise InputError("a process's profiles are read with someone's access: give --user", field="user")
    with open_app(workspace) as a:
        engine, reg = actors.engine(a), actors.registry(a)
        book = None
        if process is not None and user:
            book = actors.merged_book(a, actors.open_scope(a, as_user(a, user), process))
        rs = engine.relations(reg, _window(window, start, end), sources=source)
        result = engine.analyse(rs, reg, book, top=top)
        paths = engine.influence_paths(rs, reg, access or [], reach, book) if reach else []
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
    before: Annotated[str, typer.Argument(help=PeriodArg)],
    after: Annotated[str, typer.Argument(help=PeriodArg)],
    workspace: WorkspaceOpt = None,
    min_events: Annotated[int, typer.Option("--min-events", min=1)] = 3,
    as_json: JsonOpt = False,
) -> None:
    """What changed between two windows: who turned hostile, escalated or went quiet; new, risen and ended dyads."""
    from detente.actors.relations import Window

    with _engine(workspace) as (engine, reg):
        d = engine.diff(reg, Window.parse(before), Window.parse(after), min_events=min_events)
    if as_json:
        _print_json(asdict(d))
        return
    console.print(f"[bold]turned hostile[/] ({len(d.turned_hostile)})")
    for _, name, why in d.turned_hostile[:20]:
        console.print(f"  {name}: {why}")
    console.print(f"[bold]escalated[/] ({len(d.escalated)})")
    for _, name, why in d.escalated[:20]:
        console.print(f"  {name}: {why}")
    console.print(f"[bold]went quiet[/] ({len(d.went_quiet)})")
    for _, name, why in d.went_quiet[:20]:
        console.print(f"  {name}: {why}")
    console.print(
        f"new hostile dyads: {len(d.new_hostile_dyads)}; rose: {len(d.escalated_dyads)}; "
        f"ended: {len(d.ended_hostile_dyads)}"
    )


@app.command()
@handle_errors
def export(
    out: Annotated[Path, typer.Argument(help="Folder to write network.graphml, actors.csv, relations.csv into.")],
    workspace: WorkspaceOpt = None,
    window: WindowOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    source: SourcesOpt = None,
    chart: Annotated[bool, typer.Option("--chart", help="Also write network.svg.")] = False,
) -> None:
    """Export the actor network of a window as GraphML and CSV (and an SVG chart)."""
    from detente.actors.export import network_graph, write_csv, write_graphml

    with _engine(workspace) as (engine, reg):
        rs = engine.relations(reg, _window(window, start, end), sources=source)
        result = engine.analyse(rs, reg)
    graph = network_graph(rs, reg, result)
    out.mkdir(parents=True, exist_ok=True)
    write_graphml(graph, out / "network.graphml")
    write_csv(graph, out / "actors.csv", out / "relations.csv")
    if chart:
        from detente.actors.chart import render_network

        render_network(rs, result, out / "network.svg")
    console.print(f"{graph.number_of_nodes()} actors, {graph.number_of_edges()} relations -> {out}")
