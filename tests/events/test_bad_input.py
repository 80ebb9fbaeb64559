"""Each kind of bad input, through the CLI: a clear error naming file and line, a non-zero exit in strict mode,
the row quarantined with its reason otherwise, and nothing half-written either way. Inputs are variants of the real
files, built in tmp_path."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli.app import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _events_on_disk(ws: Path) -> list[Path]:
    return sorted((ws / "events").rglob("*.parquet")) if (ws / "events").exists() else []


def _rejects(ws: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted((ws / "rejects").glob("*.csv")))


def _acled_rows(shared_data: Path) -> list[list[str]]:
    text = (shared_data / "acled" / "acled_argentina_2022-06_326.csv").read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _line_of_record(path: Path, record_index: int) -> int:
    """1-based physical line where the record_index-th data record (0-based) starts."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        line = reader.line_num + 1
        for i, _ in enumerate(reader):
            if i == record_index:
                return line
            line = reader.line_num + 1
    raise AssertionError("record not found")


def _assert_row_case(ws: Path, path: Path, fmt: str, reason: str, line: int) -> None:
    """Strict: exit non-zero, error names file:line, nothing written. Default: the row quarantined with its reason."""
    code, out = _run("ingest", "--strict", "--format", fmt, "-w", str(ws), str(path))
    assert code == 2, out
    assert f"{path.name}:{line}" in out and reason in out, out
    assert _events_on_disk(ws) == []
    code, out = _run("ingest", "--format", fmt, "-w", str(ws), str(path))
    assert code == 0, out
    rejects = _rejects(ws)
    assert f"{path.name},{line}," in rejects and reason in rejects, rejects
    assert _events_on_disk(ws)


def test_bad_date_is_quarantined_or_refused(workspace: Path, shared_data: Path, tmp_path: Path) -> None:
    rows = _acled_rows(shared_data)
    rows[7][rows[0].index("event_date")] = "2022-13-45"
    path = _write_csv(tmp_path / "acled_bad_date.csv", rows)
    _assert_row_case(workspace, path, "acled", "2022-13-45", _line_of_record(path, 6))


def test_out_of_range_coordinate(workspace: Path, shared_data: Path, tmp_path: Path) -> None:
    rows = _acled_rows(shared_data)
    rows[3][rows[0].index("longitude")] = "-267.5"
    path = _write_csv(tmp_path / "acled_bad_lon.csv", rows)
    _assert_row_case(workspace, path, "acled", "longitude -267.5 out of range", _line_of_record(path, 2))


def test_repeated_header(workspace: Path, shared_data: Path, tmp_path: Path) -> None:
    rows = _acled_rows(shared_data)
    rows.insert(20, list(rows[0]))
    path = _write_csv(tmp_path / "acled_repeated_header.csv", rows)
    _assert_row_case(workspace, path, "acled", "repeated header", _line_of_record(path, 19))


def test_invalid_utf8_line(workspace: Path, shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "gdelt" / "gdelt2_events_sample100.export.tsv").read_bytes().splitlines(keepends=True)
    lines[41] = lines[41].replace(b"\t", b"\t\xff\xfe", 1)
    path = tmp_path / "gdelt_bad_utf8.export.tsv"
    path.write_bytes(b"".join(lines))
    _assert_row_case(workspace, path, "gdelt2", "UTF-8", 42)


def test_missing_column_names_the_column(workspace: Path, shared_data: Path, tmp_path: Path) -> None:
    rows = _acled_rows(shared_data)
    drop = rows[0].index("event_date")
    path = _write_csv(tmp_path / "acled_no_date.csv", [r[:drop] + r[drop + 1 :] for r in rows])
    for strict in (["--strict"], []):
        code, out = _run("ingest", *strict, "--format", "acled", "-w", str(workspace), str(path))
        assert code == 2, out
        assert "acled_no_date.csv:1" in out and "event_date" in out, out
    assert _events_on_disk(workspace) == []


def test_unknown_columns_in_a_mapping(workspace: Path, tmp_path: Path) -> None:
    data = tmp_path / "incidents.csv"
    data.write_text("ref,when,kind\n1,2023-04-01,battle\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "source: ngo_log\nid_column: ref\nfields:\n  date_start: {column: date_of_incident}\n"
        "  category: {column: kind}\n",
        encoding="utf-8",
    )
    code, out = _run("ingest", "--format", "mapped", "--mapping", str(mapping), "-w", str(workspace), str(data))
    assert code == 2, out
    assert "date_of_incident" in out and "incidents.csv" in out, out
    assert _events_on_disk(workspace) == []


def test_truncated_zip(workspace: Path, shared_data: Path, tmp_path: Path) -> None:
    whole = tmp_path / "20200318104500.export.CSV.zip"
    with zipfile.ZipFile(whole, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(shared_data / "gdelt" / "gdelt2_events_sample100.export.tsv", "20200318104500.export.CSV")
    cut = tmp_path / "cut.export.CSV.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    code, out = _run("ingest", "-w", str(workspace), str(cut))
    assert code == 2, out
    assert "cut.export.CSV.zip" in out and ("zip" in out.lower()), out
    assert _events_on_disk(workspace) == []


def test_empty_file(workspace: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out = _run("ingest", "-w", str(workspace), str(empty))
    assert code == 2, out
    assert "empty.csv:1" in out and "empty" in out, out
    assert _events_on_disk(workspace) == []


def test_file_of_another_format_than_requested(workspace: Path, shared_data: Path) -> None:
    gdelt = shared_data / "gdelt" / "gdelt2_events_sample100.export.tsv"
    code, out = _run("ingest", "--format", "acled", "-w", str(workspace), str(gdelt))
    assert code == 2, out
    assert "gdelt2_events_sample100.export.tsv:1" in out and "not in format 'acled'" in out, out
    assert "gdelt2" in out  # says what it looks like
    assert _events_on_disk(workspace) == []


def test_unknown_format_name(workspace: Path, shared_data: Path) -> None:
    acled = shared_data / "acled" / "acled_argentina_2022-06_326.csv"
    code, out = _run("ingest", "--format", "acledd", "-w", str(workspace), str(acled))
    assert code == 2, out
    assert "unknown format 'acledd'" in out


def test_a_bad_file_among_good_ones_imports_nothing(workspace: Path, shared_data: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_bytes(b"")
    good = shared_data / "acled" / "acled_argentina_2022-06_326.csv"
    code, out = _run("ingest", "-w", str(workspace), str(good), str(empty))
    assert code == 2, out
    assert _events_on_disk(workspace) == []


@pytest.mark.parametrize("missing", ["nope.csv"])
def test_missing_file(workspace: Path, tmp_path: Path, missing: str) -> None:
    code, out = _run("ingest", "-w", str(workspace), str(tmp_path / missing))
    assert code == 2, out
    assert missing in out and "no such file" in out
