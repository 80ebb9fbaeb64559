"""Who is asking (a subject) and what they ask about (a resource)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from detente.access.labels import Label
from detente.access.roles import Role
from detente.errors import InputError

__all__ = ["Membership", "Resource", "Subject"]


@dataclass(frozen=True, slots=True)
class Membership:
    """One role in one process; a party representative is bound to exactly one party of it."""

    process_id: int
    role: Role
    party_id: int | None = None

    def __post_init__(self) -> None:
        if (self.role is Role.PARTY_REPRESENTATIVE) != (self.party_id is not None):
            raise InputError("a party representative is bound to one party, and no other role is", field="party")


@dataclass(frozen=True, slots=True)
class Subject:
    """A signed-in user (or the anonymous subject) with their memberships, at most one per process.

    ``is_admin`` marks an instance administrator: it manages accounts, processes and memberships everywhere,
    but reads a process's non-public records only through a membership of its own (see ``docs/access.md``).
    ``operator`` marks the person at the installation's command line (``detente users …``, ``detente ingest``):
    an instance administrator without an account, hence without memberships.
    """

    user_id: int | None
    is_admin: bool = False
    memberships: tuple[Membership, ...] = field(default=())
    operator: bool = False

    def __post_init__(self) -> None:
        processes = [m.process_id for m in self.memberships]
        if len(processes) != len(set(processes)):
            raise InputError("a subject holds at most one membership per process", field="memberships")
        if self.operator:
            if self.user_id is not None or self.memberships or not self.is_admin:
                raise InputError("the operator has no account and no memberships, and administers the instance")
        elif self.user_id is None and (self.is_admin or self.memberships):
            raise InputError("the anonymous subject has no memberships and is no administrator")

    @classmethod
    def anonymous(cls) -> Subject:
        return cls(user_id=None)

    @classmethod
    def the_operator(cls) -> Subject:
        """The person at the installation's command line (see the class docstring)."""
        return cls(user_id=None, is_admin=True, operator=True)

    @classmethod
    def of(cls, user_id: int, *, is_admin: bool = False, memberships: Iterable[Membership] = ()) -> Subject:
        return cls(user_id=user_id, is_admin=is_admin, memberships=tuple(sorted(memberships, key=_key)))

    def membership(self, process_id: int) -> Membership | None:
        for m in self.memberships:
            if m.process_id == process_id:
                return m
        return None


def _key(m: Membership) -> int:
    return m.process_id


@dataclass(frozen=True, slots=True)
class Resource:
    """What an action is about.

    ``process_id`` None means the instance itself (accounts, the list of processes). ``label`` is the
    record's visibility label; for process-level actions (members, settings) leave it None. ``owner_id`` is
    the user who created the record, when known. ``record_id`` is carried only so callers can log it;
    decisions never echo it.
    """

    process_id: int | None
    label: Label | None = None
    owner_id: int | None = None
    record_id: int | str | None = None

    @classmethod
    def instance(cls) -> Resource:
        return cls(process_id=None)

    @classmethod
    def process(cls, process_id: int) -> Resource:
        return cls(process_id=process_id)

    @classmethod
    def record(
        cls, process_id: int, label: Label, *, owner_id: int | None = None, record_id: int | str | None = None
    ) -> Resource:
        return cls(process_id=process_id, label=label, owner_id=owner_id, record_id=record_id)
