"""The trust model: Bayesian updates from compliance records and analysts, explained, serialisable, replayable."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.cbm import (
    DEFAULT_RELIABILITY,
    AnalystAction,
    AnalystInput,
    Catalogue,
    ComplianceRecord,
    Evidence,
    Outcome,
    ReplayError,
    TrustInputError,
    TrustParameters,
    TrustState,
    VerificationMethod,
    likelihood_ratio,
    load_catalogue,
    outcome_probabilities,
    posterior,
    replay,
    type_likelihoods,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
PARAMS = TrustParameters()
PARTIES = ("A", "B", "C")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def record(
    outcome: Outcome | str = Outcome.COMPLIANT,
    verification: VerificationMethod | str = VerificationMethod.THIRD_PARTY_OBSERVER,
    *,
    party: str = "B",
    signal: float | None = 0.5,
    measure_id: str | None = None,
    summary: str | None = None,
    minutes: int = 0,
) -> ComplianceRecord:
    return ComplianceRecord(
        commitment_id="c-1",
        party=party,
        outcome=Outcome(outcome),
        verification=VerificationMethod(verification),
        time=T0 + timedelta(minutes=minutes),
        measure_id=measure_id,
        signal_strength=signal,
        summary=summary,
    )


# --- worked example and explanations -------------------------------------------------------------------------


def test_verified_release_raises_trust_with_a_plain_explanation(catalogue: Catalogue) -> None:
    state = TrustState.start(["A", "B"], prior=0.3)
    rec = record(signal=None, measure_id="unilateral_detainee_release", summary="released 40 detainees")
    after = state.apply(rec, catalogue)
    (update,) = after.history
    assert after.belief("A", "B") > 0.3 == state.belief("A", "B")
    assert after.belief("B", "A") == 0.3  # the acting party's own view is untouched
    assert update.signal_strength == catalogue.get("unilateral_detainee_release").signal_strength
    assert update.likelihood_ratio == pytest.approx(update.p_if_trustworthy / update.p_if_untrustworthy)
    text = update.explanation
    assert text.startswith("A's belief that B is trustworthy rose from 0.30 to ")
    assert "because B released 40 detainees" in text and "signal 0.70" in text
    assert "verified by a third-party observer" in text


def test_defection_falls_and_says_so() -> None:
    state = TrustState.start(["A", "B"], prior=0.6).apply(record(Outcome.NON_COMPLIANT, summary="shelled a village"))
    (update,) = state.history
    assert update.after < update.before and update.likelihood_ratio < 1
    assert "fell from 0.60" in update.explanation and "broke commitment c-1 (shelled a village)" in update.explanation


@pytest.mark.parametrize("outcome", [Outcome.PENDING, Outcome.NOT_VERIFIABLE])
def test_uninformative_outcomes_are_recorded_without_moving(outcome: Outcome) -> None:
    state = TrustState.start(PARTIES, prior=0.4).apply(record(outcome))
    assert len(state.history) == 2  # A and C both observe B
    for update in state.history:
        assert update.before == update.after == 0.4 and update.likelihood_ratio == 1.0
        assert "recorded without changing the belief" in update.explanation
    assert state.beliefs() == TrustState.start(PARTIES, prior=0.4).beliefs()


def test_one_record_updates_every_observer_in_order() -> None:
    state = TrustState.start(PARTIES).apply(record(party="C"))
    assert [(u.seq, u.truster, u.trustee) for u in state.history] == [(0, "A", "C"), (1, "B", "C")]
    only_a = TrustState.start(PARTIES).apply(record(party="C"), observers=["A"])
    assert [(u.truster, u.trustee) for u in only_a.history] == [("A", "C")]


def test_costly_signals_move_beliefs_more_and_cheap_talk_not_at_all() -> None:
    start = TrustState.start(["A", "B"], prior=0.5)
    cheap = start.apply(record(signal=0.1)).belief("A", "B")
    costly = start.apply(record(signal=0.9)).belief("A", "B")
    assert 0.5 < cheap < costly
    assert start.apply(record(signal=0.0)).belief("A", "B") == 0.5
    assert start.apply(record(Outcome.NON_COMPLIANT, signal=0.0)).belief("A", "B") == 0.5


def test_defection_hurts_more_than_compliance_helps() -> None:
    # the asymmetry the model builds in: trust is lost faster than it is won
    for signal in (0.2, 0.5, 0.9):
        up = likelihood_ratio(Outcome.COMPLIANT, signal, 0.9, PARAMS)
        down = likelihood_ratio(Outcome.NON_COMPLIANT, signal, 0.9, PARAMS)
        assert down < 1 < up and 1 / down > up


def test_partial_compliance_sits_between() -> None:
    ratios = [
        likelihood_ratio(o, 0.6, 0.9, PARAMS)
        for o in (Outcome.NON_COMPLIANT, Outcome.PARTIALLY_COMPLIANT, Outcome.COMPLIANT)
    ]
    assert ratios == sorted(ratios) and ratios[1] <= 1


def test_verification_ladder_matches_the_brief() -> None:
    r = DEFAULT_RELIABILITY
    assert r[VerificationMethod.SELF_REPORT] < r[VerificationMethod.RECIPROCAL_INSPECTION]
    assert r[VerificationMethod.RECIPROCAL_INSPECTION] < r[VerificationMethod.THIRD_PARTY_OBSERVER]


def test_analyst_set_and_nudge() -> None:
    state = TrustState.start(["A", "B"], prior=0.3)
    state = state.apply(
        AnalystInput("A", "B", AnalystAction.SET, 0.55, "talks resumed in good faith", "R. Analyst", T0)
    )
    assert state.belief("A", "B") == 0.55
    state = state.apply(AnalystInput("A", "B", AnalystAction.NUDGE, -1.0, "hostile rhetoric", "R. Analyst", T0))
    update = state.history[-1]
    assert update.after < 0.55 and update.likelihood_ratio == pytest.approx(math.exp(-1.0))
    assert "analyst R. Analyst" in update.explanation and "hostile rhetoric" in update.explanation
    assert state.belief("B", "A") == 0.3


@pytest.mark.parametrize(
    "build",
    [
        lambda: AnalystInput("A", "B", AnalystAction.SET, 1.0, "sure", "me", T0),
        lambda: AnalystInput("A", "B", AnalystAction.NUDGE, 9.0, "very sure", "me", T0),
        lambda: AnalystInput("A", "B", AnalystAction.SET, 0.5, " ", "me", T0),
        lambda: AnalystInput("A", "B", AnalystAction.SET, 0.5, "why", "", T0),
        lambda: AnalystInput("A", "A", AnalystAction.SET, 0.5, "why", "me", T0),
        lambda: AnalystInput("A", "B", AnalystAction.SET, 0.5, "why", "me", datetime(2024, 1, 1)),
        lambda: ComplianceRecord("c", "B", Outcome.COMPLIANT, VerificationMethod.SELF_REPORT, T0),
        lambda: ComplianceRecord("c", "B", Outcome.COMPLIANT, VerificationMethod.SELF_REPORT, T0, signal_strength=1.2),
        lambda: ComplianceRecord(
            "c", "B", Outcome.COMPLIANT, VerificationMethod.SELF_REPORT, datetime(2024, 1, 1), signal_strength=0.5
        ),
        lambda: ComplianceRecord(" ", "B", Outcome.COMPLIANT, VerificationMethod.SELF_REPORT, T0, signal_strength=0.5),
    ],
)
def test_bad_evidence_is_rejected(build: object) -> None:
    with pytest.raises(TrustInputError):
        build()  # type: ignore[operator]


def test_bad_use_of_state_is_rejected(catalogue: Catalogue) -> None:
    state = TrustState.start(["A", "B"])
    with pytest.raises(TrustInputError):
        state.apply(record(party="Z"))
    with pytest.raises(TrustInputError):
        state.apply(record(), observers=["Z"])
    with pytest.raises(TrustInputError):
        state.apply(record(signal=None, measure_id="buffer_zone"))  # no catalogue to read the signal from
    with pytest.raises(TrustInputError):
        state.belief("A", "Z")
    with pytest.raises(TrustInputError):
        TrustState.start(["A"])
    with pytest.raises(TrustInputError):
        TrustState.start(["A", "B"], prior=1.0)
    given_signal = state.apply(record(signal=0.2, measure_id="buffer_zone"), catalogue)
    assert given_signal.history[0].signal_strength == 0.2  # an explicit signal overrides the catalogue


def test_per_pair_priors() -> None:
    state = TrustState.start(["A", "B"], prior={("A", "B"): 0.2})
    assert state.belief("A", "B") == 0.2 and state.belief("B", "A") == 0.5


# --- serialisation and replay --------------------------------------------------------------------------------


def _mixed_history(catalogue: Catalogue) -> TrustState:
    evidence: list[Evidence] = [
        record(signal=None, measure_id="prisoner_exchange", summary="exchanged 50 prisoners"),
        record(Outcome.PARTIALLY_COMPLIANT, VerificationMethod.REMOTE_SENSING, party="A", minutes=5),
        record(Outcome.PENDING, party="C", minutes=6),
        AnalystInput("C", "A", AnalystAction.NUDGE, 0.7, "new leadership", "M. Mediator", T0 + timedelta(hours=1)),
        record(Outcome.NON_COMPLIANT, VerificationMethod.EVENT_DATA_CHECK, minutes=90),
    ]
    return TrustState.start(PARTIES, prior=0.35).apply_all(evidence, catalogue)


def test_json_round_trip_and_replay(catalogue: Catalogue) -> None:
    state = _mixed_history(catalogue)
    text = state.to_json()
    again = TrustState.from_json(text)
    assert again == state and again.beliefs() == state.beliefs()
    assert again.to_json() == text
    assert replay(again) == state


def test_replay_detects_tampering(catalogue: Catalogue) -> None:
    state = _mixed_history(catalogue)
    forged = state.history[0].model_copy(update={"after": 0.99})
    bad = TrustState(
        parties=state.parties, parameters=state.parameters, priors=state.priors, history=(forged, *state.history[1:])
    )
    with pytest.raises(ReplayError, match="update 0"):
        replay(bad)


# --- pure likelihood functions -------------------------------------------------------------------------------


@given(st.floats(0, 1), st.floats(0, 1))
def test_likelihoods_are_distributions(signal: float, belief: float) -> None:
    for row in type_likelihoods(signal, PARAMS):
        assert math.isclose(sum(row), 1.0) and min(row) > 0
    assert math.isclose(sum(outcome_probabilities(belief, signal, PARAMS)), 1.0)


# --- invariants (Hypothesis) ---------------------------------------------------------------------------------

methods = st.sampled_from(list(VerificationMethod))
informative = st.sampled_from([Outcome.COMPLIANT, Outcome.PARTIALLY_COMPLIANT, Outcome.NON_COMPLIANT])
beliefs = st.floats(1e-6, 1 - 1e-6)
signals = st.floats(0.0, 1.0)

compliance_records = st.builds(
    ComplianceRecord,
    commitment_id=st.sampled_from(["c-1", "c-2", "c-3"]),
    party=st.sampled_from(PARTIES),
    outcome=st.sampled_from(list(Outcome)),
    verification=methods,
    time=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    signal_strength=signals,
)
analyst_inputs = (
    st.tuples(st.sampled_from(PARTIES), st.sampled_from(PARTIES))
    .filter(lambda p: p[0] != p[1])
    .flatmap(
        lambda pair: st.one_of(
            st.builds(
                AnalystInput,
                truster=st.just(pair[0]),
                trustee=st.just(pair[1]),
                action=st.just(AnalystAction.SET),
                value=st.floats(0.001, 0.999),
                rationale=st.just("judgement"),
                author=st.just("analyst"),
                time=st.just(T0),
            ),
            st.builds(
                AnalystInput,
                truster=st.just(pair[0]),
                trustee=st.just(pair[1]),
                action=st.just(AnalystAction.NUDGE),
                value=st.floats(-4, 4),
                rationale=st.just("judgement"),
                author=st.just("analyst"),
                time=st.just(T0),
            ),
        )
    )
)
evidence_lists = st.lists(st.one_of(compliance_records, compliance_records, analyst_inputs), max_size=25)


@settings(max_examples=150, deadline=None)
@given(st.floats(0.001, 0.999), evidence_lists)
def test_beliefs_stay_inside_the_open_interval_and_history_replays(prior: float, evidence: list[Evidence]) -> None:
    state = TrustState.start(PARTIES, prior=prior).apply_all(evidence)
    for p in state.beliefs().values():
        assert 0.0 < p < 1.0
    for seq, update in enumerate(state.history):
        assert update.seq == seq and 0.0 < update.after < 1.0 and update.explanation
    assert replay(state) == state
    assert TrustState.from_json(state.to_json()) == state


@settings(max_examples=300, deadline=None)
@given(beliefs, signals, methods)
def test_compliance_never_lowers_and_defection_never_raises(
    prior: float, signal: float, method: VerificationMethod
) -> None:
    r = PARAMS.reliability[method]
    up = posterior(prior, likelihood_ratio(Outcome.COMPLIANT, signal, r, PARAMS), PARAMS.floor)
    down = posterior(prior, likelihood_ratio(Outcome.NON_COMPLIANT, signal, r, PARAMS), PARAMS.floor)
    assert down <= prior <= up
    partial = posterior(prior, likelihood_ratio(Outcome.PARTIALLY_COMPLIANT, signal, r, PARAMS), PARAMS.floor)
    assert partial <= prior


@settings(max_examples=300, deadline=None)
@given(beliefs, signals, methods, methods, informative)
def test_stronger_verification_moves_at_least_as_much(
    prior: float, signal: float, m1: VerificationMethod, m2: VerificationMethod, outcome: Outcome
) -> None:
    weak, strong = sorted((m1, m2), key=lambda m: PARAMS.reliability[m])
    state = TrustState.start(["A", "B"], prior=prior)
    moved_weak = abs(state.apply(record(outcome, weak, signal=signal)).belief("A", "B") - prior)
    moved_strong = abs(state.apply(record(outcome, strong, signal=signal)).belief("A", "B") - prior)
    assert moved_strong >= moved_weak - 1e-12


@settings(max_examples=200, deadline=None)
@given(beliefs, st.floats(0.0, 1.0), st.floats(0.0, 1.0), methods)
def test_costlier_signal_moves_compliance_at_least_as_much(
    prior: float, s1: float, s2: float, method: VerificationMethod
) -> None:
    low, high = sorted((s1, s2))
    r = PARAMS.reliability[method]
    assert likelihood_ratio(Outcome.COMPLIANT, high, r, PARAMS) >= likelihood_ratio(Outcome.COMPLIANT, low, r, PARAMS)
    assert likelihood_ratio(Outcome.NON_COMPLIANT, high, r, PARAMS) <= likelihood_ratio(
        Outcome.NON_COMPLIANT, low, r, PARAMS
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([Outcome.COMPLIANT, Outcome.NON_COMPLIANT]), min_size=1, max_size=6), signals)
def test_updates_commute_without_clamping(outcomes: list[Outcome], signal: float) -> None:
    # Bayesian evidence is order-free: the final belief depends on the set of outcomes, not their order
    records = [record(o, signal=signal, minutes=i) for i, o in enumerate(outcomes)]
    forward = TrustState.start(["A", "B"], prior=0.5).apply_all(records).belief("A", "B")
    backward = TrustState.start(["A", "B"], prior=0.5).apply_all(records[::-1]).belief("A", "B")
    assert forward == pytest.approx(backward, rel=1e-9, abs=1e-9)


def test_the_trust_chart_runs_on_dates_not_on_the_count_of_updates() -> None:
    """The history chart's horizontal axis is the calendar: ticks are dates from the first update to the last."""
    import re

    from detente.web.cbm.svg import history_svg

    state = TrustState.start(["A", "B"], prior=0.5)
    empty = str(history_svg(state))
    assert ">prior</text>" in empty and "no update yet" in empty
    state = state.apply(record(minutes=0)).apply(record(Outcome.NON_COMPLIANT, minutes=60 * 24 * 45))
    chart = str(history_svg(state))
    dates = re.findall(r">(\d{4}-\d{2}-\d{2})</text>", chart)
    assert dates[0] == "2024-03-01" and dates[-1] == "2024-04-15" and dates == sorted(dates) and len(dates) == 6
    assert "update (0 = prior)" not in chart and "date (the prior is drawn at the first update)" in chart
    assert "2024-04-15: " in chart  # each point's note names its date
