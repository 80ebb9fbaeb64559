"""``detente keys`` and ``detente sign``: the key a party's representative signs its consent with.

The private key is made and kept on the representative's own machine (``keys new`` writes it to a file only its owner
reads); only the public key is registered with the process (``keys register``), and every registration is logged, so
each party sees which keys speak for which party. ``sign`` signs any file with it, offline.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import JsonOpt, UserOpt, WorkspaceOpt, as_user, console, handle_errors, open_app, print_json
from detente.errors import InputError
from detente.verification.ledger import KeyPair

__all__ = ["app", "read_key", "sign_command"]

app = typer.Typer(
    help="Party signing keys: make one on your own machine, register its public half, list, revoke; and the "
    "operator's rotation of the keys that seal stored data (rotate-master, rotate-data)."
)

ProcessOpt = Annotated[int, typer.Option("--process", help="process id")]
KeyFileOpt = Annotated[Path, typer.Option("--key", help="your private key file (from `detente keys new`)")]


def read_key(path: Path) -> KeyPair:
    """A private key file written by ``keys new`` (the C2SP signer-key string on one line)."""
    from detente.services.key_files import read_key_file

    return read_key_file(path)


@app.command("new")
@handle_errors
def new_key(
    name: Annotated[str, typer.Argument(help="a name for the key, e.g. arcadia-envoy-laptop (no spaces or '+')")],
    out: Annotated[Path, typer.Option("--out", help="where to write the private key (must not exist)")],
) -> None:
    """Make an Ed25519 key on this machine: the private key goes to OUT (readable by you only), the public key is
    printed — register it with `detente keys register` or paste it into the workbench."""
    from detente.services.key_files import new_key_file

    key = new_key_file(name, out)
    _show(key)
    console.print(
        f"private key written to {out} — keep it on this machine; it never needs to leave it", highlight=False
    )


def _show(key: KeyPair) -> None:
    from detente.services.consent import key_fingerprint

    console.print(f"public key:  {key.public.vkey}", highlight=False, soft_wrap=True)
    console.print(f"fingerprint: {key_fingerprint(key.public)}", highlight=False)


@app.command("show")
@handle_errors
def show_key(key: KeyFileOpt) -> None:
    """The public key and fingerprint of a private key file (to read out to the other parties or the mediator)."""
    _show(read_key(key))


@app.command("register")
@handle_errors
def register(
    process: ProcessOpt,
    user: UserOpt,
    key: Annotated[
        Path | None, typer.Option("--key", help="your private key file (only its public half is sent)")
    ] = None,
    public: Annotated[str | None, typer.Option("--public", help="or the public key itself")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a public key that signs for USER's party (party representatives; logged for every party to see)."""
    from detente.services import consent

    if (key is None) == (public is None):
        raise InputError("give --key or --public", field="key")
    vkey = read_key(key).public.vkey if key is not None else str(public)
    with open_app(workspace) as a:
        made = consent.register_key(a, as_user(a, user), process, vkey)
    if as_json:
        print_json(made)
        return
    console.print(f"key {made.id} now signs for {made.party}: {made.fingerprint}", highlight=False)


@app.command("list")
@handle_errors
def list_keys(process: ProcessOpt, user: UserOpt, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Every key that signs, or signed, for a party of the process."""
    from detente.services import consent
    from detente.services.record_checks import refuse_disagreement

    with open_app(workspace) as a:
        found = consent.list_keys(a, as_user(a, user), process)
    refuse_disagreement(found.log_check)
    if as_json:
        print_json(found.keys)
        return
    for k in found.keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
        console.print(f"{k.id:>4}  {k.party}  {k.user}  {k.fingerprint}  {state}", highlight=False)


@app.command("revoke")
@handle_errors
def revoke(
    key_id: Annotated[int, typer.Argument(help="the key's id (see `detente keys list`)")],
    process: ProcessOpt,
    user: UserOpt,
    workspace: WorkspaceOpt = None,
) -> None:
    """Stop one of your party's keys from signing (what it signed stays valid)."""
    from detente.services import consent

    with open_app(workspace) as a:
        done = consent.revoke_key(a, as_user(a, user), process, key_id)
    console.print(f"key {done.id} of {done.party} no longer signs", highlight=False)


@handle_errors
def sign_command(
    file: Annotated[Path, typer.Argument(help="the file to sign, e.g. a consent statement")],
    key: KeyFileOpt,
) -> None:
    """Sign FILE's exact bytes with your private key, offline; prints the signature (base64)."""
    signer = read_key(key)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path=file) from exc
    typer.echo(base64.b64encode(signer.sign(data)).decode("ascii"))


@app.command("rotate-master")
@handle_errors
def rotate_master_command(
    new_key_file: Annotated[
        Path | None,
        typer.Option(
            "--new-key-file",
            help="write the new master key here (must not exist); needed when DETENTE_MASTER_KEY holds the key, "
            "otherwise the configured key file is replaced",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replace the master key: every data key is re-wrapped and every signing key re-sealed with a new one, in one
    transaction; no sealed value is touched. Stop the server first; start it again with the new key."""
    from detente.services.caller import operator
    from detente.services.master_keys import rotate_master

    with open_app(workspace) as a:
        done = rotate_master(a, operator(), new_key_file=new_key_file)
    if as_json:
        print_json(done.model_dump())
        return
    console.print(
        f"master key {done.old} replaced by {done.new}: {done.data_keys} data keys re-wrapped, "
        f"{done.signing_keys} signing keys re-sealed",
        highlight=False,
    )
    console.print(f"the new key is in {done.key_file}", highlight=False)
    if done.restart_needed:
        console.print(
            "point DETENTE_MASTER_KEY (its base64) or DETENTE_MASTER_KEY_FILE at it before the next start; "
            "keep the old key until then",
            highlight=False,
        )


@app.command("rotate-data")
@handle_errors
def rotate_data_command(
    process: Annotated[
        list[int] | None, typer.Option("--process", help="a process whose data key to replace (repeat); default all")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start new data keys: values written from now on are sealed with new keys; the old keys still open what they
    sealed. Running servers follow within a minute."""
    from detente.services.caller import operator
    from detente.services.master_keys import rotate_data_keys

    with open_app(workspace) as a:
        done = rotate_data_keys(a, operator(), process_ids=process or None)
    if as_json:
        print_json(done.model_dump())
        return
    console.print(f"{done.retired} data keys retired ({', '.join(done.domains)})", highlight=False)
