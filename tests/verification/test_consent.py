"""Consent of the bound party, through the services on SQLite and PostgreSQL: a commitment binds a party only once a
representative of that party has accepted it with a key the party holds; declined and expired proposals never count;
amendments and withdrawals need the same consent; every decision and key is in the log and verifies offline."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from detente.access import Role
from detente.cli.ledger import app as ledger_app
from detente.config import Settings
from detente.db import processes as proc_db
from detente.db.ledger import audit_log, get_log
from detente.db.users import AccountPolicy, create_user
from detente.db.verification_models import LedgerEntry
from detente.errors import AccessDenied, InputError, NotFoundError, NotInForce, ProposalClosed
from detente.services import consent, verification, verification_reads
from detente.services.accounts import caller_by_name
from detente.services.caller import Caller, operator
from detente.services.context import AppContext, open_context
from detente.services.ledger import export_bundle
from detente.verification.consent import consent_statement, verify_consent
from detente.verification.consent_check import check_consents
from detente.verification.ledger import Entry, decode_entry, encode_entry, generate_key, leaf_hash, parse_vkey
from support import FakeClock

POLICY = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
MEMBERS = {
    "mediator": (Role.MEDIATOR, None),
    "padmin": (Role.ADMINISTRATOR, None),
    "analyst": (Role.ANALYST, None),
    "observer": (Role.OBSERVER, None),
    "viewer": (Role.VIEWER, None),
    "rep-a": (Role.PARTY_REPRESENTATIVE, "Arcadia"),
    "rep-b": (Role.PARTY_REPRESENTATIVE, "Borealis"),
}
RELEASE = {
    "title": "Borealis releases all detainees", "text": "Every detainee held since March is released.",
    "parties": ["Borealis"], "category": "detainee_release", "schedule": {"deadline": "2026-05-01"},
    "methods": ["third_party_observer"], "verifier": "ICRC", "label": "all_parties",
}  # fmt: skip


class World:
    def __init__(self, app: AppContext, pid: int, parties: dict[str, int], clock: FakeClock) -> None:
        self.app, self.pid, self.parties, self.clock = app, pid, parties, clock
        self.keys = {name: generate_key(f"{name}-laptop") for name in ("rep-a", "rep-b")}

    def who(self, name: str) -> Caller:
        return caller_by_name(self.app, name, via="test")

    def register(self, name: str) -> None:
        consent.register_key(self.app, self.who(name), self.pid, self.keys[name].public.vkey)

    def sign(self, name: str, cid: int, decision: str, reason: str = "") -> str:
        text = consent.statement_for(self.app, self.who(name), self.pid, cid, decision=decision, reason=reason)
        return base64.b64encode(self.keys[name].sign(text.statement.encode())).decode()

    def decide(self, name: str, cid: int, decision: str = "accept", reason: str = "") -> Any:
        signature = self.sign(name, cid, decision, reason)
        return consent.decide(self.app, self.who(name), self.pid, cid, decision=decision, reason=reason,
                              signature=signature)  # fmt: skip

    def board_ids(self, name: str = "mediator") -> list[int]:
        _, board = verification_reads.board(self.app, self.who(name), self.pid)
        return [c.id for c in board.commitments]


@pytest.fixture
def world(database_url: str, workspace: Path) -> Iterator[World]:
    clock = FakeClock()
    app = open_context(Settings(workspace=workspace, database_url=database_url), clock=clock)
    with app.db.transaction() as s:
        process = proc_db.create_process(s, "Arcadia–Borealis talks", fictional=True, clock=clock)
        parties = {n: proc_db.add_party(s, process.id, n, clock=clock).id for n in ("Arcadia", "Borealis")}
        for name, (role, party) in MEMBERS.items():
            user = create_user(s, name, "correct horse battery", policy=POLICY, clock=clock)
            proc_db.set_membership(s, process.id, user.id, role, party_id=parties.get(party or ""), clock=clock)
    try:
        yield World(app, process.id, parties, clock)
    finally:
        app.close()


def test_a_party_is_bound_only_once_its_representative_accepts_with_its_own_key(world: World) -> None:
    w = world
    proposed = consent.propose(w.app, w.who("rep-a"), w.pid, RELEASE)  # Arcadia proposes what binds Borealis
    assert (proposed.state, proposed.in_force, proposed.awaiting) == ("proposed", False, ["Borealis"])
    assert proposed.entered_by == "rep-a" and w.board_ids() == []  # a proposal is not on the board
    _, board = verification_reads.board(w.app, w.who("rep-b"), w.pid)
    assert [p.id for p in board.proposals] == [proposed.id]  # Borealis sees it, awaiting its acceptance
    with pytest.raises(NotInForce):
        verification.assess(w.app, w.who("observer"), w.pid, proposed.id, period="deadline", status="compliant",
                            rationale="seen", label="all_parties")  # fmt: skip
    # only Borealis's representative speaks for Borealis, and only with a key registered for it
    with pytest.raises(AccessDenied, match="does not bind your party"):
        consent.statement_for(w.app, w.who("rep-a"), w.pid, proposed.id, decision="accept")
    for name in ("mediator", "padmin", "observer"):
        with pytest.raises(AccessDenied):
            consent.statement_for(w.app, w.who(name), w.pid, proposed.id, decision="accept")
    with pytest.raises(InputError, match="register your signing key"):
        consent.decide(w.app, w.who("rep-b"), w.pid, proposed.id, decision="accept", reason="", signature="AAAA")
    w.register("rep-b")
    forged = base64.b64encode(w.keys["rep-a"].sign(b"anything")).decode()
    with pytest.raises(InputError, match="does not verify") as raised:
        consent.decide(w.app, w.who("rep-b"), w.pid, proposed.id, decision="accept", reason="", signature=forged)
    assert raised.value.field == "signature"
    declined_sig = w.sign("rep-b", proposed.id, "decline", "too soon")
    with pytest.raises(InputError, match="does not verify"):  # a signature is for one decision, one reason
        consent.decide(w.app, w.who("rep-b"), w.pid, proposed.id, decision="accept", reason="",
                       signature=declined_sig)  # fmt: skip
    accepted = w.decide("rep-b", proposed.id)
    assert (accepted.state, accepted.in_force, accepted.awaiting) == ("accepted", True, [])
    (decision,) = accepted.consents
    assert (decision.party, decision.by, decision.decision, decision.signature_valid) == ("Borealis", "rep-b",
                                                                                          "accept", True)  # fmt: skip
    assert w.board_ids() == [proposed.id]
    with pytest.raises(ProposalClosed):
        w.decide("rep-b", proposed.id)
    # the log holds the proposal, the key and the signed decision; each checks offline
    with w.app.db.transaction() as s:
        log = get_log(s, w.pid)
        entries = [decode_entry(bytes(e.data)) for e in s.query(LedgerEntry).filter_by(log_id=log.id)
                   .order_by(LedgerEntry.idx)]  # fmt: skip
        assert [e.kind for e in entries] == ["commitment", "party_key", "consent"]
        proposal_bytes = bytes(s.get(LedgerEntry, (log.id, 0)).data)  # type: ignore[union-attr]
        assert audit_log(s, w.pid).ok
    logged = entries[2].body
    text = consent_statement(log.origin, 0, leaf_hash(proposal_bytes), w.parties["Borealis"], "accept", "")
    assert logged["statement"] == text and verify_consent(text, logged["signature"], parse_vkey(logged["key"]))


def test_a_declined_or_expired_proposal_never_counts(world: World) -> None:
    w = world
    both = {**RELEASE, "title": "Both withdraw heavy weapons", "parties": ["Arcadia", "Borealis"],
            "category": "withdrawal"}  # fmt: skip
    first = consent.propose(w.app, w.who("mediator"), w.pid, both)
    w.register("rep-a")
    w.register("rep-b")
    half = w.decide("rep-a", first.id)
    assert (half.state, half.awaiting) == ("proposed", ["Borealis"])  # one party's yes binds no one yet
    with pytest.raises(InputError, match="say why"):
        consent.decide(w.app, w.who("rep-b"), w.pid, first.id, decision="decline", reason=" ", signature="x")
    declined = w.decide("rep-b", first.id, "decline", "our artillery is defensive")
    assert declined.state == "declined" and not declined.in_force
    assert [c.reason for c in declined.consents if c.decision == "decline"] == ["our artillery is defensive"]
    short = consent.propose(w.app, w.who("mediator"), w.pid, {**both, "expires_in_days": 2})
    w.clock.advance(days=2)
    with pytest.raises(ProposalClosed, match="expired"):
        w.decide("rep-a", short.id)
    assert w.board_ids() == []
    assert verification_reads.board(w.app, w.who("mediator"), w.pid)[1].implementation.process.commitments == 0
    states = {p.id: p.state for p in consent.proposals(w.app, w.who("rep-a"), w.pid).proposals}
    assert states == {first.id: "declined", short.id: "expired"}
    for bad in (0, 91, "soon"):
        with pytest.raises(InputError) as raised:
            consent.propose(w.app, w.who("mediator"), w.pid, {**both, "expires_in_days": bad})
        assert raised.value.field == "expires_in_days"


def test_who_may_propose_and_what_may_bind_whom(world: World) -> None:
    w = world
    for name in ("analyst", "observer", "viewer"):
        with pytest.raises((AccessDenied, NotFoundError)):
            consent.propose(w.app, w.who(name), w.pid, RELEASE)
    for name in ("mediator", "padmin", "rep-a", "rep-b"):
        assert consent.propose(w.app, w.who(name), w.pid, RELEASE).state == "proposed"
    with pytest.raises(InputError, match="may not read") as raised:  # Borealis could not read what binds it
        consent.propose(w.app, w.who("mediator"), w.pid, {**RELEASE, "label": "mediators_only"})
    assert raised.value.field == "label"
    with pytest.raises(InputError, match="cannot bind another"):
        consent.propose(w.app, w.who("mediator"), w.pid, {**RELEASE, "label": f"party:{w.parties['Arcadia']}"})
    own = consent.propose(w.app, w.who("rep-b"), w.pid, {**RELEASE, "label": f"party:{w.parties['Borealis']}"})
    assert own.binds == ["Borealis"]


def test_amendment_and_withdrawal_need_the_same_consent(world: World) -> None:
    w = world
    w.register("rep-a")
    w.register("rep-b")
    original = consent.propose(w.app, w.who("rep-a"), w.pid, RELEASE)
    w.decide("rep-b", original.id)
    pending = consent.propose(w.app, w.who("mediator"), w.pid, RELEASE)
    with pytest.raises(NotInForce):  # only what is in force is amended
        consent.propose_amendment(w.app, w.who("mediator"), w.pid, pending.id, RELEASE)
    # Arcadia proposes that Arcadia, too, releases: the new text binds both, so both must accept
    amended = consent.propose_amendment(w.app, w.who("mediator"), w.pid, original.id,
                                        {**RELEASE, "parties": ["Arcadia", "Borealis"]})  # fmt: skip
    assert (amended.change, amended.amends, sorted(amended.awaiting)) == ("amendment", original.id,
                                                                          ["Arcadia", "Borealis"])  # fmt: skip
    w.decide("rep-a", amended.id)
    assert w.board_ids() == [original.id]  # the old text stays in force until every bound party accepts the new
    w.decide("rep-b", amended.id)
    assert w.board_ids() == [amended.id]
    old = verification_reads.commitment_detail(w.app, w.who("mediator"), w.pid, original.id).commitment
    assert (old.state, old.in_force) == ("superseded", False)
    with pytest.raises(InputError, match="say why"):
        consent.propose_withdrawal(w.app, w.who("rep-b"), w.pid, amended.id, reason="")
    ending = consent.propose_withdrawal(w.app, w.who("rep-b"), w.pid, amended.id, reason="all released")
    assert ending.change == "withdrawal" and not ending.in_force
    w.decide("rep-b", ending.id)
    assert w.board_ids() == [amended.id]  # Arcadia has not agreed to end it
    w.decide("rep-a", ending.id)
    assert w.board_ids() == []
    ended = verification_reads.commitment_detail(w.app, w.who("rep-a"), w.pid, amended.id).commitment
    assert ended.state == "withdrawn"
    with pytest.raises(NotInForce):
        verification.allege(w.app, w.who("observer"), w.pid, amended.id, summary="x", label="all_parties")


def test_keys_are_the_partys_own(world: World) -> None:
    w = world
    for name in ("mediator", "observer", "padmin"):
        with pytest.raises(AccessDenied):
            consent.register_key(w.app, w.who(name), w.pid, generate_key("x").public.vkey)
    w.register("rep-b")
    with pytest.raises(InputError, match="registered already"):
        w.register("rep-b")
    with pytest.raises(InputError) as raised:
        consent.register_key(w.app, w.who("rep-b"), w.pid, "not-a-key")
    assert raised.value.field == "public_key"
    raw = base64.b64encode(generate_key("browser").public.key).decode()  # what a browser sends
    browser = consent.register_key(w.app, w.who("rep-b"), w.pid, raw)
    assert browser.key.startswith("rep-b-browser+") and browser.fingerprint.startswith("SHA256:")
    keys = consent.list_keys(w.app, w.who("rep-a"), w.pid).keys  # every party sees which keys speak for which party
    assert [k.party for k in keys] == ["Borealis", "Borealis"]
    with pytest.raises(NotFoundError):  # Arcadia cannot revoke Borealis's key
        consent.revoke_key(w.app, w.who("rep-a"), w.pid, keys[0].id)
    consent.revoke_key(w.app, w.who("rep-b"), w.pid, keys[0].id)
    proposed = consent.propose(w.app, w.who("rep-a"), w.pid, RELEASE)
    with pytest.raises(InputError, match="does not verify"):  # a revoked key no longer signs
        w.decide("rep-b", proposed.id)


def test_every_signed_decision_checks_offline(world: World, tmp_path: Path) -> None:
    """`ledger verify` checks each logged decision: its signature, the exact proposal entry it signs, and a key the
    party registered before signing. A decision the server copied onto another proposal, or made with a key no party
    registered, is refused — what a dishonest operator would have to do to bind a party without its consent."""
    w = world
    w.register("rep-b")
    accepted = consent.propose(w.app, w.who("rep-a"), w.pid, RELEASE)
    w.decide("rep-b", accepted.id)
    other = consent.propose(w.app, w.who("rep-a"), w.pid, {**RELEASE, "title": "Borealis disarms"})
    bundle = export_bundle(w.app, operator("test"), w.pid, tmp_path / "bundle", reader="rep-a")
    result = CliRunner().invoke(ledger_app, ["verify", str(bundle), "--json", "--allow-unwitnessed",
                                             "--known-keys", str(tmp_path / "known")])  # fmt: skip
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["consents_checked"] == 1, result.output
    lines = [line for line in (bundle / "entries.jsonl").read_bytes().split(b"\n") if line]
    origin = report["origin"]
    assert check_consents(lines, origin) == (1, [])
    kinds = [decode_entry(line).kind for line in lines]
    real = decode_entry(lines[kinds.index("consent")])
    proposal_at = kinds.index("commitment", kinds.index("consent"))  # the second proposal's entry
    # the server logs Borealis's signed acceptance again, as if it accepted the other proposal
    replayed = {**real.body, "commitment_id": other.id, "proposal_entry": proposal_at}
    _, problems = check_consents([*lines, encode_entry(Entry("consent", replayed))], origin)
    assert [p.code for p in problems] == ["consent_statement"] and "not the proposal at" in problems[0].message
    # ... or signs for Borealis with a key of its own, which no representative of Borealis registered
    intruder = generate_key("operator-made")
    statement = consent_statement(
        origin, proposal_at, leaf_hash(lines[proposal_at]), w.parties["Borealis"], "accept", ""
    )
    forged = {**replayed, "key": intruder.public.vkey, "statement": statement,
              "signature": base64.b64encode(intruder.sign(statement.encode())).decode()}  # fmt: skip
    _, problems = check_consents([*lines, encode_entry(Entry("consent", forged))], origin)
    assert [p.code for p in problems] == ["consent_key"] and "never registered" in problems[0].message
    # ... or rewrites the decision in the entry: the signature no longer verifies
    flipped = {**real.body, "decision": "decline"}
    _, problems = check_consents([*lines, encode_entry(Entry("consent", flipped))], origin)
    assert [p.code for p in problems] == ["consent_statement"]
