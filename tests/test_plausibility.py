"""Plausibility bands (simulation.observe.plausibility): findings, warning lines, the run's notes and stderr."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.observe.plausibility import BANDS, Band, check, derived, warning_line, warning_lines

ROOT = Path(__file__).resolve().parents[1]
BY_KPI = {b.kpi: b for b in BANDS}

# The Nièvre baseline (seed 0, a year, rate 1: tests/golden/outputs.json "default"): inside every band.
NIEVRE = {
    "unmet_need_rate": 0.149,
    "occupancy_rate_mediation": 0.437,
    "occupancy_rate_work": 0.753,
    "third_place_share_of_remote_days": 0.011,
    "remote_days_per_teleworker_week": 1.506,
    "access_share_20min": 0.843,
    "cost_per_contact_eur": 46.8,
    "places_closed": 1,
    "n_places": 490,
    "scenario": "baseline",
}


def test_the_nievre_baseline_is_plausible():
    assert check(NIEVRE) == []


def test_lyon_like_run_names_each_kpi_and_its_cause():
    """Issue 9: 22 Lyon zones gave 75 % unmet needs and 95 % occupancy without a word."""
    lyon = {**NIEVRE, "unmet_need_rate": 0.75, "occupancy_rate_mediation": 0.95}
    found = check(lyon)
    assert [(f.band.kpi, f.side) for f in found] == [
        ("unmet_need_rate", "above"),
        ("occupancy_rate_mediation", "above"),
    ]
    lines = warning_lines(lyon)
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    assert lines[0].startswith("unmet_need_rate = 75.0 % is above its plausible band (2.0 % to 40.0 %")
    assert "too few counters" in lines[0] and "too few counters for the population" in lines[1]


def test_below_band_gives_the_low_cause():
    found = check({"occupancy_rate_work": 0.2})
    assert len(found) == 1 and found[0].side == "below"
    assert found[0].cause == BY_KPI["occupancy_rate_work"].cause_low
    assert "too many desks" in warning_line(found[0])


def test_bounds_are_inclusive_and_missing_or_nan_kpis_are_skipped():
    band = BY_KPI["unmet_need_rate"]
    assert check({"unmet_need_rate": band.lo}) == [] and check({"unmet_need_rate": band.hi}) == []
    assert check({}) == []
    assert check({"unmet_need_rate": math.nan, "occupancy_rate_work": None}) == []
    assert check({"unmet_need_rate": "n/a"}) == []  # not a number: not a KPI value


def test_closed_share_is_derived_from_the_summary():
    d = derived({"places_closed": 30, "n_places": 100})
    assert d["closed_share"] == pytest.approx(0.3)
    (f,) = check({"places_closed": 30, "n_places": 100})
    assert f.band.kpi == "closed_share" and f.side == "above"
    assert "closed_share" not in derived({"places_closed": 3})  # no place count: not derived


def test_every_band_is_documented_in_odd():
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    section = odd[odd.index("### Plausibility bands") :]
    for b in BANDS:
        assert f"`{b.kpi}`" in section, b.kpi


def test_band_refuses_an_empty_range():
    with pytest.raises(ValueError, match="lo"):
        Band("x", 1.0, 0.0, "p", "low", "high")


@given(
    st.sampled_from(BANDS), st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
)
def test_a_value_is_flagged_exactly_when_outside_its_band(band, value):
    found = check({band.kpi: value}, [band])
    assert (len(found) == 1) == (value < band.lo or value > band.hi)
    if found:
        line = warning_line(found[0])
        assert line.startswith(band.kpi + " = ") and re.search(r"is (below|above) its plausible band", line)


def test_the_run_prints_and_keeps_its_warnings(tmp_path):
    """A run whose desks are far too few for its teleworkers says so on stderr and in notes.txt."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    args = ["territory=synthetic", "territory.synthetic.adults=3000", "weeks=2", "warmup_weeks=1"]
    args += ["behaviour.service.contacts_per_counter_slot=1", f"output.dir={tmp_path / 'run'}"]
    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    warned = [line for line in proc.stderr.splitlines() if line.startswith("lieux: warning: ")]
    assert any(line.startswith("lieux: warning: occupancy_rate_mediation = ") for line in warned), proc.stderr
    notes = (tmp_path / "run" / "notes.txt").read_text(encoding="utf-8").splitlines()
    kept = [n.removeprefix("plausibility: ") for n in notes if n.startswith("plausibility: ")]
    assert kept == [w.removeprefix("lieux: warning: ") for w in warned]


def test_the_experiment_report_repeats_them_per_scenario():
    from types import SimpleNamespace

    import pandas as pd

    from simulation.viz.report_md import _plausibility_lines

    runs = pd.DataFrame(
        [
            {**NIEVRE, "scenario": "baseline", "seed": 0},
            {**NIEVRE, "scenario": "baseline", "seed": 1},
            {**NIEVRE, "scenario": "lyon", "seed": 0, "unmet_need_rate": 0.7},
            {**NIEVRE, "scenario": "lyon", "seed": 1, "unmet_need_rate": 0.8},
        ]
    )
    lines = _plausibility_lines(SimpleNamespace(runs=runs))
    flagged = [line for line in lines if line.startswith("- ")]
    assert flagged == ["- `lyon`: " + warning_lines({**NIEVRE, "unmet_need_rate": 0.75})[0]]
    ok = _plausibility_lines(SimpleNamespace(runs=runs[runs["scenario"] == "baseline"]))
    assert ok and "inside their plausible bands" in ok[0]
