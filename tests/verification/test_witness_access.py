"""Who names the witnesses of a process's log, pinned for every role, through the services and the CLI.

A party's slot is filled, changed or emptied only by a representative of that party — not by the mediator, the
process administrator or the operator, who could otherwise meet the quorum with witnesses of their own. The observer
slot and extra witnesses belong to administrators and mediators (and the operator); nobody else manages anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from detente.access import Role
from detente.cli.app import app as cli
from detente.config import Settings
from detente.db import processes as proc_db
from detente.db.users import AccountPolicy, create_user
from detente.errors import AccessDenied, InputError, NotFoundError
from detente.services import consent
from detente.services.accounts import caller_by_name
from detente.services.caller import Caller, operator
from detente.services.context import open_context
from detente.services.witnesses import add_witness, list_witnesses, remove_witness
from detente.verification.ledger import ALG_COSIGNATURE_V1, generate_key
from support import FakeClock

POLICY = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
MEMBERS = {
    "padmin": (Role.ADMINISTRATOR, None),
    "mediator": (Role.MEDIATOR, None),
    "analyst": (Role.ANALYST, None),
    "observer": (Role.OBSERVER, None),
    "rep-north": (Role.PARTY_REPRESENTATIVE, "North"),
    "rep-south": (Role.PARTY_REPRESENTATIVE, "South"),
    "viewer": (Role.VIEWER, None),
    "outsider": (None, None),
}
#: who may fill each slot (True) or is refused (False); an outsider is told the process does not exist
EXPECTED = {
    "party:north": {"rep-north"},
    "party:south": {"rep-south"},
    "observer": {"padmin", "mediator", "operator"},
    "extra": {"padmin", "mediator", "operator"},
}


def test_each_slot_has_its_own_namers(database_url: str, workspace: Path) -> None:
    app = open_context(Settings(workspace=workspace, database_url=database_url), clock=FakeClock())
    try:
        with app.db.transaction() as s:
            process = proc_db.create_process(s, "Witness talks", clock=app.clock)
            parties = {name: proc_db.add_party(s, process.id, name, clock=app.clock).id for name in ("North", "South")}
            for name, (role, party) in MEMBERS.items():
                user = create_user(s, name, "correct horse battery", policy=POLICY, clock=app.clock)
                if role is not None:
                    proc_db.set_membership(s, process.id, user.id, role, party_id=parties.get(party or ""),
                                           clock=app.clock)  # fmt: skip
            pid = process.id
        commitment = {
            "title": "Open the crossing", "text": "Daily.", "parties": ["North"], "category": "other",
            "schedule": {"deadline": "2030-01-01"}, "methods": ["self_report"], "verifier": "mission",
            "label": "all_parties",
        }  # fmt: skip
        consent.propose(app, caller_by_name(app, "mediator"), pid, commitment)  # the log exists, default policy
        callers: dict[str, Caller] = {name: caller_by_name(app, name) for name in MEMBERS}
        callers["operator"] = operator("test")
        table: list[str] = []
        for slot, namers in EXPECTED.items():
            real = slot.replace("north", str(parties["North"])).replace("south", str(parties["South"]))
            for who, caller in callers.items():
                key = generate_key(f"w.test/{who}-{slot.replace(':', '-')}", ALG_COSIGNATURE_V1)
                try:
                    made = add_witness(app, caller, pid, vkey=key.public.vkey, url="http://127.0.0.1:9/",
                                       slot=None if slot == "extra" else real)  # fmt: skip
                except AccessDenied:
                    outcome = "refused"
                except NotFoundError:
                    outcome = "hidden"
                else:
                    outcome = "allowed"
                    remove_witness(app, caller, pid, made.name or made.slot)  # and may empty it again
                expected = "allowed" if who in namers else ("hidden" if who == "outsider" else "refused")
                assert outcome == expected, (slot, who, outcome)
                table.append(f"{slot:12} {who:10} {outcome}")
        # a witness named by North's representative cannot be removed by the mediator
        north_key = generate_key("w.test/north", ALG_COSIGNATURE_V1)
        add_witness(app, callers["rep-north"], pid, vkey=north_key.public.vkey, url="http://127.0.0.1:9/",
                    slot=f"party:{parties['North']}")  # fmt: skip
        with pytest.raises(AccessDenied):
            remove_witness(app, callers["mediator"], pid, "w.test/north")
        assert any(w.name == "w.test/north" for w in list_witnesses(app, callers["viewer"], pid).witnesses)
        # the mediators' witnesses (the observer's and extras) never make a quorum without a party's own witness
        assert list_witnesses(app, callers["viewer"], pid).quorum == 2  # 2 of 3: a party, the observer
        for n in range(2):
            extra = generate_key(f"w.test/extra{n}", ALG_COSIGNATURE_V1)
            add_witness(app, callers["mediator"], pid, vkey=extra.public.vkey, url="http://127.0.0.1:9/")
        assert list_witnesses(app, callers["viewer"], pid).quorum == 4  # 4 of 5: still one party witness at least
        with pytest.raises(InputError, match="must include a witness named by a party"):
            add_witness(app, callers["mediator"], pid, vkey=extra.public.vkey, url="http://127.0.0.1:9/", quorum=3)
        print("\n" + "\n".join(table))
    finally:
        app.close()


def test_the_witness_commands(database_url: str, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_WORKSPACE", str(workspace))
    monkeypatch.setenv("DETENTE_DATABASE_URL", database_url)
    app = open_context(Settings(workspace=workspace, database_url=database_url), clock=FakeClock())
    try:
        with app.db.transaction() as s:
            process = proc_db.create_process(s, "CLI talks", clock=app.clock)
            proc_db.add_party(s, process.id, "North", clock=app.clock)
            user = create_user(s, "mediator", "correct horse battery", policy=POLICY, clock=app.clock)
            proc_db.set_membership(s, process.id, user.id, Role.MEDIATOR, clock=app.clock)
            pid = str(process.id)
    finally:
        app.close()
    runner = CliRunner()
    key = generate_key("mission.example/witness", ALG_COSIGNATURE_V1)
    url = "http://127.0.0.1:9/"
    added = runner.invoke(cli, ["ledger", "witnesses", "add", "--process", pid, "--vkey", key.public.vkey,
                                "--url", url, "--slot", "observer", "--user", "mediator"])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "witness mission.example/witness holds observer" in added.output
    listed = runner.invoke(cli, ["ledger", "witnesses", "list", "--process", pid, "--user", "mediator"])
    assert listed.exit_code == 0 and "quorum: 2 of 2" in listed.output and "(no witness yet)" in listed.output
    bad = runner.invoke(cli, ["ledger", "witnesses", "add", "--process", pid, "--vkey", "not-a-key",
                              "--user", "mediator"])  # fmt: skip
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1 and "Traceback" not in bad.output
    party = runner.invoke(cli, ["ledger", "witnesses", "add", "--process", pid, "--vkey", key.public.vkey,
                                "--slot", "party:1", "--user", "mediator"])  # fmt: skip
    assert party.exit_code != 0 and "named by a representative of that party" in party.output
    removed = runner.invoke(cli, ["ledger", "witnesses", "remove", "observer", "--process", pid, "--user", "mediator"])
    assert removed.exit_code == 0 and "removed witness mission.example/witness from observer" in removed.output
