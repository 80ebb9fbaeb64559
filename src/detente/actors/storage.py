"""File storage of the registry sources, the decision log and stakeholder profiles in ``<workspace>/actors/``.

Each file is versioned JSON (``{"format": …, "version": 1, …}``) written atomically. The layout is behind
:class:`ActorFiles` so it can move to SQL (``detente.db``) without touching the pure core::

    actors/sources.json          the source actors of the last ``build``
    actors/decisions.json        the append-only decision log (merges, rejections, undos)
    actors/processes/<id>.json   stakeholder profiles and analyst relations of one process
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from detente.actors.errors import RegistryInputError
from detente.actors.model import ActorKind, SourceActor
from detente.actors.profiles import ProcessBook
from detente.actors.registry import Decision, DecisionKind
from detente.workspace import Workspace, atomic_write_bytes

__all__ = ["FORMAT_VERSION", "ActorFiles"]

FORMAT_VERSION = 1
_PROCESS_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _dump(kind: str, body: dict[str, Any]) -> bytes:
    doc = {"format": f"detente-actors-{kind}", "version": FORMAT_VERSION, **body}
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _load(path: Path, kind: str) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError) as exc:
        raise RegistryInputError(f"unreadable ({exc})", path=path) from exc
    if not isinstance(doc, dict) or doc.get("format") != f"detente-actors-{kind}":
        raise RegistryInputError(f"not a Détente actors {kind} file", path=path)
    if doc.get("version") != FORMAT_VERSION:
        raise RegistryInputError(f"version {doc.get('version')!r}, this Détente reads {FORMAT_VERSION}", path=path)
    return doc


def _source_to_json(s: SourceActor) -> dict[str, Any]:
    return {
        "key": s.key,
        "name": s.name,
        "kind": s.kind.value,
        "country_iso3": s.country_iso3,
        "aliases": list(s.aliases),
        "parents": list(s.parents),
        "events": s.events,
        "ids": list(s.ids),
    }


def _source_from_json(d: dict[str, Any]) -> SourceActor:
    return SourceActor(
        key=str(d["key"]),
        name=str(d["name"]),
        kind=ActorKind(d["kind"]),
        country_iso3=d.get("country_iso3"),
        aliases=tuple(d.get("aliases", ())),
        parents=tuple(d.get("parents", ())),
        events=int(d.get("events", 0)),
        ids=tuple(d.get("ids", ())),
    )


def _decision_to_json(d: Decision) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind.value,
        "at": d.at.isoformat(),
        "by": d.by,
        "into": d.into,
        "other": d.other,
        "target": d.target,
        "note": d.note,
        "score": d.score,
    }


def _decision_from_json(d: dict[str, Any]) -> Decision:
    return Decision(
        id=str(d["id"]),
        kind=DecisionKind(d["kind"]),
        at=datetime.fromisoformat(d["at"]),
        by=str(d["by"]),
        into=d.get("into"),
        other=d.get("other"),
        target=d.get("target"),
        note=str(d.get("note", "")),
        score=d.get("score"),
    )


class ActorFiles:
    """The actors folder of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.root = workspace.root / "actors"
        self.root.mkdir(exist_ok=True)
        (self.root / "processes").mkdir(exist_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise read-modify-write cycles of the actors folder (blocking)."""
        with (self.root / ".lock").open("a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # -- source actors ----------------------------------------------------------------------------------
    def load_sources(self) -> list[SourceActor] | None:
        path = self.root / "sources.json"
        doc = _load(path, "sources")
        if doc is None:
            return None
        try:
            return [_source_from_json(d) for d in doc["actors"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryInputError(f"bad source actor ({exc})", path=path) from exc

    def save_sources(self, actors: list[SourceActor], *, built_at: datetime, inputs: list[str]) -> None:
        body = {"built_at": built_at.isoformat(), "inputs": inputs, "actors": [_source_to_json(a) for a in actors]}
        atomic_write_bytes(self.root / "sources.json", _dump("sources", body))

    # -- decisions --------------------------------------------------------------------------------------
    def load_decisions(self) -> list[Decision]:
        path = self.root / "decisions.json"
        doc = _load(path, "decisions")
        if doc is None:
            return []
        try:
            return [_decision_from_json(d) for d in doc["decisions"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryInputError(f"bad decision ({exc})", path=path) from exc

    def save_decisions(self, decisions: list[Decision]) -> None:
        body = {"decisions": [_decision_to_json(d) for d in decisions]}
        atomic_write_bytes(self.root / "decisions.json", _dump("decisions", body))

    # -- processes --------------------------------------------------------------------------------------
    def _process_path(self, process_id: str) -> Path:
        if not _PROCESS_ID.match(process_id):
            raise RegistryInputError(f"bad process id {process_id!r} (letters, digits, _ . -; up to 64)")
        return self.root / "processes" / f"{process_id}.json"

    def load_process(self, process_id: str) -> ProcessBook:
        path = self._process_path(process_id)
        doc = _load(path, "process")
        if doc is None:
            return ProcessBook(process_id)
        try:
            return ProcessBook.from_json(doc["book"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryInputError(f"bad stakeholder book ({exc})", path=path) from exc

    def save_process(self, book: ProcessBook) -> None:
        atomic_write_bytes(self._process_path(book.process_id), _dump("process", {"book": book.to_json()}))
