"""The ``detente`` command: composition root of the CLI."""

from __future__ import annotations

from typing import Annotated

import typer

from detente import __version__
from detente.cli import actors, cbm, consent, events, forecast, keys, ledger, verify, witness
from detente.cli.ingest import ingest_command
from detente.cli.processes import notes_app, process_app
from detente.cli.web import demo_command, serve_command, users_app

__all__ = ["app", "main"]

assert consent.app is verify.app  # detente verify accept | decline | … are registered on the verify group

app = typer.Typer(
    name="detente",
    help="Détente: conflict early warning, actors, confidence-building plans and verifiable commitments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"detente {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Détente: conflict early warning, actors, confidence-building plans and verifiable commitments."""


app.command("ingest")(ingest_command)
app.add_typer(events.app, name="events")
app.add_typer(ledger.app, name="ledger")
app.add_typer(witness.app, name="witness")
app.add_typer(actors.app, name="actors")
app.add_typer(cbm.app, name="cbm")
app.add_typer(verify.app, name="verify")  # with the consent commands of detente.cli.consent
app.add_typer(keys.app, name="keys")
app.command("sign")(keys.sign_command)
app.add_typer(process_app, name="process")
app.add_typer(notes_app, name="notes")
app.add_typer(forecast.app, name="forecast")
app.add_typer(forecast.watchlist_app, name="watchlist")
app.command("demo")(demo_command)
app.command("serve")(serve_command)
app.add_typer(users_app, name="users")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
