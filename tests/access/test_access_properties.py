"""Invariants of the access model over arbitrary subjects, labels and actions (Hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from detente.access import (
    NOT_FOUND,
    READ_ACTIONS,
    Action,
    Label,
    Membership,
    Resource,
    Role,
    Subject,
    creatable_labels,
    decide,
    decide_derived,
    may_read_label,
    narrowest,
    readable_label_texts,
    readable_labels,
    within,
)
from detente.errors import InputError

PROCESSES = st.integers(min_value=1, max_value=4)
PARTIES = st.integers(min_value=1, max_value=6)


@st.composite
def memberships(draw: st.DrawFn, process_id: int) -> Membership:
    role = draw(st.sampled_from(Role))
    party = draw(PARTIES) if role is Role.PARTY_REPRESENTATIVE else None
    return Membership(process_id, role, party)


@st.composite
def subjects(draw: st.DrawFn) -> Subject:
    if draw(st.booleans()) and draw(st.booleans()):
        return Subject.anonymous()
    processes = draw(st.sets(PROCESSES, max_size=4))
    ms = [draw(memberships(p)) for p in sorted(processes)]
    return Subject.of(draw(st.integers(1, 50)), is_admin=draw(st.booleans()), memberships=ms)


labels = st.one_of(
    st.sampled_from([Label.public(), Label.all_parties(), Label.mediators_only()]),
    PARTIES.map(Label.party),
)
actions = st.sampled_from(Action)
record_ids = st.integers(min_value=10_000_000, max_value=10**12)


@st.composite
def records(draw: st.DrawFn) -> Resource:
    owner = draw(st.none() | st.integers(1, 50))
    return Resource.record(draw(PROCESSES), draw(labels), owner_id=owner, record_id=draw(record_ids))


@given(subjects(), actions, PROCESSES)
def test_only_mediators_and_process_administrators_touch_mediators_only(
    subject: Subject, action: Action, process: int
) -> None:
    decision = decide(subject, action, Resource.record(process, Label.mediators_only()))
    membership = subject.membership(process)
    if decision.allowed:
        assert membership is not None
        assert membership.role in (Role.MEDIATOR, Role.ADMINISTRATOR)


@given(st.integers(1, 50), PROCESSES, PARTIES, PARTIES, actions, st.booleans(), st.none() | st.integers(1, 50))
def test_a_representative_never_reaches_another_partys_record(
    user: int, process: int, party_a: int, party_b: int, action: Action, is_admin: bool, owner: int | None
) -> None:
    if party_a == party_b:
        party_b = party_a + 1
    rep = Subject.of(user, is_admin=is_admin, memberships=[Membership(process, Role.PARTY_REPRESENTATIVE, party_a)])
    decision = decide(rep, action, Resource.record(process, Label.party(party_b), owner_id=owner))
    assert not decision.allowed
    assert decision.concealed
    assert decision.reason == NOT_FOUND


@given(subjects(), actions, records())
def test_denial_reasons_never_name_the_record(subject: Subject, action: Action, resource: Resource) -> None:
    decision = decide(subject, action, resource)
    if decision.allowed:
        return
    assert str(resource.record_id) not in decision.reason
    assert str(resource.label) not in decision.reason
    if resource.label is not None and resource.label.party_id is not None:
        assert f"party:{resource.label.party_id}" not in decision.reason
    if decision.concealed:
        assert decision.reason == NOT_FOUND


@given(subjects(), actions, PROCESSES, labels, labels, st.none() | st.integers(1, 50))
def test_unreadable_records_are_indistinguishable(
    subject: Subject, action: Action, process: int, one: Label, other: Label, owner: int | None
) -> None:
    """Whatever the hidden label, the answer is the same: nothing tells one hidden record from another."""
    membership = subject.membership(process)
    if may_read_label(membership, one) or may_read_label(membership, other):
        return
    first = decide(subject, action, Resource.record(process, one, owner_id=owner))
    second = decide(subject, action, Resource.record(process, other, owner_id=owner))
    assert first == second
    assert first.concealed


@given(subjects(), PROCESSES, labels, st.sets(PARTIES, max_size=6))
def test_query_filter_agrees_with_decide(subject: Subject, process: int, label: Label, parties: set[int]) -> None:
    if label.party_id is not None:
        parties = parties | {label.party_id}
    readable = readable_labels(subject, process, parties)
    for action in (Action.READ, Action.LIST, Action.SEARCH):
        assert decide(subject, action, Resource.record(process, label)).allowed == (label in readable)
    assert readable_label_texts(subject, process, parties) == {str(x) for x in readable}


@given(subjects(), actions, records())
def test_no_write_without_read(subject: Subject, action: Action, resource: Resource) -> None:
    if action in READ_ACTIONS:
        return
    if decide(subject, action, resource).allowed:
        assert decide(subject, Action.READ, resource).allowed


@given(subjects(), PROCESSES, st.sets(PARTIES, max_size=6))
def test_one_creates_only_labels_one_reads(subject: Subject, process: int, parties: set[int]) -> None:
    assert creatable_labels(subject, process, parties) <= readable_labels(subject, process, parties)


@given(subjects(), actions, PROCESSES, labels)
def test_public_records_are_readable_by_anyone(subject: Subject, action: Action, process: int, _: Label) -> None:
    assert decide(subject, Action.READ, Resource.record(process, Label.public())).allowed


@given(labels)
def test_label_text_round_trip(label: Label) -> None:
    assert Label.parse(str(label)) == label


@given(st.text(max_size=20))
def test_label_parse_accepts_only_the_text_forms(text: str) -> None:
    try:
        label = Label.parse(text)
    except InputError:
        return
    assert str(label) == text


# --- derived data: the narrowest label of the inputs ------------------------------------------------------------------

#: every kind of reader of one process: no membership, each role, a representative of each party
READER_KINDS = [None] + [
    Membership(1, role, party)
    for role in Role
    for party in ([None] if role is not Role.PARTY_REPRESENTATIVE else range(1, 7))
]


def _readers(label: Label) -> frozenset[int]:
    return frozenset(i for i, m in enumerate(READER_KINDS) if may_read_label(m, label))


@given(st.lists(labels, max_size=5))
def test_the_narrowest_label_is_read_by_exactly_the_readers_of_every_input(inputs: list[Label]) -> None:
    everyone = frozenset(range(len(READER_KINDS)))
    expected = everyone.intersection(*(_readers(label) for label in inputs))
    assert _readers(narrowest(inputs)) == expected


@given(labels, labels)
def test_within_means_no_reader_is_added(label: Label, bound: Label) -> None:
    assert within(label, bound) == (_readers(label) <= _readers(bound))


@given(labels, st.lists(labels, max_size=5))
def test_derived_data_is_never_shown_to_a_reader_of_less_than_every_input(label: Label, inputs: list[Label]) -> None:
    decision = decide_derived(label, inputs)
    assert decision.allowed == all(_readers(label) <= _readers(source) for source in inputs)
    if not decision.allowed:
        assert str(narrowest(inputs)) in decision.reason  # the refusal names what would be accepted
