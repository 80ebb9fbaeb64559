"""What the workbench keeps per process beside its plans: the current trust state (every revision kept), the
process's own measures, its settings (visibility labels of the trust state and of the plans) and the links from
planned steps to the commitments made from them.

Layout under ``<workspace>/cbm/``::

    trust/<process>/rev-0001.json         one TrustState per revision (never overwritten)
    measures/<process>/<effective id>.json  a StoredMeasure (never overwritten)
    settings/<process>.json               CbmSettings (replaced atomically)
    links/<process>/rev-0003-step-1.json  {"commitment_id": 12}

Labels are kept as their text form (``detente.access`` reads them); this module does not decide anything.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from detente.errors import ConflictError, InputError, StoreError
from detente.workspace import atomic_write_bytes, fsync_dir

from .measure import Measure
from .trust import PairBelief, TrustState

__all__ = ["CbmSettings", "ProcessStore", "StoredMeasure", "extend_parties"]

_PROCESS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_REV = re.compile(r"^rev-(\d{4,})\.json$")
_ID = re.compile(r"^[a-z][a-z0-9_]{1,80}$")


class CbmSettings(BaseModel):
    """Visibility labels of a process's trust state and plans (plans are sensitive: mediators only by default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trust_label: str = "mediators_only"
    plan_label: str = "mediators_only"


class StoredMeasure(BaseModel):
    """A measure a process added to its catalogue, with its visibility label and who added it when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    added_by: int | None
    added_at: AwareDatetime
    measure: Measure


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``; :class:`ConflictError` if it exists (another writer was first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError as exc:
        raise ConflictError(f"{path.name} already exists; reload and retry") from exc
    finally:
        tmp.unlink()
    fsync_dir(path.parent)


class ProcessStore:
    """Trust states, process measures, settings and step links of every process in one workspace."""

    def __init__(self, workspace: Path | str) -> None:
        self.root = Path(workspace) / "cbm"

    def _name(self, process: str) -> str:
        if not _PROCESS.match(process):
            raise InputError(f"process name {process!r} must be letters, digits, '.', '_' or '-'", field="process")
        return process

    # --- trust ---------------------------------------------------------------------------------------------

    def _trust_revisions(self, process: str) -> list[tuple[int, Path]]:
        folder = self.root / "trust" / self._name(process)
        if not folder.is_dir():
            return []
        return sorted((int(m.group(1)), p) for p in folder.iterdir() if (m := _REV.match(p.name)))

    def trust(self, process: str) -> tuple[int, TrustState] | None:
        """The latest trust state and its revision number, or None before the first one."""
        found = self._trust_revisions(process)
        if not found:
            return None
        number, path = found[-1]
        try:
            return number, TrustState.from_json(path.read_bytes())
        except (OSError, ValidationError) as exc:
            raise StoreError(f"{path}: unreadable trust state ({exc})") from exc

    def save_trust(self, process: str, state: TrustState, *, expected: int | None) -> int:
        """Write a new revision; ``expected`` is the revision the change was made from (None: the first)."""
        found = self._trust_revisions(process)
        current = found[-1][0] if found else None
        if current != expected:
            raise ConflictError("the trust state changed meanwhile; reload and retry")
        number = (current or 0) + 1
        _write_new(self.root / "trust" / process / f"rev-{number:04d}.json", state.to_json().encode("utf-8"))
        return number

    # --- measures ------------------------------------------------------------------------------------------

    def measures(self, process: str) -> list[StoredMeasure]:
        folder = self.root / "measures" / self._name(process)
        if not folder.is_dir():
            return []
        out = []
        for path in sorted(folder.glob("*.json")):
            try:
                out.append(StoredMeasure.model_validate_json(path.read_bytes()))
            except (OSError, ValidationError) as exc:
                raise StoreError(f"{path}: unreadable process measure ({exc})") from exc
        return sorted(out, key=lambda m: (m.added_at, m.measure.id))

    def add_measure(self, process: str, stored: StoredMeasure) -> None:
        if not _ID.match(stored.measure.id):
            raise InputError("bad measure id", field="id")
        path = self.root / "measures" / self._name(process) / f"{stored.measure.id}.json"
        _write_new(path, stored.model_dump_json(indent=2).encode("utf-8"))

    # --- settings ------------------------------------------------------------------------------------------

    def settings(self, process: str) -> CbmSettings:
        path = self.root / "settings" / f"{self._name(process)}.json"
        if not path.exists():
            return CbmSettings()
        try:
            return CbmSettings.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as exc:
            raise StoreError(f"{path}: unreadable CBM settings ({exc})") from exc

    def save_settings(self, process: str, settings: CbmSettings) -> None:
        path = self.root / "settings" / f"{self._name(process)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, settings.model_dump_json(indent=2).encode("utf-8"))

    # --- links from planned steps to commitments -----------------------------------------------------------

    def _link_path(self, process: str, revision: int, position: int) -> Path:
        return self.root / "links" / self._name(process) / f"rev-{revision:04d}-step-{position}.json"

    def link(self, process: str, revision: int, position: int) -> int | None:
        path = self._link_path(process, revision, position)
        if not path.exists():
            return None
        try:
            value = json.loads(path.read_bytes())["commitment_id"]
        except (OSError, ValueError, KeyError) as exc:
            raise StoreError(f"{path}: unreadable link ({exc})") from exc
        if not isinstance(value, int):
            raise StoreError(f"{path}: the commitment id is not a number")
        return value

    def save_link(self, process: str, revision: int, position: int, commitment_id: int) -> None:
        body = json.dumps({"commitment_id": commitment_id}).encode("utf-8")
        _write_new(self._link_path(process, revision, position), body)


def extend_parties(state: TrustState, parties: tuple[str, ...], prior: float = 0.5) -> TrustState:
    """``state`` with parties added since it was made (their pairs start at ``prior``; the history is kept)."""
    missing = [p for p in parties if p not in state.parties]
    if not missing:
        return state
    names = (*state.parties, *missing)
    known = {(b.truster, b.trustee) for b in state.priors}
    added = tuple(
        PairBelief(truster=a, trustee=b, belief=prior) for a in names for b in names if a != b and (a, b) not in known
    )
    return TrustState(parties=names, parameters=state.parameters, priors=state.priors + added, history=state.history)
