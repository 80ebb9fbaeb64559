"""Relations measured from events: directed actor-pair counts for a time window, as DuckDB SQL over the store.

An event is **hostile** when its CAMEO QuadClass is 3 or 4 (verbal or material conflict; GDELT), or, for sources
without QuadClass, when its canonical category is one of battle, remote violence, violence against civilians, riot,
coercion, threat or verbal conflict, or a protest met with intervention or excessive force (ACLED event types and
UCDP violence types map there through ``detente.events.taxonomy``; every UCDP GED event is hostile from side_a to
side_b). It is **cooperative** when QuadClass is 1 or 2, or its subcategory is an agreement. The trend compares
the first and second halves of the window.

Per actor, :class:`Conduct` keeps the signals the stakeholder inference reads (``network.analyse``): violent acts it
committed, material support it gave, its commitments (an agreement event; CAMEO 057 "sign formal agreement" and 0871
"declare truce, ceasefire"), its violent acts against a counterpart in the 90 days after a commitment with that
counterpart and in the 90 days before (so a rise after the commitment shows), its rejections
of a process (CAMEO 125 "reject proposal to meet, discuss, or negotiate", 126 "reject mediation", 127 "reject plan,
agreement to settle dispute") and its ceasefire violations (CAMEO 196) — codes from the CAMEO codebook (Schrodt
2012, v1.1b3, chapter 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import pyarrow as pa

from detente.actors.keys import SQL_ACTOR_ID, key_sql
from detente.actors.model import actor_id_for
from detente.actors.registry import Registry
from detente.errors import RegistryInputError
from detente.events.store import EventStore

__all__ = [
    "COMMITMENT_HORIZON_DAYS",
    "COMMITMENT_SQL",
    "COOPERATIVE_SQL",
    "HOSTILE_SQL",
    "REJECTION_SQL",
    "VIOLENT_SQL",
    "Conduct",
    "Relation",
    "RelationSet",
    "Window",
    "measure_relations",
]

_HOSTILE_CATEGORIES = ("battle", "remote_violence", "violence_against_civilians", "riot", "coercion", "threat",
                       "verbal_conflict")  # fmt: skip
HOSTILE_SQL = (
    "(quad_class IN (3, 4) OR (quad_class IS NULL AND (category IN ("
    + ", ".join(f"'{c}'" for c in _HOSTILE_CATEGORIES)
    + ") OR subcategory IN ('protest_with_intervention', 'excessive_force_against_protesters'))))"
)
COOPERATIVE_SQL = "(quad_class IN (1, 2) OR (quad_class IS NULL AND subcategory = 'agreement'))"
#: organised violence: fighting, shelling and strikes, violence against civilians (ACLED, UCDP, CAMEO 18-20 roots)
VIOLENT_SQL = "(category IN ('battle', 'remote_violence', 'violence_against_civilians'))"
#: material support given: CAMEO QuadClass 2 (material cooperation), or the canonical category
MATERIAL_SQL = "(quad_class = 2 OR (quad_class IS NULL AND category = 'material_cooperation'))"
_CAMEO_SQL = "source IN ('gdelt1', 'gdelt2')"
#: a commitment: an agreement (ACLED "Agreement", the demo), CAMEO 057 or 0871
COMMITMENT_SQL = f"(subcategory = 'agreement' OR ({_CAMEO_SQL} AND source_event_type IN ('057', '0871')))"
#: how long after a commitment violence against its counterpart counts against it (and how far back the comparison)
COMMITMENT_HORIZON_DAYS = 90
#: acting against a process: CAMEO 125, 126, 127 (rejections of talks, mediation, a settlement plan)
REJECTION_SQL = f"({_CAMEO_SQL} AND left(source_event_type, 3) IN ('125', '126', '127'))"
#: violating a ceasefire: CAMEO 196
CEASEFIRE_VIOLATION_SQL = f"({_CAMEO_SQL} AND left(source_event_type, 3) = '196')"


@dataclass(frozen=True)
class Window:
    """A closed date window [start, end]."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise RegistryInputError(f"window ends ({self.end}) before it starts ({self.start})")

    @property
    def midpoint(self) -> date:
        """First day of the second half."""
        return self.start + timedelta(days=((self.end - self.start).days + 1) // 2)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @classmethod
    def parse(cls, text: str) -> Window:
        """``FROM..TO`` or a single period, each end ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (the same dates as
        ``--from``/``--to`` everywhere): ``2023`` is the whole year, ``2022-07..2023-06`` twelve months."""
        from detente.errors import InputError
        from detente.events.query import parse_date, parse_end

        first, _, last = text.partition("..")
        try:
            start, end = parse_date(first, "window"), parse_end(last if last else first, "window")
        except InputError as exc:
            raise RegistryInputError(
                f"bad window {text!r}: expected FROM..TO or one period, each YYYY, YYYY-MM or YYYY-MM-DD"
            ) from exc
        return cls(start, end)

    @classmethod
    def between(cls, start: str | None, end: str | None) -> Window | None:
        """The window of ``--from``/``--to`` (either may be left out: None for both means every event)."""
        from detente.events.query import parse_date, parse_end

        if start is None and end is None:
            return None
        return cls(
            parse_date(start, "from") if start else date(1, 1, 1), parse_end(end, "to") if end else date(9999, 12, 31)
        )


@dataclass(frozen=True)
class Relation:
    """Directed counts from ``source`` to ``target`` (canonical ids) in one window."""

    source: str
    target: str
    events: int
    hostile: int
    cooperative: int
    fatalities: int
    goldstein_sum: float
    hostile_first: int
    hostile_second: int
    cooperative_first: int
    cooperative_second: int

    @property
    def hostile_change(self) -> int:
        return self.hostile_second - self.hostile_first

    @property
    def cooperative_change(self) -> int:
        return self.cooperative_second - self.cooperative_first

    @property
    def trend(self) -> str:
        """``escalating``, ``de-escalating`` or ``steady`` (hostile counts, second half vs first half)."""
        first, second = self.hostile_first, self.hostile_second
        if second >= 2 * first + 2:
            return "escalating"
        if first >= 2 * second + 2:
            return "de-escalating"
        return "steady"


@dataclass(frozen=True)
class Conduct:
    """What one actor did in the window (as actor 1 of the events, except commitments: either side)."""

    violent: int = 0
    material_support: int = 0
    commitments: int = 0
    first_commitment: date | None = None
    #: violent acts against a counterpart in the ``COMMITMENT_HORIZON_DAYS`` after a commitment with it …
    violent_after_commitment: int = 0
    #: … and in as many days before it (the same act may count in both when commitments are close together)
    violent_before_commitment: int = 0
    rejections: int = 0
    ceasefire_violations: int = 0


@dataclass(frozen=True)
class RelationSet:
    window: Window
    relations: tuple[Relation, ...]
    #: events per actor in the window (as either side, dyadic or not)
    activity: Mapping[str, int]
    #: per actor: violence, support, commitments, rejections (see :class:`Conduct`)
    conduct: Mapping[str, Conduct] = field(default_factory=dict)

    def top(self, layer: str = "hostile", n: int = 10) -> list[Relation]:
        if layer not in ("hostile", "cooperative", "events", "fatalities"):
            raise RegistryInputError(f"unknown layer {layer!r}")
        ranked = sorted(self.relations, key=lambda r: (-getattr(r, layer), r.source, r.target))
        return [r for r in ranked[:n] if getattr(r, layer) > 0]

    def counterparts(self) -> dict[str, frozenset[str]]:
        acc: dict[str, set[str]] = {}
        for r in self.relations:
            acc.setdefault(r.source, set()).add(r.target)
            acc.setdefault(r.target, set()).add(r.source)
        return {k: frozenset(v) for k, v in acc.items()}


def _store_window(store: EventStore, sources: Sequence[str] | None) -> Window | None:
    con = store.duckdb()
    try:
        row = con.execute(f"SELECT min(date_start), max(date_start) FROM {store.relation_sql(sources)}").fetchone()
    finally:
        con.close()
    if row is None or row[0] is None:
        return None
    return Window(row[0], row[1])


def measure_relations(
    store: EventStore,
    registry: Registry,
    window: Window | None = None,
    *,
    sources: Sequence[str] | None = None,
    country_iso3: str | None = None,
) -> RelationSet:
    """Directed relations between canonical actors from the store's events in ``window`` (default: all events)."""
    window = window or _store_window(store, sources)
    if window is None:
        return RelationSet(Window(date(1970, 1, 1), date(1970, 1, 1)), (), {})
    # Only keys whose canonical id differs from their own default id need a row in the mapping table.
    moved = {k: v for k, v in registry.key_index.items() if v != actor_id_for(k)}
    mapping = pa.table({"k": pa.array(list(moved), pa.string()), "aid": pa.array(list(moved.values()), pa.string())})
    where = ["date_start BETWEEN $start AND $end"]
    if country_iso3:
        where.append("country_iso3 = $country")
    canon = "coalesce(m{n}.aid, " + SQL_ACTOR_ID.format(k="e.k{n}") + ")"
    sql = f"""
        WITH e AS (
            SELECT {key_sql(1)} AS k1, {key_sql(2)} AS k2, date_start AS d, fatalities_best, intensity,
                   {HOSTILE_SQL} AS hostile, {COOPERATIVE_SQL} AS coop
            FROM {store.relation_sql(sources)} WHERE {" AND ".join(where)}
        ), c AS (
            SELECT {canon.format(n=1)} AS a1, {canon.format(n=2)} AS a2, e.*
            FROM e LEFT JOIN mapping m1 ON m1.k = e.k1 LEFT JOIN mapping m2 ON m2.k = e.k2
        )
        SELECT a1, a2, count(*), count(*) FILTER (WHERE hostile), count(*) FILTER (WHERE coop),
               coalesce(sum(fatalities_best), 0), coalesce(sum(intensity), 0),
               count(*) FILTER (WHERE hostile AND d < $mid), count(*) FILTER (WHERE hostile AND d >= $mid),
               count(*) FILTER (WHERE coop AND d < $mid), count(*) FILTER (WHERE coop AND d >= $mid)
        FROM c WHERE k1 IS NOT NULL AND k2 IS NOT NULL AND a1 <> a2
        GROUP BY a1, a2
    """
    conduct_sql = f"""
        WITH e AS (
            SELECT {key_sql(1)} AS k1, {key_sql(2)} AS k2, date_start AS d, {VIOLENT_SQL} AS violent,
                   {MATERIAL_SQL} AS material, {COMMITMENT_SQL} AS pledge, {REJECTION_SQL} AS refusal,
                   {CEASEFIRE_VIOLATION_SQL} AS breach
            FROM {store.relation_sql(sources)} WHERE {" AND ".join(where)}
        ), c AS (
            SELECT {canon.format(n=1)} AS a1, {canon.format(n=2)} AS a2, e.*
            FROM e LEFT JOIN mapping m1 ON m1.k = e.k1 LEFT JOIN mapping m2 ON m2.k = e.k2
        ), pledges AS (
            SELECT DISTINCT x, y, d FROM (
                SELECT a1 AS x, a2 AS y, d FROM c WHERE pledge AND k1 IS NOT NULL AND k2 IS NOT NULL AND a1 <> a2
                UNION ALL SELECT a2, a1, d FROM c WHERE pledge AND k1 IS NOT NULL AND k2 IS NOT NULL AND a1 <> a2
            )
        ), pledged AS (
            SELECT aid, min(d) AS first_d, count(*) AS n FROM (
                SELECT a1 AS aid, d FROM c WHERE pledge AND k1 IS NOT NULL
                UNION ALL SELECT a2, d FROM c WHERE pledge AND k2 IS NOT NULL
            ) GROUP BY aid
        ), viol AS (
            SELECT row_number() OVER () AS rid, a1, a2, d FROM c
            WHERE violent AND k1 IS NOT NULL AND k2 IS NOT NULL AND a1 <> a2
        ), held AS (
            SELECT v.a1 AS aid,
                   count(DISTINCT v.rid) FILTER (WHERE v.d > p.d AND v.d <= p.d + $horizon) AS after,
                   count(DISTINCT v.rid) FILTER (WHERE v.d < p.d AND v.d >= p.d - $horizon) AS before
            FROM viol v JOIN pledges p ON p.x = v.a1 AND p.y = v.a2
            GROUP BY v.a1
        ), acts AS (
            SELECT a1 AS aid, count(*) FILTER (WHERE violent) AS violent,
                   count(*) FILTER (WHERE material) AS material,
                   count(*) FILTER (WHERE refusal) AS rejections, count(*) FILTER (WHERE breach) AS breaches
            FROM c WHERE k1 IS NOT NULL GROUP BY a1
        )
        SELECT coalesce(acts.aid, pledged.aid), coalesce(violent, 0), coalesce(material, 0), coalesce(pledged.n, 0),
               pledged.first_d, coalesce(held.after, 0), coalesce(held.before, 0), coalesce(rejections, 0),
               coalesce(breaches, 0)
        FROM acts FULL JOIN pledged ON pledged.aid = acts.aid
        LEFT JOIN held ON held.aid = coalesce(acts.aid, pledged.aid)
    """
    activity_sql = f"""
        WITH e AS (SELECT {key_sql(1)} AS k1, {key_sql(2)} AS k2 FROM {store.relation_sql(sources)}
                   WHERE {" AND ".join(where)}),
        s AS (SELECT k1 AS k FROM e WHERE k1 IS NOT NULL UNION ALL SELECT k2 FROM e WHERE k2 IS NOT NULL)
        SELECT coalesce(m.aid, {SQL_ACTOR_ID.format(k="s.k")}) AS aid, count(*)
        FROM s LEFT JOIN mapping m ON m.k = s.k GROUP BY 1
    """
    params: dict[str, object] = {"start": window.start, "end": window.end, "mid": window.midpoint}
    if country_iso3:
        params["country"] = country_iso3
    con = store.duckdb()
    try:
        con.register("mapping", mapping)
        rows = con.execute(sql, params).fetchall()
        act_params = {k: v for k, v in params.items() if k != "mid"}
        activity = {aid: int(n) for aid, n in con.execute(activity_sql, act_params).fetchall()}
        conduct_rows = con.execute(conduct_sql, {**act_params, "horizon": COMMITMENT_HORIZON_DAYS}).fetchall()
    finally:
        con.close()
    relations = tuple(
        sorted(
            (
                Relation(a1, a2, int(n), int(h), int(c), int(f), float(g), int(h1), int(h2), int(c1), int(c2))
                for a1, a2, n, h, c, f, g, h1, h2, c1, c2 in rows
            ),
            key=lambda r: (r.source, r.target),
        )
    )
    conduct = {
        aid: Conduct(int(v), int(m), int(n), first, int(after), int(before), int(rej), int(breach))
        for aid, v, m, n, first, after, before, rej, breach in conduct_rows
        if v or m or n or rej or breach
    }
    return RelationSet(window, relations, activity, conduct)
