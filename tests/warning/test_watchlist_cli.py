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
    doc: dict[str, object] = json.loads(res.stdout)
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


def test_the_demo_watchlist_is_ranked_by_detentes_model_which_beats_every_baseline(demo_ws: Path) -> None:
    """The demo's world has learnable structure (signals before escalations): on its own backtest, with the
    default configuration (12 origins before the as-of month), Détente's model beats every baseline and ranks."""
    import datetime as dt

    from detente.warning.selection import BASELINES, MARGIN
    from detente.warning.store_config import StoreConfig
    from detente.warning.watchlist import store_watchlist

    doc = store_watchlist(demo_ws, now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), config=StoreConfig())
    assert doc["as_of"] == "2025-12" and not doc["model"]["truncated"]
    assert len(doc["model"]["protocol"]["origins"]) == 12
    ranked = doc["ranked_by"]
    assert ranked["chosen"] == "detente_hurdle" and ranked["verdict"] == "model", ranked["reason"]
    scores = doc["model"]["models"]
    ours = scores["detente_hurdle"]
    assert ours["positives"] >= 5  # escalations to score against, not a quiet year
    for name in BASELINES:
        theirs = scores[name]
        assert ours["brier"] < theirs["brier"] * (1 - MARGIN), name
        assert ours["crps"] < theirs["crps"] and ours["auroc"] > theirs["auroc"], name
    assert ranked["reason"].startswith(
        f"Détente's model beat the best baseline, {ranked['best_baseline']}".replace("_", " ")
    )
    # beside each forecast, the record of forecasts like it: the decile of the chosen model's own backtest
    deciles = [r for r in doc["model"]["reliability"]["detente_hurdle"] if r.get("decile")]
    assert len(deciles) == 10 and sum(r["count"] for r in deciles) == ours["n"]
    for u in doc["units"]:
        rate = u["backtest_rate"]
        home = next((r for r in deciles if u["p_exceed"] <= r["bin_high"]), deciles[-1])
        assert rate["count"] == home["count"] and rate["observed"] == pytest.approx(home["observed_frequency"])
        assert rate["hits"] == round(home["count"] * home["observed_frequency"])
        assert rate["low"] <= rate["observed"] <= rate["high"]
    # the table is Détente's: its run file names the model, every unit has its drivers
    assert all(len(u["drivers"]) == 3 for u in doc["units"])
    run = (demo_ws / "warning" / "runs" / f"{doc['run']}.csv").read_text()
    assert "detente_hurdle" in run and "last_value" not in run
    # the CLI says which model ranks and why (same configuration: the cached document)
    res = runner.invoke(app, ["watchlist", "-w", str(demo_ws), "--as-of", "2025-12"])
    assert res.exit_code == 0, res.output
    assert "Ranked by Détente's model: Détente's model beat the best baseline" in " ".join(res.output.split())


def test_when_no_model_beats_the_baseline_the_cli_says_so_and_ranks_by_it(demo_ws: Path) -> None:
    """At 1000 deaths no region-month of the demo reaches the threshold: the constant zero is perfect on the Brier
    score, Détente's model cannot beat it, and the watchlist is ranked by zero, with no drivers."""
    doc = _watchlist(demo_ws, "--as-of", "2025-06", "--threshold", "1000")
    ranked = doc["ranked_by"]
    assert isinstance(ranked, dict)
    assert ranked["chosen"] == "zero" and ranked["verdict"] == "baseline" and ranked["best_baseline"] == "zero"
    assert ranked["reason"].startswith("No model beat the best baseline, zero: Détente's model was no better")
    assert ranked["reason"].endswith("Ranked by zero.")
    units = doc["units"]
    assert isinstance(units, list)
    assert all(u["p_exceed"] == 0 and u["drivers"] == [] for u in units)
    assert [u["rank"] for u in units] == list(range(1, len(units) + 1))
    run = (demo_ws / "warning" / "runs" / f"{doc['run']}.csv").read_text()
    assert ",zero," in run
    res = runner.invoke(app, ["watchlist", "-w", str(demo_ws), "--as-of", "2025-06", "--threshold", "1000",
                              "--backtest-months", "2"])  # fmt: skip
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Ranked by zero: No model beat the best baseline, zero" in text


def test_the_watchlist_shows_the_backtests_progress_on_stderr(demo_ws: Path) -> None:
    import re

    res = runner.invoke(
        app, ["watchlist", "-w", str(demo_ws), "--json", "--backtest-months", "3", "--as-of", "2024-09"]
    )
    assert res.exit_code == 0, res.output
    assert re.search(r"backtest origins .*3/3 origins", res.stderr), res.stderr
    assert json.loads(res.stdout)["as_of"] == "2024-09"  # stdout stays pure JSON
