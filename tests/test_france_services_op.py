"""The before/after of issue 9: op ``france_services`` and experiments/france_services_2020_2024.yaml.

On a few communes: Châtillon-en-Bazois and Donzy (a site in both lists), Nevers, Varennes-Vauzelles and Cosne (sites
new in 2024) and Ermont (95219: its site of 2020 is not in the 2024 list, which has another one there).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from simulation.core.config import ScenarioConfig, _default_providers, to_config
from simulation.core.errors import ConfigError
from simulation.core.timetable import parse_timetable
from simulation.scenarios import apply_scenario, parse_interventions
from simulation.territory import synthetic_territory
from simulation.territory.sources.france import load_france

ROOT = Path(__file__).resolve().parents[1]
PROVIDERS = [p.id for p in _default_providers()]
COMMUNES = ["58065", "58102", "58194", "58303", "58086", "95219"]
KEPT = {"fs_330", "fs_335"}  # Châtillon-en-Bazois, Donzy
ADDED = {
    "fs_2440",
    "fs_2781",
    "fs_2628",
    "fs_2441",
    "fs_2111",
}  # Nevers (2), Varennes-Vauzelles, Cosne, Ermont
CLOSED = {"fs_1005"}  # Ermont's site of 2020 (Ermont has another one in 2024)


def scenario(year: int) -> object:
    node = OmegaConf.load(ROOT / "configs" / "scenario" / f"france_services_{year}.yaml")
    assert set(node) == {"name", "description", "interventions"} and node.name == f"france_services_{year}"
    return to_config({"scenario": node})


def fs_ids(places: pd.DataFrame) -> set[str]:
    return set(places.loc[places["origin"] == "france_services", "place_id"])


@pytest.fixture(scope="module")
def built() -> dict[int, object]:
    return {
        y: load_france(communes=COMMUNES, france_services_year=y, provider_ids=PROVIDERS)
        for y in (2020, 2024)
    }


def test_2024_closes_keeps_and_adds_real_sites(built):
    t2020 = built[2020]
    assert fs_ids(t2020.places) == KEPT | CLOSED
    new, _, log = apply_scenario(t2020, scenario(2024), PROVIDERS)
    assert fs_ids(new.places) == KEPT | ADDED == fs_ids(built[2024].places)
    head = log[0].splitlines()[0]
    assert "2 kept" in head and "1 closed (fs_1005)" in head and "5 added" in head
    # every other place is the territory's own, in the same order
    others = t2020.places[t2020.places["origin"] != "france_services"].reset_index(drop=True)
    kept = new.places[new.places["origin"] != "france_services"].reset_index(drop=True)
    pd.testing.assert_frame_equal(others.drop(columns="permanences"), kept.drop(columns="permanences"))
    # sites take the 2024 list's hours, labels and zones: those of the territory built with the 2024 list
    cols = ["place_id", "zone_id", "opening", "opening_mediation", "counters", "network", "label"]
    ours = new.places.loc[new.places["origin"] == "france_services", cols].sort_values("place_id")
    theirs = built[2024].places.loc[built[2024].places["origin"] == "france_services", cols]
    pd.testing.assert_frame_equal(
        ours.reset_index(drop=True), theirs.sort_values("place_id").reset_index(drop=True)
    )
    # the kept sites take the name of the 2024 list
    assert new.places.set_index("place_id").loc["fs_335", "name"].startswith("France services de Donzy")


def test_same_year_changes_nothing(built):
    t = built[2020]
    new, _, log = apply_scenario(t, scenario(2020), PROVIDERS)
    pd.testing.assert_frame_equal(
        t.places.drop(columns="permanences"), new.places.drop(columns="permanences")
    )
    assert list(t.places["permanences"]) == list(new.places["permanences"])
    assert "0 closed (none), 0 added (none)" in log[0]


def test_kept_site_keeps_its_building_and_cuts_permanences_to_the_new_hours(built):
    t = built[2020]
    places = t.places.copy()
    row = places.index[places["place_id"] == "fs_335"][0]
    places.at[row, "permanences"] = {"caf": parse_timetable("Mon-Sat AM PM EV")}
    places.at[row, "area_m2"] = 123.0
    t2 = type(t)(t.name, t.zones, places, list(t.notes))
    new, _, _ = apply_scenario(t2, scenario(2024), PROVIDERS)
    site = new.places.set_index("place_id").loc["fs_335"]
    assert site["area_m2"] == 123.0
    assert site["permanences"]["caf"] == site["opening"] == site["opening_mediation"]
    assert site["opening"] != 0


def test_bad_year_names_the_key():
    for bad in (2021, "2019", True, None, [2024]):
        cfg = ScenarioConfig(name="x", interventions=[{"op": "france_services", "year": bad}])
        with pytest.raises(ConfigError, match=r"scenario\.interventions\[0\]\.year"):
            parse_interventions(cfg, PROVIDERS)
    cfg = ScenarioConfig(name="x", interventions=[{"op": "france_services"}])
    with pytest.raises(ConfigError, match=r"scenario\.interventions\[0\]"):
        parse_interventions(cfg, PROVIDERS)


def test_refuses_a_territory_that_is_not_french():
    cfg = scenario(2024)
    synth = synthetic_territory(cfg.territory.synthetic, PROVIDERS, np.random.default_rng(1))
    with pytest.raises(ConfigError, match="needs a French territory"):
        apply_scenario(synth, cfg, PROVIDERS)


def test_experiment_pairs_2020_and_2024_by_seed(tmp_path):
    """The experiment file runs end to end on a few communes: both arms, the same seeds, more access in 2024."""
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    sel = "territory.communes=[" + ",".join(COMMUNES) + "]"
    args = ["experiment=france_services_2020_2024", "territory=france", sel, "weeks=2", "warmup_weeks=1"]
    args += ["seeds=2", "population.sample_rate=0.25", f"output.dir={tmp_path / 'x'}"]
    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = pd.read_csv(tmp_path / "x" / "runs.csv")
    assert {s: sorted(g) for s, g in runs.groupby("scenario")["seed"]} == {
        "france_services_2020": [0, 1],
        "france_services_2024": [0, 1],
    }
    comp = pd.read_csv(tmp_path / "x" / "comparison.csv")
    row = comp[(comp["scenario"] == "france_services_2024") & (comp["kpi"] == "access_share_20min")]
    assert len(row) == 1
    # Cosne gets its first France Services: its adults come within 20 minutes of every provider; the access
    # share is computed from the places, not from draws, so it is the same in both seeds
    assert float(row["diff_mean"].iloc[0]) > 0
