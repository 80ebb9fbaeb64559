"""Two server processes on one database edit the same stakeholder profile, the same trust state and the plans of
one process at the same time: no update is lost (optimistic concurrency: versions and revision numbers, each
use case retried on the latest state), on PostgreSQL — a team's server — and on SQLite (one file, one writer)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher

from detente.access import Role
from detente.actors import ActorKind, SourceActor
from detente.config import Settings
from detente.db import actors as actors_db
from detente.db import cbm as cbm_db
from detente.db.processes import add_party, create_process, set_membership
from detente.db.users import AccountPolicy, create_user
from detente.services import actors
from detente.services.accounts import caller_by_name
from detente.services.actors import ProfileInput
from detente.services.context import open_context
from support import FakeClock

ROUNDS = 12
WORKER = Path(__file__).with_name("concurrency_worker.py")


def test_two_processes_lose_no_update(database_url: str, workspace: Path, tmp_path: Path) -> None:
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = open_context(Settings(workspace=workspace, database_url=database_url), clock=FakeClock(), policy=policy)
    try:
        with app.db.transaction() as s:
            process = create_process(s, "Concurrent talks", clock=app.clock)
            add_party(s, process.id, "North", clock=app.clock)
            add_party(s, process.id, "South", clock=app.clock)
            user = create_user(s, "mediator", "correct horse battery", policy=policy, clock=app.clock)
            set_membership(s, process.id, user.id, Role.MEDIATOR, clock=app.clock)
            army = SourceActor("acled:Arcadian Defence Forces", "Arcadian Defence Forces", ActorKind.STATE_FORCES)
            actors_db.replace_sources(s, [army], built_at=app.clock(), inputs=["test"])
            pid = process.id
        mediator = caller_by_name(app, "mediator")
        aid = actors.registry(app).resolve("Arcadian Defence Forces").id
        start = ProfileInput("mediators_only", "sceptic", "round 2 minutes", FakeClock().now.date())
        actors.set_profile(app, mediator, pid, aid, start)
        go = tmp_path / "go"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WORKER.parent), *sys.path])}
        workers = [
            subprocess.Popen(
                [sys.executable, str(WORKER), str(workspace), database_url, str(pid), name, str(ROUNDS), str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for name in ("one", "two")
        ]
        for worker in workers:  # both loaded and connected: then they start together
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        go.touch()
        outputs = [w.communicate(timeout=600) for w in workers]
        for worker, (_, err) in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, err[-3000:]
        lines = [line for out, _ in outputs for line in out.splitlines()]
        made = [line for line in lines if not line.startswith("retries ")]
        assert len(made) == 2 * (2 * ROUNDS + 2)
        retried = sum(int(line.split()[1]) for line in lines if line.startswith("retries "))
        print(f"\n{database_url.split(':')[0]}: {len(made)} edits by two processes, {retried} run again after a race")
        with app.db.transaction() as s:
            profile = actors_db.get_profile(s, pid, "mediators_only", aid)
            trust = cbm_db.latest_trust(s, pid)
            plans = cbm_db.plan_history(s, pid)
        assert profile is not None and trust is not None
        interests = sorted(e.text for e in profile.profile.interests)
        expected = sorted(f"{w}-interest-{i}" for w in ("one", "two") for i in range(ROUNDS))
        assert interests == expected  # every entry of both writers, none overwritten
        assert profile.version == 1 + 2 * ROUNDS
        rationales = sorted(u.evidence.rationale for u in trust.state.history)  # type: ignore[union-attr]
        assert rationales == sorted(f"{w}-trust-{i}" for w in ("one", "two") for i in range(ROUNDS))
        assert trust.revision == 2 * ROUNDS
        assert [p.revision.revision for p in plans] == [1, 2, 3, 4]
        assert [p.revision.supersedes for p in plans] == [None, 1, 2, 3]
    finally:
        app.close()
