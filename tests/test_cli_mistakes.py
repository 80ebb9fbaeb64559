"""Every user mistake on the command line is one line naming the value and the fix, exit code 2, never a traceback.

Each case runs a real command on a real workspace (the UCDP GED sample imported once) with one mistake: a missing
path or folder, an unknown country code, a wrong format, a bad date, a missing workspace, a bad number.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli.app import app

runner = CliRunner()

GED_SAMPLE = "ucdp_ged/ged231_global_random_sample_1000.csv"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    root = tmp_path_factory.mktemp("mistakes") / "ws"
    result = runner.invoke(app, ["ingest", "-w", str(root), str(shared_data / GED_SAMPLE)])
    assert result.exit_code == 0, result.output
    return root


#: (id, arguments with {ws}, {missing} and {nodir} filled in, words the one line must contain)
CASES: list[tuple[str, list[str], list[str]]] = [
    ("summary-missing-workspace", ["events", "summary", "-w", "{missing}"], ["not a Détente workspace", "{missing}"]),
    ("query-missing-workspace", ["events", "query", "-w", "{missing}"], ["--workspace", "{missing}"]),
    ("watchlist-missing-workspace", ["watchlist", "-w", "{missing}"], ["not a Détente workspace"]),
    ("query-unknown-country", ["events", "query", "-w", "{ws}", "--country", "SYY"], ["'SYY'", "SYR"]),
    ("query-malformed-country", ["events", "query", "-w", "{ws}", "--country", "SY"], ["'SY'", "alpha-3"]),
    ("export-unknown-country", ["events", "export", "{nodir}/../x.csv", "-w", "{ws}", "-c", "QQQ"], ["'QQQ'"]),
    ("query-bad-from", ["events", "query", "-w", "{ws}", "--from", "2023-13"], ["'2023-13'", "YYYY-MM"]),
    ("query-bad-to", ["events", "query", "-w", "{ws}", "--to", "soon"], ["'soon'", "'to'"]),
    ("query-to-before-from", ["events", "query", "-w", "{ws}", "--from", "2020", "--to", "2019"], ["before"]),
    ("query-wrong-output", ["events", "query", "-w", "{ws}", "-o", "xml"], ["'xml'", "csv", "field 'output'"]),
    ("query-unknown-category", ["events", "query", "-w", "{ws}", "--category", "war"], ["'war'", "battle"]),
    ("query-negative-limit", ["events", "query", "-w", "{ws}", "--limit", "-1"], ["--limit -1"]),
    ("query-parquet-to-terminal", ["events", "query", "-w", "{ws}", "-o", "parquet"], ["--out"]),
    ("export-missing-folder", ["events", "export", "{nodir}/x.csv", "-f", "csv", "-w", "{ws}"], ["{nodir}", "folder"]),
    ("export-to-a-folder", ["events", "export", "{ws}", "-f", "csv", "-w", "{ws}"], ["is a folder"]),
    ("export-wrong-format", ["events", "export", "{ws}/x.doc", "-f", "doc", "-w", "{ws}"], ["'doc'", "'format'"]),
    ("ingest-missing-file", ["ingest", "-w", "{ws}", "{nodir}/events.csv"], ["{nodir}/events.csv", "no such file"]),
    ("watchlist-bad-month", ["watchlist", "-w", "{ws}", "--as-of", "2023-13"], ["'2023-13'", "YYYY-MM"]),
    ("watchlist-month-before-data", ["watchlist", "-w", "{ws}", "--as-of", "1900-01"], ["1900-01", "as_of"]),
    ("watchlist-unknown-config", ["watchlist", "-w", "{ws}", "--config", "nope"], ["'nope'", "store"]),
    ("actors-window-backwards", ["actors", "relations", "-w", "{ws}", "--window", "2023..2022"], ["before it starts"]),
    ("actors-bad-window", ["actors", "relations", "-w", "{ws}", "--window", "2023-13"], ["'2023-13'", "YYYY-MM"]),
    ("actors-window-and-from", ["actors", "analyse", "-w", "{ws}", "--window", "2023", "--from", "2022"], ["--from"]),
    ("actors-bad-from", ["actors", "export", "{ws}/net", "-w", "{ws}", "--from", "May"], ["'May'", "'from'"]),
    ("ledger-verify-missing-bundle", ["ledger", "verify", "{nodir}/bundle"], ["{nodir}/bundle"]),
]


@pytest.mark.parametrize(("args", "words"), [pytest.param(a, w, id=i) for i, a, w in CASES])
def test_a_mistake_is_one_line_and_exit_code_2(ws: Path, tmp_path: Path, args: list[str], words: list[str]) -> None:
    values = {"ws": str(ws), "missing": str(tmp_path / "no-such-workspace"), "nodir": str(tmp_path / "no-such-folder")}
    argv = [a.format(**values) for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, (argv, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output
    for word in words:
        assert word.format(**values) in lines[0], (word, lines[0])
    assert not (tmp_path / "no-such-folder").exists()  # nothing was created on the way to the error


def test_version_option() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("detente ")


def test_query_says_how_many_matched(ws: Path) -> None:
    result = runner.invoke(app, ["events", "query", "-w", str(ws), "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "showing 5 of 1,000 events" in result.output and "--limit 0" in result.output
    everything = runner.invoke(app, ["events", "query", "-w", str(ws), "--limit", "0", "--country", "SYR"])
    last = everything.output.strip().splitlines()[-1]
    assert last.endswith("events") and "showing" not in last


def test_one_date_syntax_for_windows(ws: Path) -> None:
    """A window is FROM..TO or one period, each end YYYY, YYYY-MM or YYYY-MM-DD, as --from/--to everywhere."""
    from detente.actors.relations import Window

    assert str(Window.parse("2023")) == "2023-01-01..2023-12-31"
    assert str(Window.parse("2022-07..2023-02")) == "2022-07-01..2023-02-28"
    assert str(Window.parse("2024-02")) == "2024-02-01..2024-02-29"
    assert str(Window.between("2019-06", "2019")) == "2019-06-01..2019-12-31"
    by_period = runner.invoke(app, ["actors", "relations", "-w", str(ws), "--window", "2017", "--json"])
    by_options = runner.invoke(app, ["actors", "relations", "-w", str(ws), "--from", "2017", "--to", "2017", "--json"])
    assert by_period.exit_code == by_options.exit_code == 0, by_period.output + by_options.output
    assert by_period.stdout == by_options.stdout and by_period.stdout.count('"source"') >= 1
    diff = runner.invoke(app, ["actors", "diff", "2016", "2017", "-w", str(ws)])
    assert diff.exit_code == 0, diff.output
