"""Known facts of the real data, computed independently with plain DuckDB over the source files, against the
relations and the analysis."""

from __future__ import annotations

from pathlib import Path

import duckdb

from detente.actors import Window

from .conftest import GEORGIA, SYRIA, ActorBench


def test_georgia_most_frequent_hostile_dyad(georgia: ActorBench, shared_data: Path) -> None:
    # Independent: the raw GDELT columns. Codes are trimmed (9 rows write ' COP' with a leading space) and the six
    # repeated GLOBALEVENTIDs that the store quarantines are counted here, so the store may hold up to 6 fewer.
    path = (shared_data / GEORGIA).as_posix()
    a1, a2, n = duckdb.sql(
        f"""SELECT trim(Actor1Code) a1, trim(Actor2Code) a2, count(*) n FROM read_parquet('{path}')
            WHERE QuadClass IN (3, 4) AND trim(Actor1Code) <> '' AND trim(Actor2Code) <> ''
            GROUP BY ALL ORDER BY n DESC, a1, a2 LIMIT 1"""
    ).fetchone()  # type: ignore[misc]
    rs = georgia.relations()
    reg = georgia.registry()
    analysis = georgia.analyse(rs)
    src, dst, count = analysis.top_hostile[0]
    assert reg.actors[src].source_keys == (f"cameo:{a1}",)
    assert reg.actors[dst].source_keys == (f"cameo:{a2}",)
    assert n - 6 <= count <= n
    assert rs.window == Window.parse("2011-06-01..2013-05-31")
    # the most influential actor is the one most events involve (United States in this file)
    (top_code,) = duckdb.sql(
        f"""SELECT c FROM (SELECT trim(Actor1Code) c FROM read_parquet('{path}') UNION ALL
                           SELECT trim(Actor2Code) FROM read_parquet('{path}'))
            WHERE c <> '' GROUP BY c ORDER BY count(*) DESC LIMIT 1"""
    ).fetchone()  # type: ignore[misc]
    assert analysis.influencers[0].actor_id == reg.resolve(f"cameo:{top_code}").id


def test_syria_most_frequent_ucdp_dyad_and_fatalities(syria: ActorBench, shared_data: Path) -> None:
    path = (shared_data / SYRIA).as_posix()
    side_a, side_b, n, deaths = duckdb.sql(
        f"""SELECT side_a_new_id, side_b_new_id, count(*) n, sum(best) FROM read_parquet('{path}')
            GROUP BY ALL ORDER BY n DESC LIMIT 1"""
    ).fetchone()  # type: ignore[misc]
    reg = syria.registry()
    rs = syria.relations()
    top = rs.top("hostile", 1)[0]
    assert (top.source, top.target) == (reg.resolve(f"ucdp:{side_a}").id, reg.resolve(f"ucdp:{side_b}").id)
    assert (top.hostile, top.events, top.fatalities) == (n, n, deaths)
    assert reg.actors[top.source].name == "Government of Syria"  # name from the UCDP actor list, id 118
    # the second half of a window counts exactly the events from its midpoint
    w = Window.parse("2016-01-01..2019-12-31")
    (second,) = duckdb.sql(
        f"""SELECT count(*) FROM read_parquet('{path}') WHERE side_a_new_id = {side_a} AND side_b_new_id = {side_b}
            AND CAST(date_start AS DATE) >= DATE '{w.midpoint}' AND CAST(date_start AS DATE) <= DATE '{w.end}'"""
    ).fetchone()  # type: ignore[misc]
    assert syria.relations(w).top("hostile", 1)[0].hostile_second == second
