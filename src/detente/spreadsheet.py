"""Cells that a spreadsheet would run as a formula, neutralised (pure: no I/O).

A CSV file exported from Détente is opened in spreadsheets. A text cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is read there as a formula (``=HYPERLINK("http://x","y")`` leaks data when clicked, DDE
payloads run commands). As OWASP recommends for CSV injection, such a cell is written with a single quote in front,
which the spreadsheet shows as text; the CSV writer still quotes the cell and doubles any double quote in it. Only
text cells are touched: numbers, dates and empty cells are written as they are.

A text that already starts with a single quote gets one more, so that the marker is never ambiguous: the
importers of Détente's own CSV and HXL files take it off again (:func:`restored_cell`), and an export read back
gives the same events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["FORMULA_LEAD", "MARKED_PATTERN", "neutral_cell", "neutral_row", "restored_cell"]

#: the characters that make a spreadsheet read a cell as a formula
FORMULA_LEAD = frozenset("=+-@\t\r")
#: a regular expression matching a text that gets the quote: formula-leading, or starting with the quote itself
MARKED_PATTERN = r"^[=+\-@\t\r']"

_MARKED = re.compile(MARKED_PATTERN)


def neutral_cell(value: object) -> object:
    """*value*, with a single quote in front when it is text that starts like a formula (or with a quote)."""
    if isinstance(value, str) and _MARKED.match(value):
        return "'" + value
    return value


def neutral_row(row: Iterable[object]) -> list[object]:
    """Each cell of *row* through :func:`neutral_cell`."""
    return [neutral_cell(cell) for cell in row]


def restored_cell(text: str) -> str:
    """The inverse of :func:`neutral_cell` for a text cell read back from an export."""
    if text[:1] == "'" and _MARKED.match(text[1:2]):
        return text[1:]
    return text
