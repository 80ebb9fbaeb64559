"""Signed notes (C2SP signed-note v1) with Ed25519 keys, and the key strings that name them.

A note is a text ending in a newline, a blank line, then signature lines ``— <key name> <base64(key ID ||
sig)>``. Key IDs are ``SHA-256(name || 0x0A || type || public key)[:4]`` with type 0x01 for Ed25519 note
signatures and 0x04 for timestamped witness cosignatures (C2SP tlog-cosignature). Verifier keys ("vkeys") are
written ``<name>+<8 hex digits of key ID>+<base64(type || public key)>``; signer keys
``PRIVATE+KEY+<name>+<key ID hex>+<base64(type || 32-byte seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from detente.errors import NoteError

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "KeyPair",
    "Note",
    "NoteSignature",
    "PublicKey",
    "decode_b64",
    "format_note",
    "generate_key",
    "key_id",
    "parse_note",
    "parse_signer_key",
    "parse_vkey",
]

#: signature type byte of Ed25519 note signatures (signed-note)
ALG_ED25519 = 0x01
#: signature type byte of timestamped Ed25519 witness cosignatures (tlog-cosignature)
ALG_COSIGNATURE_V1 = 0x04
#: notes with more signature lines than this are refused (the spec asks for at least 16)
MAX_SIGNATURES = 100

_EM_DASH = "\u2014"
_NAME = re.compile(r"[^\s+]+")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def decode_b64(text: str, what: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4); :class:`NoteError` on anything else."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise NoteError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || alg || public key)[:4]``."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


@dataclass(frozen=True)
class PublicKey:
    """A named Ed25519 public key of one signature type (0x01 note signer, 0x04 cosigner)."""

    name: str
    alg: int
    key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.alg not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError(f"unsupported signature type 0x{self.alg:02x}")
        if len(self.key) != 32:
            raise NoteError(f"Ed25519 public keys are 32 bytes, got {len(self.key)}")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.alg, self.key)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([self.alg]) + self.key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_vkey(vkey: str) -> PublicKey:
    """Parse ``<name>+<hex key ID>+<base64(type || key)>``; checks that the key ID matches."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"verifier key {vkey!r} must be <name>+<hex key id>+<base64 key>")
    name, hex_id, encoded = parts
    raw = decode_b64(encoded, "verifier key")
    if len(raw) < 1:
        raise NoteError("verifier key is empty")
    key = PublicKey(name=name, alg=raw[0], key=raw[1:])
    if hex_id != key.key_id.hex():
        raise NoteError(f"verifier key {name}: key ID {hex_id} does not match the key ({key.key_id.hex()})")
    return key


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 private key with its name and signature type; ``public`` gives the :class:`PublicKey`."""

    name: str
    alg: int
    seed: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != 32:
            raise NoteError("Ed25519 private keys are 32-byte seeds")

    @property
    def public(self) -> PublicKey:
        raw = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKey(name=self.name, alg=self.alg, key=raw)

    @property
    def skey(self) -> str:
        public = self.public
        encoded = base64.b64encode(bytes([self.alg]) + self.seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{public.key_id.hex()}+{encoded}"

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def generate_key(name: str, alg: int = ALG_ED25519, *, seed: bytes | None = None) -> KeyPair:
    """A new key pair (random, or from a 32-byte *seed* for reproducible tests)."""
    _check_name(name)
    if seed is None:
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
    pair = KeyPair(name=name, alg=alg, seed=seed)
    pair.public  # noqa: B018 - validates alg
    return pair


def parse_signer_key(skey: str) -> KeyPair:
    """Parse ``PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>``."""
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("signer key must be PRIVATE+KEY+<name>+<hex key id>+<base64 key>")
    raw = decode_b64(parts[4], "signer key")
    if len(raw) != 33:
        raise NoteError("signer key must hold a type byte and a 32-byte seed")
    pair = KeyPair(name=_check_name(parts[2]), alg=raw[0], seed=raw[1:])
    if pair.public.key_id.hex() != parts[3]:
        raise NoteError("signer key: key ID does not match the key")
    return pair


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{_EM_DASH} {self.name} {encoded}\n"

    def is_from(self, key: PublicKey) -> bool:
        return self.name == key.name and self.key_id == key.key_id


@dataclass(frozen=True)
class Note:
    """A note text (ending in a newline) with its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    def with_signatures(self, signatures: Iterable[NoteSignature]) -> Note:
        """This note with *signatures* added (a signature line already present is not repeated)."""
        merged = list(self.signatures)
        for sig in signatures:
            if sig not in merged:
                merged.append(sig)
        return Note(self.text, tuple(merged))


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("note text must not contain control characters other than newline")


def format_note(note: Note) -> str:
    """The signed-note text of *note*: text, blank line, signature lines."""
    _check_text(note.text)
    if not note.signatures:
        raise NoteError("a signed note needs at least one signature")
    return note.text + "\n" + "".join(sig.line for sig in note.signatures)


def parse_note(data: str | bytes) -> Note:
    """Split a signed note into text and signature lines (nothing is verified here)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("note is not valid UTF-8") from exc
    if _CONTROL.search(data):
        raise NoteError("note must not contain control characters other than newline")
    split = data.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, block = data[: split + 1], data[split + 2 :]
    _check_text(text)
    if not block.endswith("\n"):
        raise NoteError("note must end with a newline")
    signatures: list[NoteSignature] = []
    for number, line in enumerate(block[:-1].split("\n"), start=1):
        prefix = _EM_DASH + " "
        if not line.startswith(prefix):
            raise NoteError(f"signature line {number} must start with an em dash and a space")
        fields = line[len(prefix) :].split(" ")
        if len(fields) != 2:
            raise NoteError(f"signature line {number} must be '— <name> <base64 signature>'")
        name = _check_name(fields[0])
        raw = decode_b64(fields[1], f"signature line {number}")
        if len(raw) < 5:
            raise NoteError(f"signature line {number} is too short")
        signatures.append(NoteSignature(name=name, key_id=raw[:4], signature=raw[4:]))
        if len(signatures) > MAX_SIGNATURES:
            raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    if not signatures:
        raise NoteError("note has no signatures")
    return Note(text=text, signatures=tuple(signatures))
