"""The stand-alone witness over real HTTP (C2SP tlog-witness): it cosigns a consistent checkpoint, and refuses a
rollback, a fork, a bad proof, an unknown log, a wrong log key and a malformed request with the statuses of the
spec; its state survives a restart."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from witness_helpers import RunningWitness, free_port, make_witness

from detente.services.witness import add_log
from detente.verification.ledger import (
    ALG_COSIGNATURE_V1,
    Checkpoint,
    Entry,
    MerkleTree,
    WitnessPolicy,
    encode_entry,
    generate_key,
    leaf_hash,
    parse_vkey,
    sign_checkpoint,
    verify_checkpoint,
)
from detente.verification.ledger.note import parse_note
from detente.verification.ledger.witness_protocol import format_add_checkpoint, parse_cosignatures

ORIGIN = "detente.test/process/w"
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def witness(tmp_path: Path) -> RunningWitness:
    w = make_witness(tmp_path, "witness.test/alpha")
    w.start()
    yield w
    w.stop()


class Log:
    def __init__(self, origin: str = ORIGIN, seed: int = 1) -> None:
        self.key = generate_key(origin, seed=bytes([seed]) * 32)
        self.tree = MerkleTree()

    def append(self, count: int, tag: str = "") -> None:
        for _ in range(count):
            self.tree.append(leaf_hash(encode_entry(Entry("commitment", {"n": self.tree.size, "tag": tag}))))

    def note(self, size: int | None = None) -> str:
        size = self.tree.size if size is None else size
        return sign_checkpoint(Checkpoint(self.key.name, size, self.tree.root(size)), self.key)


def post(w: RunningWitness, old: int, proof: list[bytes], note: str) -> httpx.Response:
    return httpx.post(w.url + "/add-checkpoint", content=format_add_checkpoint(old, proof, note), timeout=30)


def test_cosigns_then_extends_then_refuses_rollback_and_fork(witness: RunningWitness) -> None:
    log = Log()
    add_log(witness.state, ORIGIN, log.key.public.vkey)
    log.append(3)
    first = post(witness, 0, [], log.note())
    assert first.status_code == 200, first.text
    wkey = parse_vkey(witness.vkey)
    sigs = parse_cosignatures(first.content, log.note(), wkey)
    note = parse_note(log.note()).with_signatures(sigs)
    verified = verify_checkpoint(note, WitnessPolicy(log=log.key.public, witnesses=(wkey,), quorum=1))
    assert set(verified.cosigned_by) == {"witness.test/alpha"}

    log.append(4)
    stale = post(witness, 0, [], log.note())
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("text/x.tlog.size")
    assert stale.text == "3\n"
    good = post(witness, 3, log.tree.consistency_proof(3, 7), log.note())
    assert good.status_code == 200, good.text

    # rollback: a smaller tree than the witness's (old size beyond the checkpoint) is malformed
    assert post(witness, 7, [], log.note(5)).status_code == 400
    # a different tree at the same size: a fork
    fork = Log()
    fork.append(7, tag="other")
    assert post(witness, 7, [], fork.note()).status_code == 422
    # a fork that claims to extend: its proof does not verify
    fork.append(2, tag="other")
    assert post(witness, 7, fork.tree.consistency_proof(7, 9), fork.note()).status_code == 422
    # a bad proof for an honest extension
    log.append(2)
    proof = log.tree.consistency_proof(7, 9)
    proof[0] = bytes(32)
    assert post(witness, 7, proof, log.note()).status_code == 422
    assert post(witness, 7, log.tree.consistency_proof(7, 9), log.note()).status_code == 200


def test_unknown_origin_wrong_key_and_malformed(witness: RunningWitness) -> None:
    log = Log()
    log.append(2)
    assert post(witness, 0, [], log.note()).status_code == 404
    add_log(witness.state, ORIGIN, log.key.public.vkey)
    impostor = Log(seed=9)  # same origin, another key
    impostor.append(2)
    assert post(witness, 0, [], impostor.note()).status_code == 403
    url = witness.url + "/add-checkpoint"
    assert httpx.post(url, content=b"old x\n\n" + log.note().encode(), timeout=5).status_code == 400
    assert httpx.post(url, content=b"no blank line", timeout=5).status_code == 400
    assert httpx.post(url, content=b"old 5\n\n" + log.note().encode(), timeout=5).status_code == 400
    proof_from_zero = format_add_checkpoint(0, [bytes(32)], log.note())
    assert httpx.post(url, content=proof_from_zero, timeout=5).status_code == 422
    bad_empty = sign_checkpoint(Checkpoint(ORIGIN, 0, bytes(32)), log.key)  # size zero, not the empty root
    assert httpx.post(url, content=format_add_checkpoint(0, [], bad_empty), timeout=5).status_code == 422
    forged = log.note().replace(base64.b64encode(log.tree.root()).decode(), base64.b64encode(bytes(32)).decode())
    assert httpx.post(url, content=format_add_checkpoint(0, [], forged), timeout=5).status_code == 403


def test_state_survives_a_restart(witness: RunningWitness) -> None:
    log = Log()
    add_log(witness.state, ORIGIN, log.key.public.vkey)
    log.append(5)
    assert post(witness, 0, [], log.note()).status_code == 200
    witness.stop()
    witness.start()
    again = post(witness, 0, [], log.note(3))
    assert again.status_code == 409 and again.text == "5\n"
    assert post(witness, 5, [], log.note(3)).status_code == 400  # no rollback after the restart
    log.append(1)
    assert post(witness, 5, log.tree.consistency_proof(5, 6), log.note()).status_code == 200


def test_cli_keygen_add_log_and_serve(tmp_path: Path) -> None:
    """`detente witness keygen|add-log|serve` as a user runs them, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    key_file, state = tmp_path / "w.key", tmp_path / "state"
    made = run_cli("witness", "keygen", "--name", "witness.test/cli", "--out", str(key_file), env=env)
    vkey = made.stdout.strip()
    assert parse_vkey(vkey).alg == ALG_COSIGNATURE_V1
    again = run_cli("witness", "keygen", "--name", "witness.test/cli", "--out", str(key_file), env=env, check=False)
    assert again.returncode == 2 and "Traceback" not in again.stderr and len(again.stderr.splitlines()) == 1
    log = Log()
    run_cli("witness", "add-log", "--state", str(state), "--origin", ORIGIN, "--vkey", log.key.public.vkey, env=env)
    wrong = run_cli("witness", "add-log", "--state", str(state), "--origin", "x", "--vkey", "nope", env=env,
                    check=False)  # fmt: skip
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    port = free_port()
    cmd = [sys.executable, "-m", "detente.cli.app", "witness", "serve", "--key", str(key_file), "--state", str(state),
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        w = RunningWitness("witness.test/cli", key_file, state, port, vkey)
        deadline = time.monotonic() + 120  # a condition with a generous bound: a loaded machine starts Python slowly
        while True:
            try:
                httpx.get(w.url + "/", timeout=0.5)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise AssertionError(
                        f"the witness exited: {proc.stderr.read() if proc.stderr else b''!r}"
                    ) from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        log.append(2)
        assert post(w, 0, [], log.note()).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_cli(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "detente.cli.app", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    if check:
        assert done.returncode == 0, done.stderr
    return done
