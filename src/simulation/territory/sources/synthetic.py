"""Territory source ``synthetic``: a main town, secondary towns and a rural background on a square grid."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from simulation.core.config import SyntheticConfig, TerritoryConfig
from simulation.core.errors import ConfigError
from simulation.territory.rules import PlaceRules, generate_places
from simulation.territory.sources import register
from simulation.territory.tables import Territory, zones_frame

MIN_TOWN_SPACING_KM = 8.0  # secondary towns are at least this far from the main town and from each other
PERIURBAN_CELLS = 1.5  # a cell whose centre is within this many cell sides of a town centre is periurban


def synthetic_territory(
    cfg: SyntheticConfig,
    provider_ids: Sequence[str],
    rng: np.random.Generator,
    fs_counters: Mapping[str, float] | None = None,
) -> Territory:
    """A square grid of ``cell_km`` cells over ``size_km``: a main town, secondary towns, rural background.

    - the main town is the cell at the centre of the square; ``n_secondary_towns`` town cells are drawn at
      random among the cells at least 8 km from the main town and from each other;
    - density of a cell at distances r_t from the towns (Clark 1951, b = ``clark_gradient_per_km``, relative
      to the main town's peak): ``exp(-b r_main) + secondary_weight * sum_i exp(-b r_i) + rural_floor``;
    - ``adults`` are drawn multinomially over the cells with these weights (the total is exact);
    - kinds: main town cell ``centre``, secondary town cells ``urban``, cells within 1.5 cell sides of a town
      centre ``periurban``, others ``rural``; ``car_share``: ``car_share_town`` in centre and urban cells,
      ``car_share_rural`` elsewhere; ``jobs`` NaN (the model places them); ``area_km2`` the cell area;
    - places by :func:`generate_places` (France Services in each secondary town).

    Raises:
        ConfigError: if the secondary towns do not fit at 8 km from each other in the square.
    """
    n = max(1, int(round(cfg.size_km / cfg.cell_km)))
    cell = cfg.size_km / n  # the grid covers the square exactly
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")  # ii: row (y), jj: column (x)
    x = ((jj + 0.5) * cell).ravel()
    y = ((ii + 0.5) * cell).ravel()
    main = (n // 2) * n + n // 2
    towns = [main]
    # Candidate cells in a random order; accept greedily those far enough from every town already chosen.
    for c in rng.permutation(n * n):
        if len(towns) == cfg.n_secondary_towns + 1:
            break
        if all(math.hypot(x[c] - x[t], y[c] - y[t]) >= MIN_TOWN_SPACING_KM for t in towns):
            towns.append(int(c))
    if len(towns) < cfg.n_secondary_towns + 1:
        raise ConfigError(
            "territory.synthetic.n_secondary_towns",
            f"only {len(towns) - 1} secondary towns fit at >= {MIN_TOWN_SPACING_KM:g} km from each other "
            f"in a {cfg.size_km:g} km square; lower n_secondary_towns or enlarge size_km",
        )
    dist = np.hypot(x[:, None] - x[towns][None, :], y[:, None] - y[towns][None, :])  # cells x towns
    weight = np.r_[1.0, np.full(len(towns) - 1, cfg.secondary_weight)]
    density = np.exp(-cfg.clark_gradient_per_km * dist) @ weight + cfg.rural_floor
    adults = rng.multinomial(cfg.adults, density / density.sum())
    kind = np.where(dist.min(axis=1) <= PERIURBAN_CELLS * cell, "periurban", "rural").astype(object)
    kind[towns[1:]] = "urban"
    kind[main] = "centre"
    car = np.where(np.isin(kind, ["centre", "urban"]), cfg.car_share_town, cfg.car_share_rural)
    ids = [f"r{r:02d}c{c:02d}" for r, c in zip(ii.ravel(), jj.ravel(), strict=True)]
    zones = zones_frame(
        [
            {
                "zone_id": ids[k],
                "name": ids[k],
                "x_km": x[k],
                "y_km": y[k],
                "population": int(adults[k]),
                "kind": str(kind[k]),
                "jobs": math.nan,
                "car_share": float(car[k]),
                "area_km2": cell * cell,
            }
            for k in range(n * n)
        ]
    )
    rules = (
        PlaceRules()
        if fs_counters is None
        else PlaceRules(fs_counters={k: int(v) for k, v in fs_counters.items()})
    )
    places = generate_places(zones, provider_ids, None, rng, rules)
    notes = [
        f"synthetic grid of {n} x {n} cells of {cell:g} km; towns in cells {', '.join(ids[t] for t in towns)}"
    ]
    return Territory(name="synthetic", zones=zones, places=places, notes=notes)


@register("synthetic")
def _from_config(tcfg: TerritoryConfig, provider_ids: Sequence[str], rng: np.random.Generator) -> Territory:
    """``territory=synthetic``: the grid of ``territory.synthetic``, drawn from the territory stream."""
    return synthetic_territory(tcfg.synthetic, provider_ids, rng, tcfg.fs_counters)
