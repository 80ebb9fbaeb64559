"""The demo generator: deterministic, fictional, with the story's phases and a world a forecaster can learn."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.events.demo import CEASEFIRE, DEMO_COUNTRIES, WAR_START, demo_schedule, generate_demo_events


def _frame(table: pa.Table) -> pd.DataFrame:
    frame = table.select(["country_iso3", "admin1", "date_start", "category", "fatalities_best"]).to_pandas()
    frame["unit"] = frame["country_iso3"] + ":" + frame["admin1"]
    dates = pd.to_datetime(frame["date_start"])
    frame["m"] = (dates.dt.year - 2020) * 12 + dates.dt.month - 1
    return frame


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return _frame(generate_demo_events())


def test_same_seed_same_bytes_other_seed_other_events() -> None:
    a = generate_demo_events(seed=3, months=14, scale=1.0)
    assert a.equals(generate_demo_events(seed=3, months=14, scale=1.0))
    assert not a.equals(generate_demo_events(seed=4, months=14, scale=1.0))
    assert set(a.column("country_iso3").to_pylist()) == {"XAR", "XBO"}  # user-assigned codes: never a real state


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), months=st.integers(1, 90))
def test_every_escalation_is_preceded_by_one_to_three_months_of_signals(seed: int, months: int) -> None:
    schedule = demo_schedule(seed, months)
    assert set(schedule) == {f"{c.iso3}:{r}" for c in DEMO_COUNTRIES for r in c.regions}
    for states in schedule.values():
        assert len(states) == months
        for m, s in enumerate(states):
            if s.state == "escalation" and (m == 0 or states[m - 1].state != "escalation"):
                lead = states[m - 1].of
                assert 1 <= lead <= 3 and all(states[m - k].state == "signal" for k in range(1, lead + 1))
        if months > CEASEFIRE:  # the 2023 war reaches every region and ends with the ceasefire
            assert all(states[m].state == "escalation" for m in range(WAR_START + 2, CEASEFIRE))
            assert states[CEASEFIRE].state != "escalation"


def test_regions_do_and_do_not_flare_up_outside_the_war() -> None:
    schedule = demo_schedule()
    outside = {
        unit: any(s.state == "escalation" for m, s in enumerate(states) if not WAR_START <= m < CEASEFIRE)
        for unit, states in schedule.items()
    }
    assert 0 < sum(outside.values()) < len(outside)


def test_signals_are_visible_and_escalations_deadly(demo: pd.DataFrame) -> None:
    """What the monthly features see: in a signal month a region has many more events than in a quiet one, but few
    deaths; an escalation month has at least 25 deaths far more often than not."""
    schedule = demo_schedule()
    monthly = demo.groupby(["unit", "m"]).agg(events=("category", "size"), deaths=("fatalities_best", "sum"))
    by_state: dict[str, list[tuple[float, float]]] = {"quiet": [], "signal": [], "escalation": []}
    for (unit, m), row in monthly.iterrows():
        by_state[schedule[str(unit)][int(m)].state].append((float(row["events"]), float(row["deaths"])))
    frames = {k: pd.DataFrame(v, columns=["events", "deaths"]) for k, v in by_state.items()}
    quiet, signal, escalation = frames["quiet"], frames["signal"], frames["escalation"]
    assert signal["events"].median() > 2 * quiet["events"].median()
    assert (signal["deaths"] >= 25).mean() < 0.1 and (quiet["deaths"] >= 25).mean() < 0.05
    assert (escalation["deaths"] >= 25).mean() > 0.8


def test_the_2023_escalation_is_clear_across_the_demo(demo: pd.DataFrame) -> None:
    year = 2020 + demo["m"] // 12
    violent = demo[demo["category"].isin(["battle", "remote_violence", "violence_against_civilians"])]
    per_year = violent.groupby(year[violent.index]).size()
    deaths = demo.groupby(year)["fatalities_best"].sum()
    assert per_year[2023] > 3 * per_year[2022] and deaths[2023] > 3 * deaths[2022]
    assert deaths[2024] < deaths[2023] / 2  # the ceasefire of February 2024 mostly holds
    for unit, frame in demo.groupby("unit"):  # in every region
        assert (
            frame[frame["m"] // 12 == 3]["fatalities_best"].sum()
            > 2 * frame[frame["m"] // 12 == 2]["fatalities_best"].sum()
        ), unit
