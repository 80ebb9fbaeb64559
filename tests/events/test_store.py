"""The event store on the real files: counts, dedupe, atomicity, crash recovery, locking, queries."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

from detente.errors import InputError, NoWorkspace, StoreError
from detente.events import EventFilter, open_store
from detente.events.ingest import ingest_files

ACLED = ("acled", "acled_argentina_2022-06_326.csv")
GED_CSV = ("ucdp_ged", "ged231_global_random_sample_1000.csv")
GED_PARQUET = ("ucdp_ged", "ged231_global_random_sample_1000.parquet")
GED_SYRIA = ("ucdp_ged", "ged191_syria_2016-2019.parquet")
GDELT_FILES = (
    ("gdelt", "gdelt2_events_sample100.export.tsv"),
    ("gdelt", "gdelt2_events_translingual_sample100.export.tsv"),
    ("gdelt", "gdelt1_events_sample100.tsv"),
    ("gdelt", "gdelt1_georgia_2011-06_2013-05.parquet"),
)
ALL_FILES = (ACLED, GED_CSV, GED_PARQUET, GED_SYRIA, *GDELT_FILES)


def _p(shared: Path, rel: tuple[str, str]) -> Path:
    return shared / rel[0] / rel[1]


def _store_state(ws: Path) -> dict[str, bytes]:
    """Every file of the workspace that matters for the store (data, manifest, rejects), with content."""
    out = {}
    for path in sorted(ws.rglob("*")):
        rel = path.relative_to(ws).as_posix()
        if path.is_file() and not rel.startswith("tmp/") and rel != "events/.lock":
            out[rel] = path.read_bytes()
    return out


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[Path, object]:
    ws = tmp_path_factory.mktemp("real") / "ws"
    report = ingest_files(ws, [_p(shared_data, f) for f in ALL_FILES])
    return ws, report


def test_every_real_file_imports_with_its_source_counts(real_store: tuple[Path, object]) -> None:
    ws, report = real_store
    by_file = {f.path: f for f in report.files}  # type: ignore[attr-defined]
    # SOURCE.md row counts: ACLED 326; GED sample 1,000 (CSV and Parquet are the same events); Syria 16,566;
    # GDELT samples 100 each; Georgia 105,444 with 6 GLOBALEVENTIDs given twice with different content.
    expected = {
        "acled_argentina_2022-06_326.csv": (326, 326, 0, 0),
        "ged231_global_random_sample_1000.csv": (1000, 1000, 0, 0),
        "ged231_global_random_sample_1000.parquet": (1000, 0, 1000, 0),
        "ged191_syria_2016-2019.parquet": (16566, 16524, 42, 0),
        "gdelt2_events_sample100.export.tsv": (100, 100, 0, 0),
        "gdelt2_events_translingual_sample100.export.tsv": (100, 100, 0, 0),
        "gdelt1_events_sample100.tsv": (100, 100, 0, 0),
        "gdelt1_georgia_2011-06_2013-05.parquet": (105444, 105438, 0, 6),
    }
    for name, (read, imported, dups, rejected) in expected.items():
        f = by_file[name]
        assert (f.rows_read, f.imported, f.duplicates, f.rejected) == (read, imported, dups, rejected), name
    # The 42 Syria events are GED 19.1 versions of events the GED 23.1 sample revised.
    assert by_file["ged191_syria_2016-2019.parquet"].changed == 42
    summary = open_store(ws).summary()
    assert summary["total"] == 326 + 1000 + 16524 + 300 + 105438
    assert summary["by_source"] == {"acled": 326, "gdelt1": 105538, "gdelt2": 200, "ucdp_ged": 17524}
    assert set(summary) >= {"total", "by_source", "by_country", "by_year", "by_category"}
    assert sum(summary["by_country"].values()) == summary["total"]
    assert summary["by_country"]["ARG"] >= 326  # ACLED Argentina, plus GED/GDELT events there


def test_quarantined_rows_name_file_line_and_reason(real_store: tuple[Path, object]) -> None:
    ws, report = real_store
    rejects = (ws / report.rejects_file).read_text(encoding="utf-8").splitlines()  # type: ignore[attr-defined]
    assert rejects[0] == "file,line,reason,raw"
    assert len(rejects) == 1 + 6
    for row in rejects[1:]:
        assert row.startswith("gdelt1_georgia_2011-06_2013-05.parquet,")
        assert "with different content" in row


def test_reimport_adds_nothing(real_store: tuple[Path, object], shared_data: Path) -> None:
    ws, _ = real_store
    before = open_store(ws).count()
    again = ingest_files(ws, [_p(shared_data, f) for f in (ACLED, GED_SYRIA, GDELT_FILES[3])])
    assert again.imported == 0
    # Every row is now a duplicate; the 6 Georgia rows quarantined the first time match a stored id
    # with different content, so they count as changed duplicates (as do the 42 revised Syria events).
    assert again.duplicates == 326 + 16566 + 105444
    assert [f.changed for f in again.files] == [0, 42, 6]
    assert open_store(ws).count() == before


def test_queries_agree_with_a_direct_count(real_store: tuple[Path, object], shared_data: Path) -> None:
    ws, _ = real_store
    store = open_store(ws)
    t = store.table()
    syria = EventFilter(countries=("SYR",), start=date(2017, 1, 1), end=date(2017, 12, 31)).apply(t)
    got = int(syria.count().to_pyarrow().as_py())
    path = _p(shared_data, GED_SYRIA)
    want = (
        duckdb.connect()
        .execute(
            f"SELECT count(*) FROM read_parquet('{path}') WHERE CAST(date_end AS DATE) >= DATE '2017-01-01' "
            "AND CAST(date_start AS DATE) <= DATE '2017-12-31'"
        )
        .fetchall()[0][0]
    )
    # Syrian events of 2017 come from the Syria file, plus any the global sample holds.
    sample = (
        duckdb.connect()
        .execute(
            f"SELECT count(*) FROM read_parquet('{_p(shared_data, GED_PARQUET)}') WHERE country_id = 652 "
            "AND CAST(date_end AS DATE) >= DATE '2017-01-01' AND CAST(date_start AS DATE) <= DATE '2017-12-31' "
            f"AND id NOT IN (SELECT id FROM read_parquet('{path}'))"
        )
        .fetchall()[0][0]
    )
    assert got == want + sample
    protests = EventFilter(countries=("ARG",), categories=("protest",)).apply(t)
    assert 0 < int(protests.count().to_pyarrow().as_py()) <= 326
    actor = EventFilter(actor="protesters (argentina)").apply(t)
    frame = store.to_pandas(actor)
    assert len(frame) > 0
    assert frame.apply(lambda r: "protesters (argentina)" in f"{r.actor1_name} {r.actor2_name}".lower(), axis=1).all()


def test_bad_filters_are_named() -> None:
    with pytest.raises(InputError, match="category"):
        EventFilter(categories=("battles",))
    with pytest.raises(InputError, match="alpha-3"):
        EventFilter(countries=("SY",))
    with pytest.raises(InputError, match="before start"):
        EventFilter(start=date(2020, 1, 2), end=date(2020, 1, 1))


def _bad_acled(tmp_path: Path, shared_data: Path) -> Path:
    """The real ACLED file with the latitude of its 10th record pushed out of range."""
    lines = _p(shared_data, ACLED).read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "acled_bad.csv"
    head = lines[0].split(",")
    lat = head.index("latitude")
    import csv
    import io

    rows = list(csv.reader(io.StringIO("".join(lines))))
    rows[10][lat] = "123.5"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    bad.write_text(buf.getvalue(), encoding="utf-8")
    return bad


def test_strict_import_with_a_bad_row_leaves_the_store_exactly_as_it_was(
    workspace: Path, shared_data: Path, tmp_path: Path
) -> None:
    ingest_files(workspace, [_p(shared_data, GED_CSV)])
    before = _store_state(workspace)
    with pytest.raises(InputError) as err:
        ingest_files(workspace, [_p(shared_data, GDELT_FILES[0]), _bad_acled(tmp_path, shared_data)], strict=True)
    assert "acled_bad.csv:" in str(err.value)
    assert "latitude 123.5 out of range" in str(err.value)
    assert _store_state(workspace) == before
    assert not list((workspace / "tmp").glob("import-*"))


def test_non_strict_import_quarantines_the_bad_row(workspace: Path, shared_data: Path, tmp_path: Path) -> None:
    report = ingest_files(workspace, [_bad_acled(tmp_path, shared_data)])
    assert (report.imported, report.rejected) == (325, 1)
    rejects = (workspace / str(report.rejects_file)).read_text(encoding="utf-8")
    assert "acled_bad.csv," in rejects and "latitude 123.5 out of range -90..90" in rejects


_CRASH = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import detente.events.{module} as target
    from detente.events.ingest import ingest_files

    real = target.{function}
    calls = 0

    def crash(*args, **kwargs):
        global calls
        calls += 1
        if calls > {after}:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    target.{function} = crash
    ingest_files(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
    """
)


@pytest.mark.parametrize(
    ("module", "function", "after"),
    [
        ("store", "atomic_write_bytes", 0),  # data files moved into place, manifest not yet replaced
        ("ingest", "finalize", 1),  # in the middle of reading the second batch
    ],
)
def test_a_killed_import_leaves_the_store_as_it_was(
    workspace: Path, shared_data: Path, tmp_path: Path, module: str, function: str, after: int
) -> None:
    ingest_files(workspace, [_p(shared_data, ACLED)])
    before = open_store(workspace).summary()
    manifest = (workspace / "events" / "_manifest.json").read_bytes()
    script = tmp_path / "crash.py"
    script.write_text(_CRASH.format(module=module, function=function, after=after), encoding="utf-8")
    env = {**os.environ, "DETENTE_INGEST_BATCH_ROWS": "5000"}
    proc = subprocess.run(
        [sys.executable, str(script), str(workspace), str(_p(shared_data, GED_SYRIA))],
        env=env,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr.decode()
    assert (workspace / "events" / "_manifest.json").read_bytes() == manifest
    assert open_store(workspace).summary() == before
    # The next import clears what the dead one left and works.
    report = ingest_files(workspace, [_p(shared_data, GED_SYRIA)])
    assert report.imported == 16566
    store = open_store(workspace)
    committed = {(workspace / "events" / f.path) for f in store.manifest().files}
    on_disk = set((workspace / "events").rglob("*.parquet"))
    assert on_disk == committed
    assert store.count() == 326 + 16566


def test_a_second_concurrent_import_is_refused(workspace: Path, shared_data: Path) -> None:
    store = open_store(workspace, create=True)
    with store.write_lock(), pytest.raises(StoreError, match="another import is running"):
        ingest_files(workspace, [_p(shared_data, ACLED)])


def test_a_corrupt_manifest_is_reported(workspace: Path, shared_data: Path) -> None:
    ingest_files(workspace, [_p(shared_data, ACLED)])
    (workspace / "events" / "_manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="corrupt event-store manifest"):
        open_store(workspace).summary()


def test_opening_a_directory_that_is_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(NoWorkspace, match="not a Détente workspace") as caught:
        open_store(tmp_path)
    assert caught.value.exit_code == 2 and caught.value.field == "workspace" and str(tmp_path) in str(caught.value)


def test_empty_store_has_typed_empty_table(workspace: Path) -> None:
    store = open_store(workspace, create=True)
    assert store.summary()["total"] == 0
    assert int(store.table().count().to_pyarrow().as_py()) == 0
