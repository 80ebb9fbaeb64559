"""Known keys: the log keys, witness keys and witness quorums a verifier pinned, like SSH's ``known_hosts``, and the
last tree head it verified for each log (so a later bundle that rolls the log back or forks it is refused).

One entry a line, ``#`` starts a comment::

    log <origin> <vkey>
    witness <name> <vkey>
    quorum <origin> <cosignatures required>
    witness-of <origin> <witness name>
    head <origin> <size> <base64 root>

A key is pinned the first time it is seen (trust on first use) or given; a different key under a pinned name is
refused with :class:`~detente.errors.KeyChangedError`, naming both fingerprints. The witnesses of each log are pinned
as a set the first time the log is verified: a witness that appears later (a new one, or another in a party's slot)
is refused until the verifier accepts it by name (``--trust-witness``), so an operator cannot meet the quorum with
witnesses of its own once a party has seen who the witnesses are.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from detente.errors import BundleError, KeyChangedError, LedgerError

from .note import PublicKey, parse_vkey

__all__ = ["KnownKeys", "default_known_keys_path", "fingerprint"]

_HEADER = "# Détente known keys: pinned by `detente ledger verify` (trust on first use). One key per name.\n"


def fingerprint(key: PublicKey) -> str:
    """``SHA256:`` and the unpadded base64 SHA-256 of the key's type byte and public key (as SSH shows keys)."""
    digest = hashlib.sha256(bytes([key.alg]) + key.key).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def default_known_keys_path() -> Path:
    """``$DETENTE_KNOWN_KEYS``, else ``known_keys`` in the user's configuration directory for Détente."""
    override = os.environ.get("DETENTE_KNOWN_KEYS")
    if override:
        return Path(override)
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "detente" / "known_keys"


@dataclass
class KnownKeys:
    path: Path
    logs: dict[str, PublicKey] = field(default_factory=dict)
    witnesses: dict[str, PublicKey] = field(default_factory=dict)
    quorums: dict[str, int] = field(default_factory=dict)
    heads: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    #: origin -> the names of the witnesses pinned for that log
    log_witnesses: dict[str, set[str]] = field(default_factory=dict)
    #: what this run pinned for the first time, one sentence each
    pinned: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> KnownKeys:
        known = cls(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return known
        except OSError as exc:
            raise BundleError(f"cannot read the known keys {path}: {exc.strerror or exc}") from exc
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            try:
                if parts[0] in ("log", "witness") and len(parts) == 3:
                    key = parse_vkey(parts[2])
                    (known.logs if parts[0] == "log" else known.witnesses)[parts[1]] = key
                elif parts[0] == "witness-of" and len(parts) == 3:
                    known.log_witnesses.setdefault(parts[1], set()).add(parts[2])
                elif parts[0] == "quorum" and len(parts) == 3:
                    known.quorums[parts[1]] = int(parts[2])
                elif parts[0] == "head" and len(parts) == 4:
                    known.heads[parts[1]] = (int(parts[2]), base64.b64decode(parts[3], validate=True))
                else:
                    raise ValueError("unknown entry")
            except (ValueError, LedgerError) as exc:
                raise BundleError(f"{path}, line {number}: not a known-keys entry ({exc})") from exc
        return known

    def save(self) -> None:
        lines = [_HEADER]
        lines += [f"log {origin} {key.vkey}\n" for origin, key in sorted(self.logs.items())]
        lines += [f"quorum {origin} {q}\n" for origin, q in sorted(self.quorums.items())]
        lines += [f"witness {name} {key.vkey}\n" for name, key in sorted(self.witnesses.items())]
        lines += [
            f"witness-of {origin} {name}\n"
            for origin, names in sorted(self.log_witnesses.items())
            for name in sorted(names)
        ]
        lines += [
            f"head {origin} {size} {base64.b64encode(root).decode('ascii')}\n"
            for origin, (size, root) in sorted(self.heads.items())
        ]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text("".join(lines), encoding="utf-8")
        temporary.replace(self.path)

    def _pin(self, table: dict[str, PublicKey], what: str, name: str, key: PublicKey) -> PublicKey:
        pinned = table.get(name)
        if pinned is None:
            table[name] = key
            self.pinned.append(f"pinned the {what} key of {name} on first use: {fingerprint(key)}")
            return key
        if pinned != key:
            raise KeyChangedError(
                f"the {what} key of {name} changed: pinned {fingerprint(pinned)}, now {fingerprint(key)}; "
                f"refused (if the change is genuine, remove the line from {self.path})"
            )
        return pinned

    def pin_log(self, key: PublicKey) -> PublicKey:
        return self._pin(self.logs, "log", key.name, key)

    def pin_witness(self, key: PublicKey) -> PublicKey:
        return self._pin(self.witnesses, "witness", key.name, key)

    def pin_quorum(self, origin: str, quorum: int) -> None:
        """A quorum lower than the pinned one is refused; a higher one is pinned."""
        pinned = self.quorums.get(origin)
        if pinned is not None and quorum < pinned:
            raise KeyChangedError(
                f"the witness quorum of {origin} dropped from {pinned} to {quorum}; refused "
                f"(if genuine, edit {self.path})"
            )
        if pinned != quorum:
            self.quorums[origin] = quorum
            if pinned is None:
                self.pinned.append(f"pinned the witness quorum of {origin}: {quorum}")

    def pin_witness_set(self, origin: str, names: set[str], trusted: Collection[str] = ()) -> None:
        """The log's witnesses: pinned as a set on first use; later, a name not pinned is refused unless trusted."""
        pinned = self.log_witnesses.get(origin)
        if pinned is None:
            self.log_witnesses[origin] = set(names)
            if names:
                self.pinned.append(f"pinned the witnesses of {origin}: {', '.join(sorted(names))}")
            return
        new = sorted(names - pinned)
        refused = [name for name in new if name not in trusted]
        if refused:
            raise KeyChangedError(
                f"the log {origin} now names witnesses you have not seen for it: {', '.join(refused)}; refused (if "
                f"your party agreed to them, verify again with --trust-witness {refused[0]})"
            )
        for name in new:
            pinned.add(name)
            self.pinned.append(f"pinned the new witness {name} of {origin}, as you trusted it")

    def remember(self, origin: str, size: int, root: bytes) -> None:
        if size >= self.heads.get(origin, (0, b""))[0]:
            self.heads[origin] = (size, root)
