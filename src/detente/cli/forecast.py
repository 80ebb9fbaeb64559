"""``detente forecast`` (backtests and forecasts) and ``detente watchlist``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from detente.cli.common import console, handle_errors

__all__ = ["app", "watchlist_app"]

app = typer.Typer(help="Early warning: rolling-origin backtests and forecasts with drivers.", no_args_is_help=True)
watchlist_app = typer.Typer(help="Ranked units with forecast, uncertainty, change, alerts and drivers.")

DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data",
        envvar="DETENTE_DATA_DIR",
        help="Data folder laid out as shared/data (ucdp_brd/, ucdp_acd/, country_codes/, early_warning_project/, …).",
        show_default=False,
    ),
]


def _data(data: Path | None) -> Path:
    if data is not None:
        return data
    shared = os.environ.get("DETENTE_SHARED_DIR")
    if shared:
        return Path(shared) / "data"
    from detente.errors import ConfigError

    raise ConfigError("no data folder: pass --data DIR or set DETENTE_DATA_DIR")


@app.command()
@handle_errors
def backtest(
    config: Annotated[str, typer.Option("--config", help="ucdp-country-year, ewp-mass-killing or ged-syria-monthly")],
    data: DataOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    reduced: Annotated[bool, typer.Option("--reduced", help="Fewer origins (the fast CI configuration).")] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Write metric tables, predictions and reliability diagrams here.")
    ] = None,
) -> None:
    """Run a named rolling-origin backtest and print every metric of every model."""
    from detente.warning import run_backtest
    from detente.warning.report import write_report

    result = run_backtest(config, _data(data), reduced=reduced)
    if out_dir is not None:
        write_report(result, out_dir)
    doc = result.as_json()
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
        return
    metrics = sorted({k for vals in doc["models"].values() for k in vals})
    table = Table("metric", *doc["models"].keys(), title=f"{config}{' (reduced)' if reduced else ''}")
    for m in metrics:
        table.add_row(m, *(f"{v[m]:.4f}" if v.get(m) is not None else "-" for v in doc["models"].values()))
    console.print(table)


@app.command()
@handle_errors
def run(
    config: Annotated[str, typer.Option("--config", help="ucdp-country-year, ewp-mass-killing or ged-syria-monthly")],
    as_of: Annotated[str, typer.Option("--as-of", help="Forecast origin: YYYY (annual) or YYYY-MM (monthly).")],
    data: DataOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the forecast CSV here (default: stdout).")] = None,
    previous: Annotated[
        Path | None, typer.Option("--previous", help="A previous forecast CSV to compute the change against.")
    ] = None,
    outcome: Annotated[str, typer.Option(help="ucdp-country-year only: bd25 or onset.")] = "bd25",
) -> None:
    """Forecast every unit as of a period: probability or quantiles, rank, change and top drivers (CSV)."""
    import pandas as pd

    from detente.warning.forecast import run_forecast

    prev = pd.read_csv(previous, dtype={"unit": str}) if previous is not None else None
    if prev is not None and "probability" not in prev.columns:
        raise typer.BadParameter("--previous is not a forecast file (no probability column)")
    result = run_forecast(config, _data(data), as_of, previous=prev, outcome=outcome)
    if out is None:
        typer.echo(result.table.to_csv(index=False, float_format="%.6g"), nl=False)
    else:
        result.write_csv(out)
        console.print(f"wrote {len(result.table)} forecasts to {out}")


@watchlist_app.callback(invoke_without_command=True)
@handle_errors
def watchlist(
    as_of: Annotated[str, typer.Option("--as-of", help="Month YYYY-MM.")],
    data: DataOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the watchlist as JSON.")] = False,
    top: Annotated[int, typer.Option(help="Show the top N units.")] = 15,
) -> None:
    """Ranked admin1 units of the GED Syria data: forecast, 90 % interval, change, alert level, drivers."""
    from detente.warning.watchlist import syria_watchlist

    doc = syria_watchlist(_data(data), as_of)
    if as_json:
        typer.echo(json.dumps(doc, indent=2, default=str))
        return
    table = Table("rank", "unit", "forecast", "90% interval", "change", "level", "alert events", "top driver",
                  title=f"Watchlist as of {doc['as_of']}: {doc['target']}")  # fmt: skip
    for e in doc["units"][:top]:
        lo, hi = e["interval90"] or ("-", "-")
        events = len(e["alert"]["events"]) if e["alert"] else 0
        table.add_row(str(e["rank"]), str(e["unit_name"]), f"{e['forecast']:.1f}", f"{lo:g}–{hi:g}",
                      f"{e['change']:+.1f}", e["level"], str(events), str(e["drivers"][0]["feature"]))  # fmt: skip
    console.print(table)
    rule = doc["alert_rule"]
    console.print(
        f"alerts: {rule['test']}, alpha {rule['alpha']}, window {rule['window']}; simulated false-alarm rate "
        f"{rule['false_alarm_rate']:.3f}, detection rate (3x surge) {rule['detection_rate']:.3f}"
    )
