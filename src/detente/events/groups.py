"""Category groups: how the map and the timeline tell categories apart without colour (a shape on the map,
a fill pattern on the timeline, and always a written legend)."""

from __future__ import annotations

from dataclasses import dataclass

from detente.events.taxonomy import CATEGORIES

__all__ = ["GROUPS", "Group", "group_of"]


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    categories: tuple[str, ...]
    shape: str  # map symbol: triangle, square, diamond, circle, cross
    pattern: str  # timeline fill: solid, hatch, dots, lines, crosshatch


GROUPS: tuple[Group, ...] = (
    Group("violence", "Violence", ("battle", "remote_violence", "violence_against_civilians"), "triangle", "solid"),
    Group("unrest", "Riots and protests", ("riot", "protest"), "square", "hatch"),
    Group(
        "pressure", "Coercion, threats, verbal conflict", ("coercion", "threat", "verbal_conflict"), "diamond", "dots"
    ),
    Group("cooperation", "Cooperation", ("verbal_cooperation", "material_cooperation"), "circle", "lines"),
    Group("other", "Strategic developments, other", ("strategic_development", "other"), "cross", "crosshatch"),
)

_BY_CATEGORY = {c: g for g in GROUPS for c in g.categories}
assert set(_BY_CATEGORY) == set(CATEGORIES), "every category belongs to exactly one group"


def group_of(category: str) -> Group:
    return _BY_CATEGORY.get(category, GROUPS[-1])
