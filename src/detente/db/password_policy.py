"""Which passwords an account may have, per OWASP ASVS 5.0 (V6.2): at least 12 characters and up to 1,024 (long
passphrases welcome), no composition rules, not the username nor containing it, not only spaces, and not one of the
common passwords of the list shipped in ``data/common-passwords.txt.gz`` (Django's list of 20,000, see
``tools/build_common_passwords.py``). Pure: no I/O beyond reading the packaged list once."""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

from detente.errors import InputError

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "check_password", "common_passwords"]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


@cache
def common_passwords() -> frozenset[str]:
    """The packaged list of common and breached passwords, lowercased."""
    data = resources.files("detente.db").joinpath("data", "common-passwords.txt.gz").read_bytes()
    return frozenset(line for line in gzip.decompress(data).decode("utf-8").splitlines() if line)


def check_password(password: str, *, username: str | None = None, min_length: int = MIN_PASSWORD_LENGTH) -> None:
    """Refuse a password the policy does not allow, with an :class:`InputError` on the field ``password`` saying
    why (never echoing the password)."""
    if len(password) < min_length:
        raise InputError(f"a password has at least {min_length} characters", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(f"a password has at most {MAX_PASSWORD_LENGTH} characters", field="password")
    if not password.strip():
        raise InputError("a password cannot be only spaces", field="password")
    lowered = password.lower()
    name = (username or "").strip().lower()
    if name and name in lowered:
        raise InputError("a password must not contain the username", field="password")
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        raise InputError("this password is on a list of common or breached passwords; choose another", field="password")
