"""The same use case through both shells gives the same answer: every use case runs through the HTTP API on one
process and through the CLI on a twin process of the same workspace (same members, same parties), on SQLite and on
PostgreSQL. For each step the test compares the result (the API's JSON and the command's ``--json``), the rows it
stored (every table that names a process), the log entries it appended, its audit events, and — for the user's
mistakes — the error's code, message and field (the command prints them on one line and exits with 2).

Values that must differ between the twins are normalised first: ids, times, signatures, and how the caller came in.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, Table, select
from typer.testing import CliRunner

from detente.access import Role
from detente.cli.app import app as cli
from detente.config import Settings
from detente.db import Database
from detente.db.processes import add_party, create_process, set_membership
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy, create_user
from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.events.export import write_events
from detente.events.ingest import ingest_files
from detente.sealing.envelope import is_sealed, open_bytes, open_text
from detente.services import actors
from detente.services.caller import operator
from detente.verification.ledger import generate_key
from detente.web.app import WebOptions, create_app
from support import FakeClock

POLICY = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
PASSWORD = "correct horse battery"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
USERS = {
    "padmin": Role.ADMINISTRATOR,
    "mediator": Role.MEDIATOR,
    "analyst": Role.ANALYST,
    "observer": Role.OBSERVER,
    "rep": Role.PARTY_REPRESENTATIVE,
    "viewer": Role.VIEWER,
}
ARMY, MILITIA = "Arcadian Defence Forces", "Lowvale Militia"

#: keys whose values differ between the twins by nature (ids, times, signatures, the shell)
VOLATILE = {
    "id", "process_id", "commitment_id", "report_ids", "violation_id", "note_id", "log_id", "created_at",
    "updated_at", "occurred_at", "added_at", "entered_at", "due_at", "next_due", "time", "at", "signature",
    "plan_id", "via", "ip", "leaf_hash", "target", "seq", "process", "statement", "expires_at", "decided_at", "binds",
    "key_id",
}  # fmt: skip
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DECISION = re.compile(r"^d\d{5}$")


def norm(value: Any, key: str | None = None) -> Any:
    """The value with whatever must differ between the twins replaced by a placeholder."""
    if key in VOLATILE or (key == "party_id" and isinstance(value, int)):  # each twin has its own parties
        return "<v>"
    if isinstance(value, dict):
        return {k: norm(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    if isinstance(value, bytes):
        try:
            return norm(json.loads(value))
        except ValueError:
            return "<bytes>"
    if isinstance(value, str):
        if _ISO_TIME.match(value) or _DECISION.match(value):
            return "<v>"
        if value[:1] in "{[":
            try:
                return norm(json.loads(value))
            except ValueError:
                return value
        value = re.sub(r"(process|commitment|report|assessment|violation|note):\d+", r"\1:<n>", value)
        return re.sub(r"\bcommitment \d+", "commitment <n>", value)
    if hasattr(value, "isoformat"):
        return "<v>"
    return value


@dataclass
class Twins:
    client: TestClient
    db: Database
    workspace: Path
    api: int  # the process driven through the API
    cli: int  # its twin, driven through the CLI
    tokens: dict[str, str]
    files: Path
    ids: dict[str, dict[str, Any]] = field(default_factory=lambda: {"api": {}, "cli": {}})


def _events(root: Path) -> None:
    events, rejects = finalize(generate_demo_events(seed=11, months=6, scale=0.6), import_batch="parity")
    assert not rejects
    path = root / "events.parquet"
    write_events([events], "parquet", path)
    ingest_files(root, [path])


@pytest.fixture
def twins(database_url: str, workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Twins]:
    _events(workspace)
    app = create_app(Settings(workspace=workspace, database_url=database_url), clock=FakeClock(),
                     options=WebOptions(policy=POLICY))  # fmt: skip
    ctx = app.state.ctx
    tokens: dict[str, str] = {}
    with ctx.db.transaction() as s:
        pids = []
        for name in ("Parity via the API", "Parity via the CLI"):
            process = create_process(s, name, clock=ctx.clock)
            north = add_party(s, process.id, "North", clock=ctx.clock)
            add_party(s, process.id, "South", clock=ctx.clock)
            pids.append((process.id, north.id))
        for username, role in USERS.items():
            user = create_user(s, username, PASSWORD, policy=POLICY, clock=ctx.clock)
            for pid, north in pids:
                party = north if role is Role.PARTY_REPRESENTATIVE else None
                set_membership(s, pid, user.id, role, party_id=party, clock=ctx.clock)
            tokens[username] = create_token(s, user.id, "parity", ["read", "write"], clock=ctx.clock).secret
        create_user(s, "viewer2", PASSWORD, policy=POLICY, clock=ctx.clock)
    actors.build(ctx, operator("test"))
    monkeypatch.setenv("DETENTE_WORKSPACE", str(workspace))
    monkeypatch.setenv("DETENTE_DATABASE_URL", database_url)
    files = tmp_path / "files"
    files.mkdir()
    with TestClient(app, base_url="http://testserver") as client:
        yield Twins(client, ctx.db, workspace, pids[0][0], pids[1][0], tokens, files)
    ctx.db.close()


# --- the stored state of one process ---------------------------------------------------------------------------


def snapshot(db: Database, process_id: int) -> dict[str, Counter[str]]:
    """Every row of every table that names the process (log entries through its log), normalised."""
    meta = MetaData()
    meta.reflect(db.engine)
    out: dict[str, Counter[str]] = {}
    with db.transaction() as s:
        log_ids = [r[0] for r in s.execute(select(meta.tables["ledger_logs"].c.id).where(
            meta.tables["ledger_logs"].c.process_id == process_id))]  # fmt: skip
        for name, table in sorted(meta.tables.items()):
            if name == "ledger_entries":
                query = select(table).where(table.c.log_id.in_(log_ids))
            elif "process_id" in table.c and name not in ("ledger_logs",):
                query = select(table).where(table.c.process_id == process_id)
            else:
                continue
            out[name] = Counter(
                json.dumps(norm(_opened(db, name, dict(row._mapping))), sort_keys=True) for row in s.execute(query)
            )
        _transitions(db, s, meta.tables["violation_transitions"], meta.tables["violations"], process_id, out)
    return out


def _opened(db: Database, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The row with its sealed values opened (each sealing draws a fresh nonce: compare what they hold)."""
    assert db.keyring is not None
    out = {}
    for column, value in row.items():
        purpose = f"{table}.{column}"
        if isinstance(value, str) and is_sealed(value):
            text = open_text(db.keyring.find, purpose, value)
            out[column] = text if table in TEXT_COLUMNS.get(column, ()) else json.loads(text)
        elif isinstance(value, bytes | memoryview) and is_sealed(bytes(value)):
            out[column] = open_bytes(db.keyring.find, purpose, bytes(value))
        else:
            out[column] = value
    return out


#: sealed columns holding text rather than a JSON document, by column name
TEXT_COLUMNS = {
    "title": ("notes",),
    "body": ("notes",),
    "summary": ("violations",),
    "reason": ("commitment_consents",),
    "statement": ("commitment_consents",),
}


def _transitions(
    db: Database, s: Any, transitions: Table, violations: Table, process_id: int, out: dict[str, Counter[str]]
) -> None:
    query = (
        select(transitions)
        .join(violations, transitions.c.violation_id == violations.c.id)
        .where(violations.c.process_id == process_id)
    )
    out["violation_transitions"] = Counter(
        json.dumps(norm(_opened(db, "violation_transitions", dict(r._mapping))), sort_keys=True)
        for r in s.execute(query)
    )


def delta(before: dict[str, Counter[str]], after: dict[str, Counter[str]]) -> dict[str, list[str]]:
    """What a step added or removed, per table."""
    changed = {}
    for table in sorted(set(before) | set(after)):
        added = after.get(table, Counter()) - before.get(table, Counter())
        removed = before.get(table, Counter()) - after.get(table, Counter())
        if added or removed:
            changed[table] = sorted(f"+{r}" for r in added.elements()) + sorted(f"-{r}" for r in removed.elements())
    return changed


# --- the steps ---------------------------------------------------------------------------------------------------

Api = Callable[[Twins, int, dict[str, Any]], Any]
Cli = Callable[[Twins, int, dict[str, Any]], list[str]]


@dataclass(frozen=True)
class Step:
    name: str
    who: str
    api: Api
    cli: Cli
    keep: str | None = None  # remember this key of the result (e.g. the new record's id) for later steps
    error: bool = False


def _v(pid: int) -> str:
    return f"/api/v1/processes/{pid}"


def _file(t: Twins, name: str, body: Any) -> str:
    path = t.files / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return str(path)


COMMITMENT = {
    "title": "Open crossing 3",
    "text": "Crossing 3 opens daily 08:00-16:00 for civilians.",
    "parties": ["North"],
    "category": "humanitarian_access",
    "schedule": {"deadline": "2031-01-10"},
    "methods": ["third_party_observer"],
    "verifier": "Joint monitoring team",
    "label": "all_parties",
}
NARRATIVE = "Open at 08:05; 212 people crossed."
NOTE = {"title": "Agenda", "body": "1. Prisoner lists", "label": "all_parties"}


def _report_api(t: Twins, pid: int, ids: dict[str, Any], time: str = "") -> Any:
    data = {"narrative": NARRATIVE, "label": "all_parties", "place": "Crossing 3", "commitment_id": str(ids["c"])}
    if time:
        data["time"] = time
    return ("POST", f"{_v(pid)}/verification/reports", {"data": data, "files": [("files", ("photo.png", PNG))]})


def _report_cli(t: Twins, pid: int, ids: dict[str, Any], time: str = "") -> list[str]:
    body = {"narrative": NARRATIVE, "label": "all_parties", "place": "Crossing 3", "commitment_id": ids["c"]}
    if time:
        body["time"] = time
    photo = t.files / "photo.png"
    photo.write_bytes(PNG)
    return ["verify", "report", _file(t, f"r{pid}.json", body), "--evidence", str(photo)]


#: the key North's representative holds (on its own machine: only the public half is registered)
KEY = generate_key("north-rep-laptop")


def _key_file(t: Twins) -> str:
    path = t.files / "north.key"
    if not path.exists():
        path.write_text(KEY.skey + "\n", encoding="utf-8")
    return str(path)


def _accept_api(t: Twins, pid: int, ids: dict[str, Any]) -> Any:
    """What the representative's client does: fetch the statement, sign it with the party's key, submit."""
    url = f"{_v(pid)}/verification/commitments/{ids['c']}"
    headers = {"Authorization": f"Bearer {t.tokens['rep']}"}
    statement = t.client.get(f"{url}/statement", params={"decision": "accept"}, headers=headers).json()["statement"]
    signature = base64.b64encode(KEY.sign(statement.encode("utf-8"))).decode("ascii")
    return ("POST", f"{url}/decisions", {"json": {"decision": "accept", "signature": signature}})


def _commitment_cli(t: Twins, pid: int, body: dict[str, Any]) -> list[str]:
    return ["verify", "commitment", _file(t, f"c{pid}.json", body)]


STEPS: list[Step] = [
    Step("add a party", "padmin", lambda t, p, i: ("POST", f"{_v(p)}/parties", {"json": {"name": "West"}}),
         lambda t, p, i: ["process", "add-party", str(p), "West"]),
    Step("set a member", "padmin",
         lambda t, p, i: ("PUT", f"{_v(p)}/members", {"json": {"username": "viewer2", "role": "viewer"}}),
         lambda t, p, i: ["process", "member", str(p), "viewer2", "--role", "viewer"]),
    Step("write a note", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/notes", {"json": NOTE}),
         lambda t, p, i: ["notes", "add", "--title", NOTE["title"], "--body", NOTE["body"], "--label", NOTE["label"]],
         keep="note"),
    Step("export the notes", "observer", lambda t, p, i: ("GET", f"{_v(p)}/notes/export", {}),
         lambda t, p, i: ["notes", "export"]),
    Step("relabel the note", "mediator",
         lambda t, p, i: ("PATCH", f"{_v(p)}/notes/{i['note']}", {"json": {"label": "mediators_only"}}),
         lambda t, p, i: ["notes", "edit", str(i["note"]), "--label", "mediators_only"]),
    Step("record a commitment", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/verification/commitments", {"json": COMMITMENT}),
         lambda t, p, i: _commitment_cli(t, p, COMMITMENT), keep="c"),
    Step("register the party's key", "rep",
         lambda t, p, i: ("POST", f"{_v(p)}/verification/keys", {"json": {"public_key": KEY.public.vkey}}),
         lambda t, p, i: ["keys", "register", "--public", KEY.public.vkey]),
    Step("an observer accepts for a party", "observer",
         lambda t, p, i: ("GET", f"{_v(p)}/verification/commitments/{i['c']}/statement", {"params": {
             "decision": "accept"}}),
         lambda t, p, i: ["verify", "accept", str(i["c"]), "--key", _key_file(t)], error=True),
    Step("accept the commitment", "rep", _accept_api,
         lambda t, p, i: ["verify", "accept", str(i["c"]), "--key", _key_file(t)]),
    Step("file a report with evidence", "observer", _report_api, _report_cli, keep="r"),
    Step("assess the commitment", "observer",
         lambda t, p, i: ("POST", f"{_v(p)}/verification/commitments/{i['c']}/assessments", {"json": {
             "period": "deadline", "status": "compliant", "rationale": "seen open", "label": "all_parties",
             "report_ids": [i["r"]], "score": 3}}),
         lambda t, p, i: ["verify", "assess", _file(t, f"a{p}.json", {
             "commitment_id": i["c"], "period": "deadline", "status": "compliant", "rationale": "seen open",
             "label": "all_parties", "report_ids": [i["r"]], "score": 3})]),
    Step("allege a violation", "observer",
         lambda t, p, i: ("POST", f"{_v(p)}/verification/commitments/{i['c']}/violations",
                          {"json": {"summary": "closed at noon", "label": "all_parties"}}),
         lambda t, p, i: ["verify", "violation", "allege", "--commitment", str(i["c"]), "--summary", "closed at noon",
                          "--label", "all_parties"], keep="v"),
    Step("move the violation", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/verification/violations/{i['v']}/transitions",
                          {"json": {"to": "under_review", "reason": "commission seized"}}),
         lambda t, p, i: ["verify", "violation", "move", str(i["v"]), "under_review", "--reason", "commission seized"]),
    Step("judge trust", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/cbm/trust/inputs", {"json": {
             "truster": "North", "trustee": "South", "action": "set", "value": 0.3, "rationale": "shelling"}}),
         lambda t, p, i: ["cbm", "trust-input", "--truster", "North", "--trustee", "South", "--action", "set",
                          "--value", "0.3", "--rationale", "shelling"]),
    Step("make a plan", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/cbm/plans", {"json": {"horizon": 2, "seed": 1}}),
         lambda t, p, i: ["cbm", "plan", "--horizon", "2", "--seed", "1"]),
    Step("make a step a commitment", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/cbm/plans/1/steps/1/commitment", {"json": {"label": "all_parties"}}),
         lambda t, p, i: ["cbm", "commit-step", "--revision", "1", "--position", "1", "--label", "all_parties"]),
    Step("replan", "mediator", lambda t, p, i: ("POST", f"{_v(p)}/cbm/plans/replan", {}),
         lambda t, p, i: ["cbm", "replan"]),
    Step("set who reads the plans", "mediator",
         lambda t, p, i: ("PUT", f"{_v(p)}/cbm/labels", {"json": {"plan_label": "mediators_only"}}),
         lambda t, p, i: ["cbm", "labels", "--plans", "mediators_only"]),
    Step("profile an actor", "mediator",
         lambda t, p, i: ("PUT", f"{_v(p)}/actors/{i['army']}/profile", {"json": {
             "label": "mediators_only", "attitude": "sceptic", "attitude_evidence": "round 2 minutes",
             "attitude_date": "2021-05-01"}}),
         lambda t, p, i: ["actors", "profile", i["army"], "--label", "mediators_only", "--attitude", "sceptic",
                          "--evidence", "round 2 minutes", "--date", "2021-05-01"]),
    Step("add to the profile", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/actors/{i['army']}/entries", {"json": {
             "label": "mediators_only", "kind": "interest", "text": "keep Lowvale", "evidence": "minutes",
             "date": "2021-05-02"}}),
         lambda t, p, i: ["actors", "entry", i["army"], "--label", "mediators_only", "--kind", "interest",
                          "--text", "keep Lowvale", "--evidence", "minutes", "--date", "2021-05-02"]),
    Step("merge two actors", "analyst",
         lambda t, p, i: ("POST", f"{_v(p)}/actors/decisions", {"json": {"kind": "merge", "a": ARMY, "b": MILITIA}}),
         lambda t, p, i: ["actors", "merge", ARMY, MILITIA]),
    Step("undo the merge", "analyst",
         lambda t, p, i: ("POST", f"{_v(p)}/actors/decisions", {"json": {"kind": "undo"}}),
         lambda t, p, i: ["actors", "undo"]),
    # the user's mistakes: the same code, message and field from both shells, and nothing written
    Step("a commitment without a schedule", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/verification/commitments",
                          {"json": {k: v for k, v in COMMITMENT.items() if k != "schedule"}}),
         lambda t, p, i: _commitment_cli(t, p, {k: v for k, v in COMMITMENT.items() if k != "schedule"}), error=True),
    Step("a label no process has", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/verification/commitments", {"json": {**COMMITMENT, "label": "secret"}}),
         lambda t, p, i: _commitment_cli(t, p, {**COMMITMENT, "label": "secret"}), error=True),
    Step("a party label of no party of this process", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/notes", {"json": {"title": "x", "label": "party:999"}}),
         lambda t, p, i: ["notes", "add", "--title", "x", "--label", "party:999"], error=True),
    Step("a bad date", "observer", lambda t, p, i: _report_api(t, p, i, time="2024-13-45"),
         lambda t, p, i: _report_cli(t, p, i, time="2024-13-45"), error=True),
    Step("a belief out of range", "mediator",
         lambda t, p, i: ("POST", f"{_v(p)}/cbm/trust/inputs", {"json": {
             "truster": "North", "trustee": "South", "action": "set", "value": 1.5, "rationale": "x"}}),
         lambda t, p, i: ["cbm", "trust-input", "--truster", "North", "--trustee", "South", "--action", "set",
                          "--value", "1.5", "--rationale", "x"], error=True),
    Step("a viewer records a commitment", "viewer",
         lambda t, p, i: ("POST", f"{_v(p)}/verification/commitments", {"json": COMMITMENT}),
         lambda t, p, i: _commitment_cli(t, p, COMMITMENT), error=True),
    Step("a party replans", "rep", lambda t, p, i: ("POST", f"{_v(p)}/cbm/plans/replan", {}),
         lambda t, p, i: ["cbm", "replan"], error=True),
    Step("an observer merges actors", "observer",
         lambda t, p, i: ("POST", f"{_v(p)}/actors/decisions", {"json": {"kind": "merge", "a": ARMY, "b": MILITIA}}),
         lambda t, p, i: ["actors", "merge", ARMY, MILITIA], error=True),
    Step("a commitment that does not exist", "observer",
         lambda t, p, i: ("POST", f"{_v(p)}/verification/commitments/999999/violations",
                          {"json": {"summary": "x", "label": "all_parties"}}),
         lambda t, p, i: ["verify", "violation", "allege", "--commitment", "999999", "--summary", "x"], error=True),
]  # fmt: skip

#: commands whose process is an argument (the others take --process)
_POSITIONAL = {"process"}


def _run_api(t: Twins, step: Step, ids: dict[str, Any]) -> tuple[int, Any]:
    method, url, kwargs = step.api(t, t.api, ids)
    headers = {"Authorization": f"Bearer {t.tokens[step.who]}"}
    response = t.client.request(method, url, headers=headers, **kwargs)
    return response.status_code, response.json() if response.content else None


def _run_cli(t: Twins, step: Step, ids: dict[str, Any]) -> tuple[int, str]:
    args = step.cli(t, t.cli, ids)
    extra = ["--user", step.who]
    if args[0] not in _POSITIONAL:
        extra += ["--process", str(t.cli)]
    result = CliRunner().invoke(cli, [*args, *extra, "--json"])
    return result.exit_code, result.output


def _expected_line(error: dict[str, Any]) -> str:
    field = f"field {error['field']!r}: " if error["field"] else ""
    return f"error: {field}{error['message']} [{error['code']}]"


@pytest.mark.slow
def test_every_use_case_answers_the_same_through_the_api_and_the_cli(twins: Twins) -> None:
    t = twins
    army = actors.registry(t.client.app.state.ctx).resolve(ARMY).id  # type: ignore[attr-defined]
    for side in ("api", "cli"):
        t.ids[side]["army"] = army
    results: dict[str, list[tuple[Any, dict[str, list[str]]]]] = {"api": [], "cli": []}
    for side, pid in (("api", t.api), ("cli", t.cli)):
        for step in STEPS:
            before = snapshot(t.db, pid)
            ids = t.ids[side]
            if side == "api":
                status, body = _run_api(t, step, ids)
                ok = status < 400
                outcome = body if ok else {"error": body["error"], "status": status}
            else:
                code, output = _run_cli(t, step, ids)
                ok = code == 0
                if ok:
                    outcome = json.loads(output) if output.strip() else None
                else:
                    lines = output.strip().splitlines()
                    assert len(lines) == 1 and code == 2, (step.name, code, output)  # one line, the user's mistake
                    outcome = {"line": lines[0]}
            assert ok != step.error, (side, step.name, outcome)
            if ok and step.keep:
                ids[step.keep] = outcome["id"]
            changed = delta(before, snapshot(t.db, pid))
            if step.error:
                assert changed == {}, (side, step.name, changed)  # nothing half-written
            results[side].append((outcome, changed))
    for step, (api_out, api_rows), (cli_out, cli_rows) in zip(STEPS, results["api"], results["cli"], strict=True):
        if step.error:
            assert cli_out["line"] == _expected_line(api_out["error"]), step.name
            continue
        api_json = api_out["notes"] if isinstance(api_out, dict) and set(api_out) == {"notes"} else api_out
        assert norm(api_json) == norm(cli_out), step.name
        assert api_rows == cli_rows, step.name
        assert api_rows, f"{step.name} wrote nothing"
    logged = [name for name, (_, rows) in zip([s.name for s in STEPS], results["api"], strict=True)
              if "ledger_entries" in rows]  # fmt: skip
    assert logged == [
        "record a commitment",
        "register the party's key",
        "accept the commitment",
        "file a report with evidence",
        "assess the commitment",
        "allege a violation",
        "move the violation",
        "make a step a commitment",
    ]
