"""Equal-time answers at sign-in (issue 12): an unknown user, a locked account, a deactivated account and a wrong
password all cost one password hash, so the time of the answer does not tell them apart. A security property,
measured as a ratio of medians with a generous bound, not a speed target."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from argon2 import PasswordHasher

from detente.db import Database
from detente.db.users import AccountPolicy, LoginOutcome, authenticate, create_user, set_active
from support import FakeClock

PASSWORD = "correct horse battery"
ROUNDS = 9

#: costly enough (tens of milliseconds) that the hash dominates the database round trips
POLICY = AccountPolicy(
    max_failures=3, lockout=timedelta(hours=1), hasher=PasswordHasher(time_cost=2, memory_cost=32_768, parallelism=1)
)


def _median_seconds(db: Database, clock: FakeClock, username: str, password: str, expected: LoginOutcome) -> float:
    times = []
    for _ in range(ROUNDS):
        with db.transaction(write=True) as s:
            started = time.perf_counter()
            result = authenticate(s, username, password, policy=POLICY, clock=clock)
            times.append(time.perf_counter() - started)
            assert result.outcome is expected
        if username == "wrong":  # keep the account from locking: reset its count between rounds
            with db.transaction(write=True) as s:
                authenticate(s, "wrong", PASSWORD, policy=POLICY, clock=clock)
    return statistics.median(times)


def test_unknown_locked_and_deactivated_answer_as_slowly_as_a_wrong_password(db: Database, clock: FakeClock) -> None:
    with db.transaction() as s:
        create_user(s, "wrong", PASSWORD, policy=POLICY, clock=clock)
        create_user(s, "locked", PASSWORD, policy=POLICY, clock=clock)
        gone = create_user(s, "gone", PASSWORD, policy=POLICY, clock=clock)
        set_active(s, gone.id, False, actor_id=None, actor_name="operator:test", clock=clock)
    with db.transaction() as s:
        for _ in range(POLICY.max_failures):
            authenticate(s, "locked", "not the password", policy=POLICY, clock=clock)
    _median_seconds(db, clock, "nobody", "warm up the dummy hash", LoginOutcome.BAD_CREDENTIALS)
    wrong = _median_seconds(db, clock, "wrong", "not the password", LoginOutcome.BAD_CREDENTIALS)
    unknown = _median_seconds(db, clock, "nobody", "not the password", LoginOutcome.BAD_CREDENTIALS)
    locked = _median_seconds(db, clock, "locked", "not the password", LoginOutcome.LOCKED)
    deactivated = _median_seconds(db, clock, "gone", PASSWORD, LoginOutcome.DEACTIVATED)
    for name, seconds in {"unknown": unknown, "locked": locked, "deactivated": deactivated}.items():
        assert 0.5 <= seconds / wrong <= 2.0, f"{name}: {seconds * 1000:.1f} ms against {wrong * 1000:.1f} ms"
