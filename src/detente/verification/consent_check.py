"""The consents in a log, checked offline: every party's signed decision verifies, signs exactly the proposal entry
it is logged against, and was made with a key registered for that party before — and not revoked before — it signed.

Run by ``detente ledger verify`` over a bundle's entries (the readable ones; a withheld entry travels as its leaf
hash, which is enough to check what a statement names). What cannot be checked because an entry is withheld is
reported as a warning, not passed over in silence.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from detente.errors import LedgerError
from detente.verification.consent import CONSENT_FORMAT, verify_consent
from detente.verification.ledger import decode_entry, leaf_hash, parse_vkey
from detente.verification.ledger.bundle import WITHHELD_PREFIX

__all__ = ["ConsentProblem", "check_consents"]


@dataclass(frozen=True)
class ConsentProblem:
    code: str
    message: str
    index: int
    severity: str = "error"


def _statement_fields(text: str) -> dict[str, str] | None:
    lines = text.split("\n")
    if len(lines) != 8 or lines[0] != CONSENT_FORMAT or lines[-1] != "":
        return None
    fields: dict[str, str] = {}
    for line in lines[1:-1]:
        name, _, value = line.partition(" ")
        fields[name] = value
    return fields if set(fields) == {"origin", "entry", "leaf", "party", "decision", "reason"} else None


def check_consents(lines: Sequence[bytes], origin: str) -> tuple[int, list[ConsentProblem]]:
    """(consents checked, problems) over a bundle's entry lines (withheld ones as ``#leaf:<hex>``)."""
    leaves: list[bytes] = []
    bodies: list[tuple[str, dict[str, object]] | None] = []
    for line in lines:
        if line.startswith(WITHHELD_PREFIX):
            try:
                leaves.append(bytes.fromhex(line[len(WITHHELD_PREFIX) :].decode("ascii")))
            except (UnicodeDecodeError, ValueError):
                leaves.append(b"")  # reported by the bundle check
            bodies.append(None)
            continue
        leaves.append(leaf_hash(line))
        try:
            entry = decode_entry(line)
        except LedgerError:
            bodies.append(None)  # reported by the bundle check
            continue
        bodies.append((entry.kind, dict(entry.body)))
    problems: list[ConsentProblem] = []
    registered: dict[str, tuple[int, int]] = {}  # vkey -> (party id, index registered)
    revoked: dict[str, int] = {}
    keys_withheld = any(b is None for b in bodies)
    checked = 0
    for index, found in enumerate(bodies):
        if found is None:
            continue
        kind, body = found
        if kind == "party_key":
            registered[str(body.get("key"))] = (int(str(body.get("party_id"))), index)
        elif kind == "party_key.revoked":
            revoked[str(body.get("key"))] = index
        elif kind == "consent":
            checked += 1
            problems += _check_one(index, body, origin, leaves, registered, revoked, keys_withheld)
    return checked, problems


def _check_one(
    index: int,
    body: dict[str, object],
    origin: str,
    leaves: Sequence[bytes],
    registered: dict[str, tuple[int, int]],
    revoked: dict[str, int],
    keys_withheld: bool,
) -> list[ConsentProblem]:
    statement, signature, vkey = str(body.get("statement", "")), str(body.get("signature", "")), str(body.get("key"))
    try:
        key = parse_vkey(vkey)
    except LedgerError as exc:
        return [
            ConsentProblem("consent_key", f"consent at entry {index}: its key is not a verifier key ({exc})", index)
        ]
    if not verify_consent(statement, signature, key):
        return [ConsentProblem("consent_signature", f"consent at entry {index}: the signature does not verify", index)]
    fields = _statement_fields(statement)
    if fields is None:
        return [ConsentProblem("consent_statement", f"consent at entry {index}: not a {CONSENT_FORMAT} statement",
                               index)]  # fmt: skip
    problems: list[ConsentProblem] = []
    proposal = body.get("proposal_entry")
    wrong = []
    if fields["origin"] != origin:
        wrong.append(f"it signs for the log {fields['origin']!r}")
    if fields["entry"] != str(proposal) or not isinstance(proposal, int) or not 0 <= proposal < index:
        wrong.append(f"it signs entry {fields['entry']}, not the proposal at {proposal}")
    elif fields["leaf"] != base64.b64encode(leaves[proposal]).decode("ascii"):
        wrong.append(f"it signs another leaf than entry {proposal}'s")
    if fields["party"] != str(body.get("party_id")) or fields["decision"] != str(body.get("decision")):
        wrong.append("its party or decision is not the one logged")
    if fields["reason"] != hashlib.sha256(str(body.get("reason", "")).encode("utf-8")).hexdigest():
        wrong.append("its reason is not the one logged")
    if wrong:
        problems.append(ConsentProblem("consent_statement", f"consent at entry {index}: {'; '.join(wrong)}", index))
    holder = registered.get(vkey)
    if holder is None:
        if keys_withheld:
            problems.append(ConsentProblem("consent_key_unchecked", f"consent at entry {index}: the registration of "
                                           "its key is not in this bundle (withheld)", index, "warning"))  # fmt: skip
        else:
            problems.append(ConsentProblem("consent_key", f"consent at entry {index}: signed with a key never "
                                           "registered for a party in this log", index))  # fmt: skip
    elif str(holder[0]) != str(body.get("party_id")) or holder[1] > index:
        problems.append(ConsentProblem("consent_key", f"consent at entry {index}: the key was not registered for "
                                       "that party before it signed", index))  # fmt: skip
    elif revoked.get(vkey, index) < index:
        problems.append(ConsentProblem("consent_key", f"consent at entry {index}: the key was revoked (entry "
                                       f"{revoked[vkey]}) before it signed", index))  # fmt: skip
    return problems
