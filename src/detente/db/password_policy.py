"""Which passwords an account may have, per OWASP ASVS 5.0 (V6.2): at least 12 characters and up to 1,024 (long
passphrases welcome), no composition rules, not the username nor containing it, not only spaces, not one of the
common and breached passwords of the list shipped in ``data/common-passwords.txt.gz`` (Django's list and the
zxcvbn-ts list, see ``tools/build_common_passwords.py``), and not one of them with digits, punctuation or spaces
added at its end (its *stem*, :func:`stem`, is on the list: ``sunshine2024!``). Pure: no I/O beyond reading the
packaged list once."""

from __future__ import annotations

import gzip
import string
from functools import cache
from importlib import resources

from detente.errors import InputError

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "MIN_STEM_LENGTH",
    "check_password",
    "common_passwords",
    "stem",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
#: a stem shorter than this is not looked up (``abc`` + nine digits is not refused for ``abc``)
MIN_STEM_LENGTH = 4
#: what :func:`stem` takes off the end of a password
_ADDED = string.digits + string.punctuation + string.whitespace


def stem(password: str) -> str:
    """The password without the digits, ASCII punctuation and spaces at its end: what is left when a number, a year
    or symbols added to a common password are taken off (``sunshine2024!`` → ``sunshine``)."""
    return password.rstrip(_ADDED)


@cache
def common_passwords() -> frozenset[str]:
    """The packaged list of common and breached passwords, lowercased (the build tool leaves out the short entries
    whose stem is itself listed: the stem refuses whatever they would)."""
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
    listed = common_passwords()
    bare = lowered.strip()
    if lowered in listed or bare in listed:
        raise InputError("this password is on a list of common or breached passwords; choose another", field="password")
    base = stem(bare)
    if len(base) >= MIN_STEM_LENGTH and base != bare and base in listed:
        raise InputError(
            "this password is a common password with digits or symbols added at its end; choose another",
            field="password",
        )
