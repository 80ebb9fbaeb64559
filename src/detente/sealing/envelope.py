"""Envelope encryption, the pure part: data keys wrapped by a master key, values sealed by a data key.

Every sensitive value is encrypted with AES-256-GCM under a *data key* of its process (one per process and
version; the instance has its own for records of no process). Data keys are stored only wrapped — encrypted with a
key-encryption key derived by HKDF-SHA256 from the *master key*, which never enters the database. Rotating the
master key re-wraps the data keys and touches no sealed value.

Formats (``key id`` 16 random bytes naming the data key, ``nonce`` 12 random bytes, then ciphertext and tag):

* sealed bytes: ``0xD5 0x01 || key id || nonce || AES-GCM(plaintext)``;
* sealed text (for text and JSON columns): ``"ds1:" + base64url(key id || nonce || AES-GCM(plaintext))``;
* wrapped data key: ``0x01 || nonce || AES-GCM_kek(data key)``.

The associated data binds each ciphertext to its *purpose* (the column, e.g. ``reports.body``, or an evidence
file's hash) and to its key id, and a wrapped key to its id and domain: a value moved to another column, or a key
row relabelled to another process, does not open. Random 96-bit nonces keep each data key well under the 2³²
messages NIST SP 800-38D allows; ``detente keys rotate-data`` starts a new key when a process nears that.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from detente.errors import ConfigError, StoreError

__all__ = [
    "KEY_ID_SIZE",
    "MASTER_SIZE",
    "TEXT_PREFIX",
    "DataKey",
    "MasterKey",
    "is_sealed",
    "key_id_of",
    "new_data_key",
    "open_bytes",
    "open_text",
    "seal_bytes",
    "seal_text",
]

#: a source of random bytes (``os.urandom``; a seeded generator in tests)
RandomBytes = Callable[[int], bytes]

MASTER_SIZE = 32
KEY_ID_SIZE = 16
_NONCE = 12
_TAG = 16
_BYTES_PREFIX = b"\xd5\x01"
TEXT_PREFIX = "ds1:"
_WRAP_VERSION = b"\x01"


@dataclass(frozen=True)
class MasterKey:
    """The master key: 32 or more random bytes, from a key file or an environment setting."""

    secret: bytes = b""

    def __post_init__(self) -> None:
        if len(self.secret) < MASTER_SIZE:
            raise ConfigError(f"the master key must be at least {MASTER_SIZE} bytes")

    @property
    def fingerprint(self) -> str:
        """16 hex digits naming the key (an HKDF output, so it reveals nothing of the key)."""
        return _hkdf(self.secret, b"detente master key fingerprint v1", 8).hex()

    def _kek(self) -> AESGCM:
        return AESGCM(_hkdf(self.secret, b"detente data-key wrapping v1", 32))

    def wrap(self, key: DataKey, *, random: RandomBytes = os.urandom) -> bytes:
        nonce = random(_NONCE)
        return _WRAP_VERSION + nonce + self._kek().encrypt(nonce, key.secret, _wrap_aad(key.id, key.domain))

    def unwrap(self, key_id: bytes, domain: str, wrapped: bytes) -> DataKey:
        if len(wrapped) != 1 + _NONCE + 32 + _TAG or wrapped[:1] != _WRAP_VERSION:
            raise StoreError(f"data key {key_id.hex()}: the wrapped key is malformed")
        try:
            secret = self._kek().decrypt(wrapped[1 : 1 + _NONCE], wrapped[1 + _NONCE :], _wrap_aad(key_id, domain))
        except InvalidTag as exc:
            raise StoreError(
                f"data key {key_id.hex()} ({domain}) does not open with this master key ({self.fingerprint})"
            ) from exc
        return DataKey(id=key_id, domain=domain, secret=secret)


def _hkdf(secret: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


def _wrap_aad(key_id: bytes, domain: str) -> bytes:
    return b"detente data key|" + key_id + b"|" + domain.encode("utf-8")


@dataclass(frozen=True)
class DataKey:
    """A data key in the clear (only ever in memory): its id, its domain (``process:7``, ``instance``), 32 bytes."""

    id: bytes
    domain: str
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"DataKey(id={self.id.hex()}, domain={self.domain!r})"


def new_data_key(domain: str, *, random: RandomBytes = os.urandom) -> DataKey:
    return DataKey(id=random(KEY_ID_SIZE), domain=domain, secret=random(32))


def _aad(purpose: str, key_id: bytes) -> bytes:
    return b"detente sealed v1|" + purpose.encode("utf-8") + b"|" + key_id


def _seal(key: DataKey, purpose: str, plaintext: bytes, random: RandomBytes) -> bytes:
    nonce = random(_NONCE)
    return key.id + nonce + AESGCM(key.secret).encrypt(nonce, plaintext, _aad(purpose, key.id))


def _open(find: Callable[[bytes], DataKey], purpose: str, body: bytes) -> bytes:
    if len(body) < KEY_ID_SIZE + _NONCE + _TAG:
        raise StoreError(f"{purpose}: the sealed value is truncated")
    key = find(body[:KEY_ID_SIZE])
    nonce = body[KEY_ID_SIZE : KEY_ID_SIZE + _NONCE]
    try:
        return AESGCM(key.secret).decrypt(nonce, body[KEY_ID_SIZE + _NONCE :], _aad(purpose, key.id))
    except InvalidTag as exc:
        raise StoreError(f"{purpose}: a sealed value does not open (altered, or moved from another field)") from exc


def seal_bytes(key: DataKey, purpose: str, plaintext: bytes, *, random: RandomBytes = os.urandom) -> bytes:
    return _BYTES_PREFIX + _seal(key, purpose, plaintext, random)


def open_bytes(find: Callable[[bytes], DataKey], purpose: str, sealed: bytes) -> bytes:
    """The plaintext of *sealed*; *find* gives the data key of an id (raising when it is unknown)."""
    if sealed[:2] != _BYTES_PREFIX:
        raise StoreError(f"{purpose}: the stored value is not sealed")
    return _open(find, purpose, sealed[2:])


def seal_text(key: DataKey, purpose: str, plaintext: str, *, random: RandomBytes = os.urandom) -> str:
    body = _seal(key, purpose, plaintext.encode("utf-8"), random)
    return TEXT_PREFIX + base64.urlsafe_b64encode(body).decode("ascii").rstrip("=")


def open_text(find: Callable[[bytes], DataKey], purpose: str, sealed: str) -> str:
    if not sealed.startswith(TEXT_PREFIX):
        raise StoreError(f"{purpose}: the stored value is not sealed")
    raw = sealed[len(TEXT_PREFIX) :]
    try:
        body = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError as exc:
        raise StoreError(f"{purpose}: the sealed value is malformed") from exc
    return _open(find, purpose, body).decode("utf-8")


def is_sealed(value: object) -> bool:
    if isinstance(value, str):
        return value.startswith(TEXT_PREFIX)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value[:2]) == _BYTES_PREFIX
    return False


def key_id_of(value: str | bytes) -> bytes:
    """The id of the data key a sealed value was sealed with."""
    if isinstance(value, str):
        raw = value[len(TEXT_PREFIX) : len(TEXT_PREFIX) + 24]
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))[:KEY_ID_SIZE]
    return bytes(value[2 : 2 + KEY_ID_SIZE])
