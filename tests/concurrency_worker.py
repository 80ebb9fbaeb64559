"""One of two server processes editing the same profile, trust state and plans (run by ``test_concurrency.py``).

Usage: ``python concurrency_worker.py WORKSPACE DATABASE_URL PROCESS_ID NAME ROUNDS GO_FILE`` — says it is ready,
waits until GO_FILE exists (so both start together), then makes ROUNDS edits of each kind through the services and
prints one line per edit, then how many times a use case ran again after losing a race; any error ends it with a
non-zero exit and the message."""

from __future__ import annotations

import logging
import sys
import time
from datetime import date
from pathlib import Path

from detente.clock import system_clock
from detente.config import Settings
from detente.services import actors, cbm, cbm_plans
from detente.services.accounts import caller_by_name
from detente.services.actors import EntryInput
from detente.services.context import open_context


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.n = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.n += 1


def main() -> None:
    retries = _Count()
    logging.getLogger("detente.services.concurrency").addHandler(retries)
    logging.getLogger("detente.services.concurrency").setLevel(logging.INFO)
    workspace, url, pid, name, rounds, go = sys.argv[1:7]
    process_id, n = int(pid), int(rounds)
    app = open_context(Settings(workspace=Path(workspace), database_url=url), clock=system_clock)
    try:
        mediator = caller_by_name(app, "mediator", via="worker", ip=name)
        actor = actors.registry(app).resolve("Arcadian Defence Forces").id
        cp = cbm.open_process(app, mediator, process_id)
        print("ready", flush=True)
        while not Path(go).exists():
            time.sleep(0.005)
        for i in range(n):  # the same profile and the same trust state, as fast as they go
            entry = EntryInput("mediators_only", "interest", f"{name}-interest-{i}", "minutes", date(2021, 5, 2))
            actors.add_entry(app, mediator, process_id, actor, entry)
            print(f"entry {name}-interest-{i}", flush=True)
            cbm.analyst_input(app, mediator, cp, truster="North", trustee="South", action="nudge", value=0.1,
                              rationale=f"{name}-trust-{i}")  # fmt: skip
            print(f"trust {name}-trust-{i}", flush=True)
        for i in range(2):  # then plans: computed outside the transaction, saved as the next revision
            saved = cbm_plans.new_plan(app, mediator, cp, cbm_plans.PlanRequest(horizon=1, seed=i))
            print(f"plan {saved.revision.revision}", flush=True)
        print(f"retries {retries.n}", flush=True)
    finally:
        app.close()


if __name__ == "__main__":
    main()
