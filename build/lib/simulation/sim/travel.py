"""Distances, modes, times, money and CO2 between zones and places (docs/ODD.md 2, "Territory").

Distance = straight line x detour between zone centroids (places sit at their zone's centroid); inside a zone the
mean trip length is (2/3) sqrt(area / pi) x detour when the zone's area is known (the mean distance from the centre
of a disc), else ``territory.intrazonal_km`` by zone kind. Mode: walk below ``walk_max_km``, else car for car
owners, else public transport. Speeds and access times depend on the kind of the origin zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.core.config import ZONE_KINDS, TerritoryConfig, TravelConfig

WALK, CAR, PT = 0, 1, 2


@dataclass(frozen=True)
class TravelMatrices:
    """One-way travel from each zone to each destination (zones or places), for car owners and others.

    Attributes:
        km: road distance [n_zones, n_dest].
        minutes: one-way time, [2, n_zones, n_dest]; index 0 = without a car, 1 = car owner.
        mode: WALK, CAR or PT, [2, n_zones, n_dest].
        co2_kg_km: emissions per person-km of that mode, [2, n_zones, n_dest].
        eur: money cost of a one-way trip, [2, n_zones, n_dest].
    """

    km: np.ndarray
    minutes: np.ndarray
    mode: np.ndarray
    co2_kg_km: np.ndarray
    eur: np.ndarray


def zone_distances(
    zones: pd.DataFrame, dest_zone: np.ndarray, tcfg: TerritoryConfig, detour: float
) -> np.ndarray:
    """Road km from every zone to the zones ``dest_zone`` (indices into ``zones``)."""
    x = zones["x_km"].to_numpy(float)
    y = zones["y_km"].to_numpy(float)
    d = np.hypot(x[:, None] - x[dest_zone][None, :], y[:, None] - y[dest_zone][None, :]) * detour
    kind_km = zones["kind"].map(tcfg.intrazonal_km).to_numpy(float)
    area = zones["area_km2"].to_numpy(float) if "area_km2" in zones else np.full(len(zones), np.nan)
    intra = np.where(np.isfinite(area) & (area > 0), (2.0 / 3.0) * np.sqrt(area / np.pi) * detour, kind_km)
    same = np.arange(len(zones))[:, None] == dest_zone[None, :]
    return np.where(same, intra[:, None], d)


def travel_matrices(
    zones: pd.DataFrame, dest_zone: np.ndarray, tcfg: TerritoryConfig, travel: TravelConfig
) -> TravelMatrices:
    """Distances, times, modes, emissions and costs from every zone to each destination zone index."""
    km = zone_distances(zones, dest_zone, tcfg, travel.detour)
    kinds = zones["kind"].to_numpy()
    car_kmh = np.array([travel.car_kmh[k] for k in kinds])[:, None]
    pt_kmh = np.array([travel.pt_kmh[k] for k in kinds])[:, None]
    car_acc = np.array([travel.car_access_min[k] for k in kinds])[:, None]
    pt_acc = np.array([travel.pt_access_min[k] for k in kinds])[:, None]
    walk = km < travel.walk_max_km
    t_walk = km / travel.walk_kmh * 60.0
    t_car = np.where(walk, t_walk, car_acc + km / car_kmh * 60.0)
    t_pt = np.where(walk, t_walk, pt_acc + km / pt_kmh * 60.0)
    mode = np.stack([np.where(walk, WALK, PT), np.where(walk, WALK, CAR)])
    co2 = np.choose(mode, [0.0, travel.car_co2_kg_km, travel.pt_co2_kg_km])
    eur = np.choose(mode, [np.zeros_like(km), km * travel.car_eur_km, np.full_like(km, travel.pt_eur_trip)])
    return TravelMatrices(km=km, minutes=np.stack([t_pt, t_car]), mode=mode, co2_kg_km=co2, eur=eur)


def kind_index(kinds: pd.Series | np.ndarray) -> np.ndarray:
    """Integer code of zone kinds in the order of ZONE_KINDS."""
    lookup = {k: i for i, k in enumerate(ZONE_KINDS)}
    return np.array([lookup[k] for k in kinds], dtype=np.int64)
