"""The DuckDB fast path for plain GDELT files gives exactly what the exact (adapter + finalize) path gives."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from detente.errors import InputError
from detente.events import fastpath
from detente.events import ingest as ingest_mod
from detente.events.ingest import ingest_files
from detente.events.store import open_store

REPO = Path(__file__).resolve().parents[2]
REAL = ("gdelt2_events_sample100.export.tsv", "gdelt2_events_translingual_sample100.export.tsv")


def _generate(shared: Path, out: Path, rows: int) -> Path:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from _gdelt_gen import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    generate(shared / "gdelt", out, rows)
    return out


def _run(ws: Path, paths: list[Path], *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[bool]]:
    used: list[bool] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = fastpath.fast_gdelt(*args, **kwargs) if fast else None
        used.append(result is not None)
        return result

    with monkeypatch.context() as m:
        m.setattr(ingest_mod, "fast_gdelt", spy)
        report = ingest_files(ws, paths)
    return report, used


def _contents(ws: Path) -> list[tuple[Any, ...]]:
    rel = open_store(ws).relation_sql()
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT * EXCLUDE (import_batch) FROM {rel} ORDER BY source_file, source_line").fetchall()
    finally:
        con.close()


def _rejects(ws: Path) -> list[str]:
    files = sorted((ws / "rejects").glob("*.csv"))
    return [line for f in files for line in f.read_text(encoding="utf-8").splitlines()]


def _compare(tmp_path: Path, paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    exact, _ = _run(tmp_path / "exact", paths, fast=False, monkeypatch=monkeypatch)
    quick, used = _run(tmp_path / "fast", paths, fast=True, monkeypatch=monkeypatch)
    assert [f.as_dict() for f in quick.files] == [f.as_dict() for f in exact.files]
    assert _contents(tmp_path / "fast") == _contents(tmp_path / "exact")
    assert _rejects(tmp_path / "fast") == _rejects(tmp_path / "exact")
    return used


def test_real_gdelt2_files_give_the_same_store(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [shared_data / "gdelt" / n for n in REAL] + [shared_data / "gdelt" / "gdelt1_events_sample100.tsv"]
    used = _compare(tmp_path, paths, monkeypatch)
    assert used[:2] == [True, True]  # the gdelt1 sample mixes 57 and 58 fields: it takes the exact path


def test_generated_file_takes_the_fast_path_and_reimport_adds_nothing(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _generate(shared_data, tmp_path / "gen.export.CSV", 20_000)
    assert _compare(tmp_path, [data], monkeypatch) == [True]
    again, used = _run(tmp_path / "fast", [data], fast=True, monkeypatch=monkeypatch)
    assert used == [True]
    assert (again.imported, again.duplicates) == (0, 20_000)
    assert len(_contents(tmp_path / "fast")) == 20_000


def _edit(lines: list[bytes], index: int, field: int, value: bytes) -> None:
    parts = lines[index].rstrip(b"\n").split(b"\t")
    parts[field] = value
    lines[index] = b"\t".join(parts) + b"\n"


@pytest.mark.parametrize(
    "damage",
    [
        "field_count",
        "date",
        "goldstein",
        "blank",
        "blank_first",
        "blank_last",
        "crlf",
        "lone_cr",
        "repeat_changed",
        "repeat_same",
        "utf8",
        "code",
        "space",
    ],
)
def test_bad_lines_fall_back_and_match(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    data = _generate(shared_data, tmp_path / "gen.export.CSV", 3_000)
    lines = data.read_bytes().splitlines(keepends=True)
    if damage == "field_count":
        lines[10] = b"\t".join(lines[10].split(b"\t")[:30]) + b"\n"
    elif damage == "date":
        _edit(lines, 20, 1, b"20151345")
    elif damage == "goldstein":
        _edit(lines, 30, 30, b"abc")
    elif damage == "blank":
        lines.insert(40, b"\n")
    elif damage == "blank_first":
        lines.insert(0, b"\n")
    elif damage == "blank_last":
        lines.append(b"\n")
    elif damage == "lone_cr":
        _edit(lines, 45, 6, b"NAME\rWITH A CARRIAGE RETURN")
    elif damage == "crlf":
        lines = [line.replace(b"\n", b"\r\n") for line in lines]
    elif damage in ("repeat_changed", "repeat_same"):
        lines.append(lines[50])
        if damage == "repeat_changed":
            _edit(lines, len(lines) - 1, 30, b"9.9")
    elif damage == "utf8":
        lines[60] = lines[60].replace(b"\t", b"\t\xff", 1)
    elif damage == "code":
        _edit(lines, 70, 26, b"99")
    elif damage == "space":
        _edit(lines, 80, 5, " USA\u3000".encode())
    data.write_bytes(b"".join(lines))
    used = _compare(tmp_path, [data], monkeypatch)
    expect_fast = damage in ("repeat_changed", "repeat_same", "space")
    assert used == [expect_fast]


def test_trim_characters_are_arrows_whitespace() -> None:
    points = [c for c in range(0x3100) if not 0xD800 <= c <= 0xDFFF]
    trimmed = pc.utf8_trim_whitespace(pa.array(["x" + chr(c) for c in points]))
    arrow_ws = "".join(chr(points[i]) for i, same in enumerate(pc.equal(trimmed, "x").to_pylist()) if same)
    assert arrow_ws == fastpath.TRIM_CHARS


def _zip(data: Path, dest: Path, member: str) -> Path:
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(data, member)
    return dest


def test_zipped_file_takes_the_fast_path_and_names_the_archive(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _generate(shared_data, tmp_path / "gen.export.CSV", 5_000)
    archive = _zip(data, tmp_path / "20200101.export.CSV.zip", "20200101.export.CSV")
    assert _compare(tmp_path, [archive], monkeypatch) == [True]
    rows = _contents(tmp_path / "fast")
    assert len(rows) == 5_000
    stage = list((tmp_path / "fast" / "tmp").rglob("*")) if (tmp_path / "fast" / "tmp").exists() else []
    assert not [p for p in stage if p.is_file()]  # the unpacked text and pass 1's file are gone


def test_zipped_file_with_a_bad_line_falls_back_and_matches(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _generate(shared_data, tmp_path / "gen.export.CSV", 3_000)
    lines = data.read_bytes().splitlines(keepends=True)
    _edit(lines, 30, 30, b"abc")
    data.write_bytes(b"".join(lines))
    archive = _zip(data, tmp_path / "20200102.export.CSV.zip", "20200102.export.CSV")
    assert _compare(tmp_path, [archive], monkeypatch) == [False]
    assert len(_rejects(tmp_path / "fast")) == 2  # the header and the bad line


def test_truncated_zip_declines_and_the_exact_path_names_the_file(shared_data: Path, tmp_path: Path) -> None:
    data = _generate(shared_data, tmp_path / "gen.export.CSV", 3_000)
    archive = _zip(data, tmp_path / "20200103.export.CSV.zip", "20200103.export.CSV")
    cut = tmp_path / "cut.export.CSV.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(InputError, match=r"cut\.export\.CSV\.zip"):
        ingest_files(tmp_path / "ws", [cut])
    assert open_store(tmp_path / "ws").files() == []
