"""``detente ledger``: verify a transparency-log bundle offline and produce proofs from it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from detente.cli.common import WorkspaceOpt, as_user, handle_errors, open_app
from detente.errors import DetenteError, KeyChangedError
from detente.verification.ledger import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    LedgerError,
    WitnessPolicy,
    generate_key,
    parse_vkey,
    verify_bundle,
)
from detente.verification.ledger.bundle import MANIFEST, BundleReport, bundle_policy, load_bundle_tree
from detente.verification.ledger.known_keys import KnownKeys, default_known_keys_path, fingerprint

if TYPE_CHECKING:
    from detente.services.caller import Caller
    from detente.services.context import AppContext
    from detente.services.witnesses import PolicyOut as WitnessPolicyOut

__all__ = ["app"]

app = typer.Typer(help="Transparency log: offline verification of bundles, inclusion and consistency proofs.")
proof_app = typer.Typer(help="Inclusion and consistency proofs computed from a bundle's entries.")
app.add_typer(proof_app, name="proof")


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _policy(log_key: str | None, witnesses: list[str], quorum: int | None) -> WitnessPolicy | None:
    if log_key is None:
        if witnesses or quorum is not None:
            raise typer.BadParameter("--witness and --quorum need --log-key")
        return None
    keys = tuple(parse_vkey(w) for w in witnesses)
    return WitnessPolicy(log=parse_vkey(log_key), witnesses=keys, quorum=len(keys) if quorum is None else quorum)


def _pin(bundle: Path, explicit: WitnessPolicy | None, known: KnownKeys, trusted: set[str]) -> None:
    """Pin the log key, the witness keys and the quorum (given, or the bundle's on first use); a changed one raises."""
    presented, required = bundle_policy(bundle)
    policy = explicit or presented
    if explicit is not None and explicit.log.name != presented.log.name:
        raise KeyChangedError(f"the bundle is the log {presented.log.name}, not {explicit.log.name} (--log-key)")
    known.pin_log(policy.log)
    if explicit is None:
        known.pin_log(presented.log)  # the same call: refuses a bundle whose key is not the one pinned
    for witness in policy.witnesses:
        known.pin_witness(witness)
    for witness in presented.witnesses:
        known.pin_witness(witness)
    known.pin_quorum(policy.log.name, explicit.quorum if explicit is not None else required)
    if explicit is None:
        known.pin_witness_set(presented.log.name, {w.name for w in presented.witnesses}, trusted)


def _check_consents(bundle: Path, report: BundleReport) -> None:
    """Every party's signed decision in the bundle, checked offline (``detente.verification.consent_check``)."""
    from detente.verification.consent_check import check_consents

    if report.origin is None:
        return
    try:
        manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
        lines = (bundle / str(manifest["entries"])).read_bytes().split(b"\n")
    except (OSError, ValueError, KeyError, TypeError):
        return  # the bundle check has said what is wrong with the files
    checked, problems = check_consents([line for line in lines if line], report.origin)
    report.consents_checked = checked
    for p in problems:
        report.add(p.code, p.message, f"entry {p.index}", p.severity)


def _print_report(report: BundleReport, console: Console, pinned: list[str]) -> None:
    for line in pinned:
        console.print(f"[yellow]{line}[/yellow]", highlight=False)
    if report.ok and report.accepted_unwitnessed:
        status = "[yellow]VERIFIED WITHOUT WITNESSES[/yellow]"
    else:
        status = "[green]VERIFIED[/green]" if report.ok else "[red]FAILED[/red]"
    console.print(
        f"{status} {report.path}: log {report.origin}, {report.entry_count} entries, root {report.root}; "
        f"{report.witnessed_size} entries covered by a checkpoint with {report.quorum} witness cosignatures; "
        f"{report.consents_checked} parties' signed decisions checked",
        highlight=False,
    )
    table = Table("checkpoint", "size", "log signature", "cosigned by", "quorum", "matches entries")
    for c in report.checkpoints:
        table.add_row(
            c.file,
            str(c.size),
            "yes" if c.signed else "[red]no[/red]",
            ", ".join(c.cosigned_by) or "-",
            "yes" if c.quorum_met else "[red]no[/red]",
            "yes" if c.matches_entries else "[red]no[/red]",
        )
    console.print(table)
    shown: dict[tuple[str, str], int] = {}
    for f in report.findings:
        seen = shown[(f.severity, f.code)] = shown.get((f.severity, f.code), 0) + 1
        if f.severity != "error" and seen > 2:
            continue  # warnings of one kind: the first two, then how many more (all of them in --json)
        colour = "red" if f.severity == "error" else "yellow"
        where = f" ({f.where})" if f.where else ""
        console.print(f"[{colour}]{f.severity}[/{colour}] {f.code}{where}: {f.message}", highlight=False)
    for (severity, code), count in shown.items():
        if severity != "error" and count > 2:
            console.print(f"[yellow]{severity}[/yellow] {code}: {count - 2} more like these (--json lists them)")
    if report.ok and report.accepted_unwitnessed:
        console.print(
            "[yellow]note[/yellow]: --allow-unwitnessed accepted what the witness policy does not: "
            + "; ".join(report.accepted_unwitnessed),
            highlight=False,
        )


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="bundle directory written by `detente ledger export`")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    log_key: Annotated[str | None, typer.Option(help="pin the log's verifier key (vkey) explicitly")] = None,
    witness: Annotated[list[str] | None, typer.Option(help="pin a witness vkey (repeat)")] = None,
    quorum: Annotated[int | None, typer.Option(help="witness cosignatures required (default: all pinned)")] = None,
    known: Annotated[
        list[Path] | None, typer.Option(help="a checkpoint note you saw before; the bundle must extend it")
    ] = None,
    known_keys: Annotated[
        Path | None,
        typer.Option(
            "--known-keys",
            help="file of pinned keys and verified heads (default: $DETENTE_KNOWN_KEYS or known_keys in the user's "
            "config directory for detente)",
        ),
    ] = None,
    allow_unwitnessed: Annotated[
        bool,
        typer.Option(help="accept entries without the witness quorum (said in the result) instead of failing"),
    ] = False,
    trust_witness: Annotated[
        list[str] | None,
        typer.Option(help="accept a witness this log names that you have not seen for it before (repeat)"),
    ] = None,
) -> None:
    """Check a bundle entirely offline against its witness policy, with keys pinned on first use.

    VERIFIED (exit 0) only when every entry is covered by a checkpoint signed by the pinned log key and cosigned by
    the policy's quorum of pinned witnesses; otherwise exit 1 with what is missing. A key that differs from the one
    pinned is refused (exit 1)."""
    try:
        explicit = _policy(log_key, witness or [], quorum)
        notes = [p.read_text(encoding="utf-8") for p in known or []]
        pins = KnownKeys.load(known_keys or default_known_keys_path())
        _pin(bundle, explicit, pins, set(trust_witness or []))
    except KeyChangedError as exc:
        typer.echo(f"error: {exc.one_line()} [{exc.code}]", err=True)
        raise typer.Exit(exc.exit_code) from exc
    except (LedgerError, OSError) as exc:
        typer.echo(f"error: {exc} [{getattr(exc, 'code', 'os_error')}]", err=True)
        raise typer.Exit(2) from exc
    report = verify_bundle(
        bundle,
        policy=explicit,
        known_checkpoints=notes,
        known_heads=[pins.heads[pins_origin]] if (pins_origin := _origin(bundle)) in pins.heads else [],
        strict=True,
        allow_unwitnessed=allow_unwitnessed,
    )
    _check_consents(bundle, report)
    if report.ok:
        head = next((c for c in report.checkpoints if c.size == report.witnessed_size and c.root), None)
        if head is not None and head.root is not None and report.origin is not None:
            pins.remember(report.origin, report.witnessed_size, bytes.fromhex(head.root))
        try:
            pins.save()
        except OSError as exc:
            typer.echo(f"error: cannot write the known keys {pins.path}: {exc.strerror or exc}", err=True)
            raise typer.Exit(2) from exc
    pinned = pins.pinned if report.ok else []
    if as_json:
        out = report.to_json()
        out["known_keys"] = str(pins.path)
        out["pinned"] = pinned
        out["log_fingerprint"] = fingerprint(pins.logs[report.origin]) if report.origin in pins.logs else None
        typer.echo(json.dumps(out, indent=2))
    else:
        _print_report(report, Console(), pinned)
    raise typer.Exit(0 if report.ok else 1)


def _origin(bundle: Path) -> str:
    return bundle_policy(bundle)[0].log.name


@proof_app.command("inclusion")
def inclusion(
    bundle: Path,
    index: int,
    size: Annotated[int | None, typer.Option(help="tree size (default: all entries)")] = None,
) -> None:
    """Print the inclusion proof of entry INDEX as JSON (hashes in base64)."""
    try:
        tree = load_bundle_tree(bundle)
        tree_size = tree.size if size is None else size
        proof = tree.inclusion_proof(index, tree_size)
        out = {
            "index": index,
            "tree_size": tree_size,
            "leaf_hash": _b64(tree.leaf_hash(index)),
            "root": _b64(tree.root(tree_size)),
            "proof": [_b64(p) for p in proof],
        }
    except (LedgerError, IndexError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(out, indent=2))


@proof_app.command("consistency")
def consistency(
    bundle: Path,
    size1: int,
    size2: Annotated[int | None, typer.Option(help="newer tree size (default: all entries)")] = None,
) -> None:
    """Print the consistency proof from SIZE1 to SIZE2 as JSON (hashes in base64)."""
    try:
        tree = load_bundle_tree(bundle)
        new = tree.size if size2 is None else size2
        proof = tree.consistency_proof(size1, new)
        out = {
            "size1": size1,
            "size2": new,
            "root1": _b64(tree.root(size1)),
            "root2": _b64(tree.root(new)),
            "proof": [_b64(p) for p in proof],
        }
    except LedgerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(out, indent=2))


@app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="bundle directory to write (must not exist or be empty)")],
    process: Annotated[int, typer.Option("--process", help="process id")],
    checkpoint: Annotated[
        bool, typer.Option(help="sign a checkpoint at the current size first (needs the workspace key vault)")
    ] = True,
    recipient: Annotated[
        str | None,
        typer.Option(
            "--for",
            help="the user the bundle is for: entries of records they may not read are withheld (leaf hash only)",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write the process's log from the database as a self-contained bundle (entries, checkpoints, keys).

    Give --for USER when the bundle leaves the operator: it then holds only what USER may read, and the leaf hash
    of every other entry, so USER can still verify the whole log. Without --for it holds every entry.
    """
    from detente.services.caller import operator
    from detente.services.ledger import export_bundle

    try:
        with open_app(workspace) as a:
            path = export_bundle(a, operator(), process, out, reader=recipient, checkpoint=checkpoint)
    except (DetenteError, LedgerError) as exc:
        typer.echo(f"error: {exc.one_line()} [{exc.code}]", err=True)
        raise typer.Exit(exc.exit_code) from exc
    if recipient is None:
        typer.echo("note: a full bundle holds every entry, including restricted ones; use --for USER to share it",
                   err=True)  # fmt: skip
    typer.echo(f"wrote {path}")


@app.command()
def keygen(
    name: Annotated[str, typer.Argument(help="key name, e.g. detente.example/process/42")],
    witness: Annotated[bool, typer.Option(help="a witness cosigning key (type 0x04)")] = False,
) -> None:
    """Print a new signer key (keep it secret) and its verifier key."""
    try:
        pair = generate_key(name, ALG_COSIGNATURE_V1 if witness else ALG_ED25519)
    except LedgerError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(pair.skey)
    typer.echo(pair.public.vkey)


@app.command("audit")
def audit_command(
    process: Annotated[
        int | None, typer.Option("--process", help="one process (default: every process with a log)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Recompute each log from its stored entries and compare every record's row with its log entry.

    Lists every row that disagrees with the log (what differs), and any damage to the stored tree. Exit code 0 when
    everything agrees, 1 when anything disagrees. Each disagreement is also an audit alert (``record.mismatch``)."""
    from detente.cli.common import open_app
    from detente.services.record_checks import audit_all, audit_process

    try:
        with open_app(workspace) as a:
            found = [audit_process(a, process)] if process is not None else audit_all(a, via="cli")
    except (DetenteError, LedgerError) as exc:
        typer.echo(f"error: {exc.one_line()} [{exc.code}]", err=True)
        raise typer.Exit(exc.exit_code) from exc
    bad = any(not f.ok for f in found)
    if as_json:
        typer.echo(json.dumps([f.model_dump() for f in found], indent=2))
        raise typer.Exit(1 if bad else 0)
    console = Console()
    for f in found:
        status = "[green]AGREES[/green]" if f.ok else "[red]DISAGREES[/red]"
        console.print(f"{status} process {f.process_id}, log {f.origin}: {f.entries} entries", highlight=False)
        for line in f.tree:
            console.print(f"  [red]log[/red] {line}", highlight=False)
        if f.records:
            table = Table("record", "id", "log entry", "what differs")
            for r in f.records:
                where = "-" if r.log_index is None else str(r.log_index)
                table.add_row(r.kind, str(r.record_id), where, "; ".join(r.fields))
            console.print(table)
    if not found:
        console.print("no process has a log yet")
    raise typer.Exit(1 if bad else 0)


witnesses_app = typer.Typer(help="The witnesses of a process's log: who must cosign its checkpoints.")
app.add_typer(witnesses_app, name="witnesses")


def _show_policy(policy: WitnessPolicyOut) -> None:
    typer.echo(f"quorum: {policy.quorum} of {len(policy.witnesses)} ({policy.rule})")
    for w in policy.witnesses:
        typer.echo(f"{w.slot}\t{w.name or '-'}\t{w.url or '-'}\t{w.vkey or '(no witness yet)'}")


@witnesses_app.command("list")
@handle_errors
def witnesses_list(
    process: Annotated[int, typer.Option("--process", help="process id")],
    user: Annotated[str | None, typer.Option("--user", envvar="DETENTE_USER", help="act as this user")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """The process's witness policy: each slot, the witness filling it and the quorum."""
    from detente.services.witnesses import list_witnesses

    with open_app(workspace) as a:
        _show_policy(list_witnesses(a, _caller(a, user), process))


@witnesses_app.command("add")
@handle_errors
def witnesses_add(
    process: Annotated[int, typer.Option("--process", help="process id")],
    vkey: Annotated[str, typer.Option("--vkey", help="the witness's verifier key (from `detente witness keygen`)")],
    url: Annotated[str | None, typer.Option("--url", help="the witness's URL (POST <url>/add-checkpoint)")] = None,
    slot: Annotated[
        str | None, typer.Option("--slot", help="party:<id> or observer (default: an extra witness)")
    ] = None,
    quorum: Annotated[int | None, typer.Option("--quorum", help="fix the quorum (default: a majority)")] = None,
    user: Annotated[str | None, typer.Option("--user", envvar="DETENTE_USER", help="act as this user")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Name a witness of the process's log (administrators and mediators of the process)."""
    from detente.services.witnesses import add_witness, list_witnesses

    with open_app(workspace) as a:
        caller = _caller(a, user)
        made = add_witness(a, caller, process, vkey=vkey, url=url, slot=slot, quorum=quorum)
        typer.echo(f"witness {made.name} holds {made.slot}")
        _show_policy(list_witnesses(a, caller, process))


@witnesses_app.command("remove")
@handle_errors
def witnesses_remove(
    process: Annotated[int, typer.Option("--process", help="process id")],
    which: Annotated[str, typer.Argument(help="the witness's name or slot")],
    user: Annotated[str | None, typer.Option("--user", envvar="DETENTE_USER", help="act as this user")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Remove a witness (a party's or the observer's slot stays in the policy, empty)."""
    from detente.services.witnesses import remove_witness

    with open_app(workspace) as a:
        removed = remove_witness(a, _caller(a, user), process, which)
        typer.echo(f"removed witness {removed.name or '-'} from {removed.slot}")


@app.command("cosign")
@handle_errors
def cosign(
    process: Annotated[int, typer.Option("--process", help="process id")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Ask the process's witnesses to cosign its latest checkpoint (again); exit 1 while the quorum is not met."""
    from detente.services.caller import operator
    from detente.services.witnesses import cosign as collect

    with open_app(workspace) as a:
        result = collect(a, operator(), process)
    typer.echo(f"checkpoint at size {result.size}: {len(result.cosigned)} of {result.quorum} cosignatures required")
    for name in result.cosigned:
        typer.echo(f"  cosigned: {name}")
    for name, why in sorted(result.failed.items()):
        typer.echo(f"  missing: {name}: {why}")
    raise typer.Exit(0 if result.quorum_met else 1)


def _caller(a: AppContext, user: str | None) -> Caller:
    from detente.services.caller import operator

    return operator() if user is None else as_user(a, user)
