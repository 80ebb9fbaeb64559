"""The transparency log of Détente (RFC 9162 Merkle tree, C2SP signed notes, checkpoints and cosignatures).

Pure core: :mod:`.hashing`, :mod:`.proofs`, :mod:`.tree`, :mod:`.entry`, :mod:`.note`, :mod:`.checkpoint`,
:mod:`.witness`, :mod:`.log`. File adapters: :mod:`.bundle`. See ``docs/ledger.md``.
"""

from __future__ import annotations

from detente.errors import (
    BundleError,
    CheckpointError,
    EntryError,
    ForkError,
    LedgerError,
    NoteError,
    ProofError,
    QuorumError,
    RollbackError,
    StaleSizeError,
    UnknownLogError,
    WitnessRefusal,
)

from .bundle import BundleReport, Finding, Withheld, export_bundle, verify_bundle
from .checkpoint import Checkpoint, open_checkpoint, parse_checkpoint_body, sign_checkpoint
from .entry import Entry, decode_entry, encode_entry, entry_leaf_hash
from .hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from .log import EntryStore, MemoryEntryStore, TransparencyLog
from .note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    KeyPair,
    Note,
    NoteSignature,
    PublicKey,
    format_note,
    generate_key,
    parse_note,
    parse_signer_key,
    parse_vkey,
)
from .proofs import root_from_inclusion_proof, verify_consistency, verify_inclusion
from .store import LeafHashStore, MemoryLeafStore, MemorySubtreeCache, SubtreeCache
from .tree import MerkleTree
from .witness import MemoryWitnessState, VerifiedCheckpoint, Witness, WitnessPolicy, WitnessState, verify_checkpoint

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "BundleError",
    "BundleReport",
    "Checkpoint",
    "CheckpointError",
    "Entry",
    "EntryError",
    "EntryStore",
    "Finding",
    "ForkError",
    "KeyPair",
    "LeafHashStore",
    "LedgerError",
    "MemoryEntryStore",
    "MemoryLeafStore",
    "MemorySubtreeCache",
    "MemoryWitnessState",
    "MerkleTree",
    "Note",
    "NoteError",
    "NoteSignature",
    "ProofError",
    "PublicKey",
    "QuorumError",
    "RollbackError",
    "StaleSizeError",
    "SubtreeCache",
    "TransparencyLog",
    "UnknownLogError",
    "VerifiedCheckpoint",
    "Withheld",
    "Witness",
    "WitnessPolicy",
    "WitnessRefusal",
    "WitnessState",
    "decode_entry",
    "encode_entry",
    "entry_leaf_hash",
    "export_bundle",
    "format_note",
    "generate_key",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "parse_checkpoint_body",
    "parse_note",
    "parse_signer_key",
    "parse_vkey",
    "root_from_inclusion_proof",
    "sign_checkpoint",
    "verify_bundle",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
]
