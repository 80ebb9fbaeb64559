"""The planning and actor state in SQL (revision 0005), on SQLite and PostgreSQL: revisions are kept, a write made from
stale state is refused (what lets concurrent writers retry instead of overwriting each other), links and settings
round-trip."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from detente.actors import Attitude, Evidenced, StakeholderProfile
from detente.cbm import (
    CbmSettings,
    ComplianceRecord,
    Constraints,
    Goal,
    Outcome,
    PlanRevision,
    SearchSettings,
    TrustState,
    VerificationMethod,
    load_catalogue,
    plan,
    replan,
)
from detente.db import Database
from detente.db import actors as actors_db
from detente.db import cbm as cbm_db
from detente.db.processes import add_party, create_process
from detente.errors import StaleState

WHEN = datetime(2024, 5, 1, tzinfo=UTC)
STATE = TrustState.start(["North", "South"], prior=0.4)


def _process(db: Database) -> int:
    with db.transaction() as s:
        process = create_process(s, "State talks", clock=db.clock)
        add_party(s, process.id, "North", clock=db.clock)
        add_party(s, process.id, "South", clock=db.clock)
        return process.id


def _revision(pid: int, number: int, supersedes: int | None, result: object, **kw: object) -> PlanRevision:
    return PlanRevision(process=str(pid), revision=number, supersedes=supersedes, plan=result, state=STATE, **kw)  # type: ignore[arg-type]


def test_plan_revisions_are_kept_and_a_stale_one_is_refused(db: Database) -> None:
    pid = _process(db)
    catalogue = load_catalogue()
    first = plan(
        STATE, catalogue, Goal(), Constraints(horizon=2), SearchSettings(seed=0, worlds=50, selection_worlds=0)
    )
    step = first.steps[0]
    record = ComplianceRecord("c-1", step.initiator, Outcome.COMPLIANT, VerificationMethod.COUNTERPART_OBSERVATION,
                              WHEN, measure_id=step.measure_id)  # fmt: skip
    again = replan(first, STATE, record, catalogue)
    with db.transaction() as s:
        cbm_db.add_plan(s, _revision(pid, 1, None, first), process_id=pid, inputs_label="public", at=WHEN, by=None)
        cbm_db.add_plan(s, _revision(pid, 2, 1, again.plan, trigger=record, fallback=again.fallback),
                        process_id=pid, inputs_label="mediators_only", at=WHEN, by=None)  # fmt: skip
    with pytest.raises(StaleState), db.transaction() as s:  # made from revision 1: revision 2 exists meanwhile
        cbm_db.add_plan(s, _revision(pid, 2, 1, first), process_id=pid, inputs_label="public", at=WHEN, by=None)
    with db.transaction() as s:
        history = cbm_db.plan_history(s, pid)
    assert [h.revision.revision for h in history] == [1, 2]
    assert history[0].revision.plan == first and history[1].revision.plan == again.plan
    assert history[1].revision.trigger == record and history[1].inputs_label == "mediators_only"


def test_trust_revisions_and_settings_refuse_stale_writes(db: Database) -> None:
    pid = _process(db)
    with db.transaction() as s:
        assert cbm_db.latest_trust(s, pid) is None
        assert cbm_db.add_trust(s, pid, STATE, expected=None, inputs_label="public", at=WHEN, by=None) == 1
        assert cbm_db.get_settings(s, pid) == (CbmSettings(), 0)
        assert cbm_db.save_settings(s, pid, CbmSettings(trust_label="all_parties"), expected=0, at=WHEN) == 1
    with pytest.raises(StaleState), db.transaction() as s:
        cbm_db.add_trust(s, pid, STATE, expected=None, inputs_label="public", at=WHEN, by=None)
    with pytest.raises(StaleState), db.transaction() as s:
        cbm_db.save_settings(s, pid, CbmSettings(plan_label="public"), expected=0, at=WHEN)
    with db.transaction() as s:
        stored = cbm_db.latest_trust(s, pid)
        assert stored is not None and stored.revision == 1 and stored.state.to_json() == STATE.to_json()
        assert cbm_db.get_settings(s, pid) == (CbmSettings(trust_label="all_parties"), 1)


def test_profiles_are_versioned(db: Database) -> None:
    pid = _process(db)
    profile = StakeholderProfile("act_1", "all_parties", Attitude.NEUTRAL, "minutes", date(2021, 5, 1))
    with db.transaction() as s:
        assert actors_db.save_profile(s, pid, profile, expected=None, at=WHEN, by=None) == 1
    with pytest.raises(StaleState), db.transaction() as s:  # created meanwhile
        actors_db.save_profile(s, pid, profile, expected=None, at=WHEN, by=None)
    richer = StakeholderProfile("act_1", "all_parties", Attitude.SCEPTIC, "minutes", date(2021, 5, 1),
                                interests=(Evidenced("ports", "minutes", date(2021, 5, 2)),))  # fmt: skip
    with db.transaction() as s:
        assert actors_db.save_profile(s, pid, richer, expected=1, at=WHEN, by=None) == 2
    with pytest.raises(StaleState), db.transaction() as s:  # a second editor who read version 1
        actors_db.save_profile(s, pid, profile, expected=1, at=WHEN, by=None)
    with db.transaction() as s:
        found = actors_db.get_profile(s, pid, "all_parties", "act_1")
        assert found is not None and found.version == 2 and found.profile == richer
        assert actors_db.profiles(s, pid, ["public"]) == []  # reads only the labels asked for
