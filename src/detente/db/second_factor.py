"""Second factor at rest: each user's TOTP seed sealed with the workspace's key vault, the time step last used (no
code is good twice), and single-use recovery codes stored as SHA-256 digests.

:func:`seal_secret` and :func:`open_secret` are the one place a seed is sealed or opened (purpose
``totp:<user_id>``), so that a rotation of the vault secret can re-seal every seed through them. Using a code marks
it used with one conditional ``UPDATE``, so two servers handed the same code at the same instant accept it once.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from detente.clock import Clock
from detente.db.audit import record_audit
from detente.db.models import RecoveryCode, SecondFactor, User
from detente.db.one_time_codes import (
    RECOVERY_CODE_COUNT,
    TypedCode,
    matching_step,
    new_recovery_code,
    new_totp_secret,
)
from detente.db.secrets_ import digest
from detente.errors import ConflictError, InputError
from detente.verification.keys import KeyVault

__all__ = [
    "confirm_enrolment",
    "enrolled_ids",
    "get_factor",
    "is_enrolled",
    "new_recovery_codes",
    "open_secret",
    "recovery_codes_left",
    "remove",
    "seal_secret",
    "start_enrolment",
    "use_code",
]


def _purpose(user_id: int) -> str:
    return f"totp:{user_id}"


def seal_secret(vault: KeyVault, user_id: int, secret: bytes) -> bytes:
    """The user's TOTP seed sealed for storage, bound to ``totp:<user_id>`` (moved to another row, it won't open)."""
    return vault.seal_bytes(secret, _purpose(user_id))


def open_secret(vault: KeyVault, user_id: int, sealed: bytes) -> bytes:
    """The seed of :func:`seal_secret`; a wrong vault secret or another user's row is a :class:`StoreError`."""
    return vault.open_bytes(sealed, _purpose(user_id))


def get_factor(session: Session, user_id: int) -> SecondFactor | None:
    """The user's authenticator, enrolled or only started, or None."""
    return session.get(SecondFactor, user_id)


def is_enrolled(session: Session, user_id: int) -> bool:
    enrolled = session.scalar(select(SecondFactor.enrolled_at).where(SecondFactor.user_id == user_id))
    return enrolled is not None


def enrolled_ids(session: Session, user_ids: Iterable[int] | None = None) -> set[int]:
    """Which of these users (default: all) have an enrolled second factor."""
    query = select(SecondFactor.user_id).where(SecondFactor.enrolled_at.is_not(None))
    if user_ids is not None:
        query = query.where(SecondFactor.user_id.in_(sorted(set(user_ids))))
    return set(session.scalars(query))


def recovery_codes_left(session: Session, user_id: int) -> int:
    count = session.scalar(
        select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return int(count or 0)


def start_enrolment(session: Session, user_id: int, vault: KeyVault, *, clock: Clock) -> bytes:
    """A fresh seed for the user, stored sealed and not yet enrolled (it replaces one started before); returns the
    seed, to be shown once. An enrolled user must disable their authenticator first."""
    row = get_factor(session, user_id)
    if row is not None and row.enrolled_at is not None:
        raise ConflictError("a second factor is already set up for this account; disable it first to replace it")
    secret = new_totp_secret()
    if row is None:
        row = SecondFactor(user_id=user_id, sealed_secret=seal_secret(vault, user_id, secret), created_at=clock())
        session.add(row)
    else:
        row.sealed_secret = seal_secret(vault, user_id, secret)
        row.created_at = clock()
        row.last_step = None
    session.flush()
    return secret


def new_recovery_codes(session: Session, user_id: int, *, clock: Clock) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODE_COUNT`` fresh ones; returns them (shown once)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = clock()
    session.add_all(
        [RecoveryCode(user_id=user_id, digest=digest(_compact(c)), created_at=now, used_at=None) for c in codes]
    )
    session.flush()
    return codes


def _compact(code: str) -> str:
    return code.replace("-", "")


def confirm_enrolment(
    session: Session, user_id: int, code: str, vault: KeyVault, *, ip: str | None, clock: Clock
) -> list[str]:
    """Finish an enrolment with a code of the new authenticator (it proves the app holds the seed): the factor is
    enrolled, that code's step is used up, and fresh recovery codes are returned. Audited as
    ``second_factor.enrolled``. A wrong code is an :class:`InputError` naming ``code``."""
    row = get_factor(session, user_id)
    if row is None or row.enrolled_at is not None:
        raise ConflictError("no set-up of a second factor is under way; start again")
    step = matching_step(open_secret(vault, user_id, row.sealed_secret), code, clock())
    if step is None:
        raise InputError("this code does not match: check the app's time, and type the code it shows now", field="code")
    row.enrolled_at = clock()
    row.last_step = step
    codes = new_recovery_codes(session, user_id, clock=clock)
    record_audit(
        session, "second_factor.enrolled", actor_id=user_id, target=f"user:{user_id}",
        detail={"recovery_codes": len(codes)}, ip=ip, clock=clock,
    )  # fmt: skip
    return codes


def use_code(
    session: Session, user: User, typed: TypedCode, vault: KeyVault, *, ip: str | None, clock: Clock
) -> str | None:
    """Check and use up a code of the user's enrolled factor: a TOTP code of a step not used before (the step is
    recorded) or an unused recovery code (marked used; audited as ``second_factor.recovery_code_used``). Returns
    ``"totp"`` or ``"recovery_code"``, or None when the code is wrong, used already, or the user is not enrolled.
    Counting a failure is the caller's business."""
    row = get_factor(session, user.id)
    if row is None or row.enrolled_at is None:
        return None
    now = clock()
    if typed.totp is not None:
        step = matching_step(open_secret(vault, user.id, row.sealed_secret), typed.totp, now, after=row.last_step)
        if step is None:
            return None
        claimed = session.execute(
            update(SecondFactor)
            .where(
                SecondFactor.user_id == user.id,
                (SecondFactor.last_step.is_(None)) | (SecondFactor.last_step < step),
            )
            .values(last_step=step)
            .execution_options(synchronize_session=False)
        )
        session.expire(row)
        return "totp" if _rows(claimed) == 1 else None
    if typed.recovery is None:
        return None
    claimed = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.digest == digest(typed.recovery),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if _rows(claimed) != 1:
        return None
    record_audit(
        session, "second_factor.recovery_code_used", actor_id=user.id, actor_name=user.username,
        target=f"user:{user.id}", detail={"left": recovery_codes_left(session, user.id)}, ip=ip, clock=clock,
    )  # fmt: skip
    return "recovery_code"


def _rows(result: object) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def remove(
    session: Session,
    user_id: int,
    *,
    action: str,
    actor_id: int | None,
    actor_name: str | None = None,
    ip: str | None,
    clock: Clock,
) -> bool:
    """Delete the user's authenticator (enrolled or started) and recovery codes; audited as ``action``
    (``second_factor.disabled`` by the user, ``second_factor.reset`` by an administrator) when one was enrolled.
    Returns whether one was enrolled."""
    row = get_factor(session, user_id)
    enrolled = row is not None and row.enrolled_at is not None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(SecondFactor).where(SecondFactor.user_id == user_id))
    if enrolled:
        record_audit(
            session, action, actor_id=actor_id, actor_name=actor_name, target=f"user:{user_id}", ip=ip, clock=clock
        )
    session.flush()
    return enrolled
