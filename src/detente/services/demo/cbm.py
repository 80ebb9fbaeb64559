"""CBM data for the fictional Arcadia–Borealis demo: an initial trust state set by the demo mediator, with
rationales, and one saved plan — through the services, so they are labelled, audited and stored like any other.
Idempotent: nothing is written when the process already has a trust state or a plan. Call
:func:`setup_cbm_demo` after :func:`detente.services.demo.process.setup_demo_process`."""

from __future__ import annotations

from detente.db import cbm as cbm_db
from detente.services import cbm, cbm_plans
from detente.services.accounts import caller_by_name
from detente.services.context import AppContext

__all__ = ["setup_cbm_demo"]

#: (truster index, trustee index, belief, rationale) — invented for the fictional demo
_JUDGEMENTS = (
    (0, 1, 0.30, "FICTIONAL: Arcadia's delegation doubts Borealis will hold the ceasefire after the 2023 escalation."),
    (1, 0, 0.40, "FICTIONAL: Borealis credits Arcadia for the early-2024 ceasefire but fears the Lowvale deployments."),
)


def setup_cbm_demo(app: AppContext, process_id: int, *, author: str = "mediator") -> bool:
    """Set the demo's trust state and save one plan; return False when the process already had either."""
    with app.db.transaction() as s:
        if cbm_db.latest_trust(s, process_id) is not None or cbm_db.latest_plan(s, process_id) is not None:
            return False
    caller = caller_by_name(app, author, via="demo", ip="demo")
    cp = cbm.open_process(app, caller, process_id)
    names = cp.party_names
    if len(names) < 2:
        return False
    for a, b, value, rationale in _JUDGEMENTS:
        cbm.analyst_input(app, caller, cp, truster=names[a], trustee=names[b], action="set", value=value,
                          rationale=rationale)  # fmt: skip
    request = cbm_plans.PlanRequest(horizon=8, threshold=0.6, max_cost=0.5, max_risk=0.5, min_verifiability=0.6)
    cbm_plans.new_plan(app, caller, cp, request)
    return True
