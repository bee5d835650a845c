"""Tests of simulation.viz.report_md: the report and figures built from a small results folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simulation.core.config import to_config
from simulation.experiments.stats import compare_runs, paired_interval, welch_interval
from simulation.observe.metrics import KPI_NAMES
from simulation.observe.outputs import write_run
from simulation.sim.model import run
from simulation.viz.report_md import build_report, main

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "configs" / "scenario"
SCENARIOS = ("baseline", "mediation_hubs")
SEEDS = (0, 1)
QUESTION = "Do mediation hubs cut unmet needs on a tiny territory?"
FIGURES = ("map.png", "occupancy_heatmap.png", "travel_cost.png", "mutualisation.png")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _scenario(name: str) -> dict:
    return yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def _write_results(folder: Path) -> pd.DataFrame:
    """A results folder by the contract of docs/INTERFACES.md: runs/, runs.csv, comparison.csv, experiment.yaml.

    A tiny synthetic territory (16 km square, 3,000 adults), 2 scenarios x 2 seeds, 3 counted weeks.
    """
    rows = []
    for scenario in SCENARIOS:
        for replicate, seed in enumerate(SEEDS):
            cfg = to_config(
                {
                    "seed": seed,
                    "weeks": 3,
                    "warmup_weeks": 1,
                    "territory": {"kind": "synthetic", "synthetic": {"size_km": 16.0, "adults": 3000}},
                    "scenario": _scenario(scenario),
                    "output": {"progress": False},
                }
            )
            job = f"{scenario}_r{replicate}"
            write_run(run(cfg, progress=False), cfg, folder / "runs" / job)
            summary = json.loads((folder / "runs" / job / "summary.json").read_text(encoding="utf-8"))
            rows.append(
                {
                    "run_dir": f"runs/{job}",
                    "scenario": scenario,
                    "seed": seed,
                    "replicate": replicate,
                    "sample": None,
                    "overrides": "",
                    **{k: summary.get(k) for k in KPI_NAMES},
                }
            )
    runs = pd.DataFrame(rows)
    runs.to_csv(folder / "runs.csv", index=False)
    comparison = compare_runs(runs, "baseline", KPI_NAMES)
    # one KPI whose CI clearly excludes 0, one whose CI clearly includes it
    unmet = comparison["kpi"] == "unmet_need_rate"
    comparison.loc[
        unmet, ["baseline_mean", "diff_mean", "ci_low", "ci_high", "half_width", "significant"]
    ] = [
        0.2,
        -0.034,
        -0.037,
        -0.031,
        0.003,
        True,
    ]
    co2 = comparison["kpi"] == "co2_t"
    comparison.loc[co2, ["diff_mean", "ci_low", "ci_high", "half_width", "significant"]] = [
        1.2,
        -3.0,
        5.4,
        4.2,
        False,
    ]
    comparison.to_csv(folder / "comparison.csv", index=False)
    experiment = {
        "experiment": {
            "name": "tiny_compare",
            "question": QUESTION,
            "scenarios": list(SCENARIOS),
            "baseline": "baseline",
            "kpis": [],
            "pairing": "paired",
            "method": "compare",
        },
        "seeds": len(SEEDS),
        "command": "lieux experiment=tiny_compare seeds=2 territory=synthetic",
    }
    (folder / "experiment.yaml").write_text(yaml.safe_dump(experiment, sort_keys=False), encoding="utf-8")
    return comparison


@pytest.fixture(scope="module")
def results_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small results folder with its report built."""
    folder = tmp_path_factory.mktemp("results")
    _write_results(folder)
    build_report(folder)
    return folder


def test_every_figure_is_a_non_empty_png(results_folder: Path) -> None:
    for name in FIGURES:
        path = results_folder / "figures" / name
        assert path.is_file(), name
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000, name


def test_report_has_question_setup_scenarios_and_figure_links(results_folder: Path) -> None:
    text = (results_folder / "report.md").read_text(encoding="utf-8")
    assert QUESTION in text
    for scenario in SCENARIOS:
        assert scenario in text
    for name in FIGURES:
        assert f"(figures/{name})" in text
    assert "synthetic" in text and "Seeds**: 0, 1" in text
    assert "4 complete of 4 expected; 0 missing" in text
    assert "## Summary" in text and "| mediation_hubs |" in text


def test_answer_and_scenarios_read_the_comparison(results_folder: Path) -> None:
    text = (results_folder / "report.md").read_text(encoding="utf-8")
    answer = text.split("## Answer", 1)[1].split("## Scenarios", 1)[0]
    assert QUESTION in answer
    assert "on a synthetic territory" in answer
    # the comparison was edited: unmet need rate -3.4 points on a baseline of 20 % (-17 %), significant
    assert "**mediation hubs**: better unmet need rate (\u22123.4 points, \u221217 %)" in answer
    scenarios = text.split("## Scenarios", 1)[1].split("## Summary", 1)[0]
    assert "France Services-like multi-provider points" in scenarios  # the description of its YAML file
    assert "- Material changes: unmet need rate −3.4 points (−17 %)." in scenarios
    assert "not distinguishable from zero: CO2 emissions" in scenarios  # +1.2 t CO2, CI -3.0 to 5.4
    assert "lowers the" not in text and "raises the" not in text  # no template sentences per KPI


def test_summary_bolds_only_what_is_significant_and_material(results_folder: Path) -> None:
    text = (results_folder / "report.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| mediation_hubs |"))
    assert "**−3.4** (−17 %) [−3.7, −3.1]" in row  # unmet need rate: material, significant
    assert "+1.20 (+2.5 %) [−3.00, +5.40] n.s." in row  # CO2: not significant, not bold
    comparison = pd.read_csv(results_folder / "comparison.csv")
    material = comparison["kpi"].map(lambda k: k == "unmet_need_rate")
    assert row.count("**") == 2 * int(material.sum())
    assert "Thresholds of practical relevance" in text


def test_screening_table_and_figure(tmp_path: Path, results_folder: Path) -> None:
    folder = tmp_path / "screen"
    folder.mkdir()
    pd.DataFrame(
        {
            "parameter": ["behaviour.work.habit", "population.teleworkable_share", "policy.price_day_eur"]
            * 2,
            "kpi": ["person_km_total"] * 3 + ["unmet_need_rate"] * 3,
            "mu_star": [5000.0, 20000.0, 100.0, 0.01, 0.002, 0.0001],
            "mu_star_conf": [800.0, 3000.0, 50.0, 0.002, 0.001, 0.0001],
            "sigma": [3000.0, 25000.0, 80.0, 0.004, 0.001, 0.0002],
            "mu": [-5000.0, -20000.0, 10.0, -0.01, 0.0, 0.0],
        }
    ).to_csv(folder / "screening.csv", index=False)
    report = build_report(folder)
    text = report.read_text(encoding="utf-8")
    assert (folder / "figures" / "screening.png").read_bytes().startswith(PNG_MAGIC)
    assert "(figures/screening.png)" in text
    assert "| `population.teleworkable_share` |" in text
    assert "policy.price_day_eur have a mu* under a tenth of the largest" in text


def test_cli_rebuilds_and_rejects_a_missing_folder(
    results_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(results_folder)]) == 0
    assert "report.md" in capsys.readouterr().out
    assert main([str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lieux-report: error:") and "\n" not in err and "nope" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(empty)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "results folder" in err


def test_intervals_against_a_hand_computed_case() -> None:
    # differences 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.302653
    assert paired_interval([1.0, 2.0, 3.0])[2] == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    # two samples of variance 1 and 3 values each: se = sqrt(2/3), Welch dof = 4, t(0.975, 4) = 2.776445
    assert welch_interval([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])[2] == pytest.approx(
        2.776445 * math.sqrt(2 / 3), rel=1e-6
    )
    runs = pd.DataFrame(
        {"scenario": ["baseline"] * 3 + ["s"] * 3, "seed": [0, 1, 2] * 2, "k": [10.0, 20, 30, 11, 22, 33]}
    )
    row = compare_runs(runs, "baseline", ["k"]).iloc[0]
    assert row["diff_mean"] == pytest.approx(2.0) and row["n"] == 3
    assert row["ci_low"] == pytest.approx(2.0 - 4.302653 / math.sqrt(3), rel=1e-6)
    assert not bool(row["significant"])  # the interval -0.48 .. 4.48 includes 0
