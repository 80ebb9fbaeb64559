"""Revision 0005 upgrades a workspace written by Détente 0.1.0 (``tests/fixtures/workspace-0.1.0``: the FICTIONAL
demo plus a week of a team's work, made by ``tests/fixtures/make_workspace_0_1_0.py`` on that release): every CBM
and actor file ends up in SQL, equal to what the file said; the files are moved aside, kept, never read again; what
names no process is kept and reported; on SQLite (the file of that release) and on PostgreSQL (its rows copied into a
database at the release's revisions, with the same workspace folders beside it).

It also closes the leak of that release: a trust judgement made for the mediators only, in a trust state later
relabelled for all parties, is shown to the mediators only after the upgrade (labels rebuilt from the audit trail).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text

from detente.actors import ProcessBook
from detente.cbm import CbmSettings, PlanRevision, StoredMeasure
from detente.config import Settings
from detente.db import actors as actors_db
from detente.db import cbm as cbm_db
from detente.db import migrate, open_database
from detente.db import processes as proc_db
from detente.db.verification_models import CommitmentRow
from detente.errors import NotFoundError
from detente.services import actors, cbm, cbm_plans, verification_reads
from detente.services.accounts import caller_by_name
from detente.services.context import AppContext, open_context
from support import FakeClock

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workspace-0.1.0"
PID = 1


def _workspace(tmp_path: Path, *, with_database: bool) -> Path:
    ws = tmp_path / "release"
    shutil.copytree(FIXTURE, ws)
    if not with_database:
        (ws / "detente.sqlite3").unlink()
    return ws


def _copy_rows(source: Path, url: str) -> None:
    """The release's rows, table by table in the order of their foreign keys, into a database at its revisions."""
    migrate(url, "0003")
    migrate(url, "0004")
    src = create_engine(f"sqlite+pysqlite:///{source}")
    dst = create_engine(url)
    meta = MetaData()
    meta.reflect(src)
    target = MetaData()
    target.reflect(dst)
    with src.connect() as read, dst.begin() as write:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(r._mapping) for r in read.execute(select(table))]
            if rows:
                write.execute(target.tables[table.name].insert(), rows)
                if "id" in table.c and table.c.id.primary_key:
                    write.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                       f"(SELECT max(id) FROM {table.name}))"))  # fmt: skip
    src.dispose()
    dst.dispose()


def _open(tmp_path: Path, database_url: str) -> tuple[Path, AppContext]:
    if database_url.startswith("sqlite"):
        ws = _workspace(tmp_path, with_database=True)
        url = f"sqlite+pysqlite:///{ws / 'detente.sqlite3'}"
    else:
        ws = _workspace(tmp_path, with_database=False)
        _copy_rows(FIXTURE / "detente.sqlite3", database_url)
        url = database_url
    return ws, open_context(Settings(workspace=ws, database_url=url), clock=FakeClock())


def test_a_release_workspace_upgrades_with_nothing_lost(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="detente.db.migrate"):
        ws, app = _open(tmp_path, database_url)
    try:
        kept = ws / "pre-sql-state"
        assert not (ws / "cbm").exists() and not (ws / "actors").exists()  # the workspace holds no state files now
        assert (kept / "README.txt").is_file()
        assert sorted(p.name for p in kept.iterdir()) == ["README.txt", "actors", "cbm"]
        # what names no process is not imported, kept, and reported
        assert (kept / "cbm" / "plans" / "frozen" / "rev-0001.json").is_file()
        assert "cbm/plans/frozen" in caplog.text
        _check_cbm(app, FIXTURE / "cbm")
        _check_actors(app, FIXTURE / "actors")
        _check_labels_and_reads(app)
        # opening again changes nothing
        again = open_database(Settings(workspace=ws, database_url=str(app.db.engine.url.render_as_string(False))),
                              clock=app.clock)  # fmt: skip
        again.close()
        _check_cbm(app, FIXTURE / "cbm")
    finally:
        app.close()


def _check_cbm(app: AppContext, root: Path) -> None:
    with app.db.transaction() as s:
        history = cbm_db.plan_history(s, PID)
        settings, _ = cbm_db.get_settings(s, PID)
        measures = cbm_db.list_measures(s, PID)
        links = cbm_db.step_links(s, PID, 1)
        trust_rows = s.execute(text("SELECT revision, state FROM cbm_trust_states WHERE process_id = :p ORDER BY "
                                    "revision"), {"p": PID}).all()  # fmt: skip
    trust_files = sorted((root / "trust" / str(PID)).glob("rev-*.json"))
    assert [(r, st) for r, st in trust_rows] == [
        (int(f.stem.removeprefix("rev-")), f.read_text(encoding="utf-8")) for f in trust_files
    ]
    plan_files = sorted((root / "plans" / str(PID)).glob("rev-*.json"))
    assert [h.revision for h in history] == [PlanRevision.model_validate_json(f.read_bytes()) for f in plan_files]
    assert settings == CbmSettings.model_validate_json((root / "settings" / f"{PID}.json").read_bytes())
    assert measures == [
        StoredMeasure.model_validate_json(f.read_bytes()) for f in sorted((root / "measures" / str(PID)).glob("*"))
    ]
    assert links == {1: json.loads((root / "links" / str(PID) / "rev-0001-step-1.json").read_text())["commitment_id"]}


def _check_actors(app: AppContext, root: Path) -> None:
    with app.db.transaction() as s:
        sources = actors_db.load_sources(s)
        decisions = actors_db.load_decisions(s)
        labels = ["public", "all_parties", "party:1", "party:2", "mediators_only"]
        profiles = actors_db.profiles(s, PID, labels)
        relations = actors_db.relations(s, PID, labels)
    doc = json.loads((root / "sources.json").read_text())
    assert sources is not None and sorted(a.key for a in sources) == sorted(a["key"] for a in doc["actors"])
    logged = json.loads((root / "decisions.json").read_text())["decisions"]
    assert [(d.id, d.kind.value, d.by, d.into, d.other, d.note) for d in decisions] == [
        (d["id"], d["kind"], d["by"], d["into"], d["other"], d["note"]) for d in logged
    ]
    for path in sorted((root / "processes").glob("*.json")):
        label = path.stem.split(".", 1)[1].replace("party-", "party:")
        book = ProcessBook.from_json(json.loads(path.read_text())["book"])
        assert {p.profile.actor_id: p.profile for p in profiles if p.label == label} == book.profiles, path.name
        assert tuple(r for lab, r in relations if lab == label) == book.relations, path.name


def _check_labels_and_reads(app: AppContext) -> None:
    """The services read it all, and the mediators' judgement stays the mediators'."""
    mediator, rep = caller_by_name(app, "mediator"), caller_by_name(app, "rep-arcadia")
    with app.db.transaction() as s:
        trust = cbm_db.latest_trust(s, PID)
        plans = cbm_db.plan_history(s, PID)
    assert trust is not None and trust.inputs_label == "mediators_only"
    assert [p.inputs_label for p in plans] == ["mediators_only", "mediators_only"]
    cp = cbm.open_process(app, mediator, PID)
    assert cp.settings.trust_label == "all_parties"  # the setting is kept; what it may show is narrower
    view = cbm.trust_view(app, mediator, cp)
    assert view.label == "mediators_only" and any("private read" in u.explanation for u in view.state.history)
    with pytest.raises(NotFoundError):
        cbm.trust_view(app, rep, cbm.open_process(app, rep, PID))
    assert [r.revision.revision for r in cbm_plans.list_plans(app, mediator, cp)] == [1, 2]
    assert "lowvale_river_patrol_m" in cp.catalogue
    scope = actors.open_scope(app, mediator, PID)
    assert sum(len(b.book.profiles) for b in actors.books(app, scope)) >= 6
    _, board = verification_reads.board(app, mediator, PID)
    assert len(board.commitments) == 4 and board.proposals == []  # recorded before consent: in force, as they were
    with app.db.transaction() as s:
        parties = {p.name: p.id for p in proc_db.list_parties(s, PID)}
        for row in s.scalars(select(CommitmentRow).where(CommitmentRow.process_id == PID)):
            assert (row.state, row.change) == ("accepted", "new")
            assert row.binds == sorted(parties[name] for name in row.body["parties"])  # each binds the parties named
