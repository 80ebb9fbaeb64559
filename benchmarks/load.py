"""Load benchmark of the workbench's event-explorer API, on loopback, bounded in count and time.

Builds (or reuses) a workspace of N demo-shaped events (default 1,000,000: the fictional Arcadia/Borealis
generator at a larger scale), serves the workbench with uvicorn on 127.0.0.1 in a child process, and drives
``/api/v1/events`` (list — first, middle and deep pages —, timeline, map, facets) from a few concurrent clients
until the request count or the time budget is spent. The clients sign in as an analyst's browser does (a session
cookie; ``--auth token`` uses a Bearer token instead, which the workbench rate-limits per address, so more than
600 requests a minute are refused with 429). The application database (sessions, tokens, audit) is SQLite or
PostgreSQL; the events are in the workspace's Parquet store either way. Prints requests/s, p50 and p99 (of the
answers with status 200) and the other statuses by count.

    .venv/bin/python benchmarks/load.py                         # both backends, 1M events
    .venv/bin/python benchmarks/load.py --backend sqlite --events 200000 --requests 500
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from detente.clock import system_clock
from detente.config import Settings
from detente.db import open_database
from detente.db.tokens import create_token
from detente.db.users import create_user
from detente.db.web_sessions import start_session
from detente.events.canonical import finalize
from detente.events.demo import generate_demo_events
from detente.events.export import write_events
from detente.events.ingest import ingest_files
from detente.events.store import open_store
from detente.web.security import SESSION_COOKIE
from detente.workspace import Workspace

QUERIES = [
    "/api/v1/events?page_size=50",
    "/api/v1/events?country=XAR&category=battle&page_size=50",
    "/api/v1/events?start=2023-01&end=2023-12&page=3&page_size=50",
    "/api/v1/events?country=XBO&actor=Cinder&page_size=25",
    "/api/v1/events/timeline?country=XAR",
    "/api/v1/events/facets?start=2024",
    "/api/v1/events/map",
    "/api/v1/events/map?country=XAR&start=2024",
    "/api/v1/events?page=5000&page_size=25",
    "/api/v1/events/timeline?start=2023-05-01&end=2023-05-31&category=protest,riot",
]


def build_events(workspace: Path, target: int, seed: int) -> int:
    """Fill the workspace's store with about ``target`` demo-shaped events (once); return the count."""
    Workspace.open(workspace, create=True)
    have = int(open_store(workspace).summary().get("total", 0))
    if have >= target * 0.95:
        return have
    probe = len(generate_demo_events(seed=seed, scale=1.0))
    scale = target / max(probe, 1)
    started = time.perf_counter()
    events, rejects = finalize(generate_demo_events(seed=seed, scale=scale), import_batch="load-benchmark")
    assert not rejects
    path = workspace / "bench-events.parquet"
    write_events([events], "parquet", path)
    ingest_files(workspace, [path])
    total = int(open_store(workspace).summary()["total"])
    print(f"  built {total:,} events in {time.perf_counter() - started:.0f} s", flush=True)
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def issue_credentials(settings: Settings, auth: str) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and cookies of a new analyst: a Bearer token, or a signed-in session."""
    db = open_database(settings, clock=system_clock)
    try:
        with db.transaction() as s:
            user = create_user(s, f"bench-{uuid.uuid4().hex[:8]}", "benchmark password", is_admin=True, clock=db.clock)
            if auth == "token":
                secret = create_token(s, user.id, "load benchmark", ["read"], clock=db.clock).secret
                return {"Authorization": f"Bearer {secret}"}, {}
            return {}, {SESSION_COOKIE: start_session(s, user.id, clock=db.clock)}
    finally:
        db.close()


Credentials = tuple[dict[str, str], dict[str, str]]


async def drive(
    base: str, credentials: Credentials, requests: int, seconds: float, concurrency: int
) -> tuple[dict[str, list[float]], Counter[int]]:
    """Latencies of the answers with status 200 by query, and the number of answers by status."""
    latencies: dict[str, list[float]] = {q: [] for q in QUERIES}
    statuses: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds
    counter = iter(range(requests))
    headers, cookies = credentials
    async with httpx.AsyncClient(base_url=base, headers=headers, cookies=cookies, timeout=30.0) as client:

        async def worker() -> None:
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                query = QUERIES[i % len(QUERIES)]
                t0 = time.perf_counter()
                response = await client.get(query)
                if response.status_code == 200:
                    latencies[query].append(time.perf_counter() - t0)
                statuses[response.status_code] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses


def run_backend(name: str, workspace: Path, database_url: str | None, args: argparse.Namespace) -> None:
    settings = Settings(workspace=workspace, database_url=database_url)
    credentials = issue_credentials(settings, args.auth)
    port = free_port()
    env = {**os.environ, "DETENTE_WORKSPACE": str(workspace)}
    if database_url:
        env["DETENTE_DATABASE_URL"] = database_url
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "detente.web.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--workers", "1"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/login", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        asyncio.run(drive(base, credentials, min(30, args.requests), 30, args.concurrency))  # warm up
        started = time.perf_counter()
        by_query, statuses = asyncio.run(drive(base, credentials, args.requests, args.seconds, args.concurrency))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = [t for ts in by_query.values() for t in ts]
    if not latencies:
        raise SystemExit(f"no request succeeded: {dict(statuses)}")
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    others = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()) if code != 200) or "none"
    print(
        f"{name:<11} {len(latencies):>6} answered in {elapsed:6.1f} s  {len(latencies) / elapsed:7.1f} req/s  "
        f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  other statuses: {others}",
        flush=True,
    )
    for query, ts in by_query.items():
        if ts:
            print(f"    p50 {statistics.median(ts) * 1000:7.1f} ms  max {max(ts) * 1000:7.1f} ms  {query}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2_000, help="at most this many requests per backend")
    parser.add_argument("--seconds", type=float, default=60.0, help="at most this long per backend")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workspace", type=Path, help="reuse this workspace (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=20240201)
    parser.add_argument("--auth", choices=["session", "token"], default="session")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("DETENTE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="detente-load-") as tmp:
        workspace = args.workspace or Path(tmp) / "ws"
        total = build_events(workspace, args.events, args.seed)
        print(f"workspace: {total:,} events; {args.concurrency} clients; <= {args.requests} requests, "
              f"<= {args.seconds:.0f} s per backend", flush=True)  # fmt: skip
        if args.backend in ("sqlite", "both"):
            run_backend("sqlite", workspace, None, args)
        if args.backend in ("postgresql", "both"):
            name = f"detente_bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = admin.url.set(database=name).render_as_string(hide_password=False)
                run_backend("postgresql", workspace, url, args)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
