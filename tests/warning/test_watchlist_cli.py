"""``detente watchlist`` on the workspace's own event store (the demo workspace built by ``run_demo``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli.app import app
from detente.events.demo_job import run_demo

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("watchlist-cli") / "ws"
    run_demo(ws)
    return ws


def _watchlist(ws: Path, *extra: str) -> dict[str, object]:
    res = runner.invoke(app, ["watchlist", "--workspace", str(ws), "--json", "--backtest-months", "2", *extra])
    assert res.exit_code == 0, res.output
    doc: dict[str, object] = json.loads(res.output)
    return doc


def test_watchlist_ranks_the_stores_regions(demo_ws: Path) -> None:
    from detente.events import open_store

    doc = _watchlist(demo_ws, "--as-of", "2025-06")
    assert doc["as_of"] == "2025-06" and doc["level"] == "admin1" and doc["threshold"] == 25
    units = doc["units"]
    assert isinstance(units, list) and units
    assert [u["rank"] for u in units] == list(range(1, len(units) + 1))
    # the units are the store's own admin1 regions
    table = open_store(demo_ws).table()
    regions = table.select("country_iso3", "admin1").distinct().to_pandas().dropna()
    known = {f"{r.country_iso3}:{r.admin1}" for r in regions.itertuples()}
    assert {u["unit"] for u in units} <= known and len(units) >= 0.5 * len(known)
    p = [u["p_exceed"] for u in units]
    assert p == sorted(p, reverse=True) and all(0 <= x <= 1 for x in p)
    for u in units:
        lo, hi = u["interval90"]
        assert lo <= u["q50"] <= hi and len(u["drivers"]) == 3 and len(u["history"]) == 12
    assert all(e["event_id"] in u["alert"]["events"] for u in units if u["alert"] for e in u["alert"]["event_details"])
    model = doc["model"]
    assert isinstance(model, dict) and "detente_hurdle" in model["models"]
    # the run is kept in the workspace for the next run's change, as the web page does
    assert (demo_ws / "warning" / "runs" / f"{doc['run']}.csv").exists()
    # a later month reports the change against it
    later = _watchlist(demo_ws, "--as-of", "2025-07")
    assert later["previous_run"]["id"] == doc["run"]  # type: ignore[index]
    assert any(u["change"] is not None for u in later["units"])  # type: ignore[attr-defined]


def test_watchlist_table_output(demo_ws: Path) -> None:
    res = runner.invoke(app, ["watchlist", "-w", str(demo_ws), "--as-of", "2025-06", "--backtest-months", "2"])
    assert res.exit_code == 0, res.output
    assert "Watchlist as of 2025-06" in res.output and "alpha 0.01" in res.output


def test_watchlist_on_an_empty_workspace_is_a_clean_error(tmp_path: Path) -> None:
    from detente.events import open_store

    open_store(tmp_path / "empty", create=True)
    res = runner.invoke(app, ["watchlist", "-w", str(tmp_path / "empty")])
    assert res.exit_code == 2 and "empty" in res.output


def test_watchlist_bad_month_names_the_field(demo_ws: Path) -> None:
    res = runner.invoke(app, ["watchlist", "-w", str(demo_ws), "--as-of", "2025-13"])
    assert res.exit_code == 2 and "as_of" in res.output
