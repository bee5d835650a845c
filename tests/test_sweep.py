"""Sweeps as sweeps: swept keys as columns, the response to each parameter, validation before any job, the report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from simulation import cli  # noqa: F401  (registers the configuration and the experiments)
from simulation.core.config import to_config
from simulation.core.errors import ConfigError
from simulation.experiments import check_setup
from simulation.experiments.aggregation import comparison_table
from simulation.experiments.stats import compare_runs, label, levels_by_point, response_table
from simulation.viz.figures import sweep_figure

A, B = "policy.remote_days_per_week", "population.teleworkable_share"


def grid_runs() -> pd.DataFrame:
    """2 scenarios x 3 seeds x a (1, 3) x b (0.35, 0.5); km = 100 a + 10 b_index + seed (+ 5 under 'x')."""
    rows = []
    for scenario in ("baseline", "x"):
        for seed in range(3):
            for a in (1, 3):
                for j, b in enumerate((0.35, 0.5)):
                    km = 100 * a + 10 * j + seed * seed + (5 * a if scenario == "x" else 0)
                    rows.append(
                        {"scenario": scenario, "seed": seed, A: a, B: b, "person_km_total": float(km)}
                    )
    return pd.DataFrame(rows)


def test_comparison_has_a_column_per_swept_key_and_compares_point_by_point() -> None:
    comp = compare_runs(grid_runs(), "baseline", ["person_km_total"], "paired", grid=[A, B])
    assert list(comp.columns[:4]) == ["scenario", A, B, "kpi"]
    assert set(comp["scenario"]) == {"x"} and len(comp) == 4
    for r in comp.itertuples(index=False):
        a = r._1
        assert r.diff_mean == pytest.approx(5 * a) and r.ci_low == pytest.approx(5 * a)  # exact per seed
        j = 0 if r._2 == 0.35 else 1
        assert r.baseline_mean == pytest.approx(100 * a + 10 * j + (0 + 1 + 4) / 3)  # the level at this point
    text = comparison_table(comp, ["person_km_total"])
    assert "x [remote_days_per_week=1, teleworkable_share=0.35]" in text


def test_response_averages_the_other_parameters_seed_by_seed() -> None:
    runs = grid_runs()
    resp = response_table(runs, [A, B], ["person_km_total"], baseline="baseline")
    row = resp[(resp["parameter"] == A) & (resp["value"] == 3) & (resp["scenario"] == "x")].iloc[0]
    per_seed = np.array([300 + 5 + 15 + s * s for s in range(3)])  # mean over b of 100 a + 10 j + 5 a + s^2
    half = sps.t.ppf(0.975, 2) * per_seed.std(ddof=1) / np.sqrt(3)
    assert row["n"] == 3 and row["mean"] == pytest.approx(per_seed.mean())
    assert row["ci_low"] == pytest.approx(per_seed.mean() - half)
    assert row["diff_mean"] == pytest.approx(15) and row["diff_ci_high"] == pytest.approx(15)
    base = resp[(resp["scenario"] == "baseline")]
    assert base["diff_mean"].isna().all()  # the baseline against itself: no difference
    b_rows = resp[(resp["parameter"] == B) & (resp["scenario"] == "x")]
    assert list(b_rows["value"]) == [0.35, 0.5]
    no_base = response_table(runs[runs["scenario"] == "x"], [A], ["person_km_total"], baseline=None)
    assert no_base["diff_mean"].isna().all() and len(no_base) == 2


def test_levels_by_point() -> None:
    levels = levels_by_point(grid_runs(), [A, B], ["person_km_total"])
    assert len(levels) == 2 * 4
    hit = levels[(levels["scenario"] == "baseline") & (levels[A] == 3) & (levels[B] == 0.5)].iloc[0]
    assert hit["mean"] == pytest.approx(310 + 5 / 3)


def test_sweep_figure_draws_a_line_per_scenario_and_the_differences() -> None:
    resp = response_table(grid_runs(), [A, B], ["person_km_total"], baseline="baseline")
    fig = sweep_figure(resp, A, ["person_km_total"], baseline="baseline")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2  # the level, the difference
    assert len(axes[0].get_lines()) == 2 and len(axes[1].get_lines()) >= 1
    assert sweep_figure(resp, "no.such_key") is None
    one = sweep_figure(response_table(grid_runs(), [A], ["person_km_total"]), A)
    assert len([ax for ax in one.axes if ax.get_visible()]) == 1


def _cfg(scenarios: list[str], grid: dict) -> object:
    return to_config({"experiment": {"name": "x", "scenarios": scenarios, "grid": grid}})


def test_grid_values_are_validated_as_their_keys() -> None:
    with pytest.raises(
        ConfigError, match=r"'policy.remote_days_per_week': got 7, expected an integer from 0 to 5"
    ):
        check_setup(_cfg(["baseline", "wider_mesh"], {A: [1, 7]}))
    with pytest.raises(ConfigError, match=r"policy.nope"):
        check_setup(_cfg(["baseline", "wider_mesh"], {"policy.nope": [1]}))
    check_setup(_cfg(["coworking_network"], {A: [1, 3]}))  # one scenario, a grid: a response
    with pytest.raises(ConfigError, match="experiment.scenarios"):
        check_setup(_cfg(["coworking_network"], {}))  # one scenario, nothing swept: nothing to report


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    cmd = [sys.executable, "-m", "simulation.cli", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


TINY = ["territory=synthetic", "territory.synthetic.adults=3000", "weeks=2", "warmup_weeks=0", "seeds=2"]


def test_a_bad_grid_value_stops_the_sweep_before_any_job(tmp_path: Path) -> None:
    grid = "++experiment.grid={population.teleworkable_share:[0.35,1.5]}"
    proc = run_cli(
        ["experiment=compare_strategies", *TINY, "experiment.scenarios=[baseline,wider_mesh]", grid], tmp_path
    )
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "lieux: error: config key 'population.teleworkable_share': got 1.5, expected a number"
    )
    assert "experiment.grid" in last and "resume" not in proc.stderr
    assert not list(tmp_path.rglob("summary.json"))


def test_the_issue_sweep_is_reported_as_a_sweep(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    grid = f"++experiment.grid={{{A}:[1,2,3],{B}:[0.35,0.5]}}"
    args = ["experiment=compare_strategies", *TINY, "experiment.scenarios=[baseline,coworking_network]", grid]
    proc = run_cli([*args, f"output.dir={folder}", "hydra/launcher=joblib_local"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    runs = pd.read_csv(folder / "runs.csv")
    assert len(runs) == 2 * 2 * 6 and {A, B} <= set(runs.columns)
    comp = pd.read_csv(folder / "comparison.csv")
    assert set(comp["scenario"]) == {"coworking_network"}
    assert len(comp[[A, B]].drop_duplicates()) == 6
    assert set(pd.read_csv(folder / "response.csv")["parameter"]) == {A, B}
    report = (folder / "report.md").read_text()
    assert "(2 seeds × 6 grid points = 12 runs per scenario)" in report
    assert "## Sweep" in report
    sweep = report.split("## Sweep", 1)[1].split("##", 1)[0]
    levels = [
        line.split("|")[3].strip()
        for line in sweep.splitlines()
        if line.startswith("| 1 ") or line.startswith("| 2 ") or line.startswith("| 3 ")
    ]
    assert len(levels) == 6 and len(set(levels)) > 1  # the baseline's level at each grid point
    assert "| coworking_network |" not in report  # no empty row under the plain name
    figures = {p.name for p in (folder / "figures").iterdir()}
    assert {"sweep_remote_days_per_week.png", "sweep_teleworkable_share.png"} <= figures
    assert "travel_cost.png" not in figures


def test_a_sweep_of_one_scenario_without_baseline_is_a_response(tmp_path: Path) -> None:
    folder = tmp_path / "one"
    grid = f"++experiment.grid={{{A}:[1,3]}}"
    proc = run_cli(
        [
            "experiment=compare_strategies",
            *TINY,
            "experiment.scenarios=[coworking_network]",
            grid,
            f"output.dir={folder}",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not (folder / "comparison.csv").exists()
    response = pd.read_csv(folder / "response.csv")
    assert set(response["scenario"]) == {"coworking_network"} and sorted(set(response["value"])) == [1, 3]
    assert "remote_days_per_week" in proc.stdout and "4 of 4 jobs complete" in proc.stdout
    report = (folder / "report.md").read_text()
    assert (
        "swept without a baseline" in report
        and (folder / "figures" / "sweep_remote_days_per_week.png").is_file()
    )
    assert label("coworking_network", {A: 1}) == "coworking_network [remote_days_per_week=1]"
