"""No read leaks a record to someone who may not read it — nor anything computed from it.

Every kind of labelled record (note, commitment, report and its evidence file, assessment, violation and its steps,
process measure, trust judgement, stakeholder profile, analyst relation) is written under each restricted label with
a canary word naming the label. Then every derived computation runs (replanning from the verified records, a plan,
a step made a commitment, track records, scores, exports, the audit trail), and every role reads everything it can
reach: every page and every JSON route (each record id filled in, hidden ones too), the exports, the audit trail, and
the command line (``notes``, ``process show``, ``verify record``, ``actors analyse``, ``ledger export --for``). Each
answer is searched for the canaries of the labels the reader may not read (``detente.access.may_read_label``).

The explorer and the watchlist are left out: they read the event store only, which holds no labelled record (their
access is ``access.decide_events``, tested with them).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from consenting import decide_for
from detente import access
from detente.access import Label, Membership, Role
from detente.cli.app import app as cli
from detente.config import Settings
from detente.db import processes as proc_db
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy, create_user
from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.events.export import write_events
from detente.events.ingest import ingest_files
from detente.services import actors, cbm, cbm_plans, consent, notes, verification
from detente.services.accounts import caller_by_name
from detente.services.actors import EntryInput, ProfileInput, RelationInput
from detente.services.caller import Caller, operator
from detente.services.context import AppContext
from detente.web.app import WebOptions, create_app
from support import FakeClock
from sweep import get_routes, urls_of

POLICY = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
PASSWORD = "correct horse battery"
ARMY, MILITIA = "Arcadian Defence Forces", "Lowvale Militia"

#: readers of the access table (role in the process, party, instance administrator)
READERS: dict[str, tuple[Role | None, str | None, bool]] = {
    "padmin": (Role.ADMINISTRATOR, None, False),
    "mediator": (Role.MEDIATOR, None, False),
    "analyst": (Role.ANALYST, None, False),
    "observer": (Role.OBSERVER, None, False),
    "rep-a": (Role.PARTY_REPRESENTATIVE, "A", False),
    "rep-b": (Role.PARTY_REPRESENTATIVE, "B", False),
    "viewer": (Role.VIEWER, None, False),
    "outsider": (None, None, False),
    "root": (None, None, True),
    "root-rep-b": (Role.PARTY_REPRESENTATIVE, "B", True),
}
#: what the canaries of each label look like: CANARY<TAG>-<kind>
TAGS = {"all_parties": "ALLPARTIES", "party:A": "PARTYA", "party:B": "PARTYB", "mediators_only": "MEDIATORS"}
_CANARY = re.compile(r"CANARY(ALLPARTIES|PARTYA|PARTYB|MEDIATORS)")


def canary(label_key: str, kind: str) -> str:
    return f"CANARY{TAGS[label_key]}-{kind}"


@dataclass
class World:
    app: AppContext
    client: TestClient
    pid: int
    parties: dict[str, int]
    tokens: dict[str, str]
    ids: dict[str, list[Any]]

    def label(self, key: str) -> str:
        return f"party:{self.parties[key[-1]]}" if key.startswith("party:") else key


def _forbidden(world: World, reader: str) -> set[str]:
    """The canary tags of the labels ``reader`` may not read."""
    role, party, _ = READERS[reader]
    membership = None if role is None else Membership(world.pid, role, world.parties[party] if party else None)
    return {tag for key, tag in TAGS.items() if not access.may_read_label(membership, Label.parse(world.label(key)))}


def _events(root: Path) -> None:
    events, rejects = finalize(generate_demo_events(seed=3, months=6, scale=0.6), import_batch="canaries")
    assert not rejects
    path = root / "events.parquet"
    write_events([events], "parquet", path)
    ingest_files(root, [path])


def _caller(app: AppContext, name: str) -> Caller:
    return caller_by_name(app, name, via="test")


def _write_everything(w: World) -> None:
    """Each labelled record under each restricted label, with its canary; then the derived computations."""
    app, pid = w.app, w.pid
    mediator, observer = _caller(app, "mediator"), _caller(app, "observer")
    for key in TAGS:
        label = w.label(key)
        notes.create_note(app, mediator, pid, f"Minutes {canary(key, 'note-title')}", canary(key, "note-body"), label)
        # a commitment binds only parties that read it: none under mediators_only (the mediators' records below hang
        # on an all-parties commitment), one party under its own label
        held = "all_parties" if key == "mediators_only" else key
        binds = {"party:A": ["North"], "party:B": ["South"]}.get(key, ["North", "South"])
        commitment = {
            "title": canary(held, "commitment"), "text": canary(held, "commitment-text"), "parties": binds,
            "category": "humanitarian_access", "schedule": {"deadline": "2031-01-10"},
            "methods": ["third_party_observer"], "verifier": canary(held, "verifier"), "label": w.label(held),
        }  # fmt: skip
        c = consent.propose(app, mediator, pid, commitment)
        decide_for(app, pid, c.id)  # each party it binds accepts, with its representative's own key
        author = observer if key == "all_parties" else mediator
        r = verification.file_report(
            app, author, pid, narrative=canary(key, "report"), place=canary(key, "place"), time=None, label=label,
            commitment_id=c.id, uploads=[("log.txt", canary(key, "evidence").encode())],
        )  # fmt: skip
        a = verification.assess(app, mediator, pid, c.id, period="deadline", status="compliant",
                                rationale=canary(key, "assessment"), label=label, report_ids=[r.id])  # fmt: skip
        v = verification.allege(app, mediator, pid, c.id, summary=canary(key, "violation"), label=label)
        verification.move(app, mediator, pid, v.id, to="under_review", reason=canary(key, "move"))
        cp = cbm.open_process(app, mediator, pid)
        base = cp.catalogue.get("local_commanders_hotline").model_dump(mode="json")
        measure = {**base, "id": f"hotline_{TAGS[key].lower()}", "name": canary(key, "measure"),
                   "description": canary(key, "measure-text")}  # fmt: skip
        cbm.add_measure(app, mediator, cp, measure, label)
        profile = ProfileInput(label, "sceptic", canary(key, "profile"), date(2021, 5, 1))
        actors.set_profile(app, mediator, pid, ARMY, profile)
        actors.add_entry(app, mediator, pid, ARMY, EntryInput(label, "interest", canary(key, "interest"), "minutes",
                                                              date(2021, 5, 2)))  # fmt: skip
        actors.add_relation(app, mediator, pid, RelationInput(label, ARMY, MILITIA, "rival", 0.5, 0.5,
                                                              canary(key, "relation"), date(2021, 5, 3)))  # fmt: skip
        w.ids["note"] += [n.id for n in notes.list_notes(app, mediator, pid, limit=500).notes]
        w.ids["commitment"].append(c.id)
        w.ids["report"].append(r.id)
        w.ids["assessment"].append(a.id)
        w.ids["violation"].append(v.id)
        w.ids["measure"].append(measure["id"] + {"mediators_only": "_m"}.get(key, ""))
        w.ids["sha256"].append(r.evidence[0].sha256)
    # trust and plans shared with every party: a judgement the parties may read, a plan made from it
    cp = cbm.open_process(app, mediator, pid)
    cbm.set_labels(app, mediator, cp, trust_label="all_parties", plan_label="all_parties")
    cp = cbm.open_process(app, mediator, pid)
    cbm.analyst_input(app, mediator, cp, truster="North", trustee="South", action="set", value=0.4,
                      rationale=canary("all_parties", "trust"))  # fmt: skip
    first = cbm_plans.new_plan(app, mediator, cp, cbm_plans.PlanRequest(horizon=3))
    assert first.label == "all_parties"
    # the replan applies the verified records of every label: trust and the new plan narrow to the mediators'
    # (their history names the records), though the process still says "all parties"
    replanned = cbm_plans.replan_verified(app, mediator, cp)
    # each party of each assessed commitment: 2 (all parties) + 1 (party A) + 1 (party B) + 2 (the mediators' record)
    assert replanned.applied == 6 and replanned.revision.label == "mediators_only"
    assert cbm.trust_view(app, mediator, cbm.open_process(app, mediator, pid)).label == "mediators_only"
    cbm_plans.make_commitment(app, mediator, cp, first.revision.revision, 1, label="all_parties")
    w.ids["revision"] = [1, 2]
    with pytest.raises(Exception, match="computed from records labelled mediators_only"):
        cbm.set_labels(app, mediator, cbm.open_process(app, mediator, pid), trust_label="all_parties", plan_label=None)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ws = tmp_path_factory.mktemp("canaries") / "ws"
    ws.mkdir()
    _events(ws)
    app = create_app(Settings(workspace=ws), clock=FakeClock(), options=WebOptions(policy=POLICY))
    ctx = app.state.ctx
    tokens: dict[str, str] = {}
    with ctx.db.transaction() as s:
        process = proc_db.create_process(s, "Canary talks", clock=ctx.clock)
        other = proc_db.create_process(s, "Other talks", clock=ctx.clock)
        parties = {"A": proc_db.add_party(s, process.id, "North", clock=ctx.clock).id}
        parties["B"] = proc_db.add_party(s, process.id, "South", clock=ctx.clock).id
        for name, (role, party, is_admin) in READERS.items():
            user = create_user(s, name, PASSWORD, is_admin=is_admin, policy=POLICY, clock=ctx.clock)
            if role is not None:
                proc_db.set_membership(s, process.id, user.id, role, party_id=parties.get(party or ""), clock=ctx.clock)
            elif not is_admin:
                proc_db.set_membership(s, other.id, user.id, Role.MEDIATOR, clock=ctx.clock)
            tokens[name] = create_token(s, user.id, "canaries", ["read", "write", "admin"], clock=ctx.clock).secret
    actors.build(ctx, operator("test"))
    with TestClient(app, base_url="http://testserver") as client:
        w = World(ctx, client, process.id, parties, tokens, {k: [] for k in
                  ("note", "commitment", "report", "assessment", "violation", "measure", "sha256")})  # fmt: skip
        w.ids["actor"] = [actors.registry(ctx).resolve(ARMY).id]
        _write_everything(w)
        yield w
    ctx.db.close()


# --- reading everything ------------------------------------------------------------------------------------------


def _leaks(text: str, forbidden: set[str]) -> set[str]:
    return {m for m in _CANARY.findall(text) if m in forbidden}


@pytest.mark.slow
def test_no_page_or_api_route_leaks_a_canary(world: Any) -> None:
    w: World = world
    routes = get_routes(w.client.app)
    assert len(routes) > 40
    seen_any = asked = 0
    for reader in READERS:
        forbidden = _forbidden(w, reader)
        headers = {"Authorization": f"Bearer {w.tokens[reader]}"}
        for path in routes:
            for url in urls_of(path, w.pid, w.ids):
                for accept in ("application/json", "text/html"):
                    response = w.client.get(url, headers={**headers, "Accept": accept})
                    asked += 1
                    assert response.status_code < 500, (reader, url, response.text[:300])
                    text = response.content.decode("utf-8", errors="replace")
                    assert not _leaks(text, forbidden), (reader, url, _leaks(text, forbidden))
                    seen_any += bool(_CANARY.search(text))
                    if not url.startswith("/api/"):
                        break  # a page answers the same whatever the Accept
    assert seen_any > 100  # the readers who may read the canaries do see them: the search would find a leak
    print(
        f"\n{len(READERS)} readers x {len(routes)} GET routes: {asked} answers, 0 leaks, {seen_any} show allowed ones"
    )


@pytest.mark.slow
def test_the_audit_trail_withholds_details_of_restricted_records(world: Any) -> None:
    w: World = world
    for reader in ("root", "root-rep-b"):
        forbidden = _forbidden(w, reader)
        events = []
        before = None
        while True:
            params = {"limit": 1000, **({"before_id": before} if before else {})}
            page = w.client.get("/api/v1/audit", params=params, headers={"Authorization": f"Bearer {w.tokens[reader]}"})
            assert page.status_code == 200
            batch = page.json()["events"]
            if not batch:
                break
            events += batch
            before = batch[-1]["id"]
        text = json.dumps(events)
        assert "cbm.trust_input" in text and not _leaks(text, forbidden), (reader, _leaks(text, forbidden))
    mine = json.dumps(w.client.get("/api/v1/audit", params={"limit": 1000},
                                   headers={"Authorization": f"Bearer {w.tokens['root']}"}).json())  # fmt: skip
    assert "withheld" in mine


@pytest.mark.slow
def test_no_command_leaks_a_canary(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w: World = world
    monkeypatch.setenv("DETENTE_WORKSPACE", str(w.app.workspace))
    monkeypatch.delenv("DETENTE_DATABASE_URL", raising=False)
    runner = CliRunner()
    pid = str(w.pid)
    for reader in READERS:
        forbidden = _forbidden(w, reader)
        commands = [
            ["notes", "list", "--process", pid, "--user", reader, "--json"],
            ["notes", "list", "--process", pid, "--user", reader, "--search", "CANARY", "--json"],
            ["notes", "export", "--process", pid, "--user", reader],
            ["process", "show", pid, "--user", reader, "--json"],
            ["verify", "record", "--process", pid, "--user", reader, "--json"],
            ["actors", "analyse", "--process", pid, "--user", reader, "--json"],
        ]
        for args in commands:
            result = runner.invoke(cli, args)
            assert result.exit_code in (0, 2), (args, result.output)
            assert not _leaks(result.output, forbidden), (reader, args, _leaks(result.output, forbidden))
        bundle = tmp_path / f"bundle-{reader}"
        exported = runner.invoke(cli, ["ledger", "export", str(bundle), "--process", pid, "--for", reader])
        assert exported.exit_code == 0, exported.output
        text = "".join(p.read_text(encoding="utf-8") for p in sorted(bundle.rglob("*")) if p.is_file())
        assert not _leaks(text, forbidden), (reader, "ledger export", _leaks(text, forbidden))
        # what is withheld still verifies (this process names no witnesses: the strict default would refuse it)
        verified = runner.invoke(cli, ["ledger", "verify", str(bundle), "--json", "--allow-unwitnessed"])
        assert json.loads(verified.stdout)["ok"]


@pytest.mark.slow
def test_a_non_member_cannot_tell_an_existing_process_from_a_missing_one(world: Any) -> None:
    """Every GET route of a process, asked by someone outside it for the process and for a process id that does
    not exist: the same status and the same body (ADR 0022)."""
    w: World = world
    missing = 999_999
    headers = {"Authorization": f"Bearer {w.tokens['outsider']}"}
    differences = []
    compared = 0
    for path in get_routes(w.client.app):
        if "{process_id}" not in path:
            continue
        for url, other in zip(urls_of(path, w.pid, w.ids), urls_of(path, missing, w.ids), strict=True):
            for accept in ("application/json", "text/html"):
                real = w.client.get(url, headers={**headers, "Accept": accept})
                fake = w.client.get(other, headers={**headers, "Accept": accept})
                compared += 1
                same_body = real.content.replace(url.encode(), b"URL") == fake.content.replace(other.encode(), b"URL")
                if real.status_code != fake.status_code or not same_body:
                    differences.append(
                        (url, accept, real.status_code, fake.status_code, real.text[:120], fake.text[:120])
                    )
    assert compared > 50
    assert differences == [], "\n".join(map(str, differences))
