"""Travel between zones and places (docs/ODD.md 7.0), computed by hand on three zones."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.core.config import to_config
from simulation.sim.travel import CAR, PT, WALK, travel_matrices, zone_distances

ZONES = pd.DataFrame(
    {
        "zone_id": ["a", "b", "c"],
        "x_km": [0.0, 3.0, 0.0],
        "y_km": [0.0, 4.0, 0.5],
        "kind": ["centre", "rural", "urban"],
        "area_km2": [math.pi, np.nan, np.nan],
    }
)


def test_distances_are_straight_lines_times_detour_and_intrazonal_from_area_or_kind() -> None:
    cfg = to_config()
    km = zone_distances(ZONES, np.arange(3), cfg.territory, detour=1.3)
    assert km[0, 1] == pytest.approx(5.0 * 1.3) and km[1, 0] == pytest.approx(5.0 * 1.3)
    assert km[0, 2] == pytest.approx(0.5 * 1.3)
    # inside a zone: (2/3) sqrt(area / pi) x detour with the area, else the kind's intrazonal km
    assert km[0, 0] == pytest.approx(2 / 3 * 1.0 * 1.3)
    assert km[1, 1] == pytest.approx(cfg.territory.intrazonal_km["rural"])
    assert km[2, 2] == pytest.approx(cfg.territory.intrazonal_km["urban"])


def test_modes_times_money_and_co2_follow_the_origin_zone() -> None:
    cfg = to_config()
    tr = cfg.travel
    m = travel_matrices(ZONES, np.arange(3), cfg.territory, tr)
    # a -> c is 0.65 km: walked by everyone, at walking speed, free, no CO2
    assert m.mode[0, 0, 2] == WALK and m.mode[1, 0, 2] == WALK
    assert m.minutes[1, 0, 2] == pytest.approx(0.65 / tr.walk_kmh * 60)
    assert m.eur[1, 0, 2] == 0 and m.co2_kg_km[1, 0, 2] == 0
    # b -> a is 6.5 km from a rural zone: car owners drive at the rural speed, others take public transport
    km = 6.5
    assert m.mode[1, 1, 0] == CAR and m.mode[0, 1, 0] == PT
    assert m.minutes[1, 1, 0] == pytest.approx(tr.car_access_min["rural"] + km / tr.car_kmh["rural"] * 60)
    assert m.minutes[0, 1, 0] == pytest.approx(tr.pt_access_min["rural"] + km / tr.pt_kmh["rural"] * 60)
    assert m.eur[1, 1, 0] == pytest.approx(km * tr.car_eur_km) and m.eur[0, 1, 0] == pytest.approx(
        tr.pt_eur_trip
    )
    assert m.co2_kg_km[1, 1, 0] == tr.car_co2_kg_km and m.co2_kg_km[0, 1, 0] == tr.pt_co2_kg_km
    # a -> b starts in the centre: the centre's (slower) car speed and access time
    assert m.minutes[1, 0, 1] == pytest.approx(tr.car_access_min["centre"] + km / tr.car_kmh["centre"] * 60)


def test_place_matrices_are_the_columns_of_their_zones() -> None:
    cfg = to_config()
    zz = travel_matrices(ZONES, np.arange(3), cfg.territory, cfg.travel)
    place_zone = np.array([2, 0, 0, 1])
    zp = travel_matrices(ZONES, place_zone, cfg.territory, cfg.travel)
    for name in ("km", "minutes", "mode", "co2_kg_km", "eur"):
        np.testing.assert_array_equal(getattr(zp, name), getattr(zz, name)[..., place_zone])
