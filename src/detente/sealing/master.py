"""Where the master key comes from, and how a new one replaces it.

In order: ``DETENTE_MASTER_KEY`` (base64 of 32 or more random bytes, e.g. from a secret manager), the file named by
``DETENTE_MASTER_KEY_FILE``, or ``<workspace>/keys/vault.secret`` — created (0600) the first time, and the same
secret that sealed the signing keys before data keys existed, so older workspaces keep working. Keep the key file off
the disk that holds the database where you can (a removable key, a secret manager): the database and the workspace
alone then hand over no sealed value.

A rotation writes the new key beside the current file as ``<file>.next`` before it re-wraps the data keys, and
renames it over the current file once the database has committed; if it stops in between, both files are read and
the database says which one it uses (:meth:`MasterKeys.settle` finishes the rename).
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from detente.errors import ConfigError
from detente.sealing.envelope import MASTER_SIZE, MasterKey, RandomBytes
from detente.workspace import fsync_dir

__all__ = ["DEFAULT_KEY_FILE", "ENV_KEY", "ENV_KEY_FILE", "MasterKeys", "parse_key_text", "write_key_file"]

ENV_KEY = "DETENTE_MASTER_KEY"
ENV_KEY_FILE = "DETENTE_MASTER_KEY_FILE"
DEFAULT_KEY_FILE = Path("keys") / "vault.secret"
NEXT_SUFFIX = ".next"


def parse_key_text(text: str, where: str) -> bytes:
    """The key in a base64 text (standard or URL-safe alphabet)."""
    cleaned = "".join(text.split())
    try:
        standard = cleaned.replace("-", "+").replace("_", "/")
        secret = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"{where}: not base64 text") from exc
    if len(secret) < MASTER_SIZE:
        raise ConfigError(f"{where}: the master key must be at least {MASTER_SIZE} bytes ({len(secret)} given)")
    return secret


def _read_key_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the master key ({exc.strerror or exc})") from exc
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        text = None
    if text is not None and text.strip() and all(c.isprintable() or c.isspace() for c in text):
        return parse_key_text(text, str(path))  # e.g. `openssl rand -base64 32 > key`
    if len(data) < MASTER_SIZE:
        raise ConfigError(f"{path}: the master key is shorter than {MASTER_SIZE} bytes")
    return data


def write_key_file(path: Path, secret: bytes) -> None:
    """Write a key file readable by its owner only (it must not exist yet), synced to disk."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError as exc:
        raise ConfigError(f"{path}: exists already; a key file is never overwritten") from exc
    try:
        os.write(fd, secret)
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class MasterKeys:
    """The configured master key (and, after an interrupted rotation, the next one), by fingerprint."""

    source: str  # "environment", or the key file's path
    file: Path | None  # the key file (None when the key comes from the environment)
    keys: tuple[MasterKey, ...]

    @classmethod
    def load(
        cls,
        workspace: Path | None,
        *,
        environ: Mapping[str, str] | None = None,
        create: bool = True,
        random: RandomBytes = os.urandom,
    ) -> MasterKeys:
        env = os.environ if environ is None else environ
        if env.get(ENV_KEY):
            return cls("environment", None, (MasterKey(parse_key_text(env[ENV_KEY], ENV_KEY)),))
        if env.get(ENV_KEY_FILE):
            path = Path(env[ENV_KEY_FILE])
            if not path.is_file():
                raise ConfigError(f"{ENV_KEY_FILE}: no key file at {path}")
        elif workspace is not None:
            path = workspace / DEFAULT_KEY_FILE
            if not path.exists():
                if not create:
                    raise ConfigError(f"{path}: no master key in this workspace")
                write_key_file(path, random(MASTER_SIZE))
        else:
            raise ConfigError(
                f"no master key: set {ENV_KEY} or {ENV_KEY_FILE}, or open the database with its workspace"
            )
        keys = [MasterKey(_read_key_file(path))]
        following = path.with_name(path.name + NEXT_SUFFIX)
        if following.is_file():
            keys.append(MasterKey(_read_key_file(following)))
        return cls(str(path), path, tuple(keys))

    @property
    def next_file(self) -> Path | None:
        return None if self.file is None else self.file.with_name(self.file.name + NEXT_SUFFIX)

    def by_fingerprint(self, fingerprint: str) -> MasterKey:
        for key in self.keys:
            if key.fingerprint == fingerprint:
                return key
        configured = ", ".join(k.fingerprint for k in self.keys)
        raise ConfigError(
            f"the database's keys are wrapped by master key {fingerprint}, but {self.source} holds {configured}: "
            f"configure the master key this database was last rotated to ({ENV_KEY} or {ENV_KEY_FILE})"
        )

    def settle(self, fingerprint: str) -> None:
        """After an interrupted rotation: keep the file of the key the database uses, drop the other."""
        following = self.next_file
        if self.file is None or following is None or not following.is_file() or len(self.keys) < 2:
            return
        if self.keys[1].fingerprint == fingerprint:
            following.replace(self.file)
            fsync_dir(self.file.parent)
        elif self.keys[0].fingerprint == fingerprint:
            following.unlink()
