"""Model-level tests: the six library scenarios on the synthetic territory, the expected effect of each kind
of intervention, sample-rate scaling and the shape of the outputs (docs/ODD.md 7.12 and 9).

Runs are short (4 counted weeks after 1 warm-up week) on the synthetic territory of 40,000 adults simulated
at 10 %, about 0.15 s each; runs shared by several tests are cached per module.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from conftest import providers, small_cfg, synthetic_cfg
from simulation.observe.metrics import KPI_NAMES
from simulation.sim.model import RunResult, SharedPlacesModel, run

SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "configs" / "scenario"
SCENARIOS = (
    "baseline",
    "mediation_hubs",
    "coworking_network",
    "open_public_buildings",
    "multiplexed_hubs",
    "wider_mesh",
)
Z = 4.0  # standard errors allowed in a statistical check (two-sided p ~ 6e-5)
SLOT_COLUMNS = ["place_id", "week", "day", "slot", "activity", "capacity", "users", "rejected"]


def scenario(name: str) -> dict:
    return OmegaConf.to_container(OmegaConf.load(SCENARIOS_DIR / f"{name}.yaml"))  # type: ignore[return-value]


def custom(name: str, *interventions: dict) -> dict:
    return {"name": name, "interventions": list(interventions)}


@cache
def library_run(name: str) -> RunResult:
    return run(synthetic_cfg({"scenario": scenario(name)}))


@cache
def library_model(name: str) -> SharedPlacesModel:
    """The model right after initialisation (the network after the scenario's interventions)."""
    return SharedPlacesModel(synthetic_cfg({"scenario": scenario(name)}))


# --------------------------------------------------------------------------------------------------
# Every scenario runs and gives every KPI
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SCENARIOS)
def test_library_scenario_runs_with_every_kpi(name):
    res = library_run(name)
    s = res.summary
    assert s["scenario"] == name
    missing = [k for k in KPI_NAMES if k not in s]
    assert not missing
    # with mediation, work and workshops in every scenario and 4 weeks of needs, every KPI is defined
    not_finite = [k for k in KPI_NAMES if not (isinstance(s[k], int | float) and math.isfinite(s[k]))]
    assert not not_finite, not_finite
    for k in (
        "occupancy_rate",
        "occupancy_rate_work",
        "occupancy_rate_mediation",
        "occupancy_rate_workshop",
        "utilisation_rate",
        "unmet_need_rate",
        "access_share_20min",
    ):
        assert 0.0 <= s[k] <= 1.0, (k, s[k])
    assert s["utilisation_rate"] <= s["occupancy_rate"] + 1e-12  # all 21 slots open >= open slots only
    assert s["needs_per_trip"] >= 1.0
    assert s["person_km_total"] == pytest.approx(
        s["person_km_work"] + s["person_km_service"] + s["person_km_workshop"] + s["person_km_errands"],
        rel=1e-12,
    )
    assert s["contacts"] <= s["needs_human"]
    for k in KPI_NAMES:
        if k.endswith(("_eur", "_t", "_km_total", "_hours_total")) or k in ("contacts", "needs_human"):
            assert s[k] >= 0, k
    assert s["places_open_end"] <= s["n_places"]


@pytest.mark.parametrize("name", ["baseline", "multiplexed_hubs"])
def test_output_tables_have_the_documented_columns(name):
    res = library_run(name)
    s = res.summary
    for k in ("scenario", "seed", "weeks", "n_residents", "n_workers", "n_makers", "runtime_s"):
        assert k in s, k
    assert set(res.tables) >= {"slots", "places", "providers", "zones", "periods"}
    slots = res.tables["slots"]
    assert list(slots.columns) == SLOT_COLUMNS
    assert len(slots) > 0
    assert slots["week"].between(0, s["weeks"] - 1).all()
    assert set(slots["day"].astype(str)) <= {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    assert set(slots["slot"].astype(str)) <= {"AM", "PM", "EV"}
    assert set(slots["activity"].astype(str)) == {"work", "mediation", "workshop"}
    assert (slots["rejected"] >= 0).all()
    if s["sample_rate"] == 1:
        assert (slots["users"] <= slots["capacity"]).all()
    else:
        # a sampled user stands for 1/s people: a slot's users are a multiple of 1/s and, since the lottery is
        # that of the whole population (simulation.sim.admission), may exceed the capacity in a slot; not overall
        per = slots["users"] * s["sample_rate"]
        assert np.allclose(per, np.round(per))
        by = slots.groupby("activity", observed=True)[["users", "capacity"]].sum()
        assert (by["users"] <= by["capacity"]).all()
    # one row per place, week, day, slot and activity
    assert not slots.duplicated(["place_id", "week", "day", "slot", "activity"]).any()
    assert len(res.tables["places"]) == s["n_places"]
    assert len(res.tables["zones"]) > 0 and len(res.tables["providers"]) > 0
    assert len(res.tables["periods"]) >= 1


# --------------------------------------------------------------------------------------------------
# Each kind of intervention has its expected effect
# --------------------------------------------------------------------------------------------------
def test_convert_adds_mediation_points_and_does_not_lower_access():
    base, conv = library_model("baseline"), library_model("mediation_hubs")
    assert conv.network.mediation_places.size > base.network.mediation_places.size
    b, c = library_run("baseline").summary, library_run("mediation_hubs").summary
    assert c["access_share_20min"] >= b["access_share_20min"]
    assert c["n_places"] == b["n_places"]  # converted, not added


def test_coworking_network_adds_desks_that_are_used():
    base, cw = library_model("baseline"), library_model("coworking_network")
    assert cw.network.desk_places.size > base.network.desk_places.size
    res = library_run("coworking_network")
    slots = res.tables["slots"]
    new_work = slots[(slots["activity"] == "work") & slots["place_id"].astype(str).str.startswith("new_")]
    assert len(new_work) > 0 and new_work["users"].sum() > 0
    assert res.summary["third_place_share_of_remote_days"] > 0


def test_open_public_buildings_makes_multifunctional_places():
    b, o = library_run("baseline").summary, library_run("open_public_buildings").summary
    assert o["multifunctional_places"] > b["multifunctional_places"], (
        "the sharing clause opened schools and town halls to workshops and desks, yet no place counts as "
        "multifunctional"
    )


def test_sharing_clause_on_a_mediation_point_makes_it_multifunctional(tiny_territory):
    zones = [dict(zone_id="A", x_km=0, y_km=0, population=400, kind="rural", car_share=0.9)]
    places = [
        dict(
            place_id="th",
            zone_id="A",
            origin="town_hall",
            counters=1,
            area_m2=150,
            opening="Mon-Fri AM",
            providers="a",
        ),
        dict(place_id="cw", zone_id="A", origin="coworking", operator="private", desks=5, area_m2=60),
    ]
    terr = tiny_territory(zones, places, ["a"])
    sc = custom(
        "share",
        {"op": "set", "values": {"policy.sharing_clause": True}},
        {
            "op": "open_offhours",
            "select": {"origin": ["town_hall"]},
            "activities": {"work": {"timetable": "Mon-Fri PM", "capacity": 4}},
        },
    )
    base = run(small_cfg({"providers": providers("a", rate=1.0)}), territory=terr)
    shared = run(small_cfg({"providers": providers("a", rate=1.0), "scenario": sc}), territory=terr)
    # the town hall's own use plus the provider's counter already make it shared; the clause adds desks
    assert base.summary["multifunctional_places"] == 1
    assert shared.summary["multifunctional_places"] == 1

    def activities(result):
        return int(result.tables["places"].set_index("place_id").loc["th", "activities"])

    assert activities(base) == 2
    assert activities(shared) == 3


def test_close_removes_places():
    sc = custom("close_post", {"op": "close", "select": {"origin": ["post_office"]}})
    base = library_model("baseline")
    n_post = int((base.network.origin == "post_office").sum())
    assert n_post > 0
    closed = run(synthetic_cfg({"scenario": sc})).summary
    b = library_run("baseline").summary
    assert closed["n_places"] == b["n_places"] - n_post
    assert closed["places_open_end"] < b["places_open_end"]


def test_no_remote_days_means_more_commuting_km():
    no_remote = custom("office_only", {"op": "set", "values": {"policy.remote_days_per_week": 0}})
    zero = run(synthetic_cfg({"scenario": no_remote})).summary
    two = library_run("baseline").summary
    assert zero["person_km_work"] > two["person_km_work"]
    assert zero["remote_days_per_teleworker_week"] == 0
    assert two["remote_days_per_teleworker_week"] > 0
    assert zero["needs_human"] == two["needs_human"]  # same seed: same needs


def test_territory_without_desk_places_runs(tiny_territory):
    """Teleworkable workers and no place with desks: they choose between office and home (docs/ODD.md 7.1)."""
    zones = [
        dict(zone_id="A", x_km=0, y_km=0, population=300, kind="rural", car_share=0.9),
        dict(zone_id="B", x_km=10, y_km=0, population=300, kind="urban", car_share=0.9),
    ]
    places = [
        dict(
            place_id="po", zone_id="B", origin="post_office", counters=1, opening="Mon-Fri AM", providers="a"
        )
    ]
    res = run(
        small_cfg({"providers": providers("a", rate=1.0)}), territory=tiny_territory(zones, places, ["a"])
    )
    s = res.summary
    assert s["remote_days_per_teleworker_week"] > 0 and s["person_km_work"] > 0
    assert s["third_place_share_of_remote_days"] == 0


# --------------------------------------------------------------------------------------------------
# Sample rate
# --------------------------------------------------------------------------------------------------
def test_sample_rate_scaling_of_needs_within_sampling_error():
    """needs_human is an estimate of the territory's human-contact needs at any sample rate.

    Given the simulated residents, the human-contact needs of category k over D counted days are Poisson with
    mean D n_s lambda_k / 365 (1 - dhat o_k) (Poisson arrivals on residents drawn uniformly, thinned by the
    resident's digital autonomy, share dhat, and the online share o_k). The estimate H / s therefore has, over
    the draws of the residents too, mean D (n_s / s) sum_k lambda_k / 365 (1 - delta o_k) and variance
    E[H] / s^2 (Poisson) + (D (n_s / s) sum_k lambda_k o_k / 365)^2 delta (1 - delta) / n_s (the realised
    share dhat ~ delta with binomial error). Each run is compared with its expectation; the two runs use
    different seeds, so they are independent and the variance of their difference is the sum.
    """
    adults = 10_000
    est, var = {}, {}
    for seed, s in ((0, 1.0), (1, 0.5)):
        cfg = synthetic_cfg(
            {
                "seed": seed,
                "weeks": 4,
                "warmup_weeks": 0,
                "population": {"sample_rate": s},
                "territory": {"synthetic": {"adults": adults}},
            }
        )
        res = run(cfg)
        n_s = res.summary["n_residents"]
        days = 7 * cfg.weeks
        lam = np.array([p.needs_per_adult_year for p in cfg.providers]) / 365.0
        online = np.array([p.online_share for p in cfg.providers])
        delta = cfg.population.digital_autonomy
        mean = days * (n_s / s) * (lam * (1 - delta * online)).sum()  # expectation of H / s
        var[s] = mean / s + (days * (n_s / s) * (lam * online).sum()) ** 2 * delta * (1 - delta) / n_s
        est[s] = res.summary["needs_human"]
        assert abs(est[s] - mean) <= Z * math.sqrt(var[s]), (s, est[s], mean, math.sqrt(var[s]))
        assert (
            abs(n_s / s - adults) <= 0.5 / s * 100
        )  # rounding of at most half an agent per zone (100 zones)
    assert abs(est[1.0] - est[0.5]) <= Z * math.sqrt(var[1.0] + var[0.5])


def test_accounting_periods_cover_exactly_the_counted_weeks():
    # a warm-up that is not a multiple of 4 weeks must not leave counted weeks out of the accounts
    res = run(synthetic_cfg(weeks=6, warmup_weeks=1))
    periods = res.tables["periods"]
    assert periods["weeks"].sum() == 6
    assert list(periods["week_start"]) == [0, 4]
    assert periods["network_cost_eur"].sum() == pytest.approx(res.summary["network_cost_eur"], rel=1e-12)
    assert periods["contacts"].sum() == pytest.approx(res.summary["contacts"], rel=1e-12)
