"""The codes of the second factor, without storage: TOTP (RFC 6238, computed by ``cryptography``) and recovery
codes, and how a code typed by a person is read.

TOTP uses the parameters every authenticator app assumes when a QR code names none: HMAC-SHA-1, 6 digits, a step of
30 seconds, a 160-bit seed (RFC 4226 recommends it). A code is accepted for the current step and one step either
side (clock drift, and the seconds it takes to type). A recovery code holds 120 random bits — more than the 112 bits
above which ASVS 5.0 V6.5.2 allows a plain hash — in 24 characters of Crockford's base32 (no I, L, O or U), shown
in groups of four.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from detente.errors import InputError

__all__ = [
    "CODE_FIELD",
    "DIGITS",
    "RECOVERY_CODE_COUNT",
    "SECRET_BYTES",
    "STEP_SECONDS",
    "WINDOW",
    "TypedCode",
    "code_at",
    "matching_step",
    "new_recovery_code",
    "new_totp_secret",
    "parse_code",
    "provisioning_uri",
    "secret_text",
    "step_of",
]

SECRET_BYTES = 20
DIGITS = 6
STEP_SECONDS = 30
#: steps accepted either side of the current one
WINDOW = 1
ISSUER = "Détente"
RECOVERY_CODE_COUNT = 10
#: Crockford's base32 alphabet, lowercase
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 24  # x 5 bits = 120 bits
_GROUP = 4
#: what a person may type for a letter that the alphabet leaves out
_LOOKALIKES = str.maketrans({"i": "1", "l": "1", "o": "0"})
#: the form field a code is typed into, named by every error about it
CODE_FIELD = "code"
_LONGEST_INPUT = 64


def new_totp_secret() -> bytes:
    """A fresh seed from the operating system's CSPRNG."""
    return secrets.token_bytes(SECRET_BYTES)


def secret_text(secret: bytes) -> str:
    """The seed as authenticator apps take it when typed in: base32, without padding."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA1(), STEP_SECONDS)


def provisioning_uri(secret: bytes, username: str) -> str:
    """``otpauth://totp/Détente:<username>?secret=…&issuer=Détente`` (percent-encoded), for a QR code."""
    return _totp(secret).get_provisioning_uri(username, ISSUER)


def step_of(now: datetime) -> int:
    """The RFC 6238 time step of ``now``."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: bytes, step: int) -> str:
    """The code of one time step."""
    return _totp(secret).generate(step * STEP_SECONDS).decode("ascii")


def matching_step(secret: bytes, code: str, now: datetime, *, after: int | None = None) -> int | None:
    """The time step within ``WINDOW`` of ``now`` whose code is ``code`` and that comes after ``after`` (the last
    step used: a code is good once), or None. Every candidate step is compared, in constant time."""
    current = step_of(now)
    found: int | None = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        same = hmac.compare_digest(code_at(secret, step).encode("ascii"), code.encode("ascii"))
        if same and (after is None or step > after):
            found = step
    return found


def new_recovery_code() -> str:
    """A fresh recovery code, formatted for reading: ``xxxx-xxxx-xxxx-xxxx-xxxx-xxxx``."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + _GROUP] for i in range(0, _RECOVERY_LENGTH, _GROUP))


@dataclass(frozen=True)
class TypedCode:
    """A code as typed, read: either a TOTP code (6 digits) or a recovery code (its 24 characters, normalised)."""

    totp: str | None = None
    recovery: str | None = None


def parse_code(text: str, *, recovery: bool = True, field: str = CODE_FIELD) -> TypedCode:
    """Read what a person typed: spaces and hyphens are ignored, case too, and I, L, O stand for 1, 1, 0 in a
    recovery code. Anything else is an :class:`InputError` naming ``field`` and saying what a code looks like."""
    what = "the 6-digit code of your authenticator app" + (", or a recovery code" if recovery else "")
    stripped = text.strip()
    if not stripped:
        raise InputError(f"enter {what}", field=field)
    if len(stripped) > _LONGEST_INPUT:
        raise InputError(f"too long: expected {what}", field=field)
    compact = "".join(stripped.split()).replace("-", "").lower()
    if compact.isascii() and compact.isdigit():
        if len(compact) != DIGITS:
            raise InputError(f"a code has {DIGITS} digits; this has {len(compact)}", field=field)
        return TypedCode(totp=compact)
    if recovery and len(compact) == _RECOVERY_LENGTH and compact.isascii() and compact.isalnum():
        normal = compact.translate(_LOOKALIKES)
        if all(c in _ALPHABET for c in normal):
            return TypedCode(recovery=normal)
    if len(compact) <= DIGITS + 2 or not recovery:
        raise InputError(f"a code is {DIGITS} digits (0-9), nothing else", field=field)
    raise InputError(f"not a code: expected {what} (24 letters and digits)", field=field)
