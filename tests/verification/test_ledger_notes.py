"""Signed notes, key strings, checkpoints, witnesses and quorum policy."""

from __future__ import annotations

import base64

import pytest
from ledger_helpers import ORIGIN, StepClock, build, cosign_all, entry, key

from detente.verification.ledger import (
    ALG_COSIGNATURE_V1,
    Checkpoint,
    CheckpointError,
    ForkError,
    NoteError,
    QuorumError,
    RollbackError,
    StaleSizeError,
    TransparencyLog,
    UnknownLogError,
    Witness,
    WitnessPolicy,
    format_note,
    open_checkpoint,
    parse_note,
    parse_signer_key,
    parse_vkey,
    verify_checkpoint,
)
from detente.verification.ledger.note import key_id


def test_key_strings_round_trip_and_key_id_follows_signed_note() -> None:
    pair = key("example.com/log")
    public = pair.public
    assert parse_vkey(public.vkey) == public
    assert parse_signer_key(pair.skey) == pair
    name, hex_id, encoded = public.vkey.split("+", 2)
    assert name == "example.com/log" and base64.b64decode(encoded)[0] == 0x01
    import hashlib

    assert bytes.fromhex(hex_id) == hashlib.sha256(b"example.com/log\n\x01" + public.key).digest()[:4]
    assert key_id(name, ALG_COSIGNATURE_V1, public.key) != public.key_id  # type byte separates domains
    with pytest.raises(NoteError, match="does not match"):
        parse_vkey(f"other.name+{hex_id}+{encoded}")
    with pytest.raises(NoteError):
        parse_vkey("no-plus-signs")


def test_checkpoint_note_format_and_signature() -> None:
    log = TransparencyLog(key(ORIGIN))
    for i in range(3):
        log.append(entry(i))
    note = log.signed_checkpoint()
    lines = note.split("\n")
    assert lines[0] == ORIGIN and lines[1] == "3" and base64.b64decode(lines[2]) == log.tree.root()
    assert lines[3] == "" and lines[4].startswith(f"\u2014 {ORIGIN} ")
    checkpoint, _ = open_checkpoint(note, log.public_key)
    assert checkpoint == Checkpoint(ORIGIN, 3, log.tree.root())
    # a changed body, or a note signed by another key, is refused
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(note.replace("\n3\n", "\n4\n", 1), log.public_key)
    impostor = TransparencyLog(key("impostor.example/log"))
    with pytest.raises(CheckpointError):
        open_checkpoint(impostor.signed_checkpoint(), log.public_key)
    for bad in ["no blank line\n", "text\n\n- name AAAA\n", "text\n\n\u2014 name !!!\n", "text\n\n"]:
        with pytest.raises(NoteError):
            parse_note(bad)


def test_quorum_policy_k_of_n() -> None:
    fx = build(n_entries=6, every=3, n_witnesses=3, quorum=2)
    verified = verify_checkpoint(fx.notes[-1], fx.policy)
    assert set(verified.cosigned_by) == {"witness.example/w0", "witness.example/w1", "witness.example/w2"}
    assert all(t.tzinfo is not None for t in verified.cosigned_by.values())
    note = parse_note(fx.notes[-1])
    log_sig, *cosigs = note.signatures
    one = format_note(type(note)(note.text, (log_sig, cosigs[0])))
    assert verify_checkpoint(one, WitnessPolicy(fx.policy.log, fx.policy.witnesses, quorum=1))
    with pytest.raises(QuorumError, match="1 of the 2"):
        verify_checkpoint(one, fx.policy)
    bare = fx.log.signed_checkpoint()
    with pytest.raises(QuorumError, match=r"missing: witness\.example/w0, witness\.example/w1"):
        verify_checkpoint(bare, fx.policy)
    # a cosignature of another checkpoint does not count (and a known witness with a bad signature rejects)
    old = parse_note(fx.notes[0])
    mixed = format_note(type(note)(note.text, (log_sig, old.signatures[1], cosigs[1])))
    with pytest.raises(CheckpointError):
        verify_checkpoint(mixed, fx.policy)
    # unknown witnesses are ignored
    stranger = Witness(key("stranger.example/w", ALG_COSIGNATURE_V1), [fx.log.public_key], clock=StepClock())
    extra = note.with_signatures([stranger.add_checkpoint(bare, 0)])
    assert set(verify_checkpoint(format_note(extra), fx.policy).cosigned_by) == set(verified.cosigned_by)


def test_witness_refuses_forks_rollbacks_stale_sizes_and_unknown_logs() -> None:
    fx = build(n_entries=10, every=5, n_witnesses=1, quorum=1)
    witness = fx.witnesses[0]
    assert witness.latest(ORIGIN) == (10, fx.log.tree.root())
    # fork: another log under the same key with different entries, presented at a larger size
    fork = TransparencyLog(key(ORIGIN))
    for i in range(12):
        fork.append(entry(i if i != 3 else 99))
    with pytest.raises(ForkError, match="not consistent"):
        witness.add_checkpoint(fork.signed_checkpoint(), 10, fork.tree.consistency_proof(10))
    # fork at the same size
    with pytest.raises(ForkError, match="different root"):
        witness.add_checkpoint(fork.signed_checkpoint(10), 10, [])
    # rollback: an older, genuine checkpoint
    with pytest.raises(RollbackError):
        witness.add_checkpoint(fx.log.signed_checkpoint(5), 10, [])
    # the caller's idea of the witness state is stale
    with pytest.raises(StaleSizeError) as stale:
        witness.add_checkpoint(fx.log.signed_checkpoint(), 5, [])
    assert stale.value.latest_size == 10
    # unknown log
    other = TransparencyLog(key("other.example/log"))
    other.append(entry(0))
    with pytest.raises(UnknownLogError):
        witness.add_checkpoint(other.signed_checkpoint(), 0, [])
    # state unchanged by refusals; the honest next checkpoint is accepted
    assert witness.latest(ORIGIN) == (10, fx.log.tree.root())
    fx.log.append(entry(10))
    cosign_all(fx.log, [witness])
    assert witness.latest(ORIGIN) == (11, fx.log.tree.root())


def test_cosignature_line_layout_is_tlog_cosignature_v1() -> None:
    fx = build(n_entries=2, every=2, n_witnesses=1, quorum=1)
    sig = parse_note(fx.notes[0]).signatures[1]
    assert sig.key_id == fx.witnesses[0].public.key_id and len(sig.signature) == 8 + 64
    timestamp = int.from_bytes(sig.signature[:8], "big")
    text = parse_note(fx.notes[0]).text
    message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
    assert fx.witnesses[0].public.verify(sig.signature[8:], message)
