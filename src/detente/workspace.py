"""The workspace: one directory holding the event dataset, the SQLite file, keys and caches.

Nothing Détente writes goes outside it. Layout::

    <workspace>/
      detente-workspace.json   marker with the layout version
      events/                  the event store (Hive-partitioned Parquet + _manifest.json)
      rejects/                 quarantined rows, one CSV per import batch
      tmp/                     staging and DuckDB spill files (safe to delete when nothing runs)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from detente.errors import NoWorkspace, StoreError

__all__ = ["LAYOUT_VERSION", "Workspace", "atomic_write_bytes", "fsync_dir"]

LAYOUT_VERSION = 1
_MARKER = "detente-workspace.json"


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)


class Workspace:
    """A workspace directory. ``Workspace.open(path, create=True)`` makes a new one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False) -> Workspace:
        root = Path(path)
        marker = root / _MARKER
        if marker.exists():
            try:
                meta = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise StoreError(f"{marker}: unreadable workspace marker ({exc})") from exc
            version = meta.get("layout_version")
            if version != LAYOUT_VERSION:
                raise StoreError(f"{root}: workspace layout version {version!r}, this Détente reads {LAYOUT_VERSION}")
        elif create:
            if root.exists() and not root.is_dir():
                raise StoreError(f"{root}: exists and is not a directory")
            fresh = not root.exists()
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            if fresh:
                root.chmod(0o700)  # what parties said in confidence lives here: the owner only (mkdir obeys umask)
            atomic_write_bytes(marker, json.dumps({"layout_version": LAYOUT_VERSION}).encode())
        else:
            raise NoWorkspace(
                "not a Détente workspace: check --workspace (or DETENTE_WORKSPACE), or create one with "
                "`detente ingest` or `detente demo`",
                path=root,
                field="workspace",
            )
        ws = cls(root)
        for sub in ("events", "rejects", "tmp"):
            (root / sub).mkdir(mode=0o700, exist_ok=True)
        return ws

    @property
    def events_dir(self) -> Path:
        return self.root / "events"

    @property
    def rejects_dir(self) -> Path:
        return self.root / "rejects"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"
