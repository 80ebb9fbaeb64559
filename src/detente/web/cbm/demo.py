"""CBM data for the fictional Arcadia–Borealis demo: an initial trust state set by the demo analyst, with
rationales, and one saved plan. Idempotent: nothing is written when the process already has a trust state or a
plan. Call :func:`setup_cbm_demo` after :func:`detente.web.demo.setup_demo_process`."""

from __future__ import annotations

from pathlib import Path

from detente.cbm import (
    AnalystAction,
    AnalystInput,
    Constraints,
    Goal,
    PlanStore,
    ProcessStore,
    SearchSettings,
    TrustState,
    plan,
)
from detente.db import Database
from detente.db.processes import list_parties
from detente.web.cbm.catalogue import base_catalogue

__all__ = ["setup_cbm_demo"]

#: (truster index, trustee index, belief, rationale) — invented for the fictional demo
_JUDGEMENTS = (
    (0, 1, 0.30, "FICTIONAL: Arcadia's delegation doubts Borealis will hold the ceasefire after the 2023 escalation."),
    (1, 0, 0.40, "FICTIONAL: Borealis credits Arcadia for the early-2024 ceasefire but fears the Lowvale deployments."),
)


def setup_cbm_demo(db: Database, workspace: Path | str, process_id: int, *, author: str = "analyst") -> bool:
    """Set the demo's trust state and save one plan; return False when the process already had either."""
    key = str(process_id)
    store, plans = ProcessStore(workspace), PlanStore(workspace)
    if store.trust(key) is not None or plans.latest(key) is not None:
        return False
    with db.transaction() as s:
        names = tuple(p.name for p in list_parties(s, process_id))
    if len(names) < 2:
        return False
    now = db.clock()
    state = TrustState.start(names, prior=0.5)
    for a, b, value, rationale in _JUDGEMENTS:
        state = state.apply(
            AnalystInput(
                truster=names[a],
                trustee=names[b],
                action=AnalystAction.SET,
                value=value,
                rationale=rationale,
                author=author,
                time=now,
            )
        )
    store.save_trust(key, state, expected=None)
    result = plan(
        state,
        base_catalogue(),
        Goal(threshold=0.6),
        Constraints(horizon=8, max_cost=0.5, max_risk=0.5, min_verifiability=0.6),
        SearchSettings(seed=0, worlds=400),
    )
    plans.save(key, result, state)
    return True
