"""A process's catalogue as one reader sees it: the built-in measures plus the process measures whose label the
user reads; filters for the browser; adding a process measure (validated like the built-in ones)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from detente.access import Label, LabelKind
from detente.errors import InputError

from .catalogue import Catalogue, load_catalogue
from .measure import Domain, Measure
from .process_state import StoredMeasure

__all__ = [
    "CatalogueFilter",
    "base_catalogue",
    "effective_id",
    "filter_measures",
    "new_measure",
    "user_catalogue",
]

_SUFFIX = re.compile(r"_(m|p\d+)$")


@lru_cache(maxsize=1)
def base_catalogue() -> Catalogue:
    return load_catalogue()


def effective_id(given: str, label: str) -> str:
    """The id a process measure gets: labels a reader may not see have their own name space, so adding a measure
    never tells anyone that a measure they may not read exists under the same name."""
    parsed = Label.parse(label)
    if parsed.kind is LabelKind.PARTY:
        return f"{given}_p{parsed.party_id}"
    if parsed.kind is LabelKind.MEDIATORS_ONLY:
        return f"{given}_m"
    return given


def user_catalogue(stored: Iterable[StoredMeasure], readable: frozenset[str]) -> tuple[Catalogue, dict[str, str]]:
    """The catalogue with the readable process measures (a measure whose prerequisites the reader cannot see is
    left out), and each process measure's label by id."""
    base = base_catalogue()
    chosen = {s.measure.id: s for s in stored if s.label in readable}
    while True:
        known = set(base.ids) | set(chosen)
        dropped = [i for i, s in chosen.items() if any(p not in known for p in s.measure.prerequisites)]
        if not dropped:
            break
        for i in dropped:
            del chosen[i]
    if not chosen:
        return base, {}
    return base.with_measures([s.measure for s in chosen.values()], source="process"), {
        i: s.label for i, s in chosen.items()
    }


@dataclass(frozen=True)
class CatalogueFilter:
    domains: tuple[Domain, ...] = ()
    max_cost: float = 1.0
    min_signal: float = 0.0
    min_verifiability: float = 0.0
    reciprocity: str = "any"  # any | expected | unilateral
    text: str = ""

    def query(self) -> dict[str, Any]:
        """The non-default values (for links and the API echo)."""
        out: dict[str, Any] = {}
        if self.domains:
            out["domain"] = [d.value for d in self.domains]
        if self.max_cost < 1.0:
            out["max_cost"] = self.max_cost
        if self.min_signal > 0.0:
            out["min_signal"] = self.min_signal
        if self.min_verifiability > 0.0:
            out["min_verifiability"] = self.min_verifiability
        if self.reciprocity != "any":
            out["reciprocity"] = self.reciprocity
        if self.text:
            out["q"] = self.text
        return out


def filter_measures(catalogue: Catalogue, f: CatalogueFilter) -> list[Measure]:
    words = f.text.lower().split()
    out = []
    for m in catalogue.select(domains=f.domains or None, max_cost=f.max_cost, min_verifiability=f.min_verifiability):
        if m.signal_strength < f.min_signal:
            continue
        if f.reciprocity == "expected" and not m.reciprocity_expected:
            continue
        if f.reciprocity == "unilateral" and m.reciprocity_expected:
            continue
        hay = f"{m.id} {m.name} {m.description}".lower()
        if words and not all(w in hay for w in words):
            continue
        out.append(m)
    return out


def new_measure(
    catalogue: Catalogue, fields: Mapping[str, Any], label: str, added_by: int, now: datetime
) -> StoredMeasure:
    """Validate a new process measure against ``catalogue`` (the adder's view): the built-in checks, a free id,
    prerequisites that exist and no cycle. Errors name the field."""
    given = str(fields.get("id", ""))
    if _SUFFIX.search(given):
        raise InputError("an id may not end in _m or _p<number> (reserved for labelled measures)", field="id")
    data = {**fields, "id": effective_id(given, label) if given else given}
    try:
        measure = Measure.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or None
        raise InputError(str(first.get("msg", "invalid measure")), field=where) from None
    catalogue.with_measures([measure], source="process")  # raises CatalogueError (an InputError) on clashes
    return StoredMeasure(label=str(Label.parse(label)), added_by=added_by, added_at=now, measure=measure)
