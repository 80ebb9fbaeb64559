"""Plans and their replanning history, kept as JSON files in the workspace.

Layout: ``<workspace>/cbm/plans/<process>/rev-0001.json``, ``rev-0002.json``, … Each revision holds the plan, the
trust state it was made from, and what triggered it (a compliance record and the fallback taken, or nothing for a
first plan). Revisions are never overwritten: a new one is written to a temporary file, synced, and linked into
place only if its name is still free. SQL storage comes later with the workbench pages.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from detente.errors import ConflictError, InputError, StoreError
from detente.workspace import fsync_dir

from .evidence import ComplianceRecord
from .planner_replan import FallbackAction
from .planner_types import Plan
from .trust import TrustState

__all__ = ["PlanRevision", "PlanStore"]

_PROCESS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_REV = re.compile(r"^rev-(\d{4,})\.json$")


class PlanRevision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    process: str
    revision: int
    supersedes: int | None
    plan: Plan
    state: TrustState
    trigger: ComplianceRecord | None = None
    fallback: FallbackAction | None = None


class PlanStore:
    """The plan history of every process in one workspace."""

    def __init__(self, workspace: Path | str) -> None:
        self.root = Path(workspace) / "cbm" / "plans"

    def _dir(self, process: str) -> Path:
        if not _PROCESS.match(process):
            raise InputError(f"process name {process!r} must be letters, digits, '.', '_' or '-'", field="process")
        return self.root / process

    def processes(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _PROCESS.match(p.name))

    def _revisions(self, process: str) -> list[tuple[int, Path]]:
        folder = self._dir(process)
        if not folder.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _REV.match(p.name))]
        return sorted(found)

    def history(self, process: str) -> list[PlanRevision]:
        out = []
        for _, path in self._revisions(process):
            try:
                out.append(PlanRevision.model_validate_json(path.read_bytes()))
            except (OSError, ValidationError) as exc:
                raise StoreError(f"{path}: unreadable plan revision ({exc})") from exc
        return out

    def latest(self, process: str) -> PlanRevision | None:
        history = self.history(process)
        return history[-1] if history else None

    def save(
        self,
        process: str,
        plan: Plan,
        state: TrustState,
        trigger: ComplianceRecord | None = None,
        fallback: FallbackAction | None = None,
    ) -> PlanRevision:
        folder = self._dir(process)
        folder.mkdir(parents=True, exist_ok=True)
        existing = self._revisions(process)
        number = existing[-1][0] + 1 if existing else 1
        revision = PlanRevision(
            process=process,
            revision=number,
            supersedes=existing[-1][0] if existing else None,
            plan=plan,
            state=state,
            trigger=trigger,
            fallback=fallback,
        )
        target = folder / f"rev-{number:04d}.json"
        tmp = folder / f".rev-{number:04d}.tmp-{os.getpid()}"
        with tmp.open("wb") as fh:
            fh.write(revision.model_dump_json(indent=2).encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError as exc:
            raise ConflictError(f"{target} already exists (another writer saved a revision); retry") from exc
        finally:
            tmp.unlink()
        fsync_dir(folder)
        return revision
