"""Stored details in words a person reads: an audit event's detail as "what: value" lines, not escaped JSON (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["detail_lines"]

#: keys whose meaning a reader would not guess from the key itself
_NAMES = {"via": "through", "ip": "address", "id": "id", "n": "count"}


def _key(key: str) -> str:
    return _NAMES.get(key, key.replace("_", " "))


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) if value else "none"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def detail_lines(detail: Mapping[str, Any] | None, *, prefix: str = "") -> list[tuple[str, str]]:
    """``{"imported": 10217, "files": ["demo.parquet"], "via": "cli"}`` → ``[("imported", "10,217"), ("files",
    "demo.parquet"), ("through", "cli")]``; nested objects become "outer › inner" keys, in their stored order."""
    out: list[tuple[str, str]] = []
    for key, value in (detail or {}).items():
        name = f"{prefix}{_key(str(key))}"
        if isinstance(value, Mapping):
            out.extend(detail_lines(value, prefix=f"{name} › ") or [(name, "—")])
        else:
            out.append((name, _value(value)))
    return out
