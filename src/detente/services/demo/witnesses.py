"""The demo's witnesses: one per slot of the demo log's policy, each named by whoever holds that slot — Arcadia's and
Borealis's representatives their parties' witnesses, the mediator the observer mission's — through the same use case
as a real process. ``detente demo`` serves them on this machine (``detente.web.witness_runner``) so that the demo's
log verifies end to end; in a real process each party runs its own witness on its own machine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from detente.access import Role
from detente.db import ledger as ldb
from detente.db import processes as proc_db
from detente.services.accounts import caller_by_name
from detente.services.caller import Caller, operator
from detente.services.context import AppContext
from detente.services.witnesses import CosignResult, add_witness, cosign, list_witnesses

__all__ = ["DemoSlot", "cosign_demo", "demo_slots", "name_demo_witnesses"]


@dataclass(frozen=True)
class DemoSlot:
    slot: str
    #: the witness filling it, if any, and where it answers
    name: str | None
    url: str | None
    #: the log the witness must know
    origin: str
    log_vkey: str


def demo_slots(app: AppContext, process_id: int) -> list[DemoSlot]:
    """The slots of the demo log's witness policy."""
    with app.db.transaction() as s:
        log = ldb.get_log(s, process_id)
        origin, vkey = log.origin, log.vkey
    policy = list_witnesses(app, operator("demo"), process_id)
    return [DemoSlot(w.slot, w.name, w.url, origin, vkey) for w in policy.witnesses]


def _namers(app: AppContext, process_id: int, slots: list[str]) -> dict[str, Caller]:
    """Who names the witness of each slot: the party's representative, or the mediator for the observer mission."""
    with app.db.transaction() as s:
        members = proc_db.list_members(s, process_id)
    found: dict[str, Caller] = {}
    for slot in slots:
        for membership, user in members:
            if slot.startswith("party:"):
                fits = membership.role == Role.PARTY_REPRESENTATIVE and f"party:{membership.party_id}" == slot
            else:
                fits = membership.role == Role.MEDIATOR
            if fits:
                found[slot] = caller_by_name(app, str(user.username), via="demo", ip="demo")
                break
        else:
            found[slot] = operator("demo")
    return found


def name_demo_witnesses(app: AppContext, process_id: int, offered: Mapping[str, tuple[str, str]]) -> list[str]:
    """Fill each empty slot with the offered witness (slot -> (vkey, url)), or point a filled one at its new URL;
    return the slots changed."""
    slots = [slot for slot in demo_slots(app, process_id) if slot.slot in offered and slot.url != offered[slot.slot][1]]
    namers = _namers(app, process_id, [slot.slot for slot in slots])
    for slot in slots:
        vkey, url = offered[slot.slot]
        add_witness(app, namers[slot.slot], process_id, vkey=vkey, url=url, slot=slot.slot)
    return [slot.slot for slot in slots]


def cosign_demo(app: AppContext, process_id: int) -> CosignResult:
    """Ask the witnesses to cosign the latest checkpoint (as after any write)."""
    return cosign(app, operator("demo"), process_id)
