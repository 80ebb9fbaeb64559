"""An audit detail in words: every stored value shows, nested keys are named, nothing is escaped JSON."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from detente.web.readable import detail_lines

_scalars = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=20)
_details = st.recursive(
    st.dictionaries(st.text(min_size=1, max_size=8), _scalars, max_size=4),
    lambda inner: st.dictionaries(st.text(min_size=1, max_size=8), inner | st.lists(_scalars, max_size=3), max_size=4),
    max_leaves=12,
)


def _leaves(detail: dict[str, Any]) -> int:
    return sum(max(1, _leaves(v)) if isinstance(v, dict) else 1 for v in detail.values())


def test_a_detail_in_words() -> None:
    lines = detail_lines({"imported": 10217, "files": ["demo.parquet"], "via": "cli", "range": {"from": "2020–01"}})
    assert lines == [("imported", "10,217"), ("files", "demo.parquet"), ("through", "cli"), ("range › from", "2020–01")]
    assert detail_lines(None) == [] and detail_lines({"ok": True, "gone": None}) == [("ok", "yes"), ("gone", "—")]


@given(_details)
def test_every_leaf_is_one_line_and_no_json_escapes(detail: dict[str, Any]) -> None:
    lines = detail_lines(detail)
    assert len(lines) == _leaves(detail)
    rendered = " ".join(f"{k} {v}" for k, v in lines)
    assert "\\u" not in rendered or "\\u" in json.dumps(detail, ensure_ascii=False)
