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
    "UNWITNESSED_CODES",
    "WITHHELD_PREFIX",
    "BundleReport",
    "CheckpointStatus",
    "Finding",
    "Withheld",
    "bundle_policy",
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
    witness_policy: Mapping[str, Any] | None = None,
) -> Path:
    """Write a bundle directory at *path* (which must not exist or be empty); return its path.

    *checkpoints* are signed checkpoint notes; *cosignatures* maps a tree size to witness cosignatures to merge
    into the checkpoint of that size. *policy* gives the public keys and quorum written to the manifest;
    *witness_policy* the log's whole witness policy (``quorum`` required and every witness slot, with a ``vkey`` or
    ``null`` while no witness fills it), which strict verification holds the checkpoints to.
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
    if witness_policy is not None:
        manifest["witness_policy"] = dict(witness_policy)
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
    quorum_met: bool = False
    #: why the witness quorum is not met (``None`` when it is)
    quorum_error: str | None = None


@dataclass
class BundleReport:
    path: str
    origin: str | None = None
    entry_count: int = 0
    #: entries present only as their leaf hash (withheld from this recipient)
    withheld: int = 0
    #: parties' signed decisions checked (``detente.verification.consent_check``, by ``ledger verify``)
    consents_checked: int = 0
    root: str | None = None
    checkpoints: list[CheckpointStatus] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: held to the witness policy: every entry covered by a checkpoint with the quorum of cosignatures
    strict: bool = False
    #: what was accepted without witnesses (``--allow-unwitnessed``): the findings let through, one line each
    accepted_unwitnessed: list[str] = field(default_factory=list)
    #: entries covered by a checkpoint that meets the witness quorum
    witnessed_size: int = 0
    #: cosignatures the policy requires of a checkpoint
    quorum: int = 0

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
            "consents_checked": self.consents_checked,
            "root": self.root,
            "checkpoints": [vars(c) for c in self.checkpoints],
            "findings": [vars(f) for f in self.findings],
            "strict": self.strict,
            "quorum": self.quorum,
            "witnessed_size": self.witnessed_size,
            "accepted_unwitnessed": list(self.accepted_unwitnessed),
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
            seen = verify_checkpoint(note, WitnessPolicy(log=policy.log, witnesses=policy.witnesses, quorum=0))
            status.cosigned_by = sorted(seen.cosigned_by)
            verify_checkpoint(note, policy)
            status.quorum_met = True
        except LedgerError as exc:
            if exc.code == "quorum_error":
                status.quorum_error = str(exc)  # judged once every checkpoint is known (a later one may cover it)
            else:
                report.add("checkpoint_signature", str(exc), name)
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


#: findings about missing witnesses, let through (as warnings, and said) by ``allow_unwitnessed``
UNWITNESSED_CODES = frozenset({"unwitnessed", "policy_unfilled", "uncovered_entries", "checkpoint_quorum"})


def verify_bundle(
    path: str | Path,
    *,
    policy: WitnessPolicy | None = None,
    known_checkpoints: Sequence[str] = (),
    known_heads: Sequence[tuple[int, bytes]] = (),
    strict: bool = False,
    allow_unwitnessed: bool = False,
) -> BundleReport:
    """Verify a bundle offline and report every finding (it raises only for programming errors).

    *policy* pins the log key, witnesses and quorum you trust; without it the manifest's keys are used, which
    proves only that the bundle is internally consistent. *known_checkpoints* are checkpoint notes you saw
    before, *known_heads* (size, root) pairs you verified before: the bundle must extend each of them (otherwise
    the log was rolled back or forked).

    *strict* holds the bundle to its witness policy: every entry must be covered by a checkpoint signed by the
    log and cosigned by the policy's quorum of witnesses, and the policy must name witnesses at all. With
    *allow_unwitnessed* what falls short of that is reported as a warning and listed in ``accepted_unwitnessed``.
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
    required = _required_quorum(manifest, active, policy is not None)
    report.strict, report.quorum = strict, required
    if strict:
        _check_policy(manifest, active, required, report)
        active = WitnessPolicy(log=active.log, witnesses=active.witnesses, quorum=min(required, len(active.witnesses)))
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
    _check_coverage(report, tree.size, strict)
    for number, (size, head_root) in enumerate(known_heads, start=1):
        where = f"checkpoint verified before ({number})"
        if size > tree.size:
            report.add("rollback", f"you verified this log at size {size} before; this bundle holds only "
                       f"{tree.size} entries (the log was rolled back)", where)  # fmt: skip
        elif size and tree.root(size) != head_root:
            report.add("fork", f"the bundle's first {size} entries differ from the log you verified before "
                       "(a forked log)", where)  # fmt: skip
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
    if allow_unwitnessed:
        _accept_unwitnessed(report)
    return report


def _required_quorum(manifest: Mapping[str, Any], active: WitnessPolicy, pinned: bool) -> int:
    stated = manifest.get("witness_policy")
    if pinned or not isinstance(stated, dict):
        return active.quorum
    try:
        return max(int(stated["quorum"]), active.quorum)
    except (KeyError, TypeError, ValueError):
        return active.quorum


def _check_policy(manifest: Mapping[str, Any], active: WitnessPolicy, required: int, report: BundleReport) -> None:
    if required == 0:
        report.add("unwitnessed", "the log's policy requires no witness cosignature: only the operator vouches for "
                   "these entries", MANIFEST)  # fmt: skip
        return
    if required > len(active.witnesses):
        stated = manifest.get("witness_policy")
        slots = stated.get("witnesses", []) if isinstance(stated, dict) else []
        empty = [str(w.get("slot")) for w in slots if isinstance(w, dict) and not w.get("vkey")]
        report.add(
            "policy_unfilled",
            f"the policy requires {required} witness cosignatures but only {len(active.witnesses)} witnesses have a "
            f"key{' (no witness yet for: ' + ', '.join(empty) + ')' if empty else ''}",
            MANIFEST,
        )


def _check_coverage(report: BundleReport, size: int, strict: bool) -> None:
    """Every checkpoint short of the quorum is an error unless a later witnessed checkpoint covers it; in strict
    mode every entry must be covered by a witnessed checkpoint."""
    signed = [c for c in report.checkpoints if c.signed and c.size is not None]
    witnessed = [c.size for c in signed if c.quorum_met and c.matches_entries and c.size is not None]
    covered = max(witnessed, default=0)
    report.witnessed_size = covered
    for c in signed:
        if c.quorum_error is None:
            continue
        if c.size is not None and c.size <= covered:
            report.add("checkpoint_quorum", f"{c.quorum_error}; a later witnessed checkpoint covers it", c.file,
                       severity="warning")  # fmt: skip
        else:
            report.add("checkpoint_quorum", c.quorum_error, c.file)
    last_signed = max((c.size for c in signed if c.size is not None), default=0)
    if strict and covered < size:
        report.add(
            "uncovered_entries",
            f"entries {covered} to {size - 1} are not covered by a checkpoint with the {report.quorum} witness "
            f"cosignatures the policy requires",
            ENTRIES,
        )
    elif signed and last_signed < size:
        report.add("uncovered_entries", f"entries from index {last_signed} on are not covered by any signed "
                   "checkpoint", ENTRIES, severity="warning")  # fmt: skip


def _accept_unwitnessed(report: BundleReport) -> None:
    kept: list[Finding] = []
    for f in report.findings:
        if f.code in UNWITNESSED_CODES and f.severity == "error":
            report.accepted_unwitnessed.append(f.message)
            kept.append(Finding(f.code, f.message, f.where, "warning"))
        else:
            kept.append(f)
    report.findings = kept


def bundle_policy(path: str | Path) -> tuple[WitnessPolicy, int]:
    """The keys a bundle presents and the quorum its witness policy requires; :class:`BundleError` if unreadable."""
    report = BundleReport(path=str(path))
    read = _read_manifest(Path(path), report)
    if read is None:
        raise BundleError("; ".join(f.message for f in report.findings))
    manifest, policy = read
    return policy, _required_quorum(manifest, policy, False)


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
