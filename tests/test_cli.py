"""The CLI as a user drives it: demo, ingest, summary, query in every output, export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from typer.testing import CliRunner

from detente import __version__
from detente.cli.app import app

runner = CliRunner()


def run(*args: str) -> str:
    """Run the CLI; return what it wrote to stdout (progress and notes go to stderr)."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_version() -> None:
    assert run("version").strip() == __version__


def test_demo_creates_a_workspace_and_is_reproducible(tmp_path: Path) -> None:
    started = runner.invoke(app, ["demo", "--json", "-w", str(tmp_path / "a")])
    assert started.exit_code == 0, started.output
    first = json.loads(started.stdout)
    assert "demo: generating and importing the demo events" in started.stderr  # progress, not silence
    assert started.stderr.count("done in") == 5
    second = json.loads(run("demo", "--json", "-w", str(tmp_path / "b")))
    assert first == {**second}
    assert first["total"] > 10_000
    assert set(first["by_country"]) == {"XAR", "XBO"}
    assert first["by_source"] == {"demo": first["total"]}
    # Running it again on the same workspace adds nothing.
    again = json.loads(run("demo", "--json", "-w", str(tmp_path / "a")))
    assert again["total"] == first["total"]
    # The same seed gives the same events byte for byte (content hashes), another seed other events.
    a = pq.read_table(tmp_path / "a" / "demo" / "demo-events.parquet").column("content_hash").to_pylist()
    b = pq.read_table(tmp_path / "b" / "demo" / "demo-events.parquet").column("content_hash").to_pylist()
    assert a == b
    run("demo", "--json", "--seed", "7", "-w", str(tmp_path / "c"))
    c = pq.read_table(tmp_path / "c" / "demo" / "demo-events.parquet").column("content_hash").to_pylist()
    assert c != a


def test_ingest_summary_query_export(tmp_path: Path, shared_data: Path) -> None:
    ws = str(tmp_path / "ws")
    out = run("ingest", "--json", "-w", ws, str(shared_data / "ucdp_ged" / "ged231_global_random_sample_1000.csv"))
    report = json.loads(out)
    assert report["imported"] == 1000 and report["files"][0]["format"] == "ucdp_ged"
    assert "UCDP" in report["files"][0]["detected"] or "ucdp" in report["files"][0]["detected"].lower()

    summary = json.loads(run("events", "summary", "--json", "-w", ws))
    assert summary["total"] == 1000 and summary["by_source"] == {"ucdp_ged": 1000}
    assert sum(summary["by_year"].values()) == 1000
    human = run("events", "summary", "-w", ws)
    assert "1,000" in human and "ucdp_ged" in human

    table = run("events", "query", "-w", ws, "--country", "AFG", "--limit", "5")
    assert "showing 5 of 135 events" in table

    lines = run("events", "query", "-w", ws, "--country", "AFG", "--output", "json", "--limit", "0").splitlines()
    rows = [json.loads(x) for x in lines if x.strip()]
    assert rows and all(r["country_iso3"] == "AFG" for r in rows)
    assert len(rows) == summary["by_country"]["AFG"]

    text = run(
        "events", "query", "-w", ws, "--category", "violence_against_civilians", "--output", "csv", "--limit", "0"
    )
    records = list(csv.DictReader(io.StringIO(text)))
    assert records and {r["category"] for r in records} == {"violence_against_civilians"}

    dated = run("events", "query", "-w", ws, "--from", "2010", "--to", "2010-06", "--output", "json", "--limit", "0")
    for line in filter(None, dated.splitlines()):
        r = json.loads(line)
        assert r["date_end"] >= "2010-01-01" and r["date_start"] <= "2010-06-30"

    geo = tmp_path / "afg.geojson"
    run("events", "export", str(geo), "-w", ws, "--format", "geojson", "--country", "AFG")
    doc = json.loads(geo.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == len(rows)

    parquet = tmp_path / "all.parquet"
    run("events", "export", str(parquet), "-w", ws)
    assert pq.read_table(parquet).num_rows == 1000

    hxl = run("events", "query", "-w", ws, "--output", "hxl", "--limit", "3").splitlines()
    assert hxl[1].startswith("#")


def test_export_to_parquet_needs_a_file(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    run("demo", "--no-serve", "-w", ws)
    result = runner.invoke(app, ["events", "query", "-w", ws, "--output", "parquet"])
    assert result.exit_code == 2 and "--out" in result.output


def test_exported_file_reimports_as_duplicates(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    run("demo", "--no-serve", "-w", ws)
    for fmt, name in (("csv", "e.csv"), ("json", "e.jsonl"), ("hxl", "e.hxl.csv")):
        path = tmp_path / name
        run("events", "export", str(path), "-w", ws, "--format", fmt, "--category", "battle")
        report = json.loads(run("ingest", "--json", "-w", ws, str(path)))
        assert report["imported"] == 0, fmt
        assert report["duplicates"] == report["rows_read"] > 0, fmt


def test_the_demo_log_verifies_end_to_end_with_its_witnesses(tmp_path: Path, monkeypatch: Any) -> None:
    """`detente demo` names a witness per slot (each by whoever holds it), serves them here and has them cosign: a
    party's bundle of the demo then verifies strictly, with nothing accepted unwitnessed; a second run reuses them."""
    ws = tmp_path / "demo"
    out = run("demo", "--no-serve", "-w", str(ws))
    assert "3 of 2 required cosigned the log" in " ".join(out.split())
    monkeypatch.setenv("DETENTE_WORKSPACE", str(ws))
    monkeypatch.setenv("DETENTE_KNOWN_KEYS", str(tmp_path / "known_keys"))
    run("ledger", "export", "--process", "1", "--for", "rep-borealis", str(tmp_path / "bundle"))
    report = json.loads(run("ledger", "verify", str(tmp_path / "bundle"), "--json"))
    assert report["ok"] and not report["accepted_unwitnessed"] and report["consents_checked"] >= 4
    assert report["witnessed_size"] == report["entry_count"]
    again = run("demo", "--no-serve", "-w", str(ws))  # the same witnesses, their keys kept in the workspace
    assert "3 of 2 required cosigned" in " ".join(again.split())
