"""Evidence files: stored once by SHA-256 in the workspace, size-limited, type-checked by their content.

The type is sniffed from the first bytes (magic numbers), never taken from the name or the uploader: PDF, PNG,
JPEG, GIF, WebP, plain UTF-8 text (also CSV / JSON). Anything else — executables, archives, office documents that
are zip containers — is refused. When the file name has an extension, it must agree with the sniffed type.
Layout: ``<root>/<2 hex>/<64 hex>`` (the application's root is ``<workspace>/evidence/process-<id>``), each file
sealed by the store's *seal* function; writes are atomic (temp file, fsync, rename).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

from detente.errors import InputError, NotFoundError, StoreError

__all__ = ["DEFAULT_MAX_BYTES", "EvidenceFile", "EvidenceStore", "sniff"]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_EXTENSIONS = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "text/plain": {".txt", ".csv", ".json", ".md", ".geojson", ".kml"},
}


def sniff(data: bytes) -> str | None:
    """The media type the content shows, or None when it is none of the accepted ones."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


@dataclass(frozen=True)
class EvidenceFile:
    """A stored file: content hash (hex), size, sniffed type and the name it was given."""

    sha256: str
    size: int
    media_type: str
    filename: str

    def to_body(self) -> dict[str, object]:
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type, "filename": self.filename}


#: seals a file's bytes (given its SHA-256) for storage, and opens them again
Sealer = Callable[[bytes, str], bytes]


class EvidenceStore:
    """Content-addressed evidence files under *root*, each stored as *seal* makes it (the application seals them
    with the process's data key; :meth:`get` opens and checks them)."""

    def __init__(self, root: Path, *, seal: Sealer, open: Sealer, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._seal, self._open = seal, open

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, filename: str) -> EvidenceFile:
        name = filename.strip()
        if not name or "/" in name or "\\" in name or name in (".", "..") or len(name) > 200:
            raise InputError("give the file's plain name", field="filename")
        if not data:
            raise InputError("the evidence file is empty", path=name, field="file")
        if len(data) > self.max_bytes:
            raise InputError(f"the file is {len(data)} bytes; the limit is {self.max_bytes}", path=name, field="file")
        media_type = sniff(data)
        if media_type is None:
            raise InputError("the content is not an accepted type (PDF, PNG, JPEG, GIF, WebP, UTF-8 text)", path=name)
        suffix = PurePath(name).suffix.lower()
        if suffix and suffix not in _EXTENSIONS[media_type]:
            raise InputError(f"the name says {suffix} but the content is {media_type}", path=name, field="filename")
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{digest}.tmp-{os.getpid()}")
            sealed = self._seal(data, digest)
            with tmp.open("wb") as fh:
                fh.write(sealed)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(target)
        return EvidenceFile(sha256=digest, size=len(data), media_type=media_type, filename=name)

    def get(self, sha256: str) -> bytes:
        """The file's bytes, checked against its hash (a changed file is an error, not evidence)."""
        target = self.path(sha256)
        if len(sha256) != 64 or not target.is_file():
            raise NotFoundError(f"no evidence file {sha256}")
        try:
            data = self._open(target.read_bytes(), sha256)
        except StoreError as exc:
            raise InputError(
                f"the stored evidence file does not open ({exc}): altered on disk", path=str(target)
            ) from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise InputError("the stored evidence file does not match its hash (altered on disk)", path=str(target))
        return data
