"""docs/cbm.md states numbers computed by the code; keep them in step."""

from __future__ import annotations

import re
from pathlib import Path

from detente.cbm import Outcome, TrustParameters, VerificationMethod, likelihood_ratio, load_catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "cbm.md"


def test_likelihood_table_matches_the_code() -> None:
    params = TrustParameters()
    methods = (
        VerificationMethod.SELF_REPORT,
        VerificationMethod.RECIPROCAL_INSPECTION,
        VerificationMethod.THIRD_PARTY_OBSERVER,
    )
    outcomes = (Outcome.COMPLIANT, Outcome.PARTIALLY_COMPLIANT, Outcome.NON_COMPLIANT)
    rows = re.findall(r"^\| ([01]\.\d+) \| (.+) \| (.+) \| (.+) \|$", DOC.read_text(encoding="utf-8"), re.M)
    assert len(rows) == 5
    for signal, *cells in rows:
        for method, cell in zip(methods, cells, strict=True):
            expected = " / ".join(
                f"{likelihood_ratio(o, float(signal), params.reliability[method], params):.2f}" for o in outcomes
            )
            assert cell.strip() == expected, (signal, method)


def test_measure_count_in_docs_matches_the_catalogue() -> None:
    catalogue = load_catalogue()
    text = DOC.read_text(encoding="utf-8")
    assert f"Version {catalogue.version} holds {len(catalogue)} measures" in text
