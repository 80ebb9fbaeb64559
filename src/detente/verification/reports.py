"""Reports from parties, observers and verifiers, signed with the author's Ed25519 key.

The signed message is the canonical entry encoding (``docs/ledger.md``) of the report body — author, time, place,
narrative, commitment, evidence hashes — so anyone holding the author's public key and the logged entry can check
the signature offline. The signature travels in the logged entry next to the body.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from detente.errors import InputError
from detente.verification.ledger import Entry, KeyPair, PublicKey, encode_entry

from .commitments import iso
from .evidence import EvidenceFile

__all__ = ["REPORT_SIGNED_KIND", "Report", "sign_report", "verify_report_signature"]

#: entry kind of the signed message (never logged on its own; the ``report`` entry wraps body and signature)
REPORT_SIGNED_KIND = "report.signed"


@dataclass(frozen=True)
class Report:
    author: str
    time: datetime
    place: str
    narrative: str
    label: str
    commitment_id: int | None = None
    evidence: tuple[EvidenceFile, ...] = ()

    def __post_init__(self) -> None:
        if not self.narrative.strip():
            raise InputError("a report needs a narrative", field="narrative")
        if not self.author.strip():
            raise InputError("a report needs an author", field="author")
        iso(self.time)

    def to_body(self) -> dict[str, Any]:
        return {
            "author": self.author,
            "time": iso(self.time),
            "place": self.place,
            "narrative": self.narrative,
            "commitment_id": self.commitment_id,
            "evidence": [e.to_body() for e in self.evidence],
            "label": self.label,
        }


def _message(body: dict[str, Any]) -> bytes:
    return encode_entry(Entry(REPORT_SIGNED_KIND, body))


def sign_report(body: dict[str, Any], key: KeyPair) -> str:
    """Base64 Ed25519 signature of the report body."""
    return base64.b64encode(key.sign(_message(body))).decode("ascii")


def verify_report_signature(body: dict[str, Any], signature: str, key: PublicKey) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        return False
    return key.verify(raw, _message(body))
