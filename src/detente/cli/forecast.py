"""``detente forecast`` (backtests and forecasts) and ``detente watchlist``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import WorkspaceOpt, console, err_console, handle_errors, resolve_workspace

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


CovariatesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--covariates",
        help="A covariate CSV (unit, period, numeric columns) joined onto the panel as features of Détente's model; "
        "repeatable. Periods are years (YYYY) or months (YYYY-MM) as the config's. See docs/warning.md.",
        show_default=False,
    ),
]
CovUnitOpt = Annotated[str, typer.Option("--covariate-unit", help="Name of the unit column of the covariate files.")]
CovPeriodOpt = Annotated[
    str, typer.Option("--covariate-period", help="Name of the period column of the covariate files.")
]


def _covariates(config: str, paths: list[Path] | None, unit: str, period: str) -> list[Any]:
    from detente.warning.covariates import load_for_config

    return load_for_config(config, paths or [], unit=unit, period=period)


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
    covariates: CovariatesOpt = None,
    covariate_unit: CovUnitOpt = "unit",
    covariate_period: CovPeriodOpt = "period",
) -> None:
    """Run a named rolling-origin backtest and print every metric of every model (and, for ged-syria-monthly, the
    detection and false-alarm rates of the escalation alerts)."""
    from detente.warning import run_backtest
    from detente.warning.report import write_report

    covs = _covariates(config, covariates, covariate_unit, covariate_period)
    with _OriginBar() as bar:
        result = run_backtest(config, _data(data), reduced=reduced, covariates=covs, progress=bar)
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
    if doc.get("alerts"):
        _print_alert_rates(doc["alerts"])


class _OriginBar:
    """A progress bar per outcome (and level) on stderr, advanced after each origin of a walk-forward backtest."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bars = Progress(TextColumn("backtest {task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("origins"), TimeElapsedColumn(), console=err_console)  # fmt: skip
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _OriginBar:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def __call__(self, what: str, done: int, total: int) -> None:
        if what not in self.tasks:
            self.tasks[what] = self.bars.add_task(what, total=total)
        self.bars.update(self.tasks[what], completed=done, total=total)


def _print_alert_rates(alerts: dict[str, Any]) -> None:
    def num(value: float | None, fmt: str = ".3f") -> str:
        return "-" if value is None else format(value, fmt)

    for level, block in alerts.items():
        table = Table("alpha", "alerts", "escalations", "detection", "false alarm", "precision", "episodes warned",
                      "lead time (mean, months)",
                      title=f"Escalation alerts, {level}: {block['origins'][0]}..{block['origins'][-1]}, stated alpha "
                      f"{block['rule']['alpha']}")  # fmt: skip
        for r in block["thresholds"]:
            table.add_row(f"{r['alpha']:g}", f"{r['alerts']:g}", f"{r['escalations']:g}", num(r["detection_rate"]),
                          num(r["false_alarm_rate"]), num(r["precision"]),
                          f"{r['episodes_warned']:g}/{r['episodes']:g}", num(r["lead_time_mean"], ".2f"))  # fmt: skip
        console.print(table)
        console.print(f"event: {block['event']}")


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
    covariates: CovariatesOpt = None,
    covariate_unit: CovUnitOpt = "unit",
    covariate_period: CovPeriodOpt = "period",
    backtest: Annotated[
        Path | None,
        typer.Option(
            "--backtest",
            help="A backtest JSON of the same config (detente forecast backtest --json): each probability then says "
            "how often the backtest's forecasts in its bin came true (backtest_* columns).",
        ),
    ] = None,
) -> None:
    """Forecast every unit as of a period: probability or quantiles, rank, change and top drivers (CSV)."""
    import pandas as pd

    from detente.warning.forecast import run_forecast

    prev = pd.read_csv(previous, dtype={"unit": str}) if previous is not None else None
    if prev is not None and "probability" not in prev.columns:
        raise typer.BadParameter("--previous is not a forecast file (no probability column)")
    covs = _covariates(config, covariates, covariate_unit, covariate_period)
    doc = _backtest_doc(backtest) if backtest is not None else None
    result = run_forecast(config, _data(data), as_of, previous=prev, outcome=outcome, covariates=covs, backtest=doc)
    if config != "ged-syria-monthly":
        _warn_calibration(result.table, backtest is not None)
    if out is None:
        typer.echo(result.table.to_csv(index=False, float_format="%.6g"), nl=False)
    else:
        result.write_csv(out)
        console.print(f"wrote {len(result.table)} forecasts to {out}")


def _backtest_doc(path: Path) -> dict[str, Any]:
    from detente.errors import WarningDataError

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WarningDataError(f"cannot read the backtest JSON ({exc})", path=path) from exc
    if not isinstance(doc, dict) or "calibration" not in doc:
        raise WarningDataError("not a backtest JSON with a calibration table", path=path, field="calibration")
    return doc


def _warn_calibration(table: Any, known: bool) -> None:
    """On stderr: how often the backtest's forecasts like the top ones came true, or how to find out."""
    if not known:
        err_console.print(
            "note: how often forecasts like these came true is not shown; run `detente forecast backtest --config "
            "... --json > backtest.json` and pass --backtest backtest.json",
            highlight=False,
            markup=False,
        )
        return
    for r in table.head(5).itertuples(index=False):
        if r.backtest_count == r.backtest_count:  # not NaN
            err_console.print(
                f"{r.unit_name}: {r.probability:.3f}; in the backtest, forecasts in the same decile came true "
                f"{r.backtest_observed:.1%} of the time (95% interval {r.backtest_observed_low:.1%}-"
                f"{r.backtest_observed_high:.1%}, {int(r.backtest_count)} forecasts)",
                highlight=False,
                markup=False,
            )


@watchlist_app.callback(invoke_without_command=True)
@handle_errors
def watchlist(
    workspace: WorkspaceOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Month YYYY-MM (default for the store: the latest complete month).")
    ] = None,
    config: Annotated[
        str,
        typer.Option(
            "--config",
            help="store: the workspace's own event store (as the web page); "
            "ged-syria-monthly: the UCDP GED Syria file of the data folder.",
        ),
    ] = "store",
    data: DataOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the watchlist as JSON.")] = False,
    top: Annotated[int, typer.Option(help="Show the top N units.")] = 15,
    threshold: Annotated[int, typer.Option(help="store: rank by P(at least N deaths next month).")] = 25,
    backtest_months: Annotated[
        int,
        typer.Option(
            "--backtest-months",
            help="store: origins of the rolling-origin backtest that chooses the model ranking the units.",
        ),
    ] = 12,
) -> None:
    """Ranked units with forecast, 90 % interval, change, alert level and drivers: of the workspace's event store
    (default; ranked by the model its own backtest chooses, and the table says which and why), or of the admin1
    units of the GED Syria data (``--config ged-syria-monthly``)."""
    import datetime as dt

    from detente.errors import UnknownConfigError, WarningDataError

    if config == "store":
        from detente.warning.store_config import StoreConfig
        from detente.warning.watchlist import store_watchlist

        settings = StoreConfig(threshold=threshold, origins=backtest_months)
        now = dt.datetime.now(dt.UTC)
        with _OriginBar() as bar:
            doc = store_watchlist(resolve_workspace(workspace), now=now, as_of=as_of, config=settings, progress=bar)
    elif config == "ged-syria-monthly":
        from detente.warning.watchlist import syria_watchlist

        if as_of is None:
            raise WarningDataError("--as-of YYYY-MM is needed for ged-syria-monthly", field="as_of")
        doc = syria_watchlist(_data(data), as_of)
    else:
        raise UnknownConfigError(f"no watchlist configuration {config!r}; known: store, ged-syria-monthly")
    if as_json:
        typer.echo(json.dumps(doc, indent=2, default=str))
        return
    _print_watchlist(doc, top)


def _freshness(entry: dict[str, Any]) -> str:
    """``ucdp_ged to 2019-11 (31 months old)`` per source of a unit."""
    parts = []
    for src in entry.get("sources") or []:
        behind = int(src["months_behind"])
        age = "current" if behind == 0 else f"{behind} month{'s' if behind != 1 else ''} old"
        deaths = "" if src["carries_deaths"] else ", no deaths"
        parts.append(f"{src['source']} to {src['last_month']} ({age}{deaths})")
    return "; ".join(parts) or "-"


def _print_watchlist(doc: dict[str, Any], top: int) -> None:
    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    store = "threshold" in doc
    columns = ["rank", "unit", *([f"P>={doc['threshold']}"] if store else []), "forecast", "90% interval", "change",
               "level", "alert events", "top driver", *(["data (sources, freshness)"] if store else [])]  # fmt: skip
    table = Table(*columns, title=f"Watchlist as of {doc['as_of']}: {doc['target']}")
    if store:
        console.print(f"Ranked by {doc['ranked_by']['chosen_label']}: {doc['ranked_by']['reason']}", soft_wrap=True)
    ranked = [e for e in doc["units"] if e.get("rank") is not None]
    for e in ranked[:top]:
        lo, hi = e["interval90"] or (None, None)
        events = len(e["alert"]["events"]) if e["alert"] else 0
        first = e["drivers"][0] if e["drivers"] else None  # a baseline has no drivers
        driver = "-" if first is None else str(first.get("text") or first["feature"])
        row = [str(e["rank"]), str(e["unit_name"]), *([num(e["p_exceed"], ".3f")] if store else []),
               num(e["forecast"], ".1f"), f"{num(lo, 'g')}–{num(hi, 'g')}", num(e["change"], "+.1f"), e["level"],
               str(events), driver, *([_freshness(e)] if store else [])]  # fmt: skip
        table.add_row(*row)
    if ranked:
        console.print(table)
    else:
        console.print(f"No unit can be forecast as of {doc['as_of']}: none has data enough in that month.")
    others = [e for e in doc["units"] if e.get("rank") is None]
    if others:
        console.print(f"[bold]No forecast for {doc['as_of']}[/] ({len(others)} units): no data is not zero")
        for e in others:
            console.print(
                f"  {e['unit_name']}: [bold]{e['status']}[/], {e['status_text']}; sources: {_freshness(e)}",
                highlight=False,
            )
    rule = doc["alert_rule"]
    console.print(
        f"alerts: {rule['test']}, alpha {rule['alpha']}, window {rule['window']}; simulated false-alarm rate "
        f"{rule['false_alarm_rate']:.3f}, detection rate (3x surge) {rule['detection_rate']:.3f}; measured on the "
        "GED Syria data: detente forecast backtest --config ged-syria-monthly"
    )
    if store:
        console.print(
            f"as of {doc['as_of']} (default: {doc['default_as_of']}, the last month with data for the units shown); "
            f"drivers' levels: {doc['driver_level_rule']}"
        )
        console.print(f"computed {doc['computed_at']} in {doc['duration_seconds']} s from store {doc['store_version']}")
