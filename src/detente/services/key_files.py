"""Private key files on the holder's own machine: a party representative's signing key (``detente keys new``) or a
witness's cosigning key (``detente witness keygen``). One line, the C2SP signer-key string; created readable by its
owner only and never overwritten."""

from __future__ import annotations

import os
from pathlib import Path

from detente.errors import InputError, LedgerError
from detente.verification.ledger import ALG_ED25519, KeyPair, generate_key, parse_signer_key

__all__ = ["new_key_file", "read_key_file"]


def new_key_file(name: str, out: Path, alg: int = ALG_ED25519) -> KeyPair:
    """Make a key named *name* and write its private half to *out* (mode 0600, which must not exist)."""
    try:
        pair = generate_key(name, alg)
    except LedgerError as exc:
        raise InputError(str(exc), field="name") from exc
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError("the file exists already: choose another (a key is never overwritten)", path=out) from None
    except OSError as exc:
        raise InputError(f"cannot write the key file ({exc.strerror or exc})", path=out) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(pair.skey + "\n")
    return pair


def read_key_file(path: Path, *, alg: int | None = None, what: str = "private key") -> KeyPair:
    """The key in *path*; with *alg*, refused unless of that signature type."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"cannot read the key file ({exc.strerror or exc})", path=path) from exc
    try:
        key = parse_signer_key(text)
    except LedgerError as exc:
        raise InputError(f"not a {what} file: {exc}", path=path, line=1) from exc
    if alg is not None and key.alg != alg:
        raise InputError(f"not a {what} file: its signature type must be 0x{alg:02x}", path=path, line=1)
    return key
