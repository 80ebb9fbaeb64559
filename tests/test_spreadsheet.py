"""CSV injection: every CSV export writes formula-leading text cells with a single quote in front (OWASP)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pytest

from detente.actors.export import write_csv as write_actor_csv
from detente.events.canonical import Reject, conform, finalize
from detente.events.export import write_events
from detente.events.ingest import FileReport, _RejectSink
from detente.spreadsheet import neutral_cell, neutral_row, restored_cell

#: cells a spreadsheet would run, and what the export must write instead
PAYLOADS = {
    '=HYPERLINK("http://x","y")': '\'=HYPERLINK("http://x","y")',
    "+1": "'+1",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
}
SAFE = ["plain text", "a=b", "", "1-2"]


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8", newline="")))


@pytest.mark.parametrize(("cell", "written"), [*PAYLOADS.items(), *((s, s) for s in SAFE if s[:1] != "'")])
def test_neutral_cell(cell: str, written: str) -> None:
    assert neutral_cell(cell) == written
    assert restored_cell(str(neutral_cell(cell))) == cell


def test_a_leading_quote_is_doubled_so_that_reading_back_is_exact() -> None:
    for cell in ["'quoted", "''", "'=x", "'"]:
        assert neutral_cell(cell) == "'" + cell
        assert restored_cell(str(neutral_cell(cell))) == cell
    assert restored_cell("'abc") == "'abc"  # someone else's quote, not the export's mark


def test_numbers_and_empty_cells_are_left_alone() -> None:
    assert neutral_row([-2, 1.5, None, dt.date(2020, 1, 1), "-x"]) == [-2, 1.5, None, dt.date(2020, 1, 1), "'-x"]


@pytest.mark.parametrize("fmt", ["csv", "hxl"])
def test_event_exports(tmp_path: Path, fmt: str) -> None:
    rows = [
        {
            "source": "ucdp_ged",
            "source_event_id": str(i),
            "date_start": dt.date(2019, 5, 1),
            "date_precision": "day",
            "category": "battle",
            "notes": payload,
            "admin1": payload,
            "latitude": -12.5,
            "longitude": -40.0,
            "source_file": "f",
            "source_line": i + 2,
        }
        for i, payload in enumerate([*PAYLOADS, *SAFE])
    ]
    events, rejects = finalize(conform(pa.Table.from_pylist(rows)), import_batch="b")
    assert rejects == []
    path = tmp_path / f"events.{fmt}"
    write_events([events], fmt, path)
    table = _read(path)
    header = table[0]
    body = table[1:] if fmt == "csv" else table[2:]
    names = list(events.schema.names)
    assert len(header) == len(names)
    notes, admin1, lat = names.index("notes"), names.index("admin1"), names.index("latitude")
    expected = sorted([*PAYLOADS.values(), *SAFE])
    assert sorted(r[notes] for r in body) == expected
    assert sorted(r[admin1] for r in body) == expected
    assert {r[lat] for r in body} == {"-12.5"}  # a number is not text: written as it is


def test_actor_network_exports(tmp_path: Path) -> None:
    graph: nx.DiGraph[str] = nx.DiGraph()
    fields = {
        f: 1
        for f in (
            "events",
            "hostile",
            "cooperative",
            "fatalities",
            "goldstein_sum",
            "hostile_first",
            "hostile_second",
            "cooperative_first",
            "cooperative_second",
        )
    }
    names = [*PAYLOADS, *SAFE]
    for i, name in enumerate(names):
        graph.add_node(f"n{i}", name=name)
    for i in range(len(names) - 1):
        graph.add_edge(f"n{i}", f"n{i + 1}", **fields, trend=names[i])
    write_actor_csv(graph, tmp_path / "actors.csv", tmp_path / "relations.csv")
    actors = _read(tmp_path / "actors.csv")
    name_col = actors[0].index("name")
    assert sorted(r[name_col] for r in actors[1:]) == sorted([*PAYLOADS.values(), *SAFE])
    relations = _read(tmp_path / "relations.csv")
    header = relations[0]
    assert sorted(r[header.index("source_name")] for r in relations[1:]) == sorted([*PAYLOADS.values(), *SAFE][:-1])
    for row in relations[1:]:
        for cell in row:
            assert cell[:1] not in {"=", "+", "-", "@", "\t", "\r"}, row


def test_import_rejects_file(tmp_path: Path) -> None:
    sink = _RejectSink(tmp_path / "rejects.csv")
    report = FileReport(path="f.csv", format="csv", detected="csv")
    sink.add([Reject("f.csv", i + 2, "bad date", raw=payload) for i, payload in enumerate(PAYLOADS)], report)
    sink.close()
    rows = _read(tmp_path / "rejects.csv")
    assert [r[3] for r in rows[1:]] == list(PAYLOADS.values())
