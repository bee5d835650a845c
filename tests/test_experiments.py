"""Experiments: confidence intervals, pairing by seed, the multirun end to end, resume after a kill, joblib.

The command is run in a subprocess (``python -m simulation.cli``) on a tiny synthetic territory; the
statistics are checked against numbers computed by hand.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hydra import compose, initialize_config_dir

from simulation import cli, experiments
from simulation.core.config import ExperimentConfig, to_config
from simulation.experiments import (
    COMPARISON_COLUMNS,
    RUN_COLUMNS,
    compare,
    compare_runs,
    effective_seed,
    job_dirname,
    paired_interval,
    variance_reduction,
    welch_interval,
)
from simulation.observe.metrics import KPI_NAMES
from simulation.viz.reading import material_cell

ROOT = Path(__file__).resolve().parents[1]
TINY = ["territory=synthetic", "territory.synthetic.adults=3000", "weeks=2", "warmup_weeks=1"]
TWO = "experiment.scenarios=[baseline,wider_mesh]"
T_975_DF2 = (
    4.302652729749462  # Student t quantile 0.975 with 2 degrees of freedom (statistical tables: 4.303)
)


def run_cli(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    cmd = [sys.executable, "-m", "simulation.cli", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def summaries(folder: Path) -> dict[str, Path]:
    return {p.parent.name: p for p in sorted((folder / "runs").glob("*/summary.json"))}


# --------------------------------------------------------------------------------------------------
# Statistics against hand-computed cases
# --------------------------------------------------------------------------------------------------
def runs_table(rows: list[tuple[str, int, float, float]]) -> pd.DataFrame:
    """A runs.csv-like table: (scenario, seed, km, cost)."""
    return pd.DataFrame(
        [
            {
                "scenario": s,
                "seed": seed,
                "replicate": seed,
                "sample": -1,
                "overrides": "",
                "km": km,
                "cost": c,
            }
            for s, seed, km, c in rows
        ]
    )


HAND = runs_table(
    [
        ("baseline", 0, 10.0, 1.0),
        ("baseline", 1, 12.0, 2.0),
        ("baseline", 2, 14.0, 3.0),
        ("baseline", 3, 99.0, 9.0),  # no scenario run with seed 3: left out of the paired comparison
        ("hubs", 0, 8.0, 2.1),
        ("hubs", 1, 11.0, 3.0),
        ("hubs", 2, 11.0, 4.2),
    ]
)


def test_paired_comparison_matches_a_hand_computed_t_interval():
    exp = ExperimentConfig(name="x", scenarios=["baseline", "hubs"], kpis=["km", "cost"], pairing="paired")
    out = compare(HAND, exp).set_index("kpi")
    assert list(compare(HAND, exp).columns) == list(COMPARISON_COLUMNS)
    # km: differences -2, -1, -3 -> mean -2, sd 1, half-width t(0.975, 2) x 1 / sqrt(3) = 2.4841
    km = out.loc["km"]
    assert km["scenario"] == "hubs" and km["n"] == 3 and km["pairing"] == "paired"
    assert km["n_baseline"] == 3  # the baseline's unmatched seed 3 is not counted: n = n_baseline = pairs
    assert km["mean"] == pytest.approx(10.0) and km["baseline_mean"] == pytest.approx(12.0)
    assert km["diff_mean"] == pytest.approx(-2.0) and km["diff_sd"] == pytest.approx(1.0)
    half = T_975_DF2 / math.sqrt(3)
    assert half == pytest.approx(2.48414, abs=1e-5)
    assert km["half_width"] == pytest.approx(half, rel=1e-9)
    assert km["ci_low"] == pytest.approx(-2 - half) and km["ci_high"] == pytest.approx(-2 + half)
    assert not km["significant"]  # [-4.48, 0.48] contains 0
    # cost: differences 1.1, 1.0, 1.2 -> mean 1.1, sd 0.1, half 0.2484: [0.85, 1.35] excludes 0
    cost = out.loc["cost"]
    assert cost["diff_mean"] == pytest.approx(1.1) and cost["diff_sd"] == pytest.approx(0.1)
    assert cost["half_width"] == pytest.approx(0.1 * T_975_DF2 / math.sqrt(3))
    assert cost["significant"]


def test_independent_comparison_matches_a_hand_computed_welch_interval():
    table = HAND[HAND["seed"] != 3]
    exp = ExperimentConfig(name="x", scenarios=["baseline", "hubs"], kpis=["km"], pairing="independent")
    km = compare(table, exp).set_index("kpi").loc["km"]
    # hubs 8, 11, 11: mean 10, variance 3; baseline 10, 12, 14: mean 12, variance 4
    # se^2 = 3/3 + 4/3 = 7/3; Welch df = (7/3)^2 / (1^2/2 + (4/3)^2/2) = 98/25 = 3.92
    diff, sd, half, df = welch_interval([8, 11, 11], [10, 12, 14])
    assert df == pytest.approx(3.92)
    assert sd == pytest.approx(math.sqrt(7))
    from scipy import stats

    expected_half = stats.t.ppf(0.975, 3.92) * math.sqrt(7 / 3)
    assert half == pytest.approx(expected_half) and expected_half == pytest.approx(4.2755, abs=1e-4)
    assert km["diff_mean"] == pytest.approx(-2.0) and km["half_width"] == pytest.approx(expected_half)
    assert km["n"] == 3 and km["pairing"] == "independent" and not km["significant"]
    assert km["n_baseline"] == 3 and km["diff_sd"] == pytest.approx(math.sqrt(7))


T_975_DF6 = (
    2.446911851144969  # Student t quantile 0.975 with 6 degrees of freedom (statistical tables: 2.447)
)


def test_independent_comparison_with_unequal_arms_matches_a_hand_computation():
    # 3 runs of the scenario against 7 of the baseline (e.g. a missing job), each arm its own seeds.
    # scenario 22, 23, 24: mean 23, variance (1 + 0 + 1) / 2 = 1
    # baseline 17, 19, 20, 21, 21, 21, 21: mean 140 / 7 = 20, variance (9 + 1 + 0 + 4 x 1) / 6 = 7/3
    # diff = 3; diff_sd = sqrt(1 + 7/3) = sqrt(10/3) (one run of each, independent: the variances add)
    # se^2 = 1/3 + (7/3)/7 = 2/3; Welch df = (2/3)^2 / ((1/3)^2/2 + (1/3)^2/6) = (4/9) / (2/27) = 6
    # half-width = t(0.975, 6) x sqrt(2/3) = 1.99789: the interval [1.002, 4.998] excludes 0
    scenario = [("hubs", 1000 + i, km, 0.0) for i, km in enumerate([22.0, 23.0, 24.0])]
    baseline = [("baseline", i, km, 0.0) for i, km in enumerate([17.0, 19.0, 20.0, 21.0, 21.0, 21.0, 21.0])]
    exp = ExperimentConfig(name="x", scenarios=["baseline", "hubs"], kpis=["km"], pairing="independent")
    row = compare(runs_table(baseline + scenario), exp).set_index("kpi").loc["km"]
    half = T_975_DF6 * math.sqrt(2 / 3)
    assert half == pytest.approx(1.99789, abs=1e-5)
    assert row["n"] == 3 and row["n_baseline"] == 7  # both arm sizes are reported
    assert row["mean"] == pytest.approx(23.0) and row["baseline_mean"] == pytest.approx(20.0)
    assert row["diff_mean"] == pytest.approx(3.0)
    assert row["diff_sd"] == pytest.approx(math.sqrt(10 / 3), rel=1e-12)
    assert row["half_width"] == pytest.approx(half, rel=1e-9)
    assert row["ci_low"] == pytest.approx(3.0 - half) and row["ci_high"] == pytest.approx(3.0 + half)
    assert row["significant"]
    # the report's recomputation (comparison.csv absent) is the same function: the same row
    same = compare_runs(runs_table(baseline + scenario), "baseline", ["km"], "independent").iloc[0]
    assert same["n_baseline"] == 7 and same["diff_sd"] == pytest.approx(row["diff_sd"])


def test_interval_edge_cases():
    assert math.isnan(paired_interval([1.0])[2])  # one pair: no interval
    mean, sd, half = paired_interval([2.0, 2.0, 2.0])
    assert (mean, sd, half) == (2.0, 0.0, 0.0)  # no spread: [2, 2], which excludes 0
    exp = ExperimentConfig(name="x", scenarios=["baseline", "a"], kpis=["km"])
    table = runs_table([("baseline", s, 1.0, 0) for s in range(3)] + [("a", s, 3.0, 0) for s in range(3)])
    assert bool(compare(table, exp).loc[0, "significant"])


def test_variance_reduction_is_the_ratio_of_half_widths():
    vr = variance_reduction(HAND, kpi="km").set_index("scenario").loc["hubs"]
    from scipy import stats

    welch = stats.t.ppf(0.975, 3.92) * math.sqrt(7 / 3)  # the same 3 seeds, unpaired
    paired = T_975_DF2 / math.sqrt(3)
    assert vr["n"] == 3
    assert vr["half_width_paired"] == pytest.approx(paired)
    assert vr["half_width_independent"] == pytest.approx(welch)
    assert vr["ratio"] == pytest.approx(welch / paired)


# --------------------------------------------------------------------------------------------------
# Seeds and job folders
# --------------------------------------------------------------------------------------------------
def test_pairing_by_seed():
    scenarios = ["baseline", "hubs", "mesh"]
    paired = ExperimentConfig(name="x", scenarios=scenarios, pairing="paired")
    indep = ExperimentConfig(name="x", scenarios=scenarios, pairing="independent")
    seeds = {s: [effective_seed(paired, s, r) for r in range(5)] for s in scenarios}
    assert all(v == [0, 1, 2, 3, 4] for v in seeds.values())  # common random numbers
    drawn = [effective_seed(indep, s, r) for s in scenarios for r in range(5)]
    assert len(set(drawn)) == len(drawn)  # no two jobs share a seed
    assert effective_seed(indep, "mesh", 3) == 2003


def test_job_folder_names_are_stable_and_distinct():
    assert job_dirname("baseline", 3) == "baseline_r003"
    assert job_dirname("hubs", 0, 12) == "hubs_r000_s0012"
    assert (
        job_dirname("hubs", 1, -1, {"policy.remote_days_per_week": 3}) == "hubs_r001_remote_days_per_week=3"
    )
    cfg = to_config(
        {
            "seeds": 2,
            "experiment": {
                "name": "g",
                "scenarios": ["baseline", "hubs"],
                "grid": {"policy.remote_days_per_week": [1, 3]},
            },
        }
    )
    names = experiments.expected_jobs(cfg)
    assert len(names) == len(set(names)) == 2 * 2 * 2
    assert names == experiments.expected_jobs(cfg)  # no job number or time in them


@pytest.mark.parametrize("name", experiments.available_experiments())
def test_every_experiment_file_composes_as_a_multirun(name):
    with initialize_config_dir(version_base="1.3", config_dir=str(cli.CONFIG_DIR)):
        cfg = compose(
            config_name="config", overrides=[f"experiment={name}", "seeds=4"], return_hydra_config=True
        )
    assert cfg.hydra.mode.name == "MULTIRUN"
    assert cfg.experiment.name == name
    params = dict(cfg.hydra.sweeper.params)
    assert params["experiment.replicate"] == "range(0,4)"  # seeds=4 from the command line
    assert params["scenario"] == ",".join(cfg.experiment.scenarios)
    assert "experiment=" not in str(cfg.hydra.sweeper)  # the launcher is not chosen by experiment files
    sim = experiments.sim_config_of(cfg)
    experiments.check_setup(sim)
    assert len(experiments.expected_jobs(sim)) >= 2


# --------------------------------------------------------------------------------------------------
# The command end to end
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_experiment(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """compare_strategies on 3 scenarios x 2 seeds of a tiny territory (the file says 3 seeds)."""
    cwd = tmp_path_factory.mktemp("experiment")
    scen = "experiment.scenarios=[baseline,mediation_hubs,wider_mesh]"
    proc = run_cli(["experiment=compare_strategies", *TINY, "seeds=2", scen], cwd)
    folders = list((cwd / "results" / "compare_strategies").iterdir()) if proc.returncode == 0 else []
    return (folders[0] if folders else cwd), proc


def test_small_experiment_end_to_end(small_experiment):
    folder, proc = small_experiment
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert folder.parent.name == "compare_strategies"  # results/<name>/<timestamp>/
    runs = pd.read_csv(folder / "runs.csv")
    assert len(runs) == 3 * 2  # scenarios x seeds (seeds=2 overrides the file's 3)
    assert list(runs.columns[: len(RUN_COLUMNS)]) == list(RUN_COLUMNS)
    assert set(KPI_NAMES) <= set(runs.columns)
    # paired: every scenario ran seeds 0 and 1
    assert {s: sorted(g) for s, g in runs.groupby("scenario")["seed"]} == {
        s: [0, 1] for s in ("baseline", "mediation_hubs", "wider_mesh")
    }
    assert (runs["weeks"] == 2).all()  # model keys from the command line reach every job
    comparison = pd.read_csv(folder / "comparison.csv")
    assert list(comparison.columns) == list(COMPARISON_COLUMNS)
    assert set(comparison["scenario"]) == {"mediation_hubs", "wider_mesh"}
    assert len(comparison) == 2 * 11 and (comparison["n"] == 2).all()
    assert "person_km_total (diff [95% CI])" in proc.stdout  # the printed table
    # its cells are the report's: each difference with its share of the baseline, materiality marked
    printed = next(line for line in proc.stdout.splitlines() if line.startswith("mediation_hubs "))
    km = comparison.set_index(["scenario", "kpi"]).loc[("mediation_hubs", "person_km_total")].to_dict()
    assert material_cell({**km, "kpi": "person_km_total"}, "person_km_total", None) in printed
    assert "differences against baseline (share of its level) [95 % CI]" in proc.stdout
    assert "6 of 6 jobs complete, 0 missing" in proc.stdout
    recorded = yaml.safe_load((folder / "experiment.yaml").read_text())
    assert recorded["status"]["jobs_missing"] == 0 and recorded["seeds"] == 2
    assert sorted(p.name for p in (folder / "runs").iterdir()) == sorted(
        job_dirname(s, r) for s in ("baseline", "mediation_hubs", "wider_mesh") for r in (0, 1)
    )


def test_aggregation_counts_a_missing_job(small_experiment, tmp_path, capsys):
    folder, proc = small_experiment
    assert proc.returncode == 0, proc.stderr[-2000:]
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "runs" / "wider_mesh_r001" / "summary.json").unlink()  # an unfinished job
    cfg = to_config(
        yaml.safe_load((copy / "runs" / "baseline_r000" / "config.yaml").read_text()),
        **{"experiment.replicate": 0},
    )
    status = experiments.aggregate(copy, cfg, report=False)
    assert status.expected == 6 and status.complete == 5 and status.missing == ["wider_mesh_r001"]
    assert "5 of 6 jobs complete, 1 missing" in capsys.readouterr().out
    assert len(pd.read_csv(copy / "runs.csv")) == 5
    comparison = pd.read_csv(copy / "comparison.csv").set_index(["scenario", "kpi"])
    assert comparison.loc[("wider_mesh", "person_km_total"), "n"] == 1  # only the complete pair
    assert comparison.loc[("wider_mesh", "person_km_total"), "n_baseline"] == 1
    recorded = yaml.safe_load((copy / "experiment.yaml").read_text())["status"]
    assert recorded["jobs_missing"] == 1 and recorded["missing"] == ["wider_mesh_r001"]


def test_resume_after_a_killed_sweep(tmp_path):
    folder = tmp_path / "res"
    args = ["experiment=compare_strategies", *TINY, "weeks=10", "seeds=3", TWO, f"output.dir={folder}"]
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not summaries(folder) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # mid-sweep: the next job is running
    finally:
        proc.wait(timeout=30)
    done = summaries(folder)
    assert 1 <= len(done) < 6, f"the kill came too late: {sorted(done)}"
    before = {name: (p.stat().st_mtime_ns, p.read_bytes()) for name, p in done.items()}

    resumed = run_cli([*args, f"resume={folder}"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    after = summaries(folder)
    assert len(after) == 6
    for name, (mtime, content) in before.items():  # nothing complete was recomputed
        assert after[name].stat().st_mtime_ns == mtime and after[name].read_bytes() == content
    assert f"6 jobs ({len(before)} already complete)" in resumed.stdout
    assert len(pd.read_csv(folder / "runs.csv")) == 6
    assert "6 of 6 jobs complete, 0 missing" in resumed.stdout
    assert not list((folder / "runs").glob(".*.tmp"))
    assert len(yaml.safe_load((folder / "experiment.yaml").read_text())["invocations"]) == 2


def test_joblib_launcher_runs_an_independent_experiment(tmp_path):
    args = ["experiment=compare_strategies", *TINY, "seeds=1", TWO, "experiment.pairing=independent"]
    # output.job_lines=true: the launcher's own lines, quiet by default, name it
    proc = run_cli(
        [*args, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "output.job_lines=true"], tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (folder,) = (tmp_path / "results" / "compare_strategies").iterdir()
    runs = pd.read_csv(folder / "runs.csv").set_index("scenario")
    assert runs.loc["baseline", "seed"] == 0 and runs.loc["wider_mesh", "seed"] == 1000  # each its own seed
    assert pd.read_csv(folder / "comparison.csv")["pairing"].eq("independent").all()
    assert "Joblib" in proc.stderr + proc.stdout


def test_a_grid_from_the_command_line_is_swept_and_compared_point_by_point(tmp_path):
    grid = "++experiment.grid={policy.remote_days_per_week:[1,3]}"
    proc = run_cli(["experiment=compare_strategies", *TINY, "seeds=1", TWO, grid], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (folder,) = (tmp_path / "results" / "compare_strategies").iterdir()
    assert sorted(summaries(folder)) == [
        f"{s}_r000_remote_days_per_week={v}" for s in ("baseline", "wider_mesh") for v in (1, 3)
    ]
    runs = pd.read_csv(folder / "runs.csv")
    assert sorted(runs["policy.remote_days_per_week"]) == [1, 1, 3, 3]  # the swept key, its own column
    comparison = pd.read_csv(folder / "comparison.csv")
    assert list(comparison.columns[:3]) == ["scenario", "policy.remote_days_per_week", "kpi"]
    assert set(comparison["scenario"]) == {"wider_mesh"}
    assert sorted(set(comparison["policy.remote_days_per_week"])) == [1, 3]
    response = pd.read_csv(folder / "response.csv")
    assert set(response["parameter"]) == {"policy.remote_days_per_week"}
    assert (folder / "figures" / "sweep_remote_days_per_week.png").is_file()


def test_unknown_experiment_exits_2_with_one_line(tmp_path):
    proc = run_cli(["experiment=nope"], tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("lieux: error: unknown experiment 'nope'") and "compare_strategies" in lines[0]
    assert not (tmp_path / "results").exists()


def test_bad_experiment_setup_exits_2_before_any_job(tmp_path):
    proc = run_cli(["experiment=compare_strategies", *TINY, "experiment.baseline=nope"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("lieux: error: config key 'experiment.baseline'")
    assert not list(tmp_path.rglob("summary.json"))


def test_a_finished_job_folder_is_skipped(tmp_path, capsys):
    cfg = to_config(
        {"territory": {"kind": "synthetic", "synthetic": {"adults": 2000}}, "weeks": 1, "warmup_weeks": 0},
        **{
            "experiment.name": "x",
            "experiment.scenarios": ["baseline"],
            "experiment.replicate": 1,
            "output.job_lines": True,
        },
    )
    folder = tmp_path / "runs" / "baseline_r001"
    first = experiments.run_experiment_job(cfg, folder)
    assert first["seed"] == 1
    stamp = (folder / "summary.json").stat().st_mtime_ns
    again = experiments.run_experiment_job(cfg, folder)
    assert again == json.loads((folder / "summary.json").read_text())
    assert (folder / "summary.json").stat().st_mtime_ns == stamp
    assert "runs/baseline_r001: complete, skipped" in capsys.readouterr().out


def test_screening_experiment_runs_on_a_tiny_territory(tmp_path):
    # the Morris file end to end through the CLI: 2 trajectories x (D + 1) jobs, then screening.csv and the plot
    args = [
        "experiment=screening",
        *TINY,
        "weeks=1",
        "experiment.trajectories=2",
        f"output.dir={tmp_path / 'out'}",
    ]
    proc = run_cli(args, tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    exp = yaml.safe_load((ROOT / "experiments" / "screening.yaml").read_text())["experiment"]
    n_params = len(exp["parameters"])
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    assert sorted(runs["sample"]) == list(range(2 * (n_params + 1)))
    table = pd.read_csv(tmp_path / "out" / "screening.csv")
    assert list(table.columns) == ["parameter", "kpi", "mu_star", "mu_star_conf", "sigma", "mu"]
    assert len(table) == n_params * len(exp["kpis"])
    assert (table["mu_star"] >= 0).all()
    assert (tmp_path / "out" / "figures" / "screening.png").stat().st_size > 0
