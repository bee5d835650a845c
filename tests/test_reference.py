"""Docking: the vectorised model and the per-agent Mesa reference (benchmarks/reference/) agree in distribution.

Both run the docking configuration (``docking_config``: no makers, no closures, providers' reviews inert) on the
same small synthetic territory for 10 seeds each. Their random streams differ (counter-based draws against plain
sequential ones), so single runs differ; what must agree is each KPI's distribution over seeds. Each KPI gets a
two-sample Welch t test; the tolerance is the KPIs' own seed-to-seed spread (the test's standard error), not a
picked number, and the level is Bonferroni-corrected for the number of KPIs (family-wise 1 %). The seeds are
fixed, so the test is deterministic: it cannot flake, and a change of either implementation that shifts a KPI by
more than a few standard errors fails it; a slow test checks that it rejects a reference with a multinomial
instead of the nested logit (its power).

The territory is made tight on purpose, so that the two capacity lotteries and the operators' capacity review run:
the synthetic grid's desk places copied into every urban and periurban zone with 2 desks each, one counter per
point of contact serving one visit per slot, and third places made attractive (``asc_third`` -1).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.core.config import SimConfig
from simulation.core.randomness import Streams
from simulation.model import run
from simulation.territory import Territory, load_territory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.reference import ReferenceModel, docking_config, run_reference  # noqa: E402

SEEDS = range(10)
FAMILY_ALPHA = 0.01
KPIS = (
    "occupancy_rate_work",
    "occupancy_rate_mediation",
    "contacts",
    "needs_human",
    "unmet_need_rate",
    "mean_delay_days",
    "person_km_service",
    "chained_visits",
    "third_place_day_share",
    "home_day_share",
    "office_day_share",
)


def override(seed: int) -> dict[str, object]:
    """The test's keys over the docking configuration (module docstring)."""
    return {
        "territory": {"kind": "synthetic", "synthetic": {"adults": 2500}},
        "warmup_weeks": 2,
        "weeks": 4,
        "seed": seed,
        "behaviour.service.contacts_per_counter_slot": 1,
        "behaviour.work.asc_third": -1.0,
    }


def docking_cfg(seed: int) -> SimConfig:
    """The docking configuration of the test (module docstring)."""
    return docking_config(**override(seed))


def tight_territory(cfg: SimConfig) -> Territory:
    """The synthetic territory of seed 0 with more, smaller desk places and single counters (module docstring)."""
    terr = load_territory(cfg.territory, [p.id for p in cfg.providers], Streams(0).generator("territory"))
    places, zones = terr.places, terr.zones
    coworking = places[places["origin"] == "coworking"].iloc[0]
    extra = []
    for zone in zones.loc[zones["kind"].isin(["urban", "periurban"]), "zone_id"]:
        row = coworking.copy()
        row["place_id"], row["zone_id"], row["name"] = f"cw_{zone}", zone, f"Coworking {zone}"
        extra.append(row)
    places = pd.concat([places, pd.DataFrame(extra)], ignore_index=True)
    places.loc[places["desks"] > 0, "desks"] = 2
    places.loc[places["counters"] > 1, "counters"] = 1
    return dataclasses.replace(terr, places=places)


def main_kpis(cfg: SimConfig, territory: Territory) -> dict[str, float]:
    """The main model's KPIs, with the work-day shares the summary gives as counts."""
    s = run(cfg, progress=False, territory=territory).summary
    days = s["office_days"] + s["home_days"] + s["third_place_days"]
    return {
        **s,
        "third_place_day_share": s["third_place_days"] / days,
        "home_day_share": s["home_days"] / days,
        "office_day_share": s["office_days"] / days,
    }


@pytest.fixture(scope="module")
def runs() -> dict[str, pd.DataFrame]:
    territory = tight_territory(docking_cfg(0))
    main = pd.DataFrame([main_kpis(docking_cfg(seed), territory) for seed in SEEDS])
    ref = pd.DataFrame([run_reference(docking_cfg(seed), territory) for seed in SEEDS])
    return {"main": main[list(KPIS)], "reference": ref[list(KPIS)]}


def test_the_kpis_of_both_implementations_agree_within_sampling_error(runs: dict[str, pd.DataFrame]) -> None:
    main, ref = runs["main"], runs["reference"]
    level = FAMILY_ALPHA / len(KPIS)
    rows = []
    for kpi in KPIS:
        a, b = main[kpi].to_numpy(float), ref[kpi].to_numpy(float)
        assert np.isfinite(a).all() and np.isfinite(b).all(), kpi
        assert a.std() > 0 and b.std() > 0, f"{kpi} does not vary over seeds: no test possible"
        p = stats.ttest_ind(a, b, equal_var=False).pvalue
        rows.append(
            f"{kpi:26s} main {a.mean():10.4g} ± {a.std(ddof=1):8.3g}  ref {b.mean():10.4g} ± "
            f"{b.std(ddof=1):8.3g}  p {p:.3f}"
        )
        rows[-1] += "  FAIL" if p < level else ""
    report = "\n".join(rows)
    print(report)
    assert all(not r.endswith("FAIL") for r in rows), f"KPIs differ at level {level:.2g}:\n{report}"


def rejected(main: pd.DataFrame, ref: pd.DataFrame) -> dict[str, float]:
    """The KPIs whose Welch test rejects equality at the Bonferroni-corrected level, with their p-values."""
    level = FAMILY_ALPHA / len(KPIS)
    ps = {kpi: stats.ttest_ind(main[kpi], ref[kpi], equal_var=False).pvalue for kpi in KPIS}
    return {kpi: p for kpi, p in ps.items() if p < level}


@pytest.mark.slow
def test_the_comparison_detects_a_reference_with_a_multinomial_logit(runs: dict[str, pd.DataFrame]) -> None:
    """Power: the same test rejects a reference whose work choice is a multinomial logit (mu 1, not 0.5)."""
    territory = tight_territory(docking_cfg(0))
    wrong = pd.DataFrame(
        [
            run_reference(docking_config(**{**override(seed), "behaviour.work.mu": 1.0}), territory)
            for seed in SEEDS
        ]
    )
    assert "third_place_day_share" in rejected(runs["main"], wrong)


def test_the_lotteries_and_the_operators_review_run(runs: dict[str, pd.DataFrame]) -> None:
    """The docking territory is tight enough that capacity matters in both implementations."""
    for name, df in runs.items():
        assert df["occupancy_rate_work"].mean() > 0.2, name
        assert df["occupancy_rate_mediation"].mean() > 0.2, name
        assert df["third_place_day_share"].mean() > 0.01, name


def test_the_reference_is_one_agent_per_person_and_place() -> None:
    cfg = docking_cfg(0)
    model = ReferenceModel(cfg, tight_territory(cfg))
    assert len(model.people) == cfg.territory.synthetic.adults
    assert 0 < len(model.workers) < len(model.people)
    assert len(model.places) == len(set(model.desk_places) | set(model.counter_places))


def test_the_reference_runs_with_random_activation() -> None:
    """``shuffle=True``: every stage by Mesa's ``shuffle_do`` (the default calls ``do``: no stage depends on order)."""
    cfg = docking_cfg(0)
    model = ReferenceModel(cfg, tight_territory(cfg), shuffle=True)
    for _ in range(7):
        model.step()
    assert model.day == 7


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("population.maker_share", 0.03),
        ("economics.closure_threshold", 0.6),
        ("economics.min_contacts", 2.0),
        ("population.sample_rate", 0.5),
    ],
)
def test_the_reference_refuses_what_it_does_not_simulate(key: str, value: float) -> None:
    cfg = docking_config(**{"territory": {"kind": "synthetic", "synthetic": {"adults": 100}}, key: value})
    with pytest.raises(ValueError, match=key):
        ReferenceModel(cfg)
