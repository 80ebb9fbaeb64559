"""``detente events``: summary, query and export of the event store."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.table import Table

from detente.cli.common import FromOpt, ToOpt, WorkspaceOpt, console, handle_errors, resolve_workspace
from detente.errors import InputError
from detente.events.query import EventFilter, check_countries, parse_date, parse_end
from detente.events.store import open_store

__all__ = ["app"]

app = typer.Typer(help="Summarise, query and export the event store.", no_args_is_help=True)

EXPORT_FORMATS = ("csv", "json", "geojson", "parquet", "hxl")
TABLE_COLUMNS = (
    "date_start",
    "source",
    "country_iso3",
    "admin1",
    "category",
    "actor1_name",
    "actor2_name",
    "fatalities_best",
)

CountryOpt = Annotated[list[str] | None, typer.Option("--country", "-c", help="ISO alpha-3 code (repeatable).")]
CategoryOpt = Annotated[list[str] | None, typer.Option("--category", help="Canonical category (repeatable).")]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Actor name or id contains this text.")]
SourceOpt = Annotated[list[str] | None, typer.Option("--source", help="Source slug (repeatable).")]


def _present_countries(table: Any) -> set[str]:
    codes = table.select("country_iso3").distinct().to_pyarrow().column(0).to_pylist()
    return {str(c) for c in codes if c is not None}


def _filter(
    table: Any,
    country: list[str] | None,
    start: str | None,
    end: str | None,
    category: list[str] | None,
    actor: str | None,
    source: list[str] | None,
) -> EventFilter:
    end_date = parse_end(end, "to") if end else None
    if country:
        check_countries(country, _present_countries(table))
    return EventFilter(
        countries=tuple(c.upper() for c in country or ()),
        start=parse_date(start, "from") if start else None,
        end=end_date,
        categories=tuple(category or ()),
        actor=actor,
        sources=tuple(source or ()),
    )


def _batches(expr: Any) -> Iterator[pa.Table]:
    reader = expr.to_pyarrow_batches(chunk_size=100_000)
    for batch in reader:
        yield pa.Table.from_batches([batch])


def _write(expr: Any, fmt: str, out: Path | None, *, option: str = "format") -> int:
    from detente.events.export import write_events

    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown output format {fmt!r}; choose from table, {', '.join(EXPORT_FORMATS)}", field=option)
    if out is None:
        if fmt == "parquet":
            raise InputError("Parquet output needs --out FILE", field="out")
        return write_events(_batches(expr), fmt, sys.stdout.buffer)
    folder = out.parent
    if not folder.is_dir():
        raise InputError(f"the folder {folder} does not exist: create it first or choose another --out", field="out")
    if out.is_dir():
        raise InputError(f"{out} is a folder: give a file name", field="out")
    tmp = out.with_name(f".{out.name}.partial")
    try:
        n = write_events(_batches(expr), fmt, tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return n


def _shown(shown: int, matched: int) -> str:
    """``showing 50 of 16,566 events (use --limit 0 for all)``, or ``16 events`` when every match is shown."""
    if shown >= matched:
        return f"{matched:,} event{'s' if matched != 1 else ''}"
    return f"showing {shown:,} of {matched:,} events (use --limit N, or --limit 0 for all)"


@app.command()
@handle_errors
def summary(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Counts of events by source, country, year and category."""
    store = open_store(resolve_workspace(workspace))
    data = store.summary()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    console.print(
        f"[bold]{data['total']:,}[/] events, {data['date_range'][0]} … {data['date_range'][1]}, "
        f"{data['imports']} imports"
    )
    for key, title in (
        ("by_source", "source"),
        ("by_category", "category"),
        ("by_year", "year"),
        ("by_country", "country"),
    ):
        table = Table(title=f"by {title}", show_header=False, box=None)
        items = sorted(data[key].items(), key=lambda kv: (-kv[1], kv[0]))
        for name, n in items[:15]:
            table.add_row(name, f"{n:,}")
        if len(items) > 15:
            table.add_row(f"… {len(items) - 15} more", "")
        console.print(table)


@app.command()
@handle_errors
def query(
    country: CountryOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    category: CategoryOpt = None,
    actor: ActorOpt = None,
    source: SourceOpt = None,
    output: Annotated[str, typer.Option("--output", "-o", help="table, csv, json, geojson, parquet or hxl.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the terminal.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events (0 = all).")] = 50,
    workspace: WorkspaceOpt = None,
) -> None:
    """Events matching the filters, newest first."""
    store = open_store(resolve_workspace(workspace))
    t = store.table()
    expr = _filter(t, country, start, end, category, actor, source).apply(t)
    expr = expr.order_by([expr.date_start.desc(), expr.event_id])
    if limit < 0:
        raise InputError(f"--limit {limit}: give 0 (all) or a positive number", field="limit")
    matched = int(expr.count().to_pyarrow().as_py()) if output == "table" else None
    if limit:
        expr = expr.limit(limit)
    if output == "table":
        frame = expr.select(*TABLE_COLUMNS).to_pyarrow().to_pylist()
        table = Table(*TABLE_COLUMNS)
        for row in frame:
            table.add_row(*("" if row[c] is None else str(row[c]) for c in TABLE_COLUMNS))
        console.print(table)
        console.print(_shown(len(frame), matched or 0))
        return
    _write(expr, output, out, option="output")


@app.command()
@handle_errors
def export(
    out: Annotated[Path, typer.Argument(help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, json, geojson, parquet or hxl.")] = "parquet",
    country: CountryOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    category: CategoryOpt = None,
    actor: ActorOpt = None,
    source: SourceOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Export all events matching the filters to a file (written whole or not at all)."""
    store = open_store(resolve_workspace(workspace))
    t = store.table()
    expr = _filter(t, country, start, end, category, actor, source).apply(t)
    expr = expr.order_by([expr.date_start, expr.event_id])
    n = _write(expr, fmt, out)
    console.print(f"wrote {n:,} events to {out}")


@app.command()
@handle_errors
def coverage(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """What each source covers: first and last event, gaps, whether it carries deaths, location precision, and
    the months it covers per country (docs/coverage.md)."""
    from detente.events.coverage import month_label, store_coverage

    store = open_store(resolve_workspace(workspace))
    if store.count() == 0:
        raise InputError("the event store is empty: import events first", field="events")
    found = store_coverage(store.table())
    if as_json:
        typer.echo(json.dumps(found.as_dict(), indent=2))
        return
    for s in found.sources:
        deaths = f"deaths in {s.deaths_share:.0%} of events" if s.carries_deaths else "no deaths recorded"
        console.print(
            f"[bold]{s.source}[/] ({s.description}): {s.events:,} events, {s.first_event} … {s.last_event}; {deaths}",
            highlight=False,
        )
        gaps = ", ".join(month_label(m) for m in s.gaps) or "none"
        console.print(f"  gaps (months without any event): {gaps}", highlight=False)
        mix = ", ".join(f"{k} {v / s.events:.0%}" for k, v in s.geo_precision.items())
        console.print(f"  location precision: {mix}", highlight=False)
        table = Table("country", "months covered", "events", "last event", box=None, title=None)
        for c in s.countries:
            spans = ", ".join(f"{month_label(lo)} to {month_label(hi)}" for lo, hi in c.windows)
            table.add_row(f"{c.name} ({c.iso3})", spans, f"{c.events:,}", c.last_event.isoformat())
        console.print(table)
