"""Where the kilometres come from (simulation.experiments.decomposition): hand-made runs, known answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import yaml

from simulation.experiments.decomposition import KINDS, columns_needed, decomposition_table, scenario_kinds
from simulation.experiments.stats import paired_interval
from simulation.viz.report_md import _decomposition_lines, load_results

SEEDS = (0, 1, 2, 3)


def hand_runs() -> pd.DataFrame:
    """Baseline and a strategy over 4 seeds; the strategy replaces 100 + seed office days of 40 km by third-place
    days of 6 km, and its errands fall by 50 trips of 10 km; the kinds add up to the total."""
    rows = []
    for seed in SEEDS:
        noise = 1000.0 * seed  # shared by both arms (common random numbers)
        base = {
            "person_km_office": 1e6 + noise,
            "person_km_third_place": 600.0,
            "person_km_errands": 5e4,
            "person_km_service": 2e4 + seed,
            "person_km_workshop": 3e3,
            "office_days": 25_000.0 + seed,
            "third_place_days": 100.0,
            "home_days": 4_000.0,
            "errand_trips": 5_000.0,
            "service_trips": 2_000.0,
            "workshop_trips": 70.0,
            "maker_sessions": 60.0,
        }
        moved = 100 + seed
        strat = dict(base)
        strat["person_km_office"] -= 40.0 * moved
        strat["office_days"] -= moved
        strat["person_km_third_place"] += 6.0 * moved
        strat["third_place_days"] += moved
        strat["person_km_errands"] -= 10.0 * 50
        strat["errand_trips"] -= 50
        strat["maker_sessions"] += 6  # sessions at home: no trip, no km
        for scenario, values in (("baseline", base), ("strategy", strat)):
            total = sum(values[k.km] for k in KINDS if k.km and k.km != "person_km_total")
            rows.append({"scenario": scenario, "seed": seed, **values, "person_km_total": total})
    return pd.DataFrame(rows)


def test_the_kinds_add_up_and_each_difference_is_the_paired_mean_with_its_interval():
    runs = hand_runs()
    table = decomposition_table(runs, "baseline").set_index("kind")
    assert list(table.index) == [k.name for k in KINDS]
    office = table.loc["office"]
    diffs = [-40.0 * (100 + s) for s in SEEDS]
    mean, _, half = paired_interval(diffs)
    assert office["person_km_diff"] == pytest.approx(mean)
    assert office["person_km_ci_low"] == pytest.approx(mean - half)
    assert office["person_km_ci_high"] == pytest.approx(mean + half)
    assert office["count_diff"] == pytest.approx(-101.5) and office["count_unit"] == "days"
    assert table.loc["errands", "person_km_diff"] == pytest.approx(-500.0)
    assert table.loc["errands", "count_diff"] == pytest.approx(-50.0)
    assert table.loc["home", "count_diff"] == 0.0 and math.isnan(table.loc["home", "person_km_diff"])
    assert math.isnan(table.loc["total", "count_diff"])
    sessions = table.loc["sessions"]
    assert sessions["count_diff"] == 6.0 and sessions["count_unit"] == "sessions"
    assert math.isnan(sessions["person_km_diff"])
    parts = table.drop(index="total")["person_km_diff"].dropna().sum()
    assert table.loc["total", "person_km_diff"] == pytest.approx(parts)
    assert table.loc["total", "person_km_diff"] == pytest.approx(-34.0 * 101.5 - 500.0)
    assert (table["n"] == len(SEEDS)).all()


def test_on_a_grid_each_point_is_compared_and_a_scenario_reads_as_the_mean_over_the_points():
    key = "policy.remote_days_per_week"
    one, two = hand_runs().assign(**{key: 1}), hand_runs().assign(**{key: 2})
    strat = two["scenario"] == "strategy"
    two.loc[strat, ["person_km_office", "person_km_total"]] -= (
        1000.0  # 1000 km more saved at the second point
    )
    table = decomposition_table(pd.concat([one, two]), "baseline", grid=[key])
    office = table[table["kind"] == "office"].set_index(key)["person_km_diff"]
    assert office[2] - office[1] == pytest.approx(-1000.0)
    mean = scenario_kinds(table, "strategy").set_index("kind")
    assert list(mean.index) == [k.name for k in KINDS]
    assert mean.loc["office", "person_km_diff"] == pytest.approx(office.mean())
    assert math.isnan(mean.loc["office", "person_km_ci_low"])  # an average of intervals is not an interval
    single = scenario_kinds(decomposition_table(one, "baseline", grid=[key]), "strategy").set_index("kind")
    assert single.loc["office", "person_km_ci_low"] < single.loc["office", "person_km_diff"]
    assert scenario_kinds(table, "other").empty


def test_runs_without_the_columns_give_an_empty_table():
    runs = hand_runs().drop(columns=["home_days"])
    assert decomposition_table(runs, "baseline").empty
    assert "home_days" in columns_needed()


def test_the_report_shows_a_table_per_strategy(tmp_path):
    runs = hand_runs()
    runs["run_dir"] = [f"runs/{s}_r{seed}" for s, seed in zip(runs["scenario"], runs["seed"], strict=True)]
    runs["replicate"] = runs["seed"]
    runs.to_csv(tmp_path / "runs.csv", index=False)
    experiment = {
        "experiment": {
            "name": "t",
            "scenarios": ["baseline", "strategy"],
            "baseline": "baseline",
            "kpis": ["person_km_total"],
            "pairing": "paired",
            "method": "compare",
        }
    }
    (tmp_path / "experiment.yaml").write_text(yaml.safe_dump(experiment))
    lines = _decomposition_lines(load_results(tmp_path))
    text = "\n".join(lines)
    assert "**strategy**" in text
    office = next(line for line in lines if line.startswith("| office days |"))
    assert (
        office
        == "| office days | **-4,060** [-4,142, -3,978] | 1,001,500 | **-102** [-104, -99.4] days | 25,002 |"
    )
    assert "| home days | — | — | 0 (every seed) | 4,000 |" in lines
    assert any(line.startswith("| errands from home | -500 (every seed) |") for line in lines)
