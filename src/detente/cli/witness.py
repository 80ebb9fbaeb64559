"""``detente witness``: run a witness of Détente logs (the C2SP tlog-witness protocol), make its key, name the logs
it witnesses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import console, handle_errors

__all__ = ["app"]

app = typer.Typer(help="A witness: cosigns a log's checkpoints only while the log keeps one append-only history.")

KeyOpt = Annotated[Path, typer.Option("--key", help="the witness's signing key file (from `detente witness keygen`)")]
StateOpt = Annotated[
    Path, typer.Option("--state", help="the witness's state: a directory, or a .sqlite3 file (kept across restarts)")
]


@app.command("keygen")
@handle_errors
def keygen(
    name: Annotated[str, typer.Option("--name", help="the witness's name, e.g. witness.example.org/party-a")],
    out: Annotated[Path, typer.Option("--out", help="file to write the signing key to (must not exist)")],
) -> None:
    """Write a new witness signing key and print its verifier key (give that to the log's mediator)."""
    from detente.services.witness import witness_keygen

    public = witness_keygen(name, out)
    typer.echo(public.vkey)


@app.command("add-log")
@handle_errors
def add_log(
    state: StateOpt,
    origin: Annotated[str, typer.Option("--origin", help="the log's origin line")],
    vkey: Annotated[str, typer.Option("--vkey", help="the log's verifier key")],
) -> None:
    """Witness one more log (its origin and key, as the verify page or `detente ledger witnesses list` shows)."""
    from detente.services.witness import add_log as add

    key = add(state, origin, vkey)
    typer.echo(f"witnessing {key.name} ({key.vkey})")


@app.command("serve")
@handle_errors
def serve(
    key: KeyOpt,
    state: StateOpt,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port to listen on")] = 7380,
) -> None:
    """Serve POST /add-checkpoint until stopped."""
    import uvicorn

    from detente.clock import system_clock
    from detente.services.witness import WitnessServer, load_witness_key
    from detente.web.witness import create_witness_app

    server = WitnessServer(load_witness_key(key), state, clock=system_clock)
    console.print(f"witness {server.vkey} on http://{host}:{port}/add-checkpoint (state {server.store.path})")
    uvicorn.run(create_witness_app(server), host=host, port=port, log_level="warning")
