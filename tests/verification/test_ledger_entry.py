"""Canonical entry serialization: golden bytes and hash, refusals, and round trips."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.verification.ledger import Entry, EntryError, decode_entry, encode_entry, entry_leaf_hash

GOLDEN = Entry(
    "commitment",
    {
        "parties": ["Party B", "Party A"],
        "text": 'Release 40 detainees — Élan, "quoted"\n',
        "deadline": "2026-03-01T00:00:00Z",
        "id": 17,
        "verifier": None,
        "public": True,
        "zone": {"name": "Sector 4", "km2": "12.5"},
    },
)
GOLDEN_BYTES = (
    '{"body":{"deadline":"2026-03-01T00:00:00Z","id":17,"parties":["Party B","Party A"],"public":true,'
    '"text":"Release 40 detainees — Élan, \\"quoted\\"\\n","verifier":null,"zone":{"km2":"12.5","name":"Sector 4"}},'
    '"kind":"commitment","v":1}'
).encode()
GOLDEN_LEAF_HASH = "e0986eb9f262ae9873994205526c3b64a3b8f554f9e4767c9d995db2851a23f0"


def test_golden_bytes_and_leaf_hash_are_pinned() -> None:
    data = encode_entry(GOLDEN)
    assert data == GOLDEN_BYTES
    assert entry_leaf_hash(GOLDEN).hex() == GOLDEN_LEAF_HASH
    assert hashlib.sha256(b"\x00" + data).hexdigest() == GOLDEN_LEAF_HASH
    assert decode_entry(data) == Entry(GOLDEN.kind, dict(GOLDEN.body))


@pytest.mark.parametrize(
    "body",
    [{"x": 1.5}, {"x": 2**53}, {"x": float("nan")}, {1: "a"}, {"x": b"bytes"}, {"x": "\ud800"}, {"x": object()}],
)
def test_values_outside_the_format_are_refused(body: dict[object, object]) -> None:
    with pytest.raises(EntryError):
        encode_entry(Entry("report", body))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["", "Report", "report kind", "1report", "report.", "rapport-x"])
def test_bad_kinds_are_refused(kind: str) -> None:
    with pytest.raises(EntryError, match="kind"):
        encode_entry(Entry(kind, {}))


@pytest.mark.parametrize(
    "data",
    [
        b'{"kind":"report","body":{},"v":1}',  # key order
        b'{"body":{}, "kind":"report","v":1}',  # whitespace
        b'{"body":{"a":1,"a":2},"kind":"report","v":1}',  # duplicate key
        b'{"body":{"a":1.0},"kind":"report","v":1}',  # float
        b'{"body":{"a":"\\u00e9"},"kind":"report","v":1}',  # escaped non-ASCII
        b'{"body":{},"kind":"report","v":2}',  # unknown version
        b'{"body":{},"kind":"report","v":1,"x":0}',  # extra member
        b'{"body":[],"kind":"report","v":1}',  # body not an object
        b"\xff",
    ],
)
def test_non_canonical_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(EntryError):
        decode_entry(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_round_trip_is_byte_stable(body: dict[str, object]) -> None:
    data = encode_entry(Entry("assessment", body))
    assert b"\n" not in data
    again = decode_entry(data)
    assert encode_entry(again) == data
