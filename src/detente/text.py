"""Text that may be stored: no NUL character and no lone surrogate (pure: no I/O).

PostgreSQL refuses a NUL character in text, and neither database can encode half of a UTF-16 surrogate pair (which
a JSON ``\\ud800`` escape produces); both used to surface as server errors. Every shell refuses such text with the
field it came in (HTTP 422, or the CLI's one line); the storage adapter checks once more, so that nothing reaches
a database that would fail on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from detente.errors import InputError

__all__ = ["check_text", "first_bad_text", "text_problem"]

_BAD = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """What is wrong with *value* as stored text, or ``None``."""
    found = _BAD.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return f"a NUL character (U+0000) at position {found.start()} is not allowed in text"
    return f"a lone surrogate (U+{ord(found.group()):04X}) at position {found.start()} is not valid text"


def check_text(value: str, field: str) -> str:
    """*value*, or the user's mistake naming *field*."""
    problem = text_problem(value)
    if problem is not None:
        raise InputError(problem, field=field)
    return value


def first_bad_text(value: object, field: str = "") -> tuple[str, str] | None:
    """The first string (key or value) in a JSON-like *value* that is not storable text: ``(field path, problem)``,
    the path's parts joined with dots (``commitment.indicators.0``)."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (field or "body", problem) if problem is not None else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{field}.{key}" if field else str(key)
            key_problem = text_problem(str(key))
            if key_problem is not None:
                return where, key_problem
            found = first_bad_text(item, where)
            if found is not None:
                return found
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for index, item in enumerate(value):
            found = first_bad_text(item, f"{field}.{index}" if field else str(index))
            if found is not None:
                return found
    return None
