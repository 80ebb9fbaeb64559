"""``detente process …`` and ``detente notes …``: processes, their parties and members, and labelled notes from the
command line — a thin shell over :mod:`detente.services.processes` and :mod:`detente.services.notes` (the
workbench's use cases and access rules). ``--user`` names who acts; without it, process administration runs as
the operator at the installation's command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from detente.cli.common import (
    JsonOpt,
    UserOpt,
    WorkspaceOpt,
    as_user,
    console,
    handle_errors,
    open_app,
    print_json,
)

if TYPE_CHECKING:
    from detente.services.caller import Caller
    from detente.services.context import AppContext

__all__ = ["notes_app", "process_app"]

process_app = typer.Typer(help="Processes, their parties and members.", no_args_is_help=True)
notes_app = typer.Typer(help="A process's notes, each under a visibility label.", no_args_is_help=True)

MaybeUserOpt = Annotated[
    str | None,
    typer.Option("--user", envvar="DETENTE_USER", help="Username of the person acting (default: the operator)."),
]
ProcessOpt = Annotated[int, typer.Option("--process", help="process id")]


def _caller(app: AppContext, user: str | None) -> Caller:
    from detente.services.caller import operator

    return as_user(app, user) if user else operator()


@process_app.command("list")
@handle_errors
def list_command(user: UserOpt, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The processes USER takes part in (every one for an instance administrator)."""
    from detente.services import processes

    with open_app(workspace) as a:
        found = processes.list_processes(a, as_user(a, user))
    if as_json:
        print_json(found)
        return
    for p in found:
        role = p.my_role.replace("_", " ") if p.my_role else "-"
        console.print(f"{p.id:>4}  {p.name}  ({role}){'  FICTIONAL' if p.fictional else ''}", highlight=False)


@process_app.command("create")
@handle_errors
def create_command(
    name: Annotated[str, typer.Argument(help="The process's name.")],
    party: Annotated[list[str] | None, typer.Option("--party", help="A party (repeat).")] = None,
    description: Annotated[str, typer.Option(help="What the process is.")] = "",
    user: MaybeUserOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a process with its parties (an instance administrator, or the operator)."""
    from detente.services import processes

    with open_app(workspace) as a:
        made = processes.create_process(a, _caller(a, user), name, description, party or [])
    if as_json:
        print_json(made)
        return
    console.print(f"process {made.id}: {made.name}", highlight=False)


@process_app.command("show")
@handle_errors
def show_command(
    process_id: Annotated[int, typer.Argument(help="process id")],
    user: UserOpt,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The process: parties, members, and the labels USER reads and may create."""
    from detente.services import processes

    with open_app(workspace) as a:
        view = processes.process_detail(a, as_user(a, user), process_id)
    if as_json:
        print_json(view)
        return
    console.print(f"[bold]{view.name}[/]{' (FICTIONAL)' if view.fictional else ''}", highlight=False)
    console.print("parties: " + ", ".join(f"{p.name} ({p.id})" for p in view.parties), highlight=False)
    for m in view.members:
        party = f" of {m.party}" if m.party else ""
        console.print(f"  {m.username}: {m.role.replace('_', ' ')}{party}", highlight=False)


@process_app.command("add-party")
@handle_errors
def add_party_command(
    process_id: Annotated[int, typer.Argument(help="process id")],
    name: Annotated[str, typer.Argument(help="the party's name")],
    user: MaybeUserOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a party to the process (its administrators)."""
    from detente.services import processes

    with open_app(workspace) as a:
        made = processes.add_party(a, _caller(a, user), process_id, name)
    if as_json:
        print_json(made)
        return
    console.print(f"party {made.id}: {made.name}", highlight=False)


@process_app.command("member")
@handle_errors
def member_command(
    process_id: Annotated[int, typer.Argument(help="process id")],
    username: Annotated[str, typer.Argument(help="the member's username")],
    role: Annotated[str, typer.Option(help="administrator, mediator, analyst, observer, party_representative, viewer")],
    party_id: Annotated[int | None, typer.Option("--party-id", help="the party a representative speaks for")] = None,
    user: MaybeUserOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a user a role in the process, or change it (its administrators)."""
    from detente.services import processes

    with open_app(workspace) as a:
        made = processes.set_member(a, _caller(a, user), process_id, username, role, party_id)
    if as_json:
        print_json(made)
        return
    console.print(f"{made.username}: {made.role}", highlight=False)


@process_app.command("remove-member")
@handle_errors
def remove_member_command(
    process_id: Annotated[int, typer.Argument(help="process id")],
    user_id: Annotated[int, typer.Argument(help="the member's user id")],
    user: MaybeUserOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """End a membership (its administrators)."""
    from detente.services import processes

    with open_app(workspace) as a:
        processes.remove_member(a, _caller(a, user), process_id, user_id)
    console.print(f"user {user_id} is no longer a member of process {process_id}")


@notes_app.command("list")
@handle_errors
def notes_list(
    process: ProcessOpt,
    user: UserOpt,
    query: Annotated[str | None, typer.Option("--search", help="Search titles and bodies.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The notes USER may read, newest first."""
    from detente.services import notes

    with open_app(workspace) as a:
        page = notes.list_notes(a, as_user(a, user), process, query=query, limit=limit, offset=offset)
    if as_json:
        print_json(page)
        return
    for n in page.notes:
        console.print(f"{n.id:>5}  [{n.label}] {n.title}", highlight=False)
    console.print(f"{len(page.notes)} of {page.total}")


@notes_app.command("add")
@handle_errors
def notes_add(
    process: ProcessOpt,
    user: UserOpt,
    title: Annotated[str, typer.Option(help="The note's title.")],
    label: Annotated[str, typer.Option(help="public, all_parties, party:<id> or mediators_only")],
    body: Annotated[str, typer.Option(help="The note's text.")] = "",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a note under a visibility label."""
    from detente.services import notes

    with open_app(workspace) as a:
        made = notes.create_note(a, as_user(a, user), process, title, body, label)
    if as_json:
        print_json(made)
        return
    console.print(f"note {made.id} ({made.label})")


@notes_app.command("show")
@handle_errors
def notes_show(
    note_id: Annotated[int, typer.Argument(help="note id")],
    process: ProcessOpt,
    user: UserOpt,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One note (a note USER may not read is "not found", like a missing one)."""
    from detente.services import notes

    with open_app(workspace) as a:
        found = notes.get_note(a, as_user(a, user), process, note_id)
    if as_json:
        print_json(found)
        return
    console.print(f"[bold]{found.title}[/] [{found.label}]\n{found.body}", highlight=False)


@notes_app.command("edit")
@handle_errors
def notes_edit(
    note_id: Annotated[int, typer.Argument(help="note id")],
    process: ProcessOpt,
    user: UserOpt,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    body: Annotated[str | None, typer.Option(help="A new text.")] = None,
    label: Annotated[str | None, typer.Option(help="A new label.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a note (its author, or an editor); relabelling is deciding anew who may read it."""
    from detente.services import notes

    with open_app(workspace) as a:
        made = notes.update_note(a, as_user(a, user), process, note_id, title=title, body=body, label=label)
    if as_json:
        print_json(made)
        return
    console.print(f"note {made.id} ({made.label}) saved")


@notes_app.command("delete")
@handle_errors
def notes_delete(
    note_id: Annotated[int, typer.Argument(help="note id")],
    process: ProcessOpt,
    user: UserOpt,
    workspace: WorkspaceOpt = None,
) -> None:
    """Delete a note (mediators and administrators)."""
    from detente.services import notes

    with open_app(workspace) as a:
        notes.delete_note(a, as_user(a, user), process, note_id)
    console.print(f"note {note_id} deleted")


@notes_app.command("export")
@handle_errors
def notes_export(
    process: ProcessOpt,
    user: UserOpt,
    workspace: WorkspaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="(always JSON)")] = True,
) -> None:
    """Every note USER may read, as JSON (audited)."""
    from detente.services import notes

    with open_app(workspace) as a:
        print_json(notes.export_notes(a, as_user(a, user), process))
