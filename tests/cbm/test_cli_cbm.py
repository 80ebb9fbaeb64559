"""``detente cbm`` driven through Typer's runner: catalogue, plan, simulate, charts, saved plans."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from detente.cbm import TrustState
from detente.cli.cbm import app

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_catalogue_json_and_domain_filter() -> None:
    data = json.loads(run("catalogue", "--json"))
    assert len(data["measures"]) == 84
    humanitarian = json.loads(run("catalogue", "--domain", "humanitarian", "--json"))
    assert humanitarian["measures"] and {m["domain"] for m in humanitarian["measures"]} == {"humanitarian"}
    assert "leaders_hotline" in run("catalogue")


def test_plan_scenario_json_and_chart(tmp_path: Path) -> None:
    chart = tmp_path / "trust.svg"
    out = run(
        "plan", "--scenario", "frozen-conflict", "--horizon", "4", "--worlds", "100", "--json",
        "--chart", str(chart),
    )  # fmt: skip
    data = json.loads(out)
    assert len(data["steps"]) == 4 and 0.0 <= data["p_goal"] <= 1.0
    assert all(s["reason"] for s in data["steps"]) and data["fallback"]["text"]
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    again = run("plan", "--scenario", "frozen-conflict", "--horizon", "4", "--worlds", "100", "--json")
    assert again == out
    # a scenario's plan is only printed; saving is for a process of the workspace (--process, --user)
    refused = runner.invoke(app, ["plan", "--process", "1", "--worlds", "100", "-w", str(tmp_path / "ws")])
    assert refused.exit_code == 2 and "--user" in refused.output
    text = run("plan", "--scenario", "frozen-conflict", "--horizon", "2", "--worlds", "50")
    assert "Fallback" in text and "why:" in text


def test_plan_from_a_state_file(tmp_path: Path) -> None:
    state = TrustState.start(["Government", "Front"], prior=0.35)
    path = tmp_path / "state.json"
    path.write_text(state.to_json(), encoding="utf-8")
    data = json.loads(
        run("plan", "--state", str(path), "--horizon", "3", "--worlds", "80", "--threshold", "0.5", "--json")
    )
    assert data["parties"] == ["Government", "Front"] and data["goal"]["threshold"] == 0.5


def test_simulate_json_and_png_chart(tmp_path: Path) -> None:
    chart = tmp_path / "trust.png"
    out = run(
        "simulate", "--scenario", "frozen-conflict", "--step", "leaders_hotline:North",
        "--step", "family_reunions:South", "--worlds", "200", "--json", "--chart", str(chart),
    )  # fmt: skip
    data = json.loads(out)
    assert len(data["trajectory"]["North->South"]) == 3
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_bad_input_exits_2_with_one_line() -> None:
    result = runner.invoke(app, ["plan", "--scenario", "nowhere"])
    assert result.exit_code == 2 and "no scenario" in result.output
    result = runner.invoke(app, ["simulate", "--scenario", "frozen-conflict", "--step", "hotline"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["plan"])
    assert result.exit_code == 2
