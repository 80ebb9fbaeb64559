"""The explorer's shared read side: a running app sees an import made by another process, and the one-scan
queries answer exactly what the plain queries they replaced answered (count + ORDER BY/OFFSET, a span query and
a bucket query for the timeline, one query per facet)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient

from detente.config import Settings
from detente.db.tokens import create_token
from detente.db.users import AccountPolicy, create_user
from detente.events import open_store
from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.events.demo_job import run_demo
from detente.events.explore import LIST_COLUMNS, EventQueries, choose_bucket, where
from detente.events.explore_query import parse_query
from detente.events.export import write_events
from detente.events.reader import StoreReader
from detente.web.app import WebOptions, create_app
from web.conftest import PASSWORD, bearer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CASES: list[list[tuple[str, str]]] = [
    [],
    [("country", "XAR")],
    [("country", "XBO"), ("category", "battle,protest")],
    [("start", "2023-01"), ("end", "2023-12")],
    [("start", "2023-05-01"), ("end", "2023-05-31")],
    [("actor", "militia"), ("end", "2022-06-30")],
    [("bbox", "-125,-33,-121,-28")],
    [("start", "2022-03-03"), ("end", "2022-03-03")],
    [("actor", "no such actor anywhere")],
]
PAGES = [(1, 25), (2, 25), (3, 7), (17, 50), (40, 500), (123, 13), (10_000, 500)]


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("reader") / "ws"
    run_demo(ws)
    return ws


def _reference_page(cur: Any, items: list[tuple[str, str]]) -> tuple[int, list[tuple[Any, ...]]]:
    q = parse_query(items)
    clause, args = where(q)
    total = cur.execute(f"SELECT count(*) FROM events {clause}", args).fetchall()[0][0]
    rows = cur.execute(
        f"SELECT {', '.join(LIST_COLUMNS)} FROM events {clause} ORDER BY date_start DESC, event_id LIMIT ? OFFSET ?",
        [*args, q.page_size, (q.page - 1) * q.page_size],
    ).fetchall()
    return int(total), rows


def test_one_scan_queries_answer_what_the_plain_queries_answered(demo_ws: Path) -> None:
    queries = EventQueries(open_store(demo_ws))
    try:
        with queries.cursor() as cur:
            for items in CASES:
                for page, size in PAGES:
                    paged = [*items, ("page", str(page)), ("page_size", str(size))]
                    got = queries.page(parse_query(paged))
                    total, rows = _reference_page(cur, paged)
                    assert got.total == total, paged
                    assert [tuple(r[c] for c in LIST_COLUMNS) for r in got.rows] == rows, paged

                q = parse_query(items)
                clause, args = where(q)
                first, last, n = cur.execute(
                    f"SELECT min(date_start), max(date_start), count(*) FROM events {clause}", args
                ).fetchall()[0]
                bucket = choose_bucket(q.start or first, q.end or last)
                counts = cur.execute(
                    f"SELECT CAST(date_trunc('{bucket}', date_start) AS DATE) AS b, category, count(*) "
                    f"FROM events {clause} GROUP BY b, category ORDER BY b, category",
                    args,
                ).fetchall()
                tl = queries.timeline(q)
                assert (tl.bucket, tl.total, tl.counts) == (bucket, n, counts), items

                f = queries.facets(q)
                by_category = cur.execute(
                    f"SELECT category, count(*) AS k FROM events {clause} GROUP BY 1 ORDER BY k DESC, 1", args
                ).fetchall()
                by_country = cur.execute(
                    f"SELECT country_iso3, any_value(country_name), count(*) AS k FROM events {clause} "
                    "GROUP BY 1 HAVING country_iso3 IS NOT NULL ORDER BY k DESC, 1",
                    args,
                ).fetchall()
                span = cur.execute(f"SELECT min(date_start), max(date_end) FROM events {clause}", args).fetchall()[0]
                assert f.categories == by_category and f.total == n and f.date_range == span, items
                assert f.countries == [(c, name or c, k) for c, name, k in by_country], items
    finally:
        queries.close()


def _import_in_another_process(ws: Path, tmp: Path) -> int:
    """Import new demo-shaped events (ids that the store does not hold) with a separate Python process."""
    raw = generate_demo_events(seed=7, months=3, scale=0.5)
    ids = raw.column("source_event_id")
    raw = raw.set_column(
        raw.schema.get_field_index("source_event_id"),
        "source_event_id",
        pc.binary_join_element_wise(pa.scalar("late-"), ids, ""),
    )
    events, rejects = finalize(raw, import_batch="late")
    assert not rejects and events.num_rows > 0
    path = tmp / "late.parquet"
    write_events([events], "parquet", path)
    code = "import sys; from detente.events.ingest import ingest_files; ingest_files(sys.argv[1], [sys.argv[2]])"
    subprocess.run([sys.executable, "-c", code, str(ws), str(path)], check=True, timeout=120)
    return int(events.num_rows)


def test_a_running_app_sees_an_import_made_by_another_process(demo_ws: Path, tmp_path: Path) -> None:
    from argon2 import PasswordHasher

    ws = tmp_path / "ws"
    shutil.copytree(demo_ws, ws)
    policy = AccountPolicy(hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(Settings(workspace=ws), options=WebOptions(policy=policy))
    with app.state.ctx.db.transaction() as s:
        user = create_user(s, "analyst", PASSWORD, is_admin=True, policy=policy, clock=app.state.ctx.clock)
        token = create_token(s, user.id, "t", ["read"], clock=app.state.ctx.clock).secret
    with TestClient(app) as api:
        api.headers.update(bearer(token))
        before = api.get("/api/v1/events", params={"page_size": 1}).json()["total"]
        timeline_before = api.get("/api/v1/events/timeline").json()["total"]
        assert before == timeline_before == open_store(ws).count()

        added = _import_in_another_process(ws, tmp_path)

        after = api.get("/api/v1/events", params={"page_size": 1}).json()["total"]
        assert after == before + added == open_store(ws).count()
        assert api.get("/api/v1/events/timeline").json()["total"] == after
        assert api.get("/api/v1/events/facets").json()["total"] == after  # the cached unfiltered facets too
        mapped = api.get("/api/v1/events/map").json()
        assert mapped["total"] + mapped["without_coordinates"] == after
    app.state.ctx.db.close()


def test_cursors_in_use_outlive_a_manifest_change(demo_ws: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(demo_ws, ws)
    reader = StoreReader(open_store(ws))
    count = "SELECT count(*) FROM events"
    with reader.cursor() as old:
        before = old.execute(count).fetchall()[0][0]
        added = _import_in_another_process(ws, tmp_path)
        errors: list[BaseException] = []

        def other_request() -> None:
            try:
                with reader.cursor() as new:
                    assert new.execute(count).fetchall()[0][0] == before + added
            except BaseException as exc:  # reported below
                errors.append(exc)

        thread = threading.Thread(target=other_request)
        thread.start()
        thread.join()
        assert not errors
        assert old.execute(count).fetchall()[0][0] == before  # the old view stays usable until returned
    reader.close()
