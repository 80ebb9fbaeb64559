"""Stakeholder inference an analyst would sign, on the real files and the real demo generator: kinds come from the
sources' own codes, victims are never power holders or spoilers, a spoiler needs evidence of acting against a
commitment or a process, "what changed" finds the demo's 2023 escalation, and merge suggestions are measured on a
labelled set built from the UCDP files."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.actors import ActorKind, Attitude, ProcessBook, SourceActor, StakeholderProfile, Window, build_registry
from detente.actors.cameo import parse_code
from detente.actors.inference import rose, spoiler_risk
from detente.actors.model import VICTIM_KINDS
from detente.actors.network import Analysis
from detente.actors.sources import ACLED_INTER_KINDS, TYPE_WORD_KINDS, read_ucdp_actor_list
from detente.actors.suggest import score_pair
from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events

from .conftest import GEORGIA, SAMPLES, UCDP_LIST, ActorBench
from .labelled import build_labelled_set, precision_at

_HOSTILE = ("battle", "remote_violence", "violence_against_civilians", "riot", "coercion", "threat", "verbal_conflict")


def _demo_events() -> pa.Table:
    events, _ = finalize(generate_demo_events(), import_batch="actors-demo")
    return events


# -- kinds from the sources' own codes ------------------------------------------------------------------------------


def test_demo_kinds_are_the_generators_type_codes(demo: ActorBench) -> None:
    reg = demo.registry()
    ev = _demo_events()
    pairs = Counter[tuple[str, str]]()
    for n in (1, 2):
        for name, kind in zip(
            ev.column(f"actor{n}_name").to_pylist(), ev.column(f"actor{n}_type").to_pylist(), strict=True
        ):
            if name is not None:
                pairs[name, kind] += 1
    assert len({name for name, _ in pairs}) == len(pairs)  # the generator gives each name one type
    for name, kind in pairs:
        assert reg.resolve(name).kind is TYPE_WORD_KINDS[kind], name
    armies = [name for name, kind in pairs if kind == "state"]
    assert len(armies) == 2
    assert all(reg.resolve(a).kind is ActorKind.STATE_FORCES for a in armies)


def test_acled_kinds_are_its_inter_codes(samples: ActorBench, shared_data: Path) -> None:
    with (shared_data / "acled" / "acled_interaction_codes.csv").open(encoding="utf-8") as fh:
        codes = {row["Numeric Code"]: row["Inter1/Inter2"] for row in csv.DictReader(fh)}
    assert set(codes) == set(ACLED_INTER_KINDS)  # every code ACLED publishes is mapped
    assert {ACLED_INTER_KINDS[c] for c, label in codes.items() if label in ("Protesters", "Civilians")} <= VICTIM_KINDS
    reg = samples.registry()
    seen: dict[str, Counter[str]] = {}
    with (shared_data / SAMPLES[0]).open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for n in ("1", "2"):
                if row[f"actor{n}"]:
                    seen.setdefault(row[f"actor{n}"], Counter())[row[f"inter{n}"]] += 1
    assert len(seen) >= 5
    for name, inter in seen.items():
        kind = reg.resolve(f"acled:{name}").kind
        expected = ACLED_INTER_KINDS[inter.most_common(1)[0][0]]
        if name.startswith("Government of"):  # ACLED files a government as state forces (inter 1)
            assert expected is ActorKind.STATE_FORCES and kind is ActorKind.GOVERNMENT
        else:
            assert kind is expected, name


def test_every_cameo_type_code_has_a_kind(shared_data: Path) -> None:
    with (shared_data / "cameo" / "CAMEO.type.txt").open(encoding="utf-8") as fh:
        codes = [line.split("\t", 1)[0] for line in fh.read().splitlines()[1:] if line.strip()]
    assert len(codes) >= 39
    for code in codes:
        assert parse_code(f"SYR{code}").kind is not ActorKind.UNKNOWN, code
    assert parse_code("SYRCVL").kind is ActorKind.CIVILIANS and parse_code("SYRREF").kind is ActorKind.REFUGEES


# -- victims, power, spoilers ---------------------------------------------------------------------------------------


def _assert_no_victim_holds_power(result: Analysis) -> None:
    victims = {s.actor_id for s in result.scores if ActorKind(s.kind) in VICTIM_KINDS}
    for s in result.scores:
        assert s.victim is (s.actor_id in victims)
    grid = {g.actor_id: g for g in result.grid}
    for aid in victims:
        assert grid[aid].power == 0.0 and grid[aid].quadrant in ("keep informed", "monitor")
    scores = {s.actor_id: s for s in result.scores}
    assert all(scores[v].spoiler_risk == 0.0 and scores[v].power == 0.0 for v in victims)
    assert not victims & {s.actor_id for s in result.spoilers}
    assert not victims & {s.actor_id for s in result.influencers}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(0, 66), months=st.integers(1, 30))
def test_victims_are_never_power_holders_or_spoilers(demo: ActorBench, start: int, months: int) -> None:
    reg = demo.registry()
    first = date(2020 + start // 12, start % 12 + 1, 1)
    end_m = start + months
    last = date(2020 + end_m // 12, end_m % 12 + 1, 1)
    window = Window(first, date.fromordinal(last.toordinal() - 1))
    # even an analyst's profile calling the civilians a powerful spoiler does not make them one
    civilians = reg.resolve("Civilians (Arcadia)").id
    profile = StakeholderProfile(
        actor_id=civilians, label="public", attitude=Attitude.SPOILER, attitude_evidence="a test judgement",
        attitude_date=date(2023, 1, 1), power=0.9, interest=0.9,
    )  # fmt: skip
    result = demo.analyse(demo.relations(window), ProcessBook("p", {civilians: profile}))
    _assert_no_victim_holds_power(result)


def test_ucdp_syria_violence_alone_makes_no_spoiler(syria: ActorBench) -> None:
    result = syria.analyse(syria.relations())
    _assert_no_victim_holds_power(result)
    civilians = syria.registry().resolve("ucdp:1")  # GED's side B of one-sided violence
    assert civilians.kind is ActorKind.CIVILIANS
    assert any(s.actor_id == civilians.id and s.hostile_in > 0 for s in result.scores)
    # UCDP records only violence, no commitment and no rejection: nobody is a spoiler on that alone
    assert result.spoilers == ()
    assert all(s.spoiler_risk == 0.0 for s in result.scores)
    top = max(result.grid, key=lambda g: g.power)
    assert top.name == "Government of Syria" and top.quadrant == "manage closely"


def test_georgia_spoilers_rest_on_rejections_or_violence_after_commitments(
    georgia: ActorBench, shared_data: Path
) -> None:
    window = Window.parse("2011-06-01..2013-05-31")
    rs = georgia.relations(window)
    result = georgia.analyse(rs)
    reg = georgia.registry()
    path = (shared_data / GEORGIA).as_posix()
    rejections = dict(
        duckdb.sql(
            f"""SELECT trim(Actor1Code), count(*) FROM read_parquet('{path}')
                WHERE left(CAST(EventCode AS VARCHAR), 3) IN ('125', '126', '127') AND trim(Actor1Code) <> ''
                GROUP BY 1"""
        ).fetchall()
    )
    assert rejections  # the file has rejections of talks, mediation or settlement plans
    for code, n in rejections.items():
        aid = reg.resolve(f"cameo:{code}").id
        assert rs.conduct[aid].rejections in (n, n - 1, n - 2), code  # the store quarantines 6 repeated ids
    assert result.spoilers
    for s in result.spoilers:
        assert s.against_commitment > 0 or s.rejections > 0
    reasons = {p.actor_id: p.reason for p in result.priorities}
    for s in result.spoilers:
        if s.actor_id in reasons and s.attitude is None:
            why = reasons[s.actor_id]
            assert "likely spoiler: " in why and ("of talks, mediation" in why or "after committing" in why)
    hostile_only = [s for s in result.scores if s.hostile_out > 0 and not s.against_commitment and not s.rejections]
    assert hostile_only and all(s.spoiler_risk == 0.0 for s in hostile_only)


# -- what changed ---------------------------------------------------------------------------------------------------


def test_what_changed_finds_the_demo_escalation(demo: ActorBench) -> None:
    ev = _demo_events()
    con = duckdb.connect()
    con.register("ev", ev)
    cats = ", ".join(f"'{c}'" for c in _HOSTILE)
    counts = con.execute(
        f"""SELECT actor1_name, actor2_name, year(date_start) AS y, count(*) FROM ev
            WHERE actor1_name IS NOT NULL AND actor2_name IS NOT NULL AND category IN ({cats})
              AND year(date_start) IN (2022, 2023) GROUP BY ALL"""
    ).fetchall()
    states = {n for (n,) in con.execute("SELECT DISTINCT actor1_name FROM ev WHERE actor1_type = 'state'").fetchall()}
    dyad: dict[tuple[str, str], dict[int, int]] = {}
    actor: dict[str, dict[int, int]] = {}
    for a1, a2, y, n in counts:
        dyad.setdefault((a1, a2), {}).setdefault(y, 0)
        dyad[a1, a2][y] += n
        actor.setdefault(a1, {}).setdefault(y, 0)
        actor[a1][y] += n
    reg = demo.registry()
    d = demo.engine.diff(reg, Window.parse("2022-01-01..2022-12-31"), Window.parse("2023-01-01..2023-12-31"))
    found = {(reg.get(s).name, reg.get(t).name): (n1, n2) for s, t, n1, n2 in d.escalated_dyads}
    between_states = {
        (a, b): (c.get(2022, 0), c.get(2023, 0)) for (a, b), c in dyad.items() if a in states and b in states
    }
    sharp = {k: v for k, v in between_states.items() if v[0] > 0 and v[1] >= 1.5 * v[0] + 10}
    assert sharp, between_states  # the generator's escalation: fighting between the two states' forces
    for pair, numbers in sharp.items():
        assert found.get(pair) == numbers, pair
    escalated = {name: why for _, name, why in d.escalated}
    for army in states:
        before, after = actor[army].get(2022, 0), actor[army].get(2023, 0)
        assert f"hostile acts {before} -> {after}" in escalated[army]
    assert not d.went_quiet or all(name not in states for _, name, _ in d.went_quiet)


# -- merge suggestions ----------------------------------------------------------------------------------------------


def test_merge_suggestion_precision_at_20_on_the_ucdp_labelled_set(shared_data: Path) -> None:
    labelled = build_labelled_set(shared_data)
    suggestions = labelled.suggestions()
    assert len(suggestions) >= 20 and labelled.positives() >= 100
    assert precision_at(suggestions, labelled, 20) >= 0.95
    assert precision_at(suggestions, labelled, 100) >= 0.9


def test_a_shared_alias_alone_is_not_a_merge(shared_data: Path) -> None:
    fmln = next(a for a in read_ucdp_actor_list(shared_data / UCDP_LIST) if a.name == "FMLN")
    assert "DRU" in fmln.aliases  # UCDP: the FMLN's original name, Dirección Revolucionaria Unificada
    druze = parse_code("DRU")  # CAMEO's ethnic code for the Druze, as a GDELT actor code
    reg = build_registry([fmln, SourceActor("cameo:DRU", druze.label, druze.kind, druze.country_iso3)])
    a, b = reg.actors.values()
    score, reasons = score_pair(a, b)
    assert 0 < score < 0.75 and "shared name or alias 'dru'" in reasons


def test_the_demo_civilians_of_two_countries_are_not_suggested(demo: ActorBench) -> None:
    reg = demo.registry()
    civilians = {reg.resolve("Civilians (Arcadia)").id, reg.resolve("Civilians (Borealis)").id}
    assert all({s.a, s.b} != civilians for s in demo.engine.suggest(reg, limit=None, relations=demo.relations()))


@given(
    against=st.integers(0, 50),
    rejections=st.integers(0, 20),
    share=st.floats(0, 1),
    escalating=st.booleans(),
)
def test_spoiler_risk_is_zero_without_evidence_and_bounded(
    against: int, rejections: int, share: float, escalating: bool
) -> None:
    risk = spoiler_risk(against, rejections, share, escalating=escalating)
    assert 0.0 <= risk <= 1.0
    if against == 0 and rejections == 0:
        assert risk == 0.0  # a wholly hostile, escalating actor is no spoiler on violence alone
    assert spoiler_risk(against + 1, rejections, share, escalating=escalating) >= risk


@given(before=st.integers(0, 500), after=st.integers(0, 2000), days=st.integers(1, 400), factor=st.integers(1, 4))
def test_a_rise_is_judged_per_day(before: int, after: int, days: int, factor: int) -> None:
    if rose(before, after, days, days):
        assert rose(before, after + 1, days, days)
        assert after > before
    assert not rose(before, before, days, days)  # no change is no rise
    assert not rose(before * factor, before, days * factor, days)  # the same daily rate in a longer window
