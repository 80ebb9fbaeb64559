"""End to end over real HTTP, on SQLite and PostgreSQL: a process whose log has three witnesses (quorum two, the
default majority) is written to, cosigned as each write commits, exported for a member and verified by
`detente ledger verify`, which pins the keys it trusts on first use."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from witness_helpers import _commitment, export_for, new_process, running_witnesses, verify

from detente.config import Settings
from detente.db.ledger import get_log
from detente.db.verification_models import LedgerWitnessRow
from detente.services import consent
from detente.services.accounts import caller_by_name
from detente.services.caller import operator
from detente.services.context import open_context
from detente.services.witness import add_log
from detente.services.witnesses import cosign, list_witnesses
from support import FakeClock


def test_witnessed_log_verifies_and_a_missing_quorum_does_not(database_url: str, workspace: Path) -> None:
    app = open_context(Settings(workspace=workspace, database_url=database_url), clock=FakeClock())
    known = workspace / "known_keys"
    try:
        with running_witnesses(workspace / "witnesses", 3) as witnesses:
            pid = new_process(app, witnesses)
            policy = list_witnesses(app, operator(), pid)
            assert policy.quorum == 2 and len(policy.keyed) == 3
            code, out = verify(export_for(app, pid, workspace / "b1"), known)
            assert code == 0, out
            assert "VERIFIED" in out and "pinned the log key of" in out and "SHA256:" in out
            pins = known.read_text(encoding="utf-8")
            assert f"log detente/process/{pid} " in pins and pins.count("\nwitness ") == 3 and "\nhead " in pins
            # two witnesses go down: the next write stands, its checkpoint has one cosignature of the two required
            witnesses[1].stop()
            witnesses[2].stop()
            consent.propose(app, caller_by_name(app, "mediator"), pid, _commitment(7))
            result = cosign(app, operator(), pid)
            assert result.cosigned == [witnesses[0].name] and not result.quorum_met
            assert set(result.failed) == {witnesses[1].name, witnesses[2].name}
            bundle = export_for(app, pid, workspace / "b2")
            code, out = verify(bundle, known)
            assert code == 1
            assert "entries 6 to 6 are not covered by a checkpoint with the 2 witness cosignatures" in out
            assert "has 1 of the 2 witness cosignatures required" in out
            code, out = verify(bundle, known, "--allow-unwitnessed")
            assert code == 0 and "VERIFIED WITHOUT WITNESSES" in out and "--allow-unwitnessed accepted" in out
            # the witnesses come back: `ledger cosign` collects what was missing (409 handled by resending)
            witnesses[1].start()
            witnesses[2].start()
            assert cosign(app, operator(), pid).quorum_met
            code, out = verify(export_for(app, pid, workspace / "b3"), known)
            assert code == 0, out
            # the operator puts a witness of its own in North's slot, straight in SQL: once a party has seen who the
            # witnesses are, the newcomer is refused until that party accepts it by name
            with running_witnesses(workspace / "intruder", 1, prefix="witness.test/intruder") as (intruder,):
                with app.db.transaction(write=True) as s:
                    log = get_log(s, pid)
                    in_party_slot = (LedgerWitnessRow.log_id == log.id, LedgerWitnessRow.slot.like("party:%"))
                    row = s.scalars(select(LedgerWitnessRow).where(*in_party_slot)).first()
                    assert row is not None
                    row.name, row.vkey, row.url = intruder.name, intruder.vkey, intruder.url
                    log.witness_keys = sorted([*(k for k in log.witness_keys if k != witnesses[0].vkey),
                                               intruder.vkey])  # fmt: skip
                    origin, vkey = log.origin, log.vkey
                add_log(intruder.state, origin, vkey)
                consent.propose(app, caller_by_name(app, "mediator"), pid, _commitment(8))
                bundle = export_for(app, pid, workspace / "b4")
                code, out = verify(bundle, known)
                assert code == 1 and "now names witnesses you have not seen for it: witness.test/intruder0" in out
                assert verify(bundle, workspace / "fresh_known_keys")[0] == 0  # a newcomer cannot tell
                code, out = verify(bundle, known, "--trust-witness", intruder.name)
                assert code == 0 and "pinned the new witness witness.test/intruder0" in out, out
    finally:
        app.close()
