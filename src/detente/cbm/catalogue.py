"""The catalogue of confidence-building measures: a versioned YAML file in the package, validated on load.

``load_catalogue()`` reads the packaged ``catalogue.yaml``; ``load_catalogue(path)`` reads a user's file. A process
adds its own measures with :meth:`Catalogue.with_measures` or :meth:`Catalogue.merge_file`, under the same checks.
Every problem raises :class:`CatalogueError`, which names the file, the YAML line (when known), the measure id and
the field. The loader is the only function here that does I/O; :class:`Catalogue` itself is an immutable value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from detente.errors import CatalogueError, NotFoundError

from .measure import Domain, Measure

__all__ = [
    "SCHEMA_VERSION",
    "Catalogue",
    "CatalogueError",
    "check_measures",
    "load_catalogue",
]

#: The catalogue file format this code reads. Bump it when a field changes meaning or becomes required.
SCHEMA_VERSION = 1

_PACKAGED_NAME = "catalogue.yaml"
_PACKAGED_LABEL = "detente/cbm/catalogue.yaml"

#: (measure id, field) -> YAML line, or None when unknown
Locator = Callable[[str, Sequence[str | int]], int | None]


@dataclass(frozen=True)
class Catalogue:
    """An immutable, validated set of measures. Lookups by id are O(1); the planner may call them freely."""

    version: str
    schema_version: int
    measures: tuple[Measure, ...]
    #: where the measures came from: the packaged file, then each merged user file or ``"user"``
    sources: tuple[str, ...] = ()
    _index: dict[str, Measure] = field(init=False, repr=False, compare=False)
    _order: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        order = check_measures(self.measures)
        object.__setattr__(self, "_index", {m.id: m for m in self.measures})
        object.__setattr__(self, "_order", order)

    def __len__(self) -> int:
        return len(self.measures)

    def __iter__(self) -> Iterator[Measure]:
        return iter(self.measures)

    def __contains__(self, measure_id: object) -> bool:
        return measure_id in self._index

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.measures)

    def get(self, measure_id: str) -> Measure:
        """The measure with this id; :class:`~detente.errors.NotFoundError` if there is none."""
        try:
            return self._index[measure_id]
        except KeyError:
            raise NotFoundError(f"no measure {measure_id!r} in catalogue {self.version}") from None

    def domains(self) -> frozenset[Domain]:
        return frozenset(m.domain for m in self.measures)

    def select(
        self,
        *,
        domains: Iterable[Domain] | None = None,
        max_cost: float = 1.0,
        max_risk: float = 1.0,
        min_verifiability: float = 0.0,
        exclude: Iterable[str] = (),
    ) -> tuple[Measure, ...]:
        """Measures passing simple filters, in catalogue order (for browsers and planner constraints)."""
        wanted = None if domains is None else frozenset(domains)
        excluded = frozenset(exclude)
        return tuple(
            m
            for m in self.measures
            if (wanted is None or m.domain in wanted)
            and m.cost_to_initiator <= max_cost
            and m.risk_to_initiator <= max_risk
            and m.verifiability >= min_verifiability
            and m.id not in excluded
        )

    def topological_order(self) -> tuple[str, ...]:
        """All ids, every measure after its prerequisites; ties keep catalogue order."""
        return self._order

    def with_measures(self, extra: Iterable[Measure | Mapping[str, Any]], *, source: str = "user") -> Catalogue:
        """A new catalogue with ``extra`` added (same checks; an id already present is rejected)."""
        added: list[Measure] = []
        for item in extra:
            if isinstance(item, Measure):
                added.append(item)
            else:
                added.append(_validate_measure(dict(item), len(added), source, None))
        return Catalogue(
            version=self.version,
            schema_version=self.schema_version,
            measures=self.measures + tuple(added),
            sources=(*self.sources, source),
        )

    def merge_file(self, path: str | Path) -> Catalogue:
        """A new catalogue with the measures of a user's YAML file added (see ``docs/cbm.md`` for the format)."""
        text, label = _read(path)
        return _parse(text, label, base=self, require_examples=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (for ``--json`` output and the web layer)."""
        return {
            "version": self.version,
            "schema_version": self.schema_version,
            "sources": list(self.sources),
            "measures": [m.model_dump(mode="json") for m in self.measures],
        }


def check_measures(
    measures: Sequence[Measure],
    *,
    path: str | None = None,
    locate: Locator | None = None,
    require_examples: bool = False,
    skip: int = 0,
) -> tuple[str, ...]:
    """Check what involves several measures; return the ids in prerequisite (topological) order.

    Unique ids, prerequisites that exist, no prerequisite cycle, and (for built-in measures) at least one example.
    Measures before index ``skip`` are taken as already checked for the per-measure rules.
    """

    def fail(message: str, measure_id: str, field_path: Sequence[str | int]) -> CatalogueError:
        line = locate(measure_id, field_path) if locate is not None else None
        field_name = ".".join(str(p) for p in field_path) or None
        return CatalogueError(message, path=path, line=line, field=field_name, measure_id=measure_id)

    seen: dict[str, int] = {}
    for position, measure in enumerate(measures):
        if measure.id in seen:
            raise fail(f"id is already used by measure #{seen[measure.id] + 1}", measure.id, ("id",))
        seen[measure.id] = position
    for measure in measures[skip:]:
        for k, prerequisite in enumerate(measure.prerequisites):
            if prerequisite not in seen:
                raise fail(f"prerequisite {prerequisite!r} is not in the catalogue", measure.id, ("prerequisites", k))
        if require_examples and not measure.examples:
            raise fail("a built-in measure needs at least one historical example", measure.id, ("examples",))

    index = {m.id: m for m in measures}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(measure_id: str, trail: list[str]) -> None:
        mark = state.get(measure_id)
        if mark == 2:
            return
        if mark == 1:
            cycle = [*trail[trail.index(measure_id) :], measure_id]
            raise fail("prerequisite cycle: " + " -> ".join(cycle), measure_id, ("prerequisites",))
        state[measure_id] = 1
        for prerequisite in index[measure_id].prerequisites:
            visit(prerequisite, [*trail, measure_id])
        state[measure_id] = 2
        order.append(measure_id)

    for measure in measures:
        visit(measure.id, [])
    return tuple(order)


def load_catalogue(path: str | Path | None = None, *, extra: Iterable[str | Path] = ()) -> Catalogue:
    """Load the packaged catalogue (``path=None``) or a user's complete catalogue file, then merge ``extra`` files."""
    if path is None:
        text = files("detente.cbm").joinpath(_PACKAGED_NAME).read_text(encoding="utf-8")
        catalogue = _parse(text, _PACKAGED_LABEL, base=None, require_examples=True)
    else:
        text, label = _read(path)
        catalogue = _parse(text, label, base=None, require_examples=False)
    for extra_path in extra:
        catalogue = catalogue.merge_file(extra_path)
    return catalogue


# --- parsing -------------------------------------------------------------------------------------------------


def _read(path: str | Path) -> tuple[str, str]:
    try:
        return Path(path).read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"cannot read catalogue file: {exc}", path=path) from exc


def _node_line(node: yaml.Node | None, steps: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest node reachable along ``steps`` (mapping keys and sequence indexes)."""
    line = None if node is None else node.start_mark.line + 1
    for step in steps:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == step:
                    line, child = key.start_mark.line + 1, value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            child = node.value[step]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _validate_measure(raw: object, position: int, path: str, root: yaml.Node | None) -> Measure:
    if not isinstance(raw, dict):
        raise CatalogueError(
            f"measure #{position + 1} is not a mapping", path=path, line=_node_line(root, ("measures", position))
        )
    raw_id = raw.get("id")
    measure_id = raw_id if isinstance(raw_id, str) else f"#{position + 1}"
    try:
        return Measure.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise CatalogueError(
            first["msg"],
            path=path,
            line=_node_line(root, ("measures", position, *loc)),
            field=".".join(str(p) for p in loc) or None,
            measure_id=measure_id,
        ) from exc


def _parse(text: str, path: str, *, base: Catalogue | None, require_examples: bool) -> Catalogue:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise CatalogueError(f"not valid YAML: {exc}", path=path, line=line) from exc
    if not isinstance(data, dict):
        raise CatalogueError("a catalogue file is a mapping with version, schema_version and measures", path=path)
    for key in ("version", "schema_version", "measures"):
        if key not in data:
            raise CatalogueError("missing", path=path, field=key)
    unknown = sorted(str(k) for k in data if k not in {"version", "schema_version", "measures", "description"})
    if unknown:
        raise CatalogueError(
            f"unknown top-level key(s): {', '.join(unknown)}",
            path=path,
            line=_node_line(root, (unknown[0],)),
            field=unknown[0],
        )
    schema_version = data["schema_version"]
    if schema_version != SCHEMA_VERSION:
        raise CatalogueError(
            f"schema_version {schema_version!r} is not supported (this Détente reads {SCHEMA_VERSION})",
            path=path,
            line=_node_line(root, ("schema_version",)),
            field="schema_version",
        )
    version = data["version"]
    if not isinstance(version, str | int | float) or not str(version).strip():
        raise CatalogueError(
            "must be a non-empty string", path=path, line=_node_line(root, ("version",)), field="version"
        )
    raw_measures = data["measures"]
    if not isinstance(raw_measures, list):
        raise CatalogueError(
            "must be a list of measures", path=path, line=_node_line(root, ("measures",)), field="measures"
        )

    new = [_validate_measure(raw, i, path, root) for i, raw in enumerate(raw_measures)]
    positions = {m.id: i for i, m in enumerate(new)}

    def locate(measure_id: str, field_path: Sequence[str | int]) -> int | None:
        if measure_id not in positions:
            return None
        return _node_line(root, ("measures", positions[measure_id], *field_path))

    previous = base.measures if base is not None else ()
    check_measures([*previous, *new], path=path, locate=locate, require_examples=require_examples, skip=len(previous))
    if base is None:
        return Catalogue(version=str(version), schema_version=SCHEMA_VERSION, measures=tuple(new), sources=(path,))
    return Catalogue(
        version=base.version,
        schema_version=base.schema_version,
        measures=base.measures + tuple(new),
        sources=(*base.sources, f"{path}@{version}"),
    )
