"""Tests of simulation.scenarios: each operation, the selectors, every error path, the library scenarios."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from simulation.core.config import ScenarioConfig, SimConfig, to_config
from simulation.core.errors import ConfigError
from simulation.core.timetable import parse_timetable
from simulation.scenarios import (
    AddPlaces,
    Close,
    Convert,
    OpenOffhours,
    Set,
    apply_scenario,
    parse_interventions,
)
from simulation.territory import Territory, synthetic_territory

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "configs" / "scenario"
PROVIDERS = ["caf", "cpam", "cnav", "msa", "france_travail", "dgfip", "ants", "la_poste"]


def tt(text: str) -> int:
    return parse_timetable(text)


# --------------------------------------------------------------------------------------------------
# A small hand-made territory (docs/INTERFACES.md columns and dtypes)
# --------------------------------------------------------------------------------------------------
ZONES = [
    # zone_id, kind, adults
    ("C", "centre", 20_000),
    ("U1", "urban", 4_000),
    ("U2", "urban", 2_000),
    ("P1", "periurban", 2_500),
    ("P2", "periurban", 1_200),
    ("R1", "rural", 1_800),
    ("R2", "rural", 200),
    ("R3", "rural", 900),
]


def _place(pid: str, zone: str, origin: str, operator: str, opening: str, **kw: Any) -> dict[str, Any]:
    mask = tt(opening)
    desks, counters, seats = kw.get("desks", 0), kw.get("counters", 0), kw.get("workshop_seats", 0)
    med = mask if counters else 0
    return {
        "place_id": pid,
        "zone_id": zone,
        "name": f"{origin} {zone}",
        "origin": origin,
        "operator": operator,
        "area_m2": 100.0,
        "desks": desks,
        "counters": counters,
        "workshop_seats": seats,
        "opening": mask,
        "opening_work": mask if desks else 0,
        "opening_mediation": med,
        "opening_workshop": mask if seats else 0,
        "offhours": 0,
        "network": kw.get("network", False),
        "permanences": {p: med for p in kw.get("providers", [])},
        "price_day_eur": math.nan,
        "price_month_eur": math.nan,
        "label": kw.get("label", ""),
    }


def make_territory() -> Territory:
    zones = pd.DataFrame(
        {
            "zone_id": [z for z, _, _ in ZONES],
            "name": [f"Zone {z}" for z, _, _ in ZONES],
            "x_km": np.arange(len(ZONES), dtype=float) * 5,
            "y_km": np.zeros(len(ZONES)),
            "population": np.array([n for _, _, n in ZONES], dtype=np.int64),
            "kind": [k for _, k, _ in ZONES],
            "jobs": np.full(len(ZONES), np.nan),
            "car_share": np.full(len(ZONES), 0.8),
            "area_km2": np.full(len(ZONES), np.nan),
        }
    )
    wk = "Mon-Fri AM PM"
    rows = [
        _place("off_caf_C", "C", "provider_office", "public", wk, counters=3, providers=["caf"]),
        _place(
            "po_C", "C", "post_office", "public", "Mon-Fri AM PM; Sat AM", counters=2, providers=["la_poste"]
        ),
        _place("th_C", "C", "town_hall", "public", wk, counters=2),
        _place(
            "po_U1", "U1", "post_office", "public", "Mon-Fri AM; Sat AM", counters=1, providers=["la_poste"]
        ),
        _place("th_U1", "U1", "town_hall", "public", wk, counters=3),
        _place("cw_U2", "U2", "coworking", "private", wk, desks=12),
        _place(
            "po_P1", "P1", "post_office", "public", "Mon-Fri AM; Sat AM", counters=1, providers=["la_poste"]
        ),
        _place("th_P1", "P1", "town_hall", "public", "Mon Tue Thu Fri AM", counters=1),
        _place(
            "fs_P2", "P2", "france_services", "public", wk, counters=2, network=True, label="france_services"
        ),
        _place("th_P2", "P2", "town_hall", "public", "Mon-Fri AM", counters=1),
        _place("th_R1", "R1", "town_hall", "public", "Mon Thu AM", counters=1),
        _place("th_R2", "R2", "town_hall", "public", "Tue AM", counters=1),
        _place("po_R3", "R3", "post_office", "public", "Tue-Sat AM", counters=1, providers=["la_poste"]),
        _place("th_R3", "R3", "town_hall", "public", "Mon Wed AM", counters=1),
        _place("lib_C", "C", "library", "public", "Tue-Sat PM; Wed AM", desks=4),
        _place("lib_P1", "P1", "library", "association", "Wed PM; Sat AM", desks=2),
        _place("sch_C", "C", "school", "public", "Mon Tue Thu Fri AM PM; Wed AM"),
        _place("sch_R1", "R1", "school", "public", "Mon Tue Thu Fri AM PM; Wed AM"),
        _place("fab_C", "C", "fab_lab", "association", "Wed EV; Sat PM", workshop_seats=10),
    ]
    places = pd.DataFrame.from_records(rows)
    for c in ("desks", "counters", "workshop_seats", "opening", "opening_work", "opening_mediation"):
        places[c] = places[c].astype(np.int64)
    for c in ("opening_workshop", "offhours"):
        places[c] = places[c].astype(np.int64)
    places["network"] = places["network"].astype(bool)
    return Territory(name="test", zones=zones, places=places, notes=["hand-made"])


def config(interventions: list[Any], **overrides: Any) -> SimConfig:
    return to_config({"scenario": {"name": "test", "interventions": interventions}}, **overrides)


def run(interventions: list[Any], territory: Territory | None = None, **overrides: Any):
    t = territory if territory is not None else make_territory()
    return apply_scenario(t, config(interventions, **overrides), PROVIDERS)


def row(t: Territory, pid: str) -> pd.Series:
    r = t.places.loc[t.places["place_id"] == pid]
    assert len(r) == 1, pid
    return r.iloc[0]


def changed_ids(before: Territory, after: Territory) -> set[str]:
    """Ids of the places whose row differs (same ids on both sides)."""
    a = before.places.set_index("place_id").sort_index()
    b = after.places.set_index("place_id").sort_index()
    assert list(a.index) == list(b.index)
    return {pid for pid in a.index if not a.loc[pid].equals(b.loc[pid])}


MEDIATION_HUBS_LIKE = {
    "op": "convert",
    "select": {
        "origin": ["post_office", "town_hall"],
        "zone_kind": ["urban", "periurban", "rural"],
        "min_zone_population": 1500,
        "exclude_zones_with_label": "france_services",
        "one_per_zone": True,
        "prefer": ["post_office", "town_hall"],
    },
    "counters": 2,
    "opening_mediation": "Mon-Fri AM PM",
    "permanences": {"france_travail": "Tue AM", "caf": "Thu PM"},
}


# --------------------------------------------------------------------------------------------------
# convert
# --------------------------------------------------------------------------------------------------
def test_convert_changes_exactly_the_selected_places():
    base = make_territory()
    new, _, log = apply_scenario(base, config([MEDIATION_HUBS_LIKE]), PROVIDERS)
    # U1 -> its post office (preferred), U2 has neither, P1 -> post office, P2 has a France Services,
    # R1 -> its town hall, R2 and R3 are too small, C is the centre.
    assert changed_ids(base, new) == {"po_U1", "po_P1", "th_R1"}
    assert log == [
        "convert: 3 places (post_office 2, town_hall 1) -> shared mediation points (label france_services, "
        "network mediators, >= 2 counters, Mon-Fri AM PM; permanences france_travail Tue AM, caf Thu PM)"
    ]


def test_convert_sets_masks_capacity_network_label_and_permanences():
    new, _, _ = run([MEDIATION_HUBS_LIKE])
    po = row(new, "po_U1")
    week = tt("Mon-Fri AM PM")
    # Mediation slots are added to the existing ones (the La Poste counter keeps its Saturday morning).
    assert po["opening_mediation"] == week | tt("Sat AM")
    assert po["opening"] == week | tt("Sat AM")
    assert po["counters"] == 2  # raised from 1
    assert bool(po["network"]) is True
    assert po["label"] == "france_services"
    assert po["permanences"] == {
        "la_poste": tt("Mon-Fri AM; Sat AM"),
        "france_travail": tt("Tue AM"),
        "caf": tt("Thu PM"),
    }
    th = row(new, "th_R1")
    assert th["opening"] == week  # was Mon, Thu AM: extended to include the mediation timetable
    assert th["opening_mediation"] == week
    assert th["opening_work"] == 0 and th["desks"] == 0


def test_convert_counters_is_a_minimum_and_prefer_orders_the_choice():
    new, _, _ = run(
        [
            {
                "op": "convert",
                "select": {
                    "zone": ["U1"],
                    "origin": ["post_office", "town_hall"],
                    "one_per_zone": True,
                    "prefer": ["town_hall"],
                },
                "counters": 2,
                "network": False,
                "label": "",
            }
        ]
    )
    th = row(new, "th_U1")
    assert th["counters"] == 3  # already had 3: "at least 2" keeps 3
    assert bool(th["network"]) is False
    assert row(new, "po_U1")["counters"] == 1  # not picked: town_hall is preferred here


def test_convert_removes_offhours_that_became_opening():
    iv = [
        {"op": "set", "values": {"policy.sharing_clause": True}},
        {
            "op": "open_offhours",
            "select": {"place_id": ["th_R1"]},
            "activities": {"work": {"timetable": "Mon-Fri PM", "capacity": 3}},
        },
        {"op": "convert", "select": {"place_id": ["th_R1"]}, "opening_mediation": "Mon-Fri AM; Tue PM"},
    ]
    new, _, _ = run(iv)
    th = row(new, "th_R1")
    assert th["opening"] == tt("Mon-Fri AM; Tue PM")
    assert th["offhours"] == tt("Mon Wed Thu Fri PM")  # Tue PM is now an ordinary opening slot
    assert th["opening_work"] == tt("Mon-Fri PM")


def test_limit_keeps_the_largest_zones_first():
    new, _, log = run([{"op": "convert", "select": {"origin": ["town_hall"], "limit": 2}}])
    assert {p for p in new.places["place_id"] if row(new, p)["label"] == "france_services"} == {
        "th_C",
        "th_U1",
        "fs_P2",
    }
    assert log[0].startswith("convert: 2 places (town_hall 2)")


# --------------------------------------------------------------------------------------------------
# open_offhours
# --------------------------------------------------------------------------------------------------
SHARING = {"op": "set", "values": {"policy.sharing_clause": True}}


def test_open_offhours_adds_only_closed_slots_of_public_buildings():
    base = make_territory()
    iv = [
        SHARING,
        {
            "op": "open_offhours",
            "select": {"origin": ["library"]},
            "activities": {"work": {"timetable": "Mon-Fri AM", "capacity": 6}},
        },
    ]
    new, cfg, log = run(iv, base)
    assert changed_ids(base, new) == {"lib_C"}  # lib_P1 is run by an association: skipped
    lib = row(new, "lib_C")
    closed_mornings = tt("Mon Tue Thu Fri AM")  # Wed AM is an opening slot of the library
    assert lib["offhours"] == closed_mornings
    assert lib["opening_work"] == tt("Tue-Sat PM; Wed AM") | closed_mornings
    assert lib["opening"] == row(base, "lib_C")["opening"]  # its own opening is unchanged
    assert lib["desks"] == 6  # max(4, 6)
    assert lib["offhours"] & lib["opening"] == 0
    assert cfg.policy.sharing_clause is True
    assert "1 non-public places skipped" in log[1]
    assert "work 1 places, 4 slots (6 desks)" in log[1]


def test_open_offhours_workshop_in_schools():
    iv = [
        SHARING,
        {
            "op": "open_offhours",
            "select": {"origin": "school"},
            "activities": {"workshop": {"timetable": "Mon-Fri EV; Wed PM; Sat PM", "capacity": 12}},
        },
    ]
    new, _, _ = run(iv)
    for pid in ("sch_C", "sch_R1"):
        s = row(new, pid)
        assert s["offhours"] == tt("Mon-Fri EV; Wed PM; Sat PM")
        assert s["opening_workshop"] == s["offhours"]
        assert s["workshop_seats"] == 12


def test_open_offhours_fully_open_slots_add_nothing_and_keep_capacity():
    iv = [
        SHARING,
        {
            "op": "open_offhours",
            "select": {"place_id": "th_U1"},
            "activities": {"work": {"timetable": "Mon-Fri AM", "capacity": 4}},
        },
    ]
    base = make_territory()
    new, _, log = run(iv, base)
    assert changed_ids(base, new) == set()  # Mon-Fri AM is already open: no closed slot to add
    assert "0 public places" in log[1]


def test_open_offhours_explicit_non_public_place_is_an_error():
    iv = [
        SHARING,
        {
            "op": "open_offhours",
            "select": {"place_id": ["lib_P1"]},
            "activities": {"work": {"timetable": "Mon AM", "capacity": 2}},
        },
    ]
    with pytest.raises(ConfigError, match=r"interventions\[1\]\.select\.place_id.*lib_P1 is not public"):
        run(iv)


def test_open_offhours_requires_the_sharing_clause():
    iv = [
        {
            "op": "open_offhours",
            "select": {"origin": "school"},
            "activities": {"workshop": {"timetable": "Mon EV", "capacity": 5}},
        }
    ]
    with pytest.raises(ConfigError, match=r"scenario\.interventions\[0\].*sharing_clause"):
        run(iv)
    # The clause given on the command line (not by the scenario) is enough.
    new, _, _ = run(iv, **{"policy.sharing_clause": True})
    assert row(new, "sch_C")["offhours"] == tt("Mon EV")


# --------------------------------------------------------------------------------------------------
# add_places
# --------------------------------------------------------------------------------------------------
COWORK = {
    "op": "add_places",
    "at": {
        "zone_kind": ["periurban", "rural"],
        "min_zone_population": 1000,
        "exclude_zones_with_activity": "work",
    },
    "name": "Coworking",
    "operator": "private",
    "desks": 10,
    "opening": "Mon-Fri AM PM",
}


def test_add_places_one_per_zone_with_all_attributes():
    base = make_territory()
    new, _, log = run([COWORK], base)
    added = new.places.iloc[len(base.places) :]
    # P1 (2,500) has the association library's desks: excluded; R1 (1,800) and P2 (1,200) qualify.
    assert list(added["place_id"]) == ["new_R1_1", "new_P2_1"]  # largest zone first
    assert list(added["name"]) == ["Coworking Zone R1", "Coworking Zone P2"]
    assert (added["origin"] == "new").all() and (added["operator"] == "private").all()
    assert (added["desks"] == 10).all() and (added["counters"] == 0).all()
    assert (added["opening"] == tt("Mon-Fri AM PM")).all()
    assert (added["opening_work"] == tt("Mon-Fri AM PM")).all()
    assert (added["opening_mediation"] == 0).all() and (added["offhours"] == 0).all()
    assert not added["network"].any()
    assert added["price_day_eur"].isna().all()
    # Default floor area: 10 desks x 8 m2 x 1.25 circulation.
    assert added["area_m2"].tolist() == [100.0, 100.0]
    # The existing rows are untouched and the dtypes are those of the contract.
    pd.testing.assert_frame_equal(new.places.iloc[: len(base.places)], base.places)
    assert new.places.dtypes.to_dict() == base.places.dtypes.to_dict()
    assert log == [
        "add_places: 2 places added (origin new; periurban 1, rural 1) with 10 desks, private, 100 m2"
    ]


def test_add_places_ids_stay_unique_when_applied_twice():
    again = dict(COWORK, at={"zone": ["R1"]})
    new, _, _ = run([again, again])
    assert [p for p in new.places["place_id"] if p.startswith("new_")] == ["new_R1_1", "new_R1_2"]


def test_add_places_activity_timetables_and_providers():
    iv = {
        "op": "add_places",
        "at": {"zone_kind": "urban", "exclude_zones_with_origin": ["coworking"]},
        "origin": "community_centre",
        "operator": "association",
        "counters": 2,
        "desks": 8,
        "workshop_seats": 10,
        "area_m2": 250,
        "opening": "Mon-Fri AM PM EV; Sat AM PM",
        "opening_mediation": "Mon-Fri AM",
        "opening_workshop": "Mon-Fri EV; Sat AM PM",
        "network": True,
        "permanences": {"caf": "Thu AM"},
        "label": "france_services",
        "price_day_eur": 8,
    }
    new, _, _ = run([iv])
    p = row(new, "new_U1_1")  # U2 has a coworking: excluded
    assert "new_U2_1" not in set(new.places["place_id"])
    assert p["opening_mediation"] == tt("Mon-Fri AM")
    assert p["opening_work"] == tt("Mon-Fri AM PM EV; Sat AM PM")  # not given: the whole opening
    assert p["opening_workshop"] == tt("Mon-Fri EV; Sat AM PM")
    assert bool(p["network"]) and p["permanences"] == {"caf": tt("Thu AM")}
    assert p["label"] == "france_services" and p["price_day_eur"] == 8.0 and p["area_m2"] == 250.0


# --------------------------------------------------------------------------------------------------
# close and set
# --------------------------------------------------------------------------------------------------
def test_close_removes_the_selected_rows():
    base = make_territory()
    new, _, log = run(
        [{"op": "close", "select": {"origin": ["post_office", "town_hall"], "max_zone_population": 2000}}],
        base,
    )
    gone = set(base.places["place_id"]) - set(new.places["place_id"])
    assert gone == {"th_P2", "th_R1", "th_R2", "po_R3", "th_R3"}
    assert len(new.places) == len(base.places) - 5
    assert list(new.places.index) == list(range(len(new.places)))
    assert log == ["close: 5 places removed (town_hall 4, post_office 1)"]


def test_closing_every_place_is_refused_only_when_nothing_opens_after():
    base = make_territory()
    every = {"op": "close", "select": {"max_zone_population": 10**9}}
    with pytest.raises(ConfigError, match=r"interventions\[0\]\.select.*no later intervention opens one"):
        run([every], base)
    # the end state counts: close everything, then open the coworking spaces of COWORK
    new, _, log = run([every, COWORK], base)
    assert len(new.places) > 0 and (new.places["origin"] == "new").all()
    assert log[0].startswith(f"close: {len(base.places)} places removed")


def test_set_applies_values_and_revalidates():
    iv = [
        {"op": "set", "values": {"policy.remote_days_per_week": 3, "economics.allocation": "contacts"}},
        {"op": "set", "values": {"policy": {"price_day_eur": 8.5, "subsidy_rule": "deficit"}}},
    ]
    cfg0 = config(iv)
    _, cfg, log = apply_scenario(make_territory(), cfg0, PROVIDERS)
    assert cfg.policy.remote_days_per_week == 3
    assert cfg.economics.allocation == "contacts"
    assert cfg.policy.price_day_eur == 8.5 and cfg.policy.subsidy_rule == "deficit"
    assert cfg0.policy.remote_days_per_week == 2 and cfg0.economics.allocation == "shapley"  # input untouched
    assert (
        log[0]
        == "set: policy.remote_days_per_week = 3 (was 2), economics.allocation = 'contacts' (was 'shapley')"
    )


def test_set_out_of_range_value_names_the_key():
    with pytest.raises(
        ConfigError, match=r"scenario\.interventions\[0\]\.values\.policy\.remote_days_per_week"
    ):
        run([{"op": "set", "values": {"policy.remote_days_per_week": 6}}])


# --------------------------------------------------------------------------------------------------
# General behaviour
# --------------------------------------------------------------------------------------------------
def test_input_territory_and_config_are_not_mutated():
    base = make_territory()
    places_before = base.places.copy(deep=True)
    perms_before = copy.deepcopy(list(base.places["permanences"]))
    zones_before = base.zones.copy(deep=True)
    iv = [
        SHARING,
        MEDIATION_HUBS_LIKE,
        {
            "op": "open_offhours",
            "select": {"origin": "library"},
            "activities": {"work": {"timetable": "Mon-Fri AM", "capacity": 6}},
        },
        COWORK,
        {"op": "close", "select": {"label": "france_services"}},
        {"op": "set", "values": {"policy.price_day_eur": 5}},
    ]
    cfg = config(iv)
    cfg_before = copy.deepcopy(cfg)
    new, new_cfg, _ = apply_scenario(base, cfg, PROVIDERS)
    pd.testing.assert_frame_equal(base.places, places_before)
    assert list(base.places["permanences"]) == perms_before
    pd.testing.assert_frame_equal(base.zones, zones_before)
    assert cfg == cfg_before
    assert new.places is not base.places and new_cfg is not cfg
    pd.testing.assert_frame_equal(new.zones, base.zones)
    assert new.name == "test" and new.notes == ["hand-made"]


def test_selector_matching_nothing_is_logged_not_an_error():
    base = make_territory()
    new, _, log = run([{"op": "convert", "select": {"origin": ["fab_lab"], "zone_kind": ["rural"]}}], base)
    pd.testing.assert_frame_equal(new.places, base.places)
    assert log == ["convert: the selector matched no place (nothing changed)"]
    _, _, log = run(
        [{"op": "add_places", "at": {"min_zone_population": 10**6}, "desks": 3, "opening": "Mon AM"}]
    )
    assert log == ["add_places: the zone selector matched no zone (nothing added)"]


def test_exclusions_see_the_previous_interventions():
    # The second convert must skip U1, which the first one has just labelled.
    iv = [
        {"op": "convert", "select": {"place_id": ["po_U1"]}},
        {
            "op": "convert",
            "select": {
                "origin": "town_hall",
                "zone": ["U1", "R1"],
                "exclude_zones_with_label": "france_services",
            },
        },
    ]
    new, _, _ = run(iv)
    assert row(new, "th_U1")["label"] == ""
    assert row(new, "th_R1")["label"] == "france_services"


def test_parse_interventions_returns_typed_operations():
    off = {
        "op": "open_offhours",
        "select": {"origin": "school"},
        "activities": {"workshop": {"timetable": "Mon EV", "capacity": 5}},
    }
    close = {"op": "close", "select": {"place_id": "a"}}
    sc = ScenarioConfig(name="x", interventions=[MEDIATION_HUBS_LIKE, COWORK, close, SHARING, off])
    out = parse_interventions(sc, PROVIDERS)
    assert [type(x) for x in out] == [Convert, AddPlaces, Close, Set, OpenOffhours]
    assert out[0].select.origin == ("post_office", "town_hall") and out[0].permanences["caf"] == tt("Thu PM")
    assert out[2].select.place_id == ("a",)  # a lone string is a one-element list
    assert out[4].activities["workshop"].timetable == tt("Mon EV")
    assert out[3].key == "scenario.interventions[3]"
    default = parse_interventions(
        ScenarioConfig(interventions=[{"op": "convert", "select": {"origin": "town_hall"}}])
    )
    assert default[0].opening_mediation == tt("Mon-Fri AM PM") and default[0].counters == 2
    assert default[0].network is True and default[0].label == "france_services"


# --------------------------------------------------------------------------------------------------
# Error paths: each names the key path and what was expected
# --------------------------------------------------------------------------------------------------
def _err(interventions: list[Any], providers: list[str] | None = PROVIDERS) -> str:
    with pytest.raises(ConfigError) as info:
        parse_interventions(ScenarioConfig(name="x", interventions=interventions), providers)
    return str(info.value)


OFF = {
    "op": "open_offhours",
    "select": {"origin": "school"},
    "activities": {"workshop": {"timetable": "Mon EV", "capacity": 5}},
}


@pytest.mark.parametrize(
    ("entry", "key", "expected"),
    [
        (
            {"op": "demolish"},
            "scenario.interventions[1].op",
            "one of add_places, close, convert, france_services, open_offhours, set",
        ),
        ({"select": {"origin": "school"}}, "scenario.interventions[1].op", "got None"),
        ("close everything", "scenario.interventions[1]", "a mapping with an 'op' key"),
        (
            {"op": "close", "select": {"origin": "school"}, "when": 3},
            "scenario.interventions[1].when",
            "allowed keys: op, select",
        ),
        ({"op": "close"}, "scenario.interventions[1].select", "missing"),
        ({"op": "close", "select": {}}, "scenario.interventions[1].select", "at least one criterion"),
        (
            {"op": "close", "select": {"origin": 3}},
            "scenario.interventions[1].select.origin",
            "a string or a non-empty list",
        ),
        (
            {"op": "close", "select": {"origin": ["post_office", "castle"]}},
            "scenario.interventions[1].select.origin[1]",
            "one of provider_office",
        ),
        (
            {"op": "close", "select": {"zone_kind": "suburb"}},
            "scenario.interventions[1].select.zone_kind[0]",
            "one of centre, urban, periurban, rural",
        ),
        (
            {"op": "close", "select": {"colour": "red"}},
            "scenario.interventions[1].select.colour",
            "unknown key; allowed keys: zone_kind",
        ),
        (
            {"op": "close", "select": {"origin": "school", "limit": 0}},
            "scenario.interventions[1].select.limit",
            "an integer >= 1",
        ),
        (
            {"op": "close", "select": {"origin": "school", "one_per_zone": "yes"}},
            "scenario.interventions[1].select.one_per_zone",
            "true or false",
        ),
        (
            {"op": "close", "select": {"min_zone_population": 500, "max_zone_population": 100}},
            "scenario.interventions[1].select.max_zone_population",
            ">= min_zone_population",
        ),
        (
            {"op": "convert", "select": {"origin": "town_hall"}, "opening_mediation": "Mon-Fry AM"},
            "scenario.interventions[1].opening_mediation",
            "malformed timetable",
        ),
        (
            {"op": "convert", "select": {"origin": "town_hall"}, "opening_mediation": 12.5},
            "scenario.interventions[1].opening_mediation",
            "a timetable",
        ),
        (
            {"op": "convert", "select": {"origin": "town_hall"}, "counters": "two"},
            "scenario.interventions[1].counters",
            "an integer >= 1",
        ),
        (
            {"op": "convert", "select": {"origin": "town_hall"}, "permanences": {"bank": "Mon AM"}},
            "scenario.interventions[1].permanences.bank",
            "unknown provider; expected one of caf",
        ),
        (
            {"op": "convert", "select": {"origin": "town_hall"}, "permanences": {"caf": "Sat AM"}},
            "scenario.interventions[1].permanences.caf",
            "outside opening_mediation",
        ),
        (
            {
                "op": "convert",
                "select": {"origin": "town_hall"},
                "permanences": {"france_services": "Mon AM"},
            },
            "scenario.interventions[1].permanences.france_services",
            "network: true",
        ),
        (
            {
                "op": "open_offhours",
                "select": {"origin": "school"},
                "activities": {"dance": {"timetable": "Mon EV", "capacity": 5}},
            },
            "scenario.interventions[1].activities.dance",
            "allowed keys: work, mediation, workshop",
        ),
        (
            {
                "op": "open_offhours",
                "select": {"origin": "school"},
                "activities": {"workshop": {"timetable": "Mon EV"}},
            },
            "scenario.interventions[1].activities.workshop.capacity",
            "missing",
        ),
        (
            {
                "op": "open_offhours",
                "select": {"origin": "school"},
                "activities": {"workshop": {"timetable": "Mon XX", "capacity": 5}},
            },
            "scenario.interventions[1].activities.workshop.timetable",
            "malformed timetable",
        ),
        (
            {"op": "add_places", "at": {"zone_kind": "rural"}, "opening": "Mon AM"},
            "scenario.interventions[1]",
            "needs some capacity",
        ),
        (
            {"op": "add_places", "at": {"zone_kind": "rural"}, "desks": 2},
            "scenario.interventions[1].opening",
            "missing",
        ),
        (
            {
                "op": "add_places",
                "at": {"zone_kind": "rural"},
                "desks": 2,
                "opening": "Mon AM",
                "opening_work": "Mon PM",
            },
            "scenario.interventions[1].opening_work",
            "outside opening",
        ),
        (
            {
                "op": "add_places",
                "at": {"zone_kind": "rural"},
                "desks": 2,
                "opening": "Mon AM",
                "opening_workshop": "Mon AM",
            },
            "scenario.interventions[1].opening_workshop",
            "no workshop_seats",
        ),
        (
            {
                "op": "add_places",
                "at": {"zone_kind": "rural"},
                "desks": 2,
                "opening": "Mon AM",
                "network": True,
            },
            "scenario.interventions[1].counters",
            "need counters > 0",
        ),
        (
            {"op": "add_places", "at": {"origin": "school"}, "desks": 2, "opening": "Mon AM"},
            "scenario.interventions[1].at.origin",
            "unknown key",
        ),
        (
            {
                "op": "add_places",
                "at": {"zone_kind": "rural"},
                "desks": 2,
                "opening": "Mon AM",
                "operator": "state",
            },
            "scenario.interventions[1].operator",
            "one of public, private, association",
        ),
        (
            {"op": "add_places", "at": {"zone_kind": "rural"}, "desks": -1, "opening": "Mon AM"},
            "scenario.interventions[1].desks",
            "an integer >= 0",
        ),
        (
            {"op": "set", "values": {"seed": 3}},
            "scenario.interventions[1].values.seed",
            "only set keys under policy., economics., behaviour.",
        ),
        (
            {"op": "set", "values": {"policy.free_lunch": True}},
            "scenario.interventions[1].values.policy.free_lunch",
            "free_lunch",
        ),
        (
            {"op": "set", "values": {"policy.price_day_eur": "cheap"}},
            "scenario.interventions[1].values.policy.price_day_eur",
            "cheap",
        ),
        ({"op": "set", "values": 3}, "scenario.interventions[1].values", "a mapping"),
    ],
)
def test_errors_name_the_key_path(entry, key, expected):
    msg = _err([SHARING, entry])
    assert f"config key '{key}'" in msg
    assert expected in msg


def test_unknown_place_or_zone_listed_explicitly_is_an_error():
    with pytest.raises(
        ConfigError, match=r"interventions\[0\]\.select\.place_id.*unknown place id\(s\) nope"
    ):
        run([{"op": "close", "select": {"place_id": ["po_C", "nope"]}}])
    with pytest.raises(ConfigError, match=r"interventions\[0\]\.select\.zone.*unknown zone id\(s\) Z9"):
        run([{"op": "convert", "select": {"zone": ["Z9"]}}])
    with pytest.raises(ConfigError, match=r"interventions\[0\]\.at\.zone.*Z9"):
        run([{"op": "add_places", "at": {"zone": "Z9"}, "desks": 1, "opening": "Mon AM"}])


def test_provider_check_needs_the_provider_list():
    entry = {"op": "convert", "select": {"origin": "town_hall"}, "permanences": {"bank": "Mon AM"}}
    assert "unknown provider" in _err([entry], PROVIDERS)
    out = parse_interventions(ScenarioConfig(name="x", interventions=[entry]), None)  # no list: not checked
    assert out[0].permanences == {"bank": tt("Mon AM")}


# --------------------------------------------------------------------------------------------------
# The library scenarios
# --------------------------------------------------------------------------------------------------
LIBRARY = [
    "baseline",
    "mediation_hubs",
    "coworking_network",
    "open_public_buildings",
    "multiplexed_hubs",
    "wider_mesh",
    "mediation_hubs_optimised",
    "coworking_network_optimised",
]


def load_library(name: str) -> SimConfig:
    path = SCENARIO_DIR / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), f"{path.name} must start with a comment naming its strategy"
    node = OmegaConf.load(path)
    assert set(node) == {"name", "description", "interventions"} and node.name == name and node.description
    return to_config({"scenario": node})  # what Hydra does with the scenario group


@pytest.mark.parametrize("name", LIBRARY)
def test_library_scenario_parses_and_applies(name):
    cfg = load_library(name)
    ivs = parse_interventions(cfg.scenario, [p.id for p in cfg.providers])
    assert (len(ivs) == 0) == (name == "baseline")
    base = make_territory()
    new, new_cfg, log = apply_scenario(base, cfg, [p.id for p in cfg.providers])
    assert len(log) == len(ivs)
    # Also on the built-in synthetic territory, with the default configuration.
    synth = synthetic_territory(
        cfg.territory.synthetic, [p.id for p in cfg.providers], np.random.default_rng(1)
    )
    apply_scenario(synth, cfg, [p.id for p in cfg.providers])


def _apply_library(name: str) -> tuple[Territory, Territory, SimConfig]:
    cfg = load_library(name)
    base = make_territory()
    new, new_cfg, _ = apply_scenario(base, cfg, [p.id for p in cfg.providers])
    return base, new, new_cfg


def _zone_kind(t: Territory) -> pd.Series:
    return t.places["zone_id"].map(t.zones.set_index("zone_id")["kind"])


def test_library_baseline_changes_nothing():
    base, new, cfg = _apply_library("baseline")
    pd.testing.assert_frame_equal(new.places, base.places)


def test_library_mediation_hubs_adds_network_points_outside_the_centre():
    base, new, _ = _apply_library("mediation_hubs")
    # One per zone outside the centre, >= 500 adults, not P2 (France Services), not R2 (200 adults).
    assert changed_ids(base, new) == {"po_U1", "po_P1", "th_R1", "po_R3"}
    net = new.places[new.places["network"]]
    assert set(net["place_id"]) == {"fs_P2", "po_U1", "po_P1", "th_R1", "po_R3"}
    assert (_zone_kind(new)[new.places["network"]] != "centre").all()
    assert (net["counters"] >= 2).all()


def test_library_coworking_network_adds_private_desks_in_poles():
    base, new, _ = _apply_library("coworking_network")
    added = new.places.iloc[len(base.places) :]
    # P1 has desks (library), U2 has a coworking; R2 (200 adults) is below the threshold.
    assert set(added["zone_id"]) == {"P2", "R1", "R3", "U1"}
    assert (added["operator"] == "private").all() and (added["desks"] == 10).all()
    assert (added["counters"] == 0).all() and (added["workshop_seats"] == 0).all()


def test_library_open_public_buildings_uses_only_closed_slots():
    base, new, cfg = _apply_library("open_public_buildings")
    assert cfg.policy.sharing_clause is True
    opened = new.places[new.places["offhours"] != 0]
    assert set(opened["origin"]) == {"school", "library", "town_hall"}
    assert (opened["operator"] == "public").all()
    assert ((opened["offhours"] & opened["opening"]) == 0).all()
    assert "lib_P1" not in set(opened["place_id"])  # association-run
    assert row(new, "th_R2")["offhours"] == 0  # 200 adults: below the 300 of the scenario
    assert set(opened.loc[opened["origin"] == "town_hall", "place_id"]) == {
        "th_P1",
        "th_P2",
        "th_R1",
        "th_R3",
    }
    assert row(new, "sch_R1")["opening_workshop"] == tt("Mon-Fri EV; Wed PM; Sat PM")
    assert row(new, "th_R1")["opening_work"] == tt("Mon-Fri PM")
    assert row(new, "th_C")["offhours"] == 0  # open all weekday afternoons already


def test_library_multiplexed_hubs_one_building_three_activities_at_different_hours():
    base, new, _ = _apply_library("multiplexed_hubs")
    added = new.places.iloc[len(base.places) :]
    assert set(added["zone_id"]) == {"U1", "U2", "P1", "R1", "P2", "R3"}
    for _, p in added.iterrows():
        assert p["desks"] > 0 and p["counters"] > 0 and p["workshop_seats"] > 0
        assert p["opening_mediation"] == tt("Mon-Fri AM") and bool(p["network"])
        assert p["opening_work"] == tt("Mon-Fri AM PM")
        assert p["opening_workshop"] & p["opening_work"] == 0  # evenings and Saturdays


def test_library_wider_mesh_fewer_larger_hubs():
    base, new, _ = _apply_library("wider_mesh")
    gone = set(base.places["place_id"]) - set(new.places["place_id"])
    # Small zones are relative: the smallest zones home to half the adults. Here the centre C holds 61 % of
    # them, so every other zone is small and loses its France Services and post offices; town halls stay.
    assert gone == {"fs_P2", "po_R3", "po_P1", "po_U1"}
    added = new.places.iloc[len(base.places) - len(gone) :]
    assert set(added["zone_id"]) == {"C"}  # centre or urban zones of the large half only
    assert (
        (added["counters"] == 4).all()
        and (added["desks"] == 30).all()
        and (added["workshop_seats"] == 16).all()
    )
    assert added["network"].all() and (added["label"] == "france_services").all()
    # No labelled point is left in a small zone: every network point is a large hub of the centre or a town.
    net = new.places[new.places["network"]]
    assert (_zone_kind(new)[new.places["network"]].isin(["centre", "urban"])).all()
    assert (net["counters"] == 4).all() and len(net) == 1
