"""Canonical serialization of log entries (format ``v`` = 1), stable across Détente versions.

An entry is a *kind* (a lowercase dotted identifier such as ``commitment`` or ``violation.transition``) and a
*body* (a JSON object). Its canonical bytes are the UTF-8 encoding of the JSON text
``{"body":<body>,"kind":"<kind>","v":1}`` written with:

- object keys sorted by Unicode code point, at every depth, and no duplicate keys;
- no whitespace outside strings (separators ``,`` and ``:``);
- strings escaped as the Python ``json`` module does with ``ensure_ascii=False``: ``\\"``, ``\\\\``, ``\\b``,
  ``\\f``, ``\\n``, ``\\r``, ``\\t``, other code points below U+0020 as ``\\u00xx`` (lowercase hex),
  everything else (including non-ASCII and U+007F) as raw UTF-8; strings are not Unicode-normalized;
- only ``null``, ``true``, ``false``, integers in ``[-(2**53 - 1), 2**53 - 1]`` (decimal, no leading zeros or
  plus sign), strings, arrays and objects — no floats (write decimals as strings).

The leaf hash of an entry is ``SHA-256(0x00 || canonical bytes)``. See ``docs/ledger.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from detente.errors import EntryError

from .hashing import leaf_hash

__all__ = ["ENTRY_FORMAT_VERSION", "MAX_SAFE_INT", "Entry", "decode_entry", "encode_entry", "entry_leaf_hash"]

#: the value of the ``v`` member of every entry written by this module
ENTRY_FORMAT_VERSION = 1
#: the largest integer magnitude allowed in an entry (exact in IEEE doubles, so every JSON reader agrees)
MAX_SAFE_INT = 2**53 - 1

_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_MAX_DEPTH = 64

Json = None | bool | int | str | list["Json"] | dict[str, "Json"]


@dataclass(frozen=True)
class Entry:
    """One log entry: a *kind* and a JSON-object *body* (kept as given; validated when encoded)."""

    kind: str
    body: Mapping[str, Any]

    def to_bytes(self) -> bytes:
        return encode_entry(self)

    def leaf_hash(self) -> bytes:
        return entry_leaf_hash(self)


def _normalize(value: Any, where: str, depth: int) -> Json:
    if depth > _MAX_DEPTH:
        raise EntryError(f"{where}: nested deeper than {_MAX_DEPTH} levels")
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise EntryError(f"{where}: string is not valid Unicode (lone surrogate)") from exc
        return value
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise EntryError(f"{where}: integer {value} is outside ±(2**53 - 1); write it as a string")
        return int(value)
    if isinstance(value, float):
        raise EntryError(f"{where}: floats are not allowed in entries; write decimals as strings")
    if isinstance(value, Mapping):
        out: dict[str, Json] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EntryError(f"{where}: object keys must be strings, got {type(key).__name__}")
            out[key] = _normalize(item, f"{where}.{key}", depth + 1)
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_normalize(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    raise EntryError(f"{where}: {type(value).__name__} is not a JSON value")


def _check_kind(kind: object) -> str:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise EntryError(f"entry kind must match {_KIND.pattern}, got {kind!r}")
    return kind


def encode_entry(entry: Entry) -> bytes:
    """The canonical bytes of *entry*; :class:`EntryError` if it holds something not allowed."""
    kind = _check_kind(entry.kind)
    if not isinstance(entry.body, Mapping):
        raise EntryError(f"entry body must be an object, got {type(entry.body).__name__}")
    document = {"body": _normalize(entry.body, "body", 1), "kind": kind, "v": ENTRY_FORMAT_VERSION}
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


def entry_leaf_hash(entry: Entry) -> bytes:
    """``SHA-256(0x00 || encode_entry(entry))``."""
    return leaf_hash(encode_entry(entry))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise EntryError(f"duplicate object key {key!r}")
        out[key] = value
    return out


def _no_float(text: str) -> Any:
    raise EntryError(f"number {text} is not an integer; floats are not allowed in entries")


def _no_constant(text: str) -> Any:
    raise EntryError(f"{text} is not allowed in entries")


def decode_entry(data: bytes) -> Entry:
    """Parse canonical entry bytes. Refuses anything that :func:`encode_entry` would not write."""
    try:
        text = data.decode("utf-8")
        document = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_float=_no_float, parse_constant=_no_constant
        )
    except UnicodeDecodeError as exc:
        raise EntryError(f"entry is not valid UTF-8: {exc}") from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise EntryError(f"entry is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or set(document) != {"body", "kind", "v"}:
        raise EntryError('entry must be an object with exactly the members "body", "kind" and "v"')
    if document["v"] != ENTRY_FORMAT_VERSION or isinstance(document["v"], bool):
        raise EntryError(f"unsupported entry format version {document['v']!r}")
    if not isinstance(document["body"], dict):
        raise EntryError("entry body must be an object")
    entry = Entry(kind=_check_kind(document["kind"]), body=document["body"])
    if encode_entry(entry) != data:
        raise EntryError("entry bytes are not in canonical form (key order, whitespace or escaping differ)")
    return entry
