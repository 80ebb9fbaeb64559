"""Workspaces built once per module from the real files (ingest_files into a temporary folder)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest

from detente.actors import ActorService
from detente.events import ingest_files

GEORGIA = "gdelt/gdelt1_georgia_2011-06_2013-05.parquet"
SYRIA = "ucdp_ged/ged191_syria_2016-2019.parquet"
UCDP_LIST = "ucdp_actors/ucdp-actor-221.csv"
SAMPLES = (
    "acled/acled_argentina_2022-06_326.csv",
    "ucdp_ged/ged231_global_random_sample_1000.csv",
    "gdelt/gdelt1_events_sample100.tsv",
    "gdelt/gdelt2_events_sample100.export.tsv",
)


def fixed_clock() -> datetime:
    return datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def ticking_clock() -> object:
    n = count()
    return lambda: datetime(2024, 6, 1, 12, 0, next(n) % 60, tzinfo=UTC)


def _service(root: Path, files: list[Path]) -> ActorService:
    ingest_files(root, files)
    svc = ActorService.open(root)
    svc.clock = fixed_clock
    return svc


@pytest.fixture(scope="module")
def georgia(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> ActorService:
    svc = _service(tmp_path_factory.mktemp("georgia") / "ws", [shared_data / GEORGIA])
    svc.build()
    return svc


@pytest.fixture(scope="module")
def samples(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> ActorService:
    svc = _service(tmp_path_factory.mktemp("samples") / "ws", [shared_data / p for p in SAMPLES])
    svc.build(ucdp_actor_list=shared_data / UCDP_LIST)
    return svc


@pytest.fixture(scope="module")
def syria(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> ActorService:
    svc = _service(tmp_path_factory.mktemp("syria") / "ws", [shared_data / SYRIA])
    svc.build(ucdp_actor_list=shared_data / UCDP_LIST)
    return svc
