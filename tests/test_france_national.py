"""France in one command (issue 9): a grid over territory.departements, the national table and map."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.experiments.folders import job_dirname, override_value, point_value

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("france_national", ROOT / "scripts" / "france_national.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_a_list_valued_grid_point_is_one_override_one_folder_one_cell():
    assert override_value(["58"]) == "[58]"
    assert override_value(["2A", 69]) == "[2A,69]"
    assert point_value(["18", "58"]) == "18+58" and point_value(3) == 3
    assert job_dirname("a", 0, grid={"territory.departements": ["58"]}) == "a_r000_departements=58"


def _runs() -> pd.DataFrame:
    """Two departements, two arms, three seeds: 2024 adds 10 contacts per seed in 58 and 20 + seed in 90."""
    rows = []
    for dep, extra in (("58", lambda s: 10.0), ("90", lambda s: 20.0 + s)):
        for seed in range(3):
            for arm in ("france_services_2020", "france_services_2024"):
                base = 100.0 + seed
                new = arm.endswith("2024")
                rows.append(
                    {
                        "scenario": arm,
                        "seed": seed,
                        "territory.departements": dep,
                        "contacts": base + (extra(seed) if new else 0.0),
                        "unmet_need_rate": 0.2 if dep == "58" else (0.1 if new else 0.3),
                        "needs_human": 1000.0 if dep == "58" else 3000.0,
                        "occupancy_rate_mediation": 0.5,
                    }
                )
    return pd.DataFrame(rows)


def test_the_national_total_adds_counts_and_weights_shares_by_needs_seed_by_seed():
    mod = _script()
    kpis = ["contacts", "unmet_need_rate", "occupancy_rate_mediation"]
    nat = mod.national_rows(_runs(), "france_services_2020", "france_services_2024", kpis).set_index("kpi")
    # contacts: 10 + (20 + seed) per seed, i.e. 30, 31, 32: mean 31, sd 1, t(0.975, 2) = 4.303
    assert nat.loc["contacts", "diff_mean"] == pytest.approx(31.0)
    assert nat.loc["contacts", "ci_high"] - 31.0 == pytest.approx(4.302652729749462 / np.sqrt(3))
    # unmet needs: (0.2 x 1000 + 0.3 x 3000) / 4000 = 0.275 before, (200 + 300) / 4000 = 0.125 after
    assert nat.loc["unmet_need_rate", "baseline_mean"] == pytest.approx(0.275)
    assert nat.loc["unmet_need_rate", "diff_mean"] == pytest.approx(-0.15)
    assert "occupancy_rate_mediation" not in nat.index  # no national denominator: no row


def test_a_seed_missing_in_a_departement_is_left_out_of_the_national_total():
    mod = _script()
    runs = _runs()
    runs = runs[~((runs["territory.departements"] == "90") & (runs["seed"] == 2))]
    nat = mod.national_rows(runs, "france_services_2020", "france_services_2024", ["contacts"])
    assert nat.loc[0, "n"] == 2 and nat.loc[0, "diff_mean"] == pytest.approx(30.5)


def test_france_by_departement_runs_two_departements_and_writes_the_national_table_and_map(tmp_path):
    """The experiment file on the Lozère and the Territoire de Belfort, 2 + 1 weeks, 2 seeds, then the script."""
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    out = tmp_path / "fr"
    args = [
        "experiment=france_by_departement",
        "++experiment.grid={territory.departements:[[48],[90]]}",
        "seeds=2",
        "weeks=2",
        "warmup_weeks=1",
        "population.sample_rate=0.05",
        f"output.dir={out}",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = sorted(p.name for p in (out / "runs").iterdir() if not p.name.startswith("."))
    assert names == [
        f"france_services_{y}_r00{r}_departements={d}" for y in (2020, 2024) for r in (0, 1) for d in (48, 90)
    ]
    comparison = pd.read_csv(out / "comparison.csv", dtype={"territory.departements": str})
    assert sorted(set(comparison["territory.departements"])) == ["48", "90"]
    mod = _script()
    assert mod.main([str(out), "--kpi", "contacts"]) == 0
    table = pd.read_csv(out / "national.csv", dtype={"departement": str})
    assert sorted(set(table["departement"])) == ["48", "90", "France"]
    contacts = table[table["kpi"] == "contacts"].set_index("departement")
    runs = pd.read_csv(out / "runs.csv", dtype={"territory.departements": str})
    by_arm = runs.pivot_table(index="seed", columns="scenario", values="contacts", aggfunc="sum")
    expected = (by_arm["france_services_2024"] - by_arm["france_services_2020"]).mean()
    assert contacts.loc["France", "diff_mean"] == pytest.approx(expected)
    # the sites of each list in each departement, from the extract, and their national sum
    sites = table.drop_duplicates("departement").set_index("departement")
    assert sites.loc["France", "sites_scenario"] == sites.loc[["48", "90"], "sites_scenario"].sum()
    assert (sites["sites_scenario"] >= sites["sites_baseline"]).all()
    assert (out / "figures" / "national_contacts.png").stat().st_size > 10_000
