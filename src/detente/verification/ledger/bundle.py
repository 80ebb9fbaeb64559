"""Self-contained bundles of a log, verifiable entirely offline (format ``detente-ledger-bundle`` version 1).

A bundle is a directory::

    bundle.json                 manifest (see docs/ledger.md)
    entries.jsonl               the canonical bytes of each entry, in log order, each followed by a newline; an
                                entry withheld from this recipient is the line ``#leaf:<hex leaf hash>`` instead
    checkpoints/<size>.note     signed checkpoints (log signature and witness cosignatures), size zero-padded

:func:`verify_bundle` recomputes every leaf hash and the tree, checks each checkpoint's log signature and witness
quorum, checks that each checkpoint's root is the root of the entries and that successive checkpoints are
consistent, and returns a :class:`BundleReport` listing every finding with where it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from detente.errors import BundleError, EntryError, LedgerError, ProofError

from .checkpoint import Checkpoint, open_checkpoint, parse_checkpoint_body
from .entry import Entry, decode_entry, encode_entry
from .hashing import leaf_hash
from .note import Note, NoteSignature, format_note, parse_note, parse_vkey
from .proofs import verify_consistency
from .tree import MerkleTree
from .witness import WitnessPolicy, verify_checkpoint

__all__ = [
    "BUNDLE_FORMAT",
    "WITHHELD_PREFIX",
    "BundleReport",
    "CheckpointStatus",
    "Finding",
    "Withheld",
    "export_bundle",
    "load_bundle_tree",
    "verify_bundle",
]

BUNDLE_FORMAT = "detente-ledger-bundle"
BUNDLE_VERSION = 1
MANIFEST = "bundle.json"
ENTRIES = "entries.jsonl"
#: a line of entries.jsonl starting with this holds only the leaf hash of an entry the recipient may not read
WITHHELD_PREFIX = b"#leaf:"


@dataclass(frozen=True)
class Withheld:
    """An entry left out of a bundle: only its leaf hash is written, so the tree and checkpoints still verify
    while its content stays with those allowed to read it."""

    leaf_hash: bytes

    def line(self) -> bytes:
        if len(self.leaf_hash) != 32:
            raise BundleError("a withheld entry's leaf hash must be 32 bytes")
        return WITHHELD_PREFIX + self.leaf_hash.hex().encode("ascii")


def export_bundle(
    path: str | Path,
    *,
    entries: Iterable[Entry | bytes | Withheld],
    checkpoints: Iterable[str],
    policy: WitnessPolicy,
    cosignatures: Mapping[int, Sequence[NoteSignature]] | None = None,
) -> Path:
    """Write a bundle directory at *path* (which must not exist or be empty); return its path.

    *checkpoints* are signed checkpoint notes; *cosignatures* maps a tree size to witness cosignatures to merge
    into the checkpoint of that size. *policy* gives the public keys and quorum written to the manifest.
    """
    root = Path(path)
    if root.exists() and any(root.iterdir()):
        raise BundleError(f"{root} exists and is not empty")
    extra = dict(cosignatures or {})
    notes: dict[int, Note] = {}
    for text in checkpoints:
        note = parse_note(text)
        size = parse_checkpoint_body(note.text).size
        if size in notes and notes[size].text != note.text:
            raise BundleError(f"two different checkpoints of size {size}")
        notes[size] = note.with_signatures(notes[size].signatures) if size in notes else note
    for size, sigs in extra.items():
        if size not in notes:
            raise BundleError(f"cosignatures given for size {size} but no checkpoint of that size")
        notes[size] = notes[size].with_signatures(sigs)
    (root / "checkpoints").mkdir(parents=True, exist_ok=True)
    count = withheld = 0
    with (root / ENTRIES).open("wb") as out:
        for entry in entries:
            if isinstance(entry, Withheld):
                data = entry.line()
                withheld += 1
            else:
                data = encode_entry(entry) if isinstance(entry, Entry) else bytes(entry)
            if b"\n" in data:
                raise BundleError(f"entry {count} contains a newline: it is not canonical")
            out.write(data + b"\n")
            count += 1
    files = []
    for size in sorted(notes):
        name = f"checkpoints/{size:020d}.note"
        (root / name).write_text(format_note(notes[size]), encoding="utf-8", newline="")
        files.append(name)
    manifest = {
        "checkpoints": files,
        "entries": ENTRIES,
        "entry_count": count,
        "withheld_count": withheld,
        "format": BUNDLE_FORMAT,
        "log_key": policy.log.vkey,
        "origin": policy.log.name,
        "quorum": policy.quorum,
        "version": BUNDLE_VERSION,
        "witness_keys": [w.vkey for w in policy.witnesses],
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return root


@dataclass(frozen=True)
class Finding:
    """One problem found: a machine-readable *code*, a sentence, and where (file, line, checkpoint)."""

    code: str
    message: str
    where: str | None = None
    severity: str = "error"


@dataclass
class CheckpointStatus:
    file: str
    size: int | None = None
    root: str | None = None
    signed: bool = False
    cosigned_by: list[str] = field(default_factory=list)
    matches_entries: bool = False


@dataclass
class BundleReport:
    path: str
    origin: str | None = None
    entry_count: int = 0
    #: entries present only as their leaf hash (withheld from this recipient)
    withheld: int = 0
    root: str | None = None
    checkpoints: list[CheckpointStatus] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def add(self, code: str, message: str, where: str | None = None, severity: str = "error") -> None:
        self.findings.append(Finding(code, message, where, severity))

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "path": self.path,
            "origin": self.origin,
            "entry_count": self.entry_count,
            "withheld": self.withheld,
            "root": self.root,
            "checkpoints": [vars(c) for c in self.checkpoints],
            "findings": [vars(f) for f in self.findings],
        }


def _read_manifest(root: Path, report: BundleReport) -> tuple[dict[str, Any], WitnessPolicy] | None:
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.add("manifest", f"cannot read {MANIFEST}: {exc}", MANIFEST)
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        report.add("manifest", f"{MANIFEST} is not a {BUNDLE_FORMAT} manifest", MANIFEST)
        return None
    if manifest.get("version") != BUNDLE_VERSION:
        report.add("manifest", f"unsupported bundle version {manifest.get('version')!r}", MANIFEST)
        return None
    try:
        log_key = parse_vkey(str(manifest["log_key"]))
        witnesses = tuple(parse_vkey(str(v)) for v in manifest["witness_keys"])
        policy = WitnessPolicy(log=log_key, witnesses=witnesses, quorum=int(manifest["quorum"]))
        if not isinstance(manifest["checkpoints"], list) or not isinstance(manifest["entry_count"], int):
            raise TypeError("checkpoints must be a list and entry_count an integer")
    except (KeyError, TypeError, ValueError, LedgerError) as exc:
        report.add("manifest", f"{MANIFEST} is invalid: {exc}", MANIFEST)
        return None
    return manifest, policy


def _check_pinned(bundle: WitnessPolicy, pinned: WitnessPolicy, report: BundleReport) -> None:
    if bundle.log != pinned.log:
        report.add("untrusted_key", f"the bundle's log key {bundle.log.vkey} is not the pinned log key", MANIFEST)
    if set(bundle.witnesses) != set(pinned.witnesses) or bundle.quorum != pinned.quorum:
        report.add(
            "policy_differs",
            "the bundle's witnesses or quorum differ from the pinned policy; the pinned policy is applied",
            MANIFEST,
            severity="warning",
        )


def _read_entries(root: Path, name: str, tree: MerkleTree, report: BundleReport) -> None:
    try:
        data = (root / name).read_bytes()
    except OSError as exc:
        report.add("entries", f"cannot read {name}: {exc}", name)
        return
    if data and not data.endswith(b"\n"):
        report.add("entries", "the entries file does not end with a newline (truncated?)", name)
        data += b"\n"
    lines = data.split(b"\n")[:-1]
    for number, line in enumerate(lines, start=1):
        if line.startswith(WITHHELD_PREFIX):
            try:
                digest = bytes.fromhex(line[len(WITHHELD_PREFIX) :].decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                digest = b""
            if len(digest) != 32:
                report.add("entry_invalid", f"entry {number - 1}: a withheld entry needs a 32-byte hex leaf hash",
                           f"{name}:{number}")  # fmt: skip
                digest = leaf_hash(line)
            report.withheld += 1
            tree.append(digest)
            continue
        try:
            decode_entry(line)
        except EntryError as exc:
            report.add("entry_invalid", f"entry {number - 1}: {exc}", f"{name}:{number}")
        tree.append(leaf_hash(line))


def _check_checkpoints(
    root: Path, files: list[str], policy: WitnessPolicy, tree: MerkleTree, report: BundleReport
) -> list[tuple[str, Checkpoint]]:
    good: list[tuple[str, Checkpoint]] = []
    for name in files:
        status = CheckpointStatus(file=name)
        report.checkpoints.append(status)
        try:
            note = parse_note((root / name).read_bytes())
            checkpoint = parse_checkpoint_body(note.text)
        except (OSError, LedgerError) as exc:
            report.add("checkpoint_invalid", f"cannot read checkpoint: {exc}", name)
            continue
        status.size, status.root = checkpoint.size, checkpoint.root.hex()
        try:
            open_checkpoint(note, policy.log)
            status.signed = True
            verified = verify_checkpoint(note, policy)
            status.cosigned_by = sorted(verified.cosigned_by)
        except LedgerError as exc:
            code = "checkpoint_quorum" if exc.code == "quorum_error" else "checkpoint_signature"
            report.add(code, str(exc), name)
        if checkpoint.size > tree.size:
            report.add(
                "checkpoint_beyond_entries",
                f"checkpoint of size {checkpoint.size} but the bundle holds only {tree.size} entries "
                "(entries deleted or the log rolled back)",
                name,
            )
        elif checkpoint.root != tree.root(checkpoint.size):
            previous = max((c.size for _, c in good if c.size < checkpoint.size), default=0)
            report.add(
                "checkpoint_root_mismatch",
                f"the first {checkpoint.size} entries do not hash to this checkpoint's root; "
                f"entries changed, deleted, inserted or reordered between index {previous} and "
                f"{checkpoint.size - 1}",
                name,
            )
        else:
            status.matches_entries = True
        if status.signed:
            good.append((name, checkpoint))
    return good


def _check_sequence(checkpoints: list[tuple[str, Checkpoint]], tree: MerkleTree, report: BundleReport) -> None:
    ordered = sorted(checkpoints, key=lambda item: item[1].size)
    for (name1, cp1), (name2, cp2) in pairwise(ordered):
        if cp1.size == cp2.size:
            if cp1.root != cp2.root:
                report.add("fork", f"two signed checkpoints of size {cp1.size} with different roots", name2)
            continue
        if cp1.size == 0 or cp2.size > tree.size or tree.root(cp2.size) != cp2.root:
            continue  # a root that does not match the entries is reported already
        try:
            verify_consistency(cp1.size, cp2.size, tree.consistency_proof(cp1.size, cp2.size), cp1.root, cp2.root)
        except ProofError as exc:
            report.add("checkpoint_inconsistent", f"{name1} → {name2}: {exc}", name2)


def verify_bundle(
    path: str | Path, *, policy: WitnessPolicy | None = None, known_checkpoints: Sequence[str] = ()
) -> BundleReport:
    """Verify a bundle offline and report every finding (it raises only for programming errors).

    *policy* pins the log key, witnesses and quorum you trust; without it the manifest's keys are used, which
    proves only that the bundle is internally consistent. *known_checkpoints* are checkpoint notes you saw
    before: the bundle must extend each of them (otherwise the log was rolled back or forked).
    """
    root = Path(path)
    report = BundleReport(path=str(root))
    read = _read_manifest(root, report)
    if read is None:
        return report
    manifest, bundle_policy = read
    report.origin = bundle_policy.log.name
    if policy is not None:
        _check_pinned(bundle_policy, policy, report)
    active = policy or bundle_policy
    tree = MerkleTree()
    _read_entries(root, str(manifest["entries"]), tree, report)
    report.entry_count, report.root = tree.size, tree.root().hex()
    if tree.size != manifest["entry_count"]:
        report.add(
            "entry_count",
            f"the manifest announces {manifest['entry_count']} entries, the bundle holds {tree.size}",
            str(manifest["entries"]),
        )
    good = _check_checkpoints(root, [str(f) for f in manifest["checkpoints"]], active, tree, report)
    if not good:
        report.add("no_checkpoint", "no checkpoint signed by the log key: nothing vouches for these entries")
    _check_sequence(good, tree, report)
    if good and max(c.size for _, c in good) < tree.size:
        report.add(
            "uncovered_entries",
            f"entries from index {max(c.size for _, c in good)} on are not covered by any signed checkpoint",
            ENTRIES,
            severity="warning",
        )
    for number, text in enumerate(known_checkpoints, start=1):
        where = f"known checkpoint {number}"
        try:
            known, _ = open_checkpoint(text, active.log)
        except LedgerError as exc:
            report.add("known_checkpoint_invalid", str(exc), where)
            continue
        if known.size > tree.size:
            report.add(
                "rollback",
                f"you saw a checkpoint of size {known.size}; this bundle holds only {tree.size} entries",
                where,
            )
        elif known.size and known.root != tree.root(known.size):
            report.add("fork", f"the bundle's first {known.size} entries differ from the tree you saw", where)
    return report


def load_bundle_tree(path: str | Path) -> MerkleTree:
    """The Merkle tree of a bundle's entries (nothing else is checked); :class:`BundleError` if unreadable."""
    root = Path(path)
    report = BundleReport(path=str(root))
    read = _read_manifest(root, report)
    if read is None:
        raise BundleError("; ".join(f.message for f in report.findings))
    tree = MerkleTree()
    _read_entries(root, str(read[0]["entries"]), tree, report)
    unreadable = [f.message for f in report.findings if f.code == "entries"]
    if unreadable:
        raise BundleError("; ".join(unreadable))
    return tree
