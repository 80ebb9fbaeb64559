"""Source adapters and format detection (``--format auto``)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq

from detente.errors import FormatError, InputError
from detente.events.adapters import acled, gdelt, hxl, mapped, native, ucdp
from detente.events.adapters.base import Adapter, Probe, ReadOptions

__all__ = ["ADAPTERS", "Adapter", "Probe", "ReadOptions", "detect", "get_adapter", "probe_file"]

#: Every adapter, in detection order (most specific first; ``mapped`` never sniffs).
ADAPTERS: tuple[Adapter, ...] = (
    *native.ADAPTERS,
    *gdelt.ADAPTERS,
    *acled.ADAPTERS,
    *ucdp.ADAPTERS,
    *hxl.ADAPTERS,
    *mapped.ADAPTERS,
)

_HEAD_BYTES = 256 * 1024
_HEAD_LINES = 20
_JSON_PROBE_LIMIT = 512 * 1024 * 1024


def _head_lines(data: bytes) -> tuple[str, ...]:
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if len(data) >= _HEAD_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut
    return tuple(lines[:_HEAD_LINES])


def probe_file(path: Path) -> Probe:
    """Look at the start of ``path``. Raises :class:`InputError` for missing, empty-of-content or corrupt files."""
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path=path)
    size = path.stat().st_size
    if size == 0:
        return Probe(path=path, kind="empty")
    with path.open("rb") as fh:
        start = fh.read(_HEAD_BYTES)
    if start.startswith(b"PK\x03\x04"):
        return _probe_zip(path)
    if start.startswith(b"PAR1"):
        try:
            schema = pq.read_schema(path)
        except Exception as exc:  # pyarrow raises several types for a damaged footer
            raise InputError(f"not a readable Parquet file ({exc})", path=path) from exc
        return Probe(path=path, kind="parquet", columns=tuple(schema.names))
    stripped = start.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] == b"{":
        lines = _json_lines_probe(path, stripped)
        if lines is not None:
            return lines
    if stripped[:1] in (b"{", b"["):
        return _probe_json(path, size)
    if not stripped:
        return Probe(path=path, kind="empty")
    return Probe(path=path, kind="text", head_lines=_head_lines(start))


def _probe_zip(path: Path) -> Probe:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [i for i in zf.infolist() if not i.is_dir()]
            if not members:
                raise InputError("zip archive holds no file", path=path)
            member = members[0]
            with zf.open(member) as fh:
                start = fh.read(_HEAD_BYTES)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise InputError(f"truncated or corrupt zip archive ({exc})", path=path) from exc
    if not start.strip():
        return Probe(path=path, kind="empty", member=member.filename)
    return Probe(path=path, kind="zip", head_lines=_head_lines(start), member=member.filename)


def _json_lines_probe(path: Path, start: bytes) -> Probe | None:
    """A JSON Lines file: its first line is a whole JSON object and more lines follow."""
    first, _, rest = start.partition(b"\n")
    if not rest.strip():
        return None  # one line only: a plain JSON document
    try:
        record = json.loads(first.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict):
        return None
    return Probe(path=path, kind="json", columns=tuple(record.keys()), head_lines=_head_lines(start))


def _probe_json(path: Path, size: int) -> Probe:
    if size > _JSON_PROBE_LIMIT:
        raise InputError("JSON file too large to import (split it into pages)", path=path)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid UTF-8 at byte {exc.start}", path=path) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from exc
    keys: tuple[str, ...] = tuple(doc.keys()) if isinstance(doc, dict) else ()
    records = doc.get("Result") if isinstance(doc, dict) else doc
    first = records[0] if isinstance(records, list) and records and isinstance(records[0], dict) else {}
    return Probe(path=path, kind="json", json_keys=keys, columns=tuple(first.keys()))


def get_adapter(name: str) -> Adapter:
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    known = ", ".join(a.name for a in ADAPTERS)
    raise FormatError(f"unknown format {name!r}; known formats: auto, {known}")


def _describe(probe: Probe) -> str:
    if probe.kind in ("parquet", "json"):
        cols = ", ".join(probe.columns[:8])
        return f"a {probe.kind} file with columns {cols}{'…' if len(probe.columns) > 8 else ''}"
    if probe.head_lines:
        first = probe.head_lines[0]
        return f"a text file whose first line is {first[:120]!r} ({len(first.split(chr(9)))} tab-separated fields)"
    return f"a {probe.kind} file"


def detect(probe: Probe, requested: str = "auto") -> tuple[Adapter, str]:
    """Choose the adapter for ``probe``; returns it with the reason (what was detected)."""
    if probe.kind == "empty":
        raise InputError("file is empty (no header, no rows)", path=probe.path, line=1)
    if requested != "auto":
        adapter = get_adapter(requested)
        if adapter.name == "mapped":
            return adapter, "column mapping given"
        why = adapter.sniff(probe)
        if why is not None:
            return adapter, why
        guess = next((a for a in ADAPTERS if a.sniff(probe) is not None), None)
        if guess is not None:
            raise FormatError(
                f"not in format {requested!r}: found {_describe(probe)}; it looks like {guess.name} ({guess.label})",
                path=probe.path,
                line=1,
            )
        # Nothing else matches either: let the requested adapter read it and say precisely what is missing.
        return adapter, f"{requested} (as requested; the file does not match its usual signature)"
    for adapter in ADAPTERS:
        why = adapter.sniff(probe)
        if why is not None:
            return adapter, why
    raise FormatError(
        f"no known format matches {_describe(probe)}; give --format, or --format mapped --mapping FILE",
        path=probe.path,
        line=1,
    )
