"""The trust model: per ordered pair (truster, trustee), the belief that the trustee is a trustworthy type.

A :class:`TrustState` is immutable: applying evidence returns a new state with one :class:`TrustUpdate` per pair
touched, appended to the history. Each update keeps the evidence, the numbers used (signal strength, reliability,
both likelihoods, the likelihood ratio), the belief before and after and a plain-language explanation. The state is
determined by its priors and its history, serialises to JSON, and :func:`replay` recomputes it from the evidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr

from detente.errors import ReplayError

from .catalogue import Catalogue
from .evidence import AnalystAction, AnalystInput, ComplianceRecord, Evidence, Outcome, TrustInputError
from .likelihood import TrustParameters, clamp_belief, outcome_likelihoods, posterior
from .measure import VerificationMethod

__all__ = [
    "PairBelief",
    "ReplayError",
    "TrustState",
    "TrustUpdate",
    "replay",
]

_VERIFIED_BY: dict[VerificationMethod, str] = {
    VerificationMethod.SELF_REPORT: "as self-reported",
    VerificationMethod.EVENT_DATA_CHECK: "checked against event data",
    VerificationMethod.COUNTERPART_OBSERVATION: "observed directly by the other side",
    VerificationMethod.RECIPROCAL_INSPECTION: "verified by reciprocal inspection",
    VerificationMethod.REMOTE_SENSING: "verified by remote sensing",
    VerificationMethod.THIRD_PARTY_OBSERVER: "verified by a third-party observer",
}


class PairBelief(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    truster: str
    trustee: str
    belief: float = Field(gt=0.0, lt=1.0)


class TrustUpdate(BaseModel):
    """One immutable step of the history, for one ordered pair."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(ge=0, description="Position in the history (application order).")
    truster: str
    trustee: str
    time: AwareDatetime
    evidence: Annotated[ComplianceRecord | AnalystInput, Field(discriminator="kind")]
    signal_strength: float | None = None
    measure_name: str | None = None
    reliability: float | None = None
    p_if_trustworthy: float | None = None
    p_if_untrustworthy: float | None = None
    likelihood_ratio: float
    before: float
    after: float
    explanation: str


class TrustState(BaseModel):
    """Beliefs between the parties of one process, with their full history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parties: tuple[str, ...]
    parameters: TrustParameters = Field(default_factory=TrustParameters)
    priors: tuple[PairBelief, ...]
    history: tuple[TrustUpdate, ...] = ()
    _beliefs: dict[tuple[str, str], float] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        if len(set(self.parties)) != len(self.parties) or len(self.parties) < 2:
            raise TrustInputError("a trust state needs at least two distinct parties", field="parties")
        beliefs = {(b.truster, b.trustee): b.belief for b in self.priors}
        expected = {(a, b) for a in self.parties for b in self.parties if a != b}
        if set(beliefs) != expected:
            raise TrustInputError("priors must cover every ordered pair of distinct parties once", field="priors")
        for update in self.history:
            beliefs[(update.truster, update.trustee)] = update.after
        self._beliefs = beliefs

    # --- construction ------------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        parties: Iterable[str],
        prior: float | Mapping[tuple[str, str], float] = 0.5,
        parameters: TrustParameters | None = None,
    ) -> TrustState:
        """A fresh state: one prior for every ordered pair, or a mapping (truster, trustee) -> prior."""
        names = tuple(parties)
        params = parameters or TrustParameters()
        priors = []
        for a in names:
            for b in names:
                if a == b:
                    continue
                p = prior if isinstance(prior, float | int) else prior.get((a, b), 0.5)
                if not 0.0 < p < 1.0:
                    raise TrustInputError(f"prior {p} for ({a}, {b}) is not in (0, 1)", field="prior")
                priors.append(PairBelief(truster=a, trustee=b, belief=clamp_belief(float(p), params.floor)))
        return cls(parties=names, parameters=params, priors=tuple(priors))

    # --- queries -----------------------------------------------------------------------------------------

    def belief(self, truster: str, trustee: str) -> float:
        """P(trustee is a trustworthy type) in the truster's eyes."""
        try:
            return self._beliefs[(truster, trustee)]
        except KeyError:
            raise TrustInputError(f"no pair ({truster}, {trustee}) among parties {self.parties}") from None

    def beliefs(self) -> dict[tuple[str, str], float]:
        return dict(self._beliefs)

    def updates_for(self, truster: str, trustee: str) -> tuple[TrustUpdate, ...]:
        return tuple(u for u in self.history if u.truster == truster and u.trustee == trustee)

    # --- updates -----------------------------------------------------------------------------------------

    def apply(
        self, evidence: Evidence, catalogue: Catalogue | None = None, observers: Iterable[str] | None = None
    ) -> TrustState:
        """The state after one piece of evidence (a compliance record updates every observer's view of the party)."""
        if isinstance(evidence, AnalystInput):
            self.belief(evidence.truster, evidence.trustee)
            targets = [(evidence.truster, evidence.trustee)]
            signal, name = None, None
        else:
            if evidence.party not in self.parties:
                raise TrustInputError(f"party {evidence.party!r} is not in {self.parties}", field="party")
            signal, name = _resolve_signal(evidence, catalogue)
            chosen = self.parties if observers is None else tuple(observers)
            for o in chosen:
                if o not in self.parties:
                    raise TrustInputError(f"observer {o!r} is not in {self.parties}", field="observers")
            targets = [(o, evidence.party) for o in chosen if o != evidence.party]
        beliefs = dict(self._beliefs)
        new: list[TrustUpdate] = []
        for truster, trustee in targets:
            update = _pair_update(
                len(self.history) + len(new),
                truster,
                trustee,
                beliefs[(truster, trustee)],
                evidence,
                signal,
                name,
                self.parameters,
            )
            beliefs[(truster, trustee)] = update.after
            new.append(update)
        return TrustState(
            parties=self.parties, parameters=self.parameters, priors=self.priors, history=self.history + tuple(new)
        )

    def apply_all(self, evidence: Iterable[Evidence], catalogue: Catalogue | None = None) -> TrustState:
        state = self
        for item in evidence:
            state = state.apply(item, catalogue)
        return state

    # --- serialisation -----------------------------------------------------------------------------------

    def to_json(self) -> str:
        return self.model_dump_json(indent=None)

    @classmethod
    def from_json(cls, text: str | bytes) -> TrustState:
        return cls.model_validate_json(text)


def replay(state: TrustState) -> TrustState:
    """Recompute ``state`` from its priors, parameters and the evidence in its history.

    Raises :class:`ReplayError` at the first update whose recomputed values differ from the stored ones.
    """
    beliefs = {(b.truster, b.trustee): b.belief for b in state.priors}
    rebuilt: list[TrustUpdate] = []
    for position, stored in enumerate(state.history):
        key = (stored.truster, stored.trustee)
        if key not in beliefs:
            raise ReplayError(f"update {position} names an unknown pair {key}")
        again = _pair_update(
            position,
            stored.truster,
            stored.trustee,
            beliefs[key],
            stored.evidence,
            stored.signal_strength,
            stored.measure_name,
            state.parameters,
        )
        if again != stored:
            raise ReplayError(f"update {position} ({stored.truster} -> {stored.trustee}) does not recompute")
        beliefs[key] = again.after
        rebuilt.append(again)
    return TrustState(parties=state.parties, parameters=state.parameters, priors=state.priors, history=tuple(rebuilt))


# --- one pair --------------------------------------------------------------------------------------------


def _resolve_signal(record: ComplianceRecord, catalogue: Catalogue | None) -> tuple[float, str | None]:
    name = None
    signal = record.signal_strength
    if record.measure_id is not None:
        if catalogue is None:
            if signal is None:
                raise TrustInputError("measure_id given without a catalogue to read its signal", field="measure_id")
        else:
            measure = catalogue.get(record.measure_id)
            name = measure.name
            if signal is None:
                signal = measure.signal_strength
    assert signal is not None  # guaranteed by ComplianceRecord
    return signal, name


def _fmt(p: float) -> str:
    return f"{p:.2f}"


def _direction(before: float, after: float) -> str:
    if after > before:
        return f"rose from {_fmt(before)} to {_fmt(after)}"
    if after < before:
        return f"fell from {_fmt(before)} to {_fmt(after)}"
    return f"stayed at {_fmt(before)}"


def _pair_update(
    seq: int,
    truster: str,
    trustee: str,
    before: float,
    evidence: Evidence,
    signal: float | None,
    measure_name: str | None,
    params: TrustParameters,
) -> TrustUpdate:
    head = f"{truster}'s belief that {trustee} is trustworthy"
    if isinstance(evidence, AnalystInput):
        if evidence.action is AnalystAction.SET:
            after = clamp_belief(evidence.value, params.floor)
            how = f"was set by analyst {evidence.author} ({_direction(before, after)})"
        else:
            after = posterior(before, math.exp(evidence.value), params.floor)
            nudge = f"{evidence.value:+.2f} log-odds"
            how = f"{_direction(before, after)} after analyst {evidence.author} nudged it by {nudge}"
        ratio = (after / (1.0 - after)) / (before / (1.0 - before))
        return TrustUpdate(
            seq=seq,
            truster=truster,
            trustee=trustee,
            time=evidence.time,
            evidence=evidence,
            likelihood_ratio=ratio,
            before=before,
            after=after,
            explanation=f"{head} {how}: {evidence.rationale}",
        )

    assert signal is not None
    record = evidence
    measure = f"measure '{measure_name}', " if measure_name else ""
    context = f"{measure}signal {signal:.2f}"
    verified = _VERIFIED_BY[record.verification]
    if not record.outcome.informative:
        state = "is pending verification" if record.outcome is Outcome.PENDING else "could not be verified"
        return TrustUpdate(
            seq=seq,
            truster=truster,
            trustee=trustee,
            time=record.time,
            evidence=record,
            signal_strength=signal,
            measure_name=measure_name,
            likelihood_ratio=1.0,
            before=before,
            after=before,
            explanation=f"{head} {_direction(before, before)}: {trustee}'s commitment {record.commitment_id} "
            f"({context}) {state}; recorded without changing the belief",
        )
    reliability = params.reliability[record.verification]
    p_true, p_false = outcome_likelihoods(record.outcome, signal, reliability, params)
    ratio = p_true / p_false
    after = posterior(before, ratio, params.floor)
    what = record.summary
    if record.outcome is Outcome.COMPLIANT:
        deed = f"{what} under commitment {record.commitment_id}" if what else f"kept commitment {record.commitment_id}"
    elif record.outcome is Outcome.PARTIALLY_COMPLIANT:
        deed = f"only partly kept commitment {record.commitment_id}" + (f" ({what})" if what else "")
    else:
        deed = f"broke commitment {record.commitment_id}" + (f" ({what})" if what else "")
    return TrustUpdate(
        seq=seq,
        truster=truster,
        trustee=trustee,
        time=record.time,
        evidence=record,
        signal_strength=signal,
        measure_name=measure_name,
        reliability=reliability,
        p_if_trustworthy=p_true,
        p_if_untrustworthy=p_false,
        likelihood_ratio=ratio,
        before=before,
        after=after,
        explanation=f"{head} {_direction(before, after)} because {trustee} {deed} ({context}), {verified} "
        f"(reliability {reliability:.2f}); likelihood ratio {ratio:.2f}",
    )
