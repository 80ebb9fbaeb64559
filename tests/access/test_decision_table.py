"""The whole decision table, written out by hand: roles × labels × actions.

Each row gives one subject and one action; its five letters are the decisions for records labelled, in
order, ``public``, ``all_parties``, ``party:A``, ``party:B``, ``mediators_only`` (process 10, party A = 1,
party B = 2). ``Y`` allowed, ``n`` denied, ``H`` denied and concealed (answered as "not found"). The subject
never owns the record here; ownership has its own table below.
"""

from __future__ import annotations

import pytest

from detente.access import (
    NOT_FOUND,
    Action,
    Decision,
    Label,
    Membership,
    Resource,
    Role,
    Subject,
    decide,
    decide_binding,
    decide_consent,
)

PROCESS = 10
OTHER_PROCESS = 11
PARTY_A = 1
PARTY_B = 2
USER = 7

LABELS = (
    Label.public(),
    Label.all_parties(),
    Label.party(PARTY_A),
    Label.party(PARTY_B),
    Label.mediators_only(),
)


def _member(role: Role, party: int | None = None, *, is_admin: bool = False) -> Subject:
    return Subject.of(USER, is_admin=is_admin, memberships=[Membership(PROCESS, role, party)])


SUBJECTS: dict[str, Subject] = {
    "administrator": _member(Role.ADMINISTRATOR),
    "mediator": _member(Role.MEDIATOR),
    "analyst": _member(Role.ANALYST),
    "observer": _member(Role.OBSERVER),
    "representative_A": _member(Role.PARTY_REPRESENTATIVE, PARTY_A),
    "viewer": _member(Role.VIEWER),
    # a member of another process only
    "non_member": Subject.of(USER, memberships=[Membership(OTHER_PROCESS, Role.MEDIATOR)]),
    "instance_admin": Subject.of(USER, is_admin=True),
    "instance_admin_as_rep_B": _member(Role.PARTY_REPRESENTATIVE, PARTY_B, is_admin=True),
    "anonymous": Subject.anonymous(),
    # the person at the installation's command line: administers the instance, reads only what is public
    "operator": Subject.the_operator(),
}

# fmt: off
RECORD_TABLE: dict[str, dict[str, str]] = {
    "administrator": {
        "read": "YYYYY", "list": "YYYYY", "search": "YYYYY", "export": "YYYYY", "create": "YYYYY",
        "update": "YYYYY", "delete": "YYYYY", "manage_members": "YYYYY", "administer": "YYYYY", "assess": "YYYYY",
        "curate": "nnnnn", "plan": "YYYYY", "propose": "YYYYY",
    },
    "mediator": {
        "read": "YYYYY", "list": "YYYYY", "search": "YYYYY", "export": "YYYYY", "create": "YYYYY",
        "update": "YYYYY", "delete": "YYYYY", "manage_members": "nnnnn", "administer": "nnnnn", "assess": "YYYYY",
        "curate": "nnnnn", "plan": "YYYYY", "propose": "YYYYY",
    },
    "analyst": {
        "read": "YYHHH", "list": "YYHHH", "search": "YYHHH", "export": "YYHHH", "create": "nYHHH",
        "update": "nnHHH", "delete": "nnHHH", "manage_members": "nnHHH", "administer": "nnHHH", "assess": "nnHHH",
        "curate": "nnHHH", "plan": "nYHHH", "propose": "nnHHH",
    },
    "observer": {
        "read": "YYHHH", "list": "YYHHH", "search": "YYHHH", "export": "YYHHH", "create": "YYHHH",
        "update": "nnHHH", "delete": "nnHHH", "manage_members": "nnHHH", "administer": "nnHHH", "assess": "YYHHH",
        "curate": "nnHHH", "plan": "nnHHH", "propose": "nnHHH",
    },
    "representative_A": {
        "read": "YYYHH", "list": "YYYHH", "search": "YYYHH", "export": "YYYHH", "create": "nYYHH",
        "update": "nnnHH", "delete": "nnnHH", "manage_members": "nnnHH", "administer": "nnnHH", "assess": "nnnHH",
        "curate": "nnnHH", "plan": "nnnHH", "propose": "nYYHH",
    },
    "viewer": {
        "read": "YHHHH", "list": "YHHHH", "search": "YHHHH", "export": "nHHHH", "create": "nHHHH",
        "update": "nHHHH", "delete": "nHHHH", "manage_members": "nHHHH", "administer": "nHHHH", "assess": "nHHHH",
        "curate": "nHHHH", "plan": "nHHHH", "propose": "nHHHH",
    },
    "non_member": {
        "read": "YHHHH", "list": "YHHHH", "search": "YHHHH", "export": "nHHHH", "create": "nHHHH",
        "update": "nHHHH", "delete": "nHHHH", "manage_members": "HHHHH", "administer": "HHHHH", "assess": "nHHHH",
        "curate": "nHHHH", "plan": "nHHHH", "propose": "nHHHH",
    },
    "instance_admin": {
        "read": "YHHHH", "list": "YHHHH", "search": "YHHHH", "export": "nHHHH", "create": "nHHHH",
        "update": "nHHHH", "delete": "nHHHH", "manage_members": "YHHHH", "administer": "YHHHH", "assess": "nHHHH",
        "curate": "nHHHH", "plan": "nHHHH", "propose": "nHHHH",
    },
    "instance_admin_as_rep_B": {
        "read": "YYHYH", "list": "YYHYH", "search": "YYHYH", "export": "YYHYH", "create": "nYHYH",
        "update": "nnHnH", "delete": "nnHnH", "manage_members": "YYHYH", "administer": "YYHYH", "assess": "nnHnH",
        "curate": "nnHnH", "plan": "nnHnH", "propose": "nYHYH",
    },
    "anonymous": {
        "read": "YHHHH", "list": "YHHHH", "search": "YHHHH", "export": "nHHHH", "create": "nHHHH",
        "update": "nHHHH", "delete": "nHHHH", "manage_members": "HHHHH", "administer": "HHHHH", "assess": "nHHHH",
        "curate": "nHHHH", "plan": "nHHHH", "propose": "nHHHH",
    },
    "operator": {
        "read": "YHHHH", "list": "YHHHH", "search": "YHHHH", "export": "nHHHH", "create": "nHHHH",
        "update": "nHHHH", "delete": "nHHHH", "manage_members": "YHHHH", "administer": "YHHHH", "assess": "nHHHH",
        "curate": "nHHHH", "plan": "nHHHH", "propose": "nHHHH",
    },
}

# Process-level resource (the process page, its parties and members; label None).
# Letters in Action order: read list search export create update delete manage_members administer assess curate plan
# propose.
PROCESS_TABLE: dict[str, str] = {
    "administrator":           "YYYYnYYYYnYnn",
    "mediator":                "YYYYnnnnnnYnn",
    "analyst":                 "YYYYnnnnnnYnn",
    "observer":                "YYYYnnnnnnnnn",
    "representative_A":        "YYYYnnnnnnnnn",
    "viewer":                  "YYYnnnnnnnnnn",
    "non_member":              "HHHHHHHHHHHHH",
    "instance_admin":          "YYYnnYYYYnnnn",
    "instance_admin_as_rep_B": "YYYYnYYYYnnnn",
    "anonymous":               "HHHHHHHHHHHHH",
    "operator":                "YYYnnYYYYnnnn",
}

# Instance-level resource (accounts, creating processes); same action order.
INSTANCE_TABLE: dict[str, str] = {
    "administrator":           "YYYnnnnnnnnnn",
    "mediator":                "YYYnnnnnnnnnn",
    "analyst":                 "YYYnnnnnnnnnn",
    "observer":                "YYYnnnnnnnnnn",
    "representative_A":        "YYYnnnnnnnnnn",
    "viewer":                  "YYYnnnnnnnnnn",
    "non_member":              "YYYnnnnnnnnnn",
    "instance_admin":          "YYYYYYYYYYYYY",
    "instance_admin_as_rep_B": "YYYYYYYYYYYYY",
    "anonymous":               "nnnnnnnnnnnnn",
    "operator":                "YYYYYYYYYYYYY",
}
# fmt: on

ACTION_ORDER = (
    Action.READ,
    Action.LIST,
    Action.SEARCH,
    Action.EXPORT,
    Action.CREATE,
    Action.UPDATE,
    Action.DELETE,
    Action.MANAGE_MEMBERS,
    Action.ADMINISTER,
    Action.ASSESS,
    Action.CURATE,
    Action.PLAN,
    Action.PROPOSE,
)


def _letter(decision: Decision) -> str:
    if decision.allowed:
        assert not decision.concealed
        return "Y"
    return "H" if decision.concealed else "n"


def test_tables_cover_every_role_and_action() -> None:
    roles_in_table = {m.role for s in SUBJECTS.values() for m in s.memberships if m.process_id == PROCESS}
    assert roles_in_table == set(Role)
    assert set(ACTION_ORDER) == set(Action)
    for name in SUBJECTS:
        assert set(RECORD_TABLE[name]) == {a.value for a in Action}
        assert len(PROCESS_TABLE[name]) == len(INSTANCE_TABLE[name]) == len(Action)


@pytest.mark.parametrize("name", list(SUBJECTS))
def test_record_decisions(name: str) -> None:
    subject = SUBJECTS[name]
    got = {
        action.value: "".join(
            _letter(decide(subject, action, Resource.record(PROCESS, label, owner_id=USER + 1, record_id=99)))
            for label in LABELS
        )
        for action in Action
    }
    assert got == RECORD_TABLE[name]


@pytest.mark.parametrize("name", list(SUBJECTS))
def test_process_decisions(name: str) -> None:
    subject = SUBJECTS[name]
    got = "".join(_letter(decide(subject, a, Resource.process(PROCESS))) for a in ACTION_ORDER)
    assert got == PROCESS_TABLE[name]


@pytest.mark.parametrize("name", list(SUBJECTS))
def test_instance_decisions(name: str) -> None:
    subject = SUBJECTS[name]
    got = "".join(_letter(decide(subject, a, Resource.instance())) for a in ACTION_ORDER)
    assert got == INSTANCE_TABLE[name]


# Owners may update their own records when they may still create records with that label; never delete them.
# (subject, label, update, delete)
OWNER_TABLE = [
    ("analyst", Label.all_parties(), "Y", "n"),
    ("analyst", Label.public(), "n", "n"),
    ("observer", Label.public(), "Y", "n"),
    ("observer", Label.all_parties(), "Y", "n"),
    ("representative_A", Label.party(PARTY_A), "Y", "n"),
    ("representative_A", Label.all_parties(), "Y", "n"),
    ("representative_A", Label.public(), "n", "n"),
    ("representative_A", Label.party(PARTY_B), "H", "H"),
    ("viewer", Label.public(), "n", "n"),
    ("mediator", Label.mediators_only(), "Y", "Y"),
    ("non_member", Label.public(), "n", "n"),
]


@pytest.mark.parametrize(("name", "label", "update", "delete"), OWNER_TABLE)
def test_owner_decisions(name: str, label: Label, update: str, delete: str) -> None:
    resource = Resource.record(PROCESS, label, owner_id=USER)
    subject = SUBJECTS[name]
    assert _letter(decide(subject, Action.UPDATE, resource)) == update
    assert _letter(decide(subject, Action.DELETE, resource)) == delete


def test_concealed_denials_say_not_found() -> None:
    decision = decide(SUBJECTS["representative_A"], Action.READ, Resource.record(PROCESS, Label.party(PARTY_B)))
    assert decision == Decision(False, NOT_FOUND, concealed=True)
    assert not decision


# Consent: who speaks for party A and for party B (accepts or declines what binds it, registers its signing keys).
# (subject, party A, party B)
CONSENT_TABLE = [
    ("administrator", "n", "n"),
    ("mediator", "n", "n"),
    ("analyst", "n", "n"),
    ("observer", "n", "n"),
    ("representative_A", "Y", "n"),
    ("viewer", "n", "n"),
    ("non_member", "H", "H"),
    ("instance_admin", "H", "H"),
    ("instance_admin_as_rep_B", "n", "Y"),
    ("anonymous", "H", "H"),
    ("operator", "H", "H"),
]


def test_the_consent_table_names_every_subject() -> None:
    assert [row[0] for row in CONSENT_TABLE] == list(SUBJECTS)


@pytest.mark.parametrize(("name", "party_a", "party_b"), CONSENT_TABLE)
def test_only_a_partys_own_representative_speaks_for_it(name: str, party_a: str, party_b: str) -> None:
    subject = SUBJECTS[name]
    assert _letter(decide_consent(subject, PROCESS, PARTY_A)) == party_a
    assert _letter(decide_consent(subject, PROCESS, PARTY_B)) == party_b


# What may bind which parties: every bound party must read the label. (label, binds A, binds B, binds both)
BINDING_TABLE = [
    (Label.public(), "Y", "Y", "Y"),
    (Label.all_parties(), "Y", "Y", "Y"),
    (Label.party(PARTY_A), "Y", "n", "n"),
    (Label.party(PARTY_B), "n", "Y", "n"),
    (Label.mediators_only(), "n", "n", "n"),
]


@pytest.mark.parametrize(("label", "a", "b", "both"), BINDING_TABLE)
def test_a_party_is_bound_only_by_what_it_may_read(label: Label, a: str, b: str, both: str) -> None:
    got = [_letter(decide_binding(label, parties)) for parties in ({PARTY_A}, {PARTY_B}, {PARTY_A, PARTY_B})]
    assert got == [a, b, both]
    assert not decide_binding(label, set())
