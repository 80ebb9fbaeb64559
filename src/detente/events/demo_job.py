"""The main job until the workbench exists: generate the demo dataset, import it, summarise the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.events.ingest import IngestProgress, IngestReport, ingest_files
from detente.events.store import open_store
from detente.workspace import Workspace

__all__ = ["run_demo"]


def run_demo(
    workspace: Path, *, seed: int = 20240201, progress: IngestProgress | None = None
) -> tuple[IngestReport, dict[str, Any]]:
    """Write the demo events as a Détente Parquet export inside the workspace, import it, and summarise."""
    from detente.events.export import write_events

    ws = Workspace.open(workspace, create=True)
    demo_dir = ws.root / "demo"
    demo_dir.mkdir(exist_ok=True)
    path = demo_dir / "demo-events.parquet"
    events, rejects = finalize(generate_demo_events(seed=seed), import_batch="demo-generator")
    if rejects:  # the generator must only make valid events
        raise AssertionError(f"demo generator made invalid events: {rejects[:3]}")
    tmp = path.with_name(".demo-events.parquet.partial")
    write_events([events], "parquet", tmp)
    tmp.replace(path)
    report = ingest_files(ws.root, [path], progress=progress)
    return report, open_store(ws.root).summary()
