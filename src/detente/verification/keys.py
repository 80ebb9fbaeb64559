"""Secrets at rest: process log keys, users' report-signing keys and second-factor seeds, sealed with AES-256-GCM.

The key-encryption key is derived with HKDF-SHA256 from a 256-bit random *vault secret* kept in the workspace
(``keys/vault.secret``, mode 0600), never in the database: a copy of the database (a dump, a backup, a stolen
PostgreSQL volume) holds only ciphertext. HKDF rather than scrypt/Argon2 because the secret is random, not a
password: a slow hash adds nothing. Each sealed key is bound (AES-GCM associated data) to its *purpose*, e.g.
``process:4``, ``user:17`` or ``totp:17``, so a ciphertext moved to another row does not open. See ADR 0009.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from detente.errors import ConfigError, StoreError
from detente.verification.ledger import KeyPair, parse_signer_key

__all__ = ["SECRET_SIZE", "VAULT_SECRET_FILE", "KeyVault", "load_vault_secret"]

SECRET_SIZE = 32
VAULT_SECRET_FILE = Path("keys") / "vault.secret"
_VERSION = b"\x01"
_NONCE = 12

#: a source of random bytes (``os.urandom``; a seeded generator in tests)
RandomBytes = Callable[[int], bytes]


class KeyVault:
    """Seals and opens :class:`KeyPair` values (and other secrets, as bytes) with a key derived from the vault
    secret."""

    def __init__(self, secret: bytes, *, random: RandomBytes = os.urandom) -> None:
        if len(secret) < SECRET_SIZE:
            raise ConfigError(f"the key-vault secret must be at least {SECRET_SIZE} bytes")
        kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"detente key vault v1").derive(secret)
        self._aead = AESGCM(kek)
        self._random = random

    def seal(self, key: KeyPair, purpose: str) -> bytes:
        """``0x01 || nonce || AES-GCM(signer key text)``, bound to *purpose*."""
        return self.seal_bytes(key.skey.encode("ascii"), purpose)

    def open(self, sealed: bytes, purpose: str) -> KeyPair:
        return parse_signer_key(self.open_bytes(sealed, purpose).decode("ascii"))

    def seal_bytes(self, data: bytes, purpose: str) -> bytes:
        """``0x01 || nonce || AES-GCM(data)``, bound to *purpose* (any secret that is not a key pair)."""
        nonce = self._random(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, data, purpose.encode("utf-8"))

    def open_bytes(self, sealed: bytes, purpose: str) -> bytes:
        if len(sealed) < 1 + _NONCE + 16 or sealed[:1] != _VERSION:
            raise StoreError(f"the sealed key for {purpose} is malformed")
        nonce, body = sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, purpose.encode("utf-8"))
        except InvalidTag as exc:
            raise StoreError(f"the sealed key for {purpose} does not open with this workspace's vault secret") from exc


def load_vault_secret(workspace: Path, *, create: bool = True, random: RandomBytes = os.urandom) -> bytes:
    """Read ``<workspace>/keys/vault.secret``; create it (0600) the first time when *create*."""
    path = workspace / VAULT_SECRET_FILE
    if path.exists():
        data = path.read_bytes()
        if len(data) < SECRET_SIZE:
            raise ConfigError(f"{path}: the key-vault secret is shorter than {SECRET_SIZE} bytes")
        return data
    if not create:
        raise ConfigError(f"{path}: no key-vault secret in this workspace")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = random(SECRET_SIZE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return data
