"""Analysis on the real Georgia events: profiles with labels, grid, priorities, influence paths, diff, exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from detente.access import Label, LabelKind
from detente.actors import (
    AnalystRelation,
    Attitude,
    Evidenced,
    Leverage,
    Position,
    RelationKind,
    StakeholderProfile,
    Window,
)
from detente.actors.chart import render_network
from detente.actors.export import network_graph, write_csv, write_graphml
from detente.cli.actors import app
from detente.errors import RegistryInputError

from .conftest import ActorBench

D = date(2013, 5, 1)


def _profile(actor_id: str, label: str, attitude: Attitude, power: float | None = None) -> StakeholderProfile:
    return StakeholderProfile(
        actor_id=actor_id,
        label=label,
        attitude=attitude,
        attitude_evidence="statements reported in May 2013",
        attitude_date=D,
        interests=(Evidenced("territorial integrity", "public statements", D),),
        positions=(Position("status of Abkhazia", "no recognition", "speech", D),),
        leverage=(Leverage("gas supply", ("act_x",), "trade data", D),),
        contribution=Evidenced("could host talks", "offer made", D),
        power=power,
        interest=0.9,
    )


def test_profiles_labels_grid_priorities_and_paths(georgia: ActorBench) -> None:
    reg = georgia.registry()
    geo, rus, usa = (reg.resolve(k).id for k in ("cameo:GEOGOV", "cameo:RUS", "cameo:USA"))
    georgia.save_profile(_profile(rus, "mediators_only", Attitude.SPOILER, power=0.95))
    georgia.save_profile(_profile(geo, "public", Attitude.CHAMPION))
    georgia.add_relation(
        AnalystRelation("r00001", usa, rus, RelationKind.INFLUENCE_OVER, 0.6, 0.5, "all_parties", "talks", D),
    )
    public = georgia.book(["public"])
    assert set(public.profiles) == {geo} and public.relations == ()
    everything = [
        str(label) for label in (Label(LabelKind.PUBLIC), Label(LabelKind.ALL_PARTIES), Label(LabelKind.MEDIATORS_ONLY))
    ]
    full = georgia.book(everything)
    assert set(full.profiles) == {geo, rus} and len(full.relations) == 1
    rs = georgia.relations()
    result = georgia.analyse(rs, full)
    grid = {g.actor_id: g for g in result.grid}
    assert grid[rus].from_profile and grid[rus].power == 0.95 and grid[rus].quadrant == "manage closely"
    assert rus in {s.actor_id for s in result.spoilers}
    assert result.priorities[0].reason and all(p.reason for p in result.priorities)
    assert any("spoiler" in p.reason for p in result.priorities if p.actor_id == rus)
    # a hidden profile changes nothing for a reader who may not see it
    hidden = georgia.analyse(rs, public)
    assert {g.actor_id: g for g in hidden.grid}[rus].from_profile is False
    paths = georgia.engine.influence_paths(rs, georgia.registry(), ["cameo:GEOGOV"], "cameo:RUS", full)
    assert paths and paths[0].path[0] == geo and paths[0].path[-1] == rus
    assert all("hostile" not in v for p in paths for v in p.via)


def test_bad_profiles_are_refused() -> None:
    with pytest.raises(RegistryInputError):
        _profile("a", "public", Attitude.NEUTRAL, power=1.5)
    with pytest.raises(Exception, match="visibility label"):
        _profile("a", "secret", Attitude.NEUTRAL)


def test_diff_between_halves(georgia: ActorBench) -> None:
    d = georgia.engine.diff(
        georgia.registry(), Window.parse("2011-06-01..2012-05-31"), Window.parse("2012-06-01..2013-05-31")
    )
    assert d.turned_hostile and d.went_quiet
    for _, _, why in d.turned_hostile:
        assert "hostile share" in why


def test_exports_and_chart(georgia: ActorBench, tmp_path: Path) -> None:
    reg = georgia.registry()
    rs = georgia.relations(Window.parse("2012-09-01..2012-10-31"))
    result = georgia.analyse(rs)
    graph = network_graph(rs, reg, result)
    write_graphml(graph, tmp_path / "n.graphml")
    back = nx.read_graphml(tmp_path / "n.graphml")
    assert back.number_of_edges() == len(rs.relations)
    write_csv(graph, tmp_path / "actors.csv", tmp_path / "relations.csv")
    assert (tmp_path / "relations.csv").read_text().count("\n") == len(rs.relations) + 1
    render_network(rs, result, tmp_path / "n.svg")
    svg = (tmp_path / "n.svg").read_text()
    assert "likely spoiler" in svg and "hostile" in svg
    render_network(rs, result, tmp_path / "again.svg")
    assert (tmp_path / "again.svg").read_bytes() == (tmp_path / "n.svg").read_bytes()


def test_cli_round(georgia: ActorBench, tmp_path: Path) -> None:
    ws = str(georgia.root)
    runner = CliRunner()
    res = runner.invoke(app, ["relations", "-w", ws, "--window", "2012-01-01..2012-12-31", "--json", "--top", "3"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["show", "cameo:GEOGOV", "-w", ws])
    assert res.exit_code == 0 and "Georgia" in res.output
    res = runner.invoke(app, ["export", str(tmp_path / "out"), "-w", ws, "--window", "2013-04-01..2013-05-31"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "network.graphml").exists() and (tmp_path / "out" / "actors.csv").exists()
    res = runner.invoke(app, ["relations", "-w", ws, "--window", "2013-05-31..2013-01-01"])
    assert res.exit_code == 2 and "before it starts" in res.output
