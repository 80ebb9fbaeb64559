"""A server process doing multi-step use cases in a loop until it is killed (run by ``test_sigkill_usecases.py``).

Usage: ``python usecase_worker.py WORKSPACE DATABASE_URL PROCESS_ID``. Each round: a mediator records a commitment;
an observer files a report on it with an evidence file and assesses it compliant; the mediator replans from the
verified record (a new trust revision and a new plan revision together) and makes the first step of the new plan a
commitment. After each use case has committed it prints ``ack <kind> <id>``."""

from __future__ import annotations

import sys
from pathlib import Path

from consenting import decide_for
from detente.clock import system_clock
from detente.config import Settings
from detente.services import cbm, cbm_plans, consent, verification
from detente.services.accounts import caller_by_name
from detente.services.context import open_context

COMMITMENT = {
    "title": "Open crossing {n}",
    "text": "Crossing {n} opens daily for civilians.",
    "parties": ["North", "South"],
    "category": "humanitarian_access",
    "schedule": {"deadline": "2031-01-10"},
    "methods": ["third_party_observer"],
    "verifier": "Joint monitoring team",
    "label": "all_parties",
}


def main() -> None:
    workspace, url, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = open_context(Settings(workspace=Path(workspace), database_url=url), clock=system_clock)
    mediator = caller_by_name(app, "mediator", via="worker")
    observer = caller_by_name(app, "observer", via="worker")
    n = 0
    while True:
        n += 1
        body = {k: (v.format(n=n) if isinstance(v, str) else v) for k, v in COMMITMENT.items()}
        c = consent.propose(app, mediator, pid, body)
        print(f"ack commitment {c.id}", flush=True)
        decide_for(app, pid, c.id)  # each party's representative accepts, with its own key
        print(f"ack accepted {c.id}", flush=True)
        evidence = f"round {n}: 212 people crossed\n".encode() * 50
        uploads = [(f"log-{n}.txt", evidence)]
        r = verification.file_report(app, observer, pid, narrative=f"open, round {n}", place="", time=None,
                                     label="all_parties", commitment_id=c.id, uploads=uploads)  # fmt: skip
        print(f"ack report {r.id}", flush=True)
        a = verification.assess(app, observer, pid, c.id, period="deadline", status="compliant", rationale="seen",
                                label="all_parties", report_ids=[r.id])  # fmt: skip
        print(f"ack assessment {a.id}", flush=True)
        cp = cbm.open_process(app, mediator, pid)
        result = cbm_plans.replan_verified(app, mediator, cp)
        print(f"ack plan {result.revision.revision.revision}", flush=True)
        if result.revision.revision.plan.steps:
            made = cbm_plans.make_commitment(
                app, mediator, cp, result.revision.revision.revision, 1, label="all_parties"
            )
            print(f"ack step {made}", flush=True)


if __name__ == "__main__":
    main()
