"""``detente verify accept | decline | statement | decide | amend | withdraw | proposals``: consent of the bound
party from the command line.

``accept`` and ``decline`` fetch the statement for USER's party, check on this machine that the log entry it names
hashes to its leaf hash and show what is being accepted, sign it with the private key file (which never leaves this
process) and submit the signature. ``statement`` and ``decide`` split that in two, for a key kept on another machine:
sign the statement there with ``detente sign``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import JsonOpt, UserOpt, WorkspaceOpt, as_user, console, handle_errors, open_app, print_json
from detente.cli.keys import KeyFileOpt, read_key
from detente.cli.verify import ProcessOpt, app
from detente.errors import InputError, StoreError

__all__ = ["app"]

CommitmentArg = Annotated[int, typer.Argument(help="the proposal's commitment id")]


def _checked(statement: object, *, quiet: bool = False) -> str:
    """The statement's text, once the entry it names is seen to hash to its leaf hash here (not taken on trust)."""
    from detente.services.consent import StatementOut
    from detente.verification.ledger import leaf_hash

    assert isinstance(statement, StatementOut)
    entry = base64.b64decode(statement.entry)
    if base64.b64encode(leaf_hash(entry)).decode("ascii") != statement.leaf_hash:
        raise StoreError("the log entry sent for signing does not hash to the leaf hash in the statement: not signed")
    if quiet:
        return statement.statement
    body = json.loads(entry).get("body", {})
    shown = body.get("commitment", {})
    console.print(f"{statement.decision.upper()} for {statement.party}: {shown.get('title', '')!r}", highlight=False)
    console.print(f"  {shown.get('text', '')}", highlight=False)
    return statement.statement


def _decide(process: int, user: str, commitment: int, key: Path, decision: str, reason: str, workspace: Path | None,
            as_json: bool) -> None:  # fmt: skip
    from detente.services import consent

    signer = read_key(key)
    with open_app(workspace) as a:
        caller = as_user(a, user)
        statement = consent.statement_for(a, caller, process, commitment, decision=decision, reason=reason)
        text = _checked(statement, quiet=as_json)
        signature = base64.b64encode(signer.sign(text.encode("utf-8"))).decode("ascii")
        made = consent.decide(a, caller, process, commitment, decision=decision, reason=reason, signature=signature)
    if as_json:
        print_json(made)
        return
    console.print(f"commitment {made.id}: {made.state}" + (f" (awaiting {', '.join(made.awaiting)})"
                                                          if made.awaiting else ""), highlight=False)  # fmt: skip


@app.command("accept")
@handle_errors
def accept(
    commitment: CommitmentArg,
    process: ProcessOpt,
    user: UserOpt,
    key: KeyFileOpt,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Accept, for USER's party, a proposal that binds it — signed here with your key."""
    _decide(process, user, commitment, key, "accept", "", workspace, as_json)


@app.command("decline")
@handle_errors
def decline(
    commitment: CommitmentArg,
    process: ProcessOpt,
    user: UserOpt,
    key: KeyFileOpt,
    reason: Annotated[str, typer.Option(help="why your party declines (logged)")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decline, for USER's party, a proposal that binds it (with the reason) — signed here with your key."""
    _decide(process, user, commitment, key, "decline", reason, workspace, as_json)


@app.command("statement")
@handle_errors
def statement(
    commitment: CommitmentArg,
    process: ProcessOpt,
    user: UserOpt,
    decision: Annotated[str, typer.Option(help="accept or decline")],
    out: Annotated[Path, typer.Option("--out", help="where to write the statement to sign")],
    reason: Annotated[str, typer.Option(help="why (to decline)")] = "",
    workspace: WorkspaceOpt = None,
) -> None:
    """Write the statement USER's party signs, to sign it on another machine with `detente sign`."""
    from detente.services import consent

    with open_app(workspace) as a:
        found = consent.statement_for(a, as_user(a, user), process, commitment, decision=decision, reason=reason)
    text = _checked(found)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the statement ({exc.strerror or exc})", path=out) from exc
    console.print(f"statement written to {out}: sign it with `detente sign {out} --key YOUR_KEY`", highlight=False)


@app.command("decide")
@handle_errors
def decide(
    commitment: CommitmentArg,
    process: ProcessOpt,
    user: UserOpt,
    decision: Annotated[str, typer.Option(help="accept or decline")],
    signature: Annotated[str, typer.Option(help="the signature `detente sign` printed")],
    reason: Annotated[str, typer.Option(help="why (to decline; the same as in the statement)")] = "",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Submit a decision signed elsewhere (see `detente verify statement`)."""
    from detente.services import consent

    with open_app(workspace) as a:
        made = consent.decide(a, as_user(a, user), process, commitment, decision=decision, reason=reason,
                              signature=signature)  # fmt: skip
    if as_json:
        print_json(made)
        return
    console.print(f"commitment {made.id}: {made.state}", highlight=False)


@app.command("amend")
@handle_errors
def amend(
    commitment: CommitmentArg,
    file: Annotated[Path, typer.Argument(help="the new text, as JSON (the shape of `detente verify commitment`)")],
    process: ProcessOpt,
    user: UserOpt,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose a new text for a commitment in force (every party bound by either text must accept it)."""
    from detente.cli.common import read_json
    from detente.services import consent

    data = read_json(file)
    with open_app(workspace) as a:
        made = consent.propose_amendment(a, as_user(a, user), process, commitment, data)
    if as_json:
        print_json(made)
        return
    console.print(f"proposal {made.id} amends commitment {commitment}; awaiting {', '.join(made.awaiting)}")


@app.command("withdraw")
@handle_errors
def withdraw(
    commitment: CommitmentArg,
    process: ProcessOpt,
    user: UserOpt,
    reason: Annotated[str, typer.Option(help="why it should end (logged)")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose to end a commitment in force (every party it binds must accept)."""
    from detente.services import consent

    with open_app(workspace) as a:
        made = consent.propose_withdrawal(a, as_user(a, user), process, commitment, reason=reason)
    if as_json:
        print_json(made)
        return
    console.print(f"proposal {made.id} withdraws commitment {commitment}; awaiting {', '.join(made.awaiting)}")


@app.command("proposals")
@handle_errors
def proposals(process: ProcessOpt, user: UserOpt, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Proposals USER may read that are not in force: open ones first (awaiting whom), then declined and expired."""
    from detente.services import consent
    from detente.services.record_checks import refuse_disagreement

    with open_app(workspace) as a:
        found = consent.proposals(a, as_user(a, user), process)
    refuse_disagreement(found.log_check)
    if as_json:
        print_json(found.proposals)
        return
    for p in found.proposals:
        waiting = f" — awaiting {', '.join(p.awaiting)}" if p.awaiting else ""
        console.print(f"{p.id:>5}  {p.change:<10} {p.state:<10} {p.title}{waiting}", highlight=False)
