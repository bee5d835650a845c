"""Tests of the ``site`` intervention (simulation.scenarios.ops.site) and of ``lieux-site``.

The optimum is checked against brute-force enumeration of every choice of sites on a small hand-made territory
(the cost matrix is the operation's own: expected one-way minutes between zone centres by car share), so the
checks are exact up to floating-point rounding. The parser and the validator get Hypothesis tests: every bad key
or value gives one line naming the key path and the values allowed.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.core.config import ScenarioConfig, SimConfig, to_config
from simulation.core.errors import ConfigError, InputFileError
from simulation.core.randomness import uniform
from simulation.core.timetable import parse_timetable
from simulation.scenarios import Site, apply_scenario, initial_state, parse_interventions
from simulation.scenarios.ops.site import (
    OBJECTIVES,
    WEIGHTS,
    car_shares,
    needs_per_adult,
    zone_minutes,
)
from simulation.sim.travel import travel_matrices
from simulation.territory import Territory

ROOT = Path(__file__).resolve().parents[1]
PROVIDERS = ["caf", "cpam", "cnav", "msa", "france_travail", "dgfip", "ants", "la_poste"]
KEY = "scenario.interventions[0]"
WEEK = "Mon-Fri AM PM"

# --------------------------------------------------------------------------------------------------
# A small territory: zones along a road, a post office and a town hall in most, one France Services
# --------------------------------------------------------------------------------------------------
ZONES = [
    # zone_id, kind, adults, x_km
    ("A", "urban", 5_000, 0.0),
    ("B", "periurban", 1_200, 6.0),
    ("C", "rural", 800, 11.0),
    ("D", "rural", 2_500, 19.0),
    ("E", "periurban", 600, 24.0),
    ("F", "rural", 1_500, 33.0),
    ("G", "rural", 300, 37.0),
    ("H", "urban", 3_000, 46.0),
]


def _place(pid: str, zone: str, origin: str, **kw: Any) -> dict[str, Any]:
    mask = parse_timetable(kw.get("opening", WEEK))
    desks, counters = kw.get("desks", 0), kw.get("counters", 0)
    return {
        "place_id": pid,
        "zone_id": zone,
        "name": f"{origin} {zone}",
        "origin": origin,
        "operator": kw.get("operator", "public"),
        "area_m2": 100.0,
        "desks": desks,
        "counters": counters,
        "workshop_seats": 0,
        "opening": mask,
        "opening_work": mask if desks else 0,
        "opening_mediation": mask if counters else 0,
        "opening_workshop": 0,
        "offhours": 0,
        "network": kw.get("network", False),
        "permanences": {},
        "price_day_eur": math.nan,
        "price_month_eur": math.nan,
        "label": kw.get("label", ""),
    }


def make_territory() -> Territory:
    zones = pd.DataFrame(
        {
            "zone_id": [z[0] for z in ZONES],
            "name": [f"Zone {z[0]}" for z in ZONES],
            "x_km": [z[3] for z in ZONES],
            "y_km": np.zeros(len(ZONES)),
            "population": np.array([z[2] for z in ZONES], dtype=np.int64),
            "kind": [z[1] for z in ZONES],
            "jobs": np.full(len(ZONES), np.nan),
            "car_share": [0.8, 0.9, 0.95, 0.9, 0.9, 0.95, 0.95, 0.8],
            "area_km2": np.full(len(ZONES), np.nan),
        }
    )
    rows = []
    for z, _, _, _ in ZONES:
        if z != "G":
            rows.append(_place(f"po_{z}", z, "post_office", counters=1))
        rows.append(_place(f"th_{z}", z, "town_hall", counters=1))
    rows.append(_place("fs_D", "D", "france_services", counters=2, network=True, label="france_services"))
    rows.append(_place("caf_A", "A", "provider_office", counters=2))  # serves the CAF's needs only
    rows.append(_place("cw_A", "A", "coworking", operator="private", desks=10))
    rows.append(_place("lib_F", "F", "library", desks=2))
    places = pd.DataFrame.from_records(rows)
    for c in ("desks", "counters", "workshop_seats", "opening", "opening_work", "opening_mediation"):
        places[c] = places[c].astype(np.int64)
    for c in ("opening_workshop", "offhours"):
        places[c] = places[c].astype(np.int64)
    places["network"] = places["network"].astype(bool)
    return Territory(name="line", zones=zones, places=places, notes=[])


def config(interventions: list[Any], **overrides: Any) -> SimConfig:
    return to_config({"scenario": {"name": "test", "interventions": interventions}}, **overrides)


def site_entry(**kw: Any) -> dict[str, Any]:
    """A valid site entry converting post offices and town halls (any key overridden by ``kw``)."""
    entry: dict[str, Any] = {
        "op": "site",
        "objective": "p_median",
        "p": 2,
        "candidates": {
            "origin": ["post_office", "town_hall"],
            "one_per_zone": True,
            "prefer": ["post_office"],
        },
        "weights": "adults",
        "convert": {"counters": 2, "opening_mediation": WEEK},
    }
    entry.update(kw)
    return {k: v for k, v in entry.items() if v is not None}


def parse(entry: dict[str, Any]) -> Site:
    (op,) = parse_interventions(ScenarioConfig(name="t", interventions=[entry]), PROVIDERS)
    assert isinstance(op, Site)
    return op


def parse_error(entry: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(entry)
    assert "\n" not in str(info.value)  # one line
    return info.value


def cost_matrix(t: Territory, cfg: SimConfig) -> np.ndarray:
    zones = t.zones.reset_index(drop=True)
    zz = travel_matrices(zones, np.arange(len(zones)), cfg.territory, cfg.travel)
    return zone_minutes(zz, car_shares(zones, cfg))


def zone_index(t: Territory) -> dict[str, int]:
    return {z: i for i, z in enumerate(t.zones["zone_id"])}


def brute_p_median(cost: np.ndarray, w: np.ndarray, cands: list[int], p: int, forced: list[int]) -> float:
    return min(
        float(w @ cost[:, [*forced, *combo]].min(axis=1)) for combo in itertools.combinations(cands, p)
    )


# --------------------------------------------------------------------------------------------------
# Parsing: every bad key or value is one line naming the key path and what is allowed (Hypothesis)
# --------------------------------------------------------------------------------------------------
IDENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(name=IDENT.filter(lambda k: k not in Site.keys))
def test_an_unknown_key_is_named_with_the_allowed_keys(name: str) -> None:
    exc = parse_error(site_entry(**{name: 1}))
    assert exc.key == f"{KEY}.{name}"
    assert "unknown key" in str(exc)
    for allowed in Site.keys:
        assert allowed in str(exc)


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans()))
def test_a_bad_objective_lists_the_objectives(value: Any) -> None:
    if value in OBJECTIVES:
        return
    exc = parse_error(
        site_entry(objective=value) if value is not None else {**site_entry(), "objective": None}
    )
    assert exc.key == f"{KEY}.objective"
    if value is not None:
        assert "p_median, mclp, lscp" in str(exc)


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.text(max_size=14), st.integers(), st.lists(st.text(max_size=3), max_size=2)))
def test_a_bad_weight_lists_the_weights(value: Any) -> None:
    if value in WEIGHTS:
        return
    exc = parse_error(site_entry(weights=value))
    assert exc.key == f"{KEY}.weights"
    assert ", ".join(WEIGHTS) in str(exc)


@settings(max_examples=40, deadline=None)
@given(
    value=st.one_of(
        st.integers(max_value=0),
        st.floats(allow_nan=True),
        st.booleans(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=2),
    )
)
def test_a_bad_p_says_what_p_may_be(value: Any) -> None:
    exc = parse_error(site_entry(p=value))
    assert exc.key == f"{KEY}.p"
    assert "an integer >= 1 or {same_as: <scenario name>}" in str(exc)


@settings(max_examples=30, deadline=None)
@given(value=st.one_of(st.floats(max_value=0.0), st.just(math.nan), st.text(max_size=4), st.booleans()))
def test_a_bad_radius_is_named(value: Any) -> None:
    exc = parse_error(site_entry(objective="mclp", radius_minutes=value))
    assert exc.key == f"{KEY}.radius_minutes"


@settings(max_examples=30, deadline=None)
@given(
    name=IDENT.filter(lambda k: k not in ("label", "network", "counters", "opening_mediation", "permanences"))
)
def test_an_unknown_key_of_the_follow_up_is_named_with_convert_keys(name: str) -> None:
    exc = parse_error(site_entry(convert={"counters": 2, name: 1}))
    assert exc.key == f"{KEY}.convert.{name}"
    assert "allowed keys: label, network, counters, opening_mediation, permanences" in str(exc)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(name=IDENT)
def test_an_unknown_candidate_criterion_is_named(name: str) -> None:
    from simulation.scenarios.selectors import SELECTOR_KEYS

    if name in (*SELECTOR_KEYS, "zone_centres"):
        return
    exc = parse_error(site_entry(candidates={"origin": "post_office", name: 1}))
    assert exc.key == f"{KEY}.candidates.{name}"
    assert "origin" in str(exc) and "zone_centres" in str(exc)


@settings(max_examples=25, deadline=None)
@given(
    objective=st.sampled_from(OBJECTIVES),
    p=st.integers(1, 5),
    radius=st.floats(1.0, 90.0),
    weights=st.sampled_from(["adults", "contact_needs", "commute_minutes_saved"]),
    keep=st.booleans(),
    add=st.booleans(),
)
def test_valid_entries_parse_into_their_values(objective, p, radius, weights, keep, add) -> None:
    follow: dict[str, Any] = (
        {"add_places": {"desks": 8, "opening": WEEK}} if add else {"convert": {"counters": 3}}
    )
    entry = {
        "op": "site",
        "objective": objective,
        "candidates": {"zone_centres": True, "zone_kind": "rural"} if add else {"origin": "town_hall"},
        "weights": weights,
        "keep_existing": keep,
        **follow,
    }
    if objective != "lscp":
        entry["p"] = p
    if objective != "p_median":
        entry["radius_minutes"] = radius
    op = parse(entry)
    assert (
        op.spec.objective == objective and op.spec.weights.kind == weights and op.spec.keep_existing == keep
    )
    assert op.spec.p == (p if objective != "lscp" else None)
    assert op.spec.radius_minutes == (radius if objective != "p_median" else None)
    assert (op.add_places is not None) == add and (op.convert is not None) == (not add)


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        (site_entry(objective="lscp", p=3, radius_minutes=20), f"{KEY}.p", "drop p"),
        (site_entry(radius_minutes=20), f"{KEY}.radius_minutes", "no radius"),
        (site_entry(objective="mclp"), f"{KEY}.radius_minutes", "missing"),
        (site_entry(p=None), f"{KEY}.p", "missing"),
        (site_entry(candidates=None), f"{KEY}.candidates", "missing"),
        (site_entry(convert=None), KEY, "exactly one follow-up"),
        (site_entry(add_places={"desks": 5, "opening": WEEK}), f"{KEY}.add_places", "exactly one follow-up"),
        (site_entry(weights="unmet_needs"), f"{KEY}.weights_from", "baseline run"),
        (site_entry(weights="commute_minutes_saved", weights_from="x.csv"), f"{KEY}.weights_from", "drop"),
        (
            site_entry(candidates={"zone_centres": True, "origin": "post_office"}),
            f"{KEY}.candidates.origin",
            "zone",
        ),
        (site_entry(candidates={"zone_centres": True}), f"{KEY}.convert", "add_places"),
        (site_entry(p={"same_as": "nope"}), f"{KEY}.p.same_as", "mediation_hubs"),
        (site_entry(p={"same_as": "mediation_hubs_optimised"}), f"{KEY}.p.same_as", "rule-based"),
        (site_entry(p={"like": "mediation_hubs"}), f"{KEY}.p.like", "same_as"),
        (site_entry(keep_existing="yes"), f"{KEY}.keep_existing", "true, false or network"),
        (
            site_entry(convert=None, keep_existing="network", add_places={"desks": 4, "opening": WEEK}),
            f"{KEY}.keep_existing",
            "applies to convert",
        ),
    ],
)
def test_entry_errors_name_their_key(entry, key, words) -> None:
    exc = parse_error(entry)
    assert exc.key == key, str(exc)
    assert words in str(exc)


def test_weights_from_file_errors_name_the_file_and_column(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        parse(site_entry(weights="unmet_needs", weights_from=str(tmp_path / "none.csv")))
    bad = tmp_path / "zones.csv"
    bad.write_text("zone_id,needs_human\nA,3\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no column 'unmet_needs'") as info:
        parse(site_entry(weights="unmet_needs", weights_from=str(bad)))
    assert str(bad) in str(info.value) and "needs_human" in str(info.value)


# --------------------------------------------------------------------------------------------------
# Solving: the optimum of each objective, against enumeration
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [1, 2, 3])
def test_p_median_is_the_enumerated_optimum(p: int) -> None:
    t, cfg = make_territory(), config([])
    op = parse(site_entry(p=p))
    state = initial_state(t, cfg, PROVIDERS)
    sol = op.solve(state)
    cost, w = cost_matrix(t, cfg), t.zones["population"].to_numpy(float)
    zi = zone_index(t)
    cands = [zi[z] for z in "ABCDEFGH"]  # a post office or a town hall in every zone
    best = brute_p_median(cost, w, cands, p, [])
    assert sol.result.objective == pytest.approx(best, rel=1e-9)
    assert float(w @ cost[:, [zi[z] for z in sol.chosen["zone_id"]]].min(axis=1)) == pytest.approx(
        best, rel=1e-9
    )
    assert sol.result.optimal and sol.result.gap == 0.0
    assert len(sol.chosen_new) == p
    # one per zone, the post office preferred
    assert all(sid.startswith("po_") or sid == "th_G" for sid in sol.chosen_new["site_id"])


@pytest.mark.parametrize(("keep", "forced"), [(True, "AD"), ("network", "D")])
def test_keep_existing_forces_the_existing_points_open_and_p_counts_new_sites(keep, forced) -> None:
    t, cfg = make_territory(), config([])
    op = parse(site_entry(p=2, keep_existing=keep, weights="contact_needs"))
    sol = op.solve(initial_state(t, cfg, PROVIDERS))
    assert set(sol.chosen.loc[sol.chosen["existing"], "zone_id"]) == set(forced)
    assert "fs_D" in set(sol.chosen["site_id"]) and ("caf_A" in set(sol.chosen["site_id"])) == (keep is True)
    assert len(sol.chosen_new) == 2
    assert not set(forced) & set(sol.chosen_new["zone_id"])  # no new point where one exists
    cost, zi = cost_matrix(t, cfg), zone_index(t)
    w = t.zones["population"].to_numpy(float) * needs_per_adult(cfg)
    cands = [zi[z] for z in "ABCDEFGH" if z not in forced]
    best = brute_p_median(cost, w, cands, 2, [zi[z] for z in forced])
    assert sol.result.objective == pytest.approx(best, rel=1e-9)


def test_mclp_covers_the_enumerated_most_demand() -> None:
    t, cfg = make_territory(), config([])
    op = parse(site_entry(objective="mclp", p=2, radius_minutes=15))
    sol = op.solve(initial_state(t, cfg, PROVIDERS))
    cost, w = cost_matrix(t, cfg), t.zones["population"].to_numpy(float)
    best = max(
        float(w[(cost[:, list(c)] <= 15).any(axis=1)].sum()) for c in itertools.combinations(range(8), 2)
    )
    assert sol.result.objective == pytest.approx(best, rel=1e-9)
    assert sol.summary()["covered_share"] == pytest.approx(best / w.sum())


def test_lscp_opens_the_enumerated_fewest_sites() -> None:
    t, cfg = make_territory(), config([])
    cost = cost_matrix(t, cfg)
    radius = float(np.sort(cost.min(axis=1))[-1]) + 8.0  # feasible, and not with every zone its own site
    op = parse(site_entry(objective="lscp", p=None, radius_minutes=radius))
    sol = op.solve(initial_state(t, cfg, PROVIDERS))
    fewest = next(
        k
        for k in range(1, 9)
        if any((cost[:, list(c)] <= radius).any(axis=1).all() for c in itertools.combinations(range(8), k))
    )
    assert sol.result.n_sites == fewest < 8
    assert (sol.result.assignment_cost <= radius).all()


def test_bad_problems_are_one_line_naming_the_key() -> None:
    t, cfg = make_territory(), config([])
    state = initial_state(t, cfg, PROVIDERS)
    with pytest.raises(ConfigError, match=r"p = 9 is larger than the number of candidate sites \(8") as info:
        parse(site_entry(p=9)).solve(state)
    assert info.value.key == f"{KEY}.p"
    with pytest.raises(ConfigError, match="no candidate") as info:
        parse(site_entry(candidates={"origin": "fab_lab"})).solve(state)
    assert info.value.key == f"{KEY}.candidates"
    with pytest.raises(ConfigError, match="infeasible covering.*Zone [A-H]") as info:
        parse(site_entry(objective="lscp", p=None, radius_minutes=2)).solve(state)
    assert info.value.key == f"{KEY}.radius_minutes"
    with pytest.raises(ConfigError, match="expected a radius >=") as info:
        parse(site_entry(objective="mclp", radius_minutes=0.5)).solve(state)
    assert info.value.key == f"{KEY}.radius_minutes"


def test_weights_from_a_run_zones_csv(tmp_path: Path) -> None:
    t, cfg = make_territory(), config([])
    zones = tmp_path / "zones.csv"
    unmet = {"A": 0.0, "B": 0.0, "C": 0.0, "D": 0.0, "E": 0.0, "F": 0.0, "G": 50.0, "H": 0.0}
    pd.DataFrame({"zone_id": list(unmet), "unmet_needs": list(unmet.values())}).to_csv(zones, index=False)
    sol = parse(site_entry(p=1, weights="unmet_needs", weights_from=str(zones))).solve(
        initial_state(t, cfg, PROVIDERS)
    )
    assert list(sol.chosen_new["zone_id"]) == ["G"]  # all the unmet demand is there
    assert sol.weights.tolist() == list(unmet.values())
    # a zone missing from the file, then a negative value: the file, the line, the column
    pd.DataFrame({"zone_id": list("ABCDEFG"), "unmet_needs": 1.0}).to_csv(zones, index=False)
    with pytest.raises(InputFileError, match="no row for zone.*H"):
        parse(site_entry(weights="unmet_needs", weights_from=str(zones))).solve(
            initial_state(t, cfg, PROVIDERS)
        )
    pd.DataFrame({"zone_id": list("ABCDEFGH"), "unmet_needs": [1, 1, -2, 1, 1, 1, 1, 1]}).to_csv(
        zones, index=False
    )
    with pytest.raises(InputFileError, match=r"line 4, column 'unmet_needs'.*-2"):
        parse(site_entry(weights="unmet_needs", weights_from=str(zones))).solve(
            initial_state(t, cfg, PROVIDERS)
        )


def test_commute_minutes_saved_weigh_the_zones_far_from_the_jobs() -> None:
    t, cfg = make_territory(), config([])
    state = initial_state(t, cfg, PROVIDERS)
    sol = parse(site_entry(weights="commute_minutes_saved")).solve(state)
    per_adult = sol.weights / t.zones["population"].to_numpy(float)
    assert (sol.weights >= 0).all() and sol.weights.sum() > 0
    # the middle of the road (D, 2,500 adults, far from both towns) saves more per adult than town A
    zi = zone_index(t)
    assert per_adult[zi["D"]] > per_adult[zi["A"]]


# --------------------------------------------------------------------------------------------------
# Applying: the follow-up acts on the chosen sites only; logged; deterministic
# --------------------------------------------------------------------------------------------------
def test_convert_follow_up_changes_exactly_the_chosen_places_as_convert_would() -> None:
    t = make_territory()
    entry = site_entry(p=3, keep_existing=True, weights="contact_needs")
    new, _, log = apply_scenario(t, config([entry]), PROVIDERS)
    sol = parse(entry).solve(initial_state(t, config([]), PROVIDERS))
    chosen = list(sol.chosen_new["site_id"])
    plain = {"op": "convert", "select": {"place_id": chosen}, "counters": 2, "opening_mediation": WEEK}
    expected, _, _ = apply_scenario(t, config([plain]), PROVIDERS)
    pd.testing.assert_frame_equal(new.places, expected.places)
    before = t.places.set_index("place_id")
    after = new.places.set_index("place_id")
    changed = {pid for pid in before.index if not before.loc[pid].equals(after.loc[pid])}
    assert changed == set(chosen)
    (line,) = log
    assert line.startswith("site: p_median, 3 new sites among")
    assert "gap 0.00% (proven optimal)" in line and "objective " in line
    assert all(pid in line for pid in chosen) and "then convert: 3 places" in line


def test_add_places_follow_up_adds_one_place_per_chosen_zone() -> None:
    t = make_territory()
    entry = {
        "op": "site",
        "objective": "p_median",
        "p": 2,
        "candidates": {"zone_centres": True, "exclude_zones_with_activity": "work"},
        "weights": "commute_minutes_saved",
        "keep_existing": True,
        "add_places": {"name": "Coworking", "operator": "private", "desks": 10, "opening": WEEK},
    }
    new, _, log = apply_scenario(t, config([entry]), PROVIDERS)
    added = new.places.iloc[len(t.places) :]
    assert len(added) == 2 and (added["desks"] == 10).all() and (added["operator"] == "private").all()
    assert not set(added["zone_id"]) & {"A", "F"}  # zones that have desks already
    pd.testing.assert_frame_equal(new.places.iloc[: len(t.places)], t.places)
    assert "then add_places: 2 places added" in log[0]


def test_the_choice_is_deterministic() -> None:
    t = make_territory()
    cfg = config([site_entry(p=3, weights="contact_needs", keep_existing=True)])
    a, _, log_a = apply_scenario(t, cfg, PROVIDERS)
    b, _, log_b = apply_scenario(t, cfg, PROVIDERS)
    pd.testing.assert_frame_equal(a.places, b.places)
    assert log_a == log_b


def test_p_same_as_a_rule_based_twin_opens_as_many_sites_and_scores_it() -> None:
    t = make_territory()
    # mediation_hubs converts, one per zone outside the main centre with >= 500 adults and no France Services,
    # the 10 largest: here B, C, E, F, H (A, the most populous, is the main centre: no zone is of kind centre;
    # D has the France Services, G has 300 adults).
    twin, _, _ = apply_scenario(t, to_config({"scenario": _library("mediation_hubs")}), PROVIDERS)
    n_twin = int((twin.places["label"] == "france_services").sum()) - 1
    entry = site_entry(p={"same_as": "mediation_hubs"}, keep_existing="network", weights="contact_needs")
    entry["candidates"] = {
        "origin": ["post_office", "town_hall"],
        "min_zone_population": 500,
        "one_per_zone": True,
    }
    new, _, log = apply_scenario(t, config([entry]), PROVIDERS)
    assert int((new.places["label"] == "france_services").sum()) - 1 == n_twin == 5
    assert (
        "(as many as mediation_hubs)" in log[0]
        and "the rule-based mediation_hubs on the same terms" in log[0]
    )


def _library(name: str) -> dict[str, Any]:
    import yaml

    return yaml.safe_load((ROOT / "configs" / "scenario" / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["mediation_hubs_optimised", "coworking_network_optimised"])
def test_library_optimised_scenarios_match_their_twin_on_the_synthetic_territory(name: str) -> None:
    from simulation.territory import synthetic_territory

    cfg = to_config({"scenario": _library(name)})
    ids = [p.id for p in cfg.providers]
    synth = synthetic_territory(cfg.territory.synthetic, ids, np.random.default_rng(1))
    twin_name = name.removesuffix("_optimised")
    new, _, log = apply_scenario(synth, cfg, ids)
    twin, _, _ = apply_scenario(synth, to_config({"scenario": _library(twin_name)}), ids)

    def n_sites(after: Territory) -> int:
        before = synth.places.reset_index(drop=True)
        rows = after.places.reset_index(drop=True)
        changed = sum(not before.iloc[i].equals(rows.iloc[i]) for i in range(len(before)))
        return changed + len(rows) - len(before)

    assert n_sites(new) == n_sites(twin) > 0
    assert f"(as many as {twin_name})" in log[0] and "proven optimal" in log[0]


# --------------------------------------------------------------------------------------------------
# Common random numbers: the other places' draws and the population are unchanged
# --------------------------------------------------------------------------------------------------
def test_common_random_numbers_hold_for_the_places_the_site_leaves_alone() -> None:
    from simulation.sim.model import SharedPlacesModel

    base = {
        "weeks": 1,
        "warmup_weeks": 0,
        "territory": {"kind": "synthetic"},
        "population": {"sample_rate": 0.05},
        "output": {"progress": False},
    }
    scenario = _library("coworking_network_optimised")
    m0 = SharedPlacesModel(to_config(base))
    m1 = SharedPlacesModel(to_config({**base, "scenario": scenario}))
    w0, w1 = m0.world, m1.world
    fields = (
        "zone",
        "car",
        "digital",
        "worker_person",
        "job_zone",
        "teleworkable",
        "maker_person",
        "agreement",
    )
    for field in (*fields, "third_taste"):
        np.testing.assert_array_equal(getattr(w0.pop, field), getattr(w1.pop, field))
    assert w0.keys == w1.keys
    n0 = w0.network
    n1 = w1.network
    assert n1.n == n0.n + 9 and list(n1.place_id[: n0.n]) == list(n0.place_id)
    np.testing.assert_array_equal(n1.place_hash[: n0.n], n0.place_hash)
    agents = np.arange(200, dtype=np.int64)
    for t in (0, 7, 33):
        u0 = uniform(w0.keys.work, t, agents, n0.place_hash)
        u1 = uniform(w1.keys.work, t, agents, n1.place_hash)
        np.testing.assert_array_equal(u1[:, : n0.n], u0)  # the existing places' noise is the same
        for activity in range(3):
            c0 = n0.slot_capacity(w0.keys.capacity, t, activity)
            c1 = n1.slot_capacity(w1.keys.capacity, t, activity)
            np.testing.assert_array_equal(c1[: n0.n], c0)
    # the needs' stream starts at the same state in both runs
    np.testing.assert_array_equal(m0.rng_needs.random(50), m1.rng_needs.random(50))


# --------------------------------------------------------------------------------------------------
# lieux-site
# --------------------------------------------------------------------------------------------------
def lieux_site(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from simulation.cli_site import main

    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_lieux_site_console_script_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    code = "import sys; from simulation.cli_site import main; sys.exit(main(sys.argv[1:]))"
    args = [sys.executable, "-c", code, "territory=synthetic", "--objective", "p_median", "--p", "0"]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "lieux-site: error: --p: got 0, expected an integer >= 1 or {same_as: <scenario name>}"
    ]
    assert "Traceback" not in proc.stderr


def test_lieux_site_prints_and_maps_the_scenario_sites(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code, stdout, err = lieux_site(
        ["scenario=mediation_hubs_optimised", "territory=synthetic", "--out", str(out)], capsys
    )
    assert code == 0, err
    assert "(as many as mediation_hubs)" in stdout and "proven optimal" in stdout
    assert "the rule-based mediation_hubs on the same terms" in stdout
    sites = pd.read_csv(out / "sites.csv")
    assert {"name", "commune", "existing", "demand_served", "mean_travel_min"} <= set(sites.columns)
    assert (~sites["existing"]).sum() == 9
    zones = pd.read_csv(out / "zones.csv", dtype={"site_id": str})
    assert len(zones) == 100 and zones["site_id"].notna().all()
    # the demand served by the sites is the demand of the zones
    assert sites["demand_served"].sum() == pytest.approx(zones["weight"].sum(), rel=1e-9)
    assert (out / "sites.png").stat().st_size > 10_000


def test_lieux_site_options_pose_their_own_question(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["territory=synthetic", "--objective", "mclp", "--p", "3", "--radius", "12", "--no-files"]
    code, stdout, err = lieux_site(args, capsys)
    assert code == 0, err
    assert "site: mclp, 3 new sites among 100 candidates" in stdout
    assert not (tmp_path / "results").exists()


SYN = ["territory=synthetic"]
PM = [*SYN, "--objective", "p_median"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (SYN, "has no 'op: site'; give --objective"),
        ([*PM, "--p", "0"], "--p: got 0, expected an integer >= 1"),
        (
            [*SYN, "--objective", "median", "--p", "2"],
            "--objective: got 'median', expected one of p_median, mclp, lscp",
        ),
        (PM, "--p: missing"),
        ([*SYN, "--objective", "lscp", "--radius", "1"], "--radius: "),
        ([*PM, "--p", "2", "--weights", "jobs"], "--weights: got 'jobs'"),
        ([*PM, "--p", "2", "--candidates", "{origin: [castle]}"], "--candidates origin[0]: got 'castle'"),
        ([*PM, "--p", "2", "--candidates", "{origin: [post"], "--candidates: cannot read"),
        ([*PM, "--p", "2", "--keep-existing", "x"], "--keep-existing: got 'x'"),
        ([*SYN, "--p", "2"], "--p needs --objective"),
        (["territory=atlantis", "scenario=mediation_hubs_optimised"], "unknown territory 'atlantis'"),
        ([*PM, "--p", "500"], "--p: p = 500 is larger than the number of candidate sites (100"),
        ([*SYN, "experiment=siting_vs_rules"], "runs no experiment"),
    ],
)
def test_lieux_site_bad_input_is_one_line_and_status_2(capsys, args: list[str], message: str) -> None:
    code, stdout, err = lieux_site(args, capsys)
    assert code == 2, stdout + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lieux-site: error: "), err
    assert message in lines[0], lines[0]


def test_the_experiment_script_reads_the_site_line_of_notes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("siting_vs_rules", ROOT / "scripts" / "siting_vs_rules.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    t = make_territory()
    entry = site_entry(p={"same_as": "mediation_hubs"}, keep_existing="network", weights="contact_needs")
    entry["candidates"] = {
        "origin": ["post_office", "town_hall"],
        "min_zone_population": 500,
        "one_per_zone": True,
    }
    _, _, log = apply_scenario(t, config([entry]), PROVIDERS)
    m = script.SITE_LINE.search(f"scenario test: {log[0]}")
    assert m is not None, log[0]
    sol = parse(entry).solve(initial_state(t, config([]), PROVIDERS))
    assert m["objective"] == "p_median" and int(m["new"]) == 5 and m["twin"] == "mediation_hubs"
    assert float(m["value"]) == pytest.approx(sol.result.objective, rel=1e-5)
