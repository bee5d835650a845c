"""Selectors: which zones (``at``) and which places (``select``) an intervention acts on.

Selectors pick places; every criterion given must hold: ``origin``, ``operator``, ``label``, ``place_id``,
``zone`` (zone ids), ``zone_kind`` (lists; a single string is accepted), ``min_zone_population``,
``max_zone_population`` (adults), the relative criteria below, ``exclude_zones_with_label`` (skip zones
that have a place with that label, e.g. ``france_services``), ``exclude_zones_with_origin``,
``exclude_zones_with_activity`` (skip zones that have a place with that capacity, e.g. ``work``),
``one_per_zone`` (keep one place per zone, the first of ``prefer``, an origin order), ``limit`` (keep at most
this many, largest zones first). The zone selector ``at`` takes the zone criteria and ``limit`` (zones). A
selector that matches nothing is logged, not an error (scenarios must run on any territory); an unknown
``place_id`` or ``zone`` listed explicitly is an error.

Relative criteria (issue 9) say "large", "small" or "outside the main town" the same way on a rural
departement of 309 communes and on a city of 9 arrondissements, where absolute thresholds in adults match
nothing or everything. They rank each zone within the whole territory (``state.zones``, which interventions do
not change), before the other criteria apply:

- ``largest_zones: N``: the N most populous zones (ties by zone id).
- ``largest_zones_share: s`` / ``smallest_zones_share: s`` (0 < s <= 1): the most (least) populous zones that
  are home to the share s of the territory's adults. Zones sorted by adults, largest (smallest) first, each
  covers a slice of the cumulative share; it belongs when the middle of its slice is below s, so that
  ``largest_zones_share: s`` and ``smallest_zones_share: 1 - s`` split the zones in two. On the Nièvre,
  ``smallest_zones_share: 0.5`` is the 290 communes of at most 1,500 adults (home to 50.1 %); on Lyon the
  six smallest of the nine arrondissements.
- ``min_zone_population_quantile: q`` / ``max_zone_population_quantile: q`` (0 <= q <= 1): adults at least
  (at most) the q-quantile of the zones' adults (linear interpolation, numpy's default).
- ``main_centre: true|false``: only the territory's main centre, or every zone but it. The main centre is the
  most populous zone of kind ``centre`` (else the most populous zone), the arrondissements of Paris, Lyon and
  Marseille counting together as their city, as the place rules' centre
  (:func:`simulation.territory.rules.centre_index`): Nevers, Lyon 3e (in the Rhône too, not Villeurbanne),
  Paris 15e, Marseille 13e.
- ``min_centre_km`` / ``max_centre_km``: straight-line distance from the main centre, km (zone positions).
- ``min_centre_km_quantile: q`` / ``max_centre_km_quantile: q`` (0 <= q <= 1): that distance at least (at most)
  its q-quantile over the zones.

Zone kinds themselves are computed the same way on every French territory (one national rule of density and
size, :func:`simulation.territory.sources.france.zone_kinds`): every arrondissement of Lyon or Paris is a
``centre``, so a scenario about "urban zones" or "outside the main town" should say it with ``main_centre``
or a population share rather than a kind alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.config import ACTIVITIES, OPERATORS, ORIGINS, ZONE_KINDS
from simulation.core.errors import ConfigError
from simulation.scenarios.parsing import boolean, fail, fraction, integer, mapping, number, str_list, string
from simulation.territory.rules import centre_index

CAPACITY_COLUMN = {"work": "desks", "mediation": "counters", "workshop": "workshop_seats"}


@dataclass(frozen=True)
class ZoneSelector:
    """Picks zones. Every criterion that is given must hold; an empty selector picks every zone.

    Attributes:
        zone_kind: zone kinds (config.ZONE_KINDS) to keep.
        zone: zone ids to keep (each must exist).
        min_zone_population: keep zones with at least this many adults.
        max_zone_population: keep zones with at most this many adults.
        exclude_zones_with_label: skip zones that have a place with this label.
        exclude_zones_with_origin: skip zones that have a place of one of these origins.
        exclude_zones_with_activity: skip zones that have a place with capacity for this activity.
        limit: keep at most this many (zones for ``at``, places for ``select``), largest zones first.
        largest_zones: keep the territory's N most populous zones.
        largest_zones_share: keep the most populous zones home to this share of the adults (0-1].
        smallest_zones_share: keep the least populous zones home to this share of the adults (0-1].
        min_zone_population_quantile: keep zones with adults >= this quantile of the zones' adults.
        max_zone_population_quantile: keep zones with adults <= this quantile of the zones' adults.
        main_centre: true: only the main centre; false: every zone but the main centre.
        min_centre_km: keep zones at least this far from the main centre, km.
        max_centre_km: keep zones at most this far from the main centre, km.
        min_centre_km_quantile: keep zones at least as far from the main centre as this quantile of distances.
        max_centre_km_quantile: keep zones at most as far from the main centre as this quantile of distances.
    """

    zone_kind: tuple[str, ...] | None = None
    zone: tuple[str, ...] | None = None
    min_zone_population: int | None = None
    max_zone_population: int | None = None
    exclude_zones_with_label: str | None = None
    exclude_zones_with_origin: tuple[str, ...] | None = None
    exclude_zones_with_activity: str | None = None
    limit: int | None = None
    largest_zones: int | None = None
    largest_zones_share: float | None = None
    smallest_zones_share: float | None = None
    min_zone_population_quantile: float | None = None
    max_zone_population_quantile: float | None = None
    main_centre: bool | None = None
    min_centre_km: float | None = None
    max_centre_km: float | None = None
    min_centre_km_quantile: float | None = None
    max_centre_km_quantile: float | None = None


@dataclass(frozen=True)
class Selector(ZoneSelector):
    """Picks places: the zone criteria of :class:`ZoneSelector` plus place criteria.

    Attributes:
        origin: place origins (config.ORIGINS) to keep.
        operator: operator kinds (config.OPERATORS) to keep.
        label: labels to keep ("" is the unlabelled places).
        place_id: place ids to keep (each must exist).
        one_per_zone: keep one place per zone, the first by ``prefer`` (then the most counters, then the id).
        prefer: origin order used by ``one_per_zone``; origins not listed come last.
    """

    origin: tuple[str, ...] | None = None
    operator: tuple[str, ...] | None = None
    label: tuple[str, ...] | None = None
    place_id: tuple[str, ...] | None = None
    one_per_zone: bool = False
    prefer: tuple[str, ...] = ()


ZONE_KEYS = tuple(f.name for f in dataclasses.fields(ZoneSelector))
SELECTOR_KEYS = tuple(f.name for f in dataclasses.fields(Selector))


def zone_criteria(d: dict, key: str) -> dict[str, Any]:
    """The zone criteria of a selector entry, checked (kinds, ids, populations, exclusions, limit)."""
    out: dict[str, Any] = {}
    if "zone_kind" in d:
        out["zone_kind"] = str_list(d["zone_kind"], f"{key}.zone_kind", ZONE_KINDS)
    if "zone" in d:
        out["zone"] = tuple(str(z) for z in str_list(d["zone"], f"{key}.zone"))
    for k in ("min_zone_population", "max_zone_population", "limit"):
        if d.get(k) is not None:
            out[k] = integer(d[k], f"{key}.{k}", lo=1 if k == "limit" else 0)
    if d.get("exclude_zones_with_label") is not None:
        out["exclude_zones_with_label"] = string(
            d["exclude_zones_with_label"], f"{key}.exclude_zones_with_label"
        )
    if "exclude_zones_with_origin" in d:
        out["exclude_zones_with_origin"] = str_list(
            d["exclude_zones_with_origin"], f"{key}.exclude_zones_with_origin", ORIGINS
        )
    if d.get("exclude_zones_with_activity") is not None:
        out["exclude_zones_with_activity"] = string(
            d["exclude_zones_with_activity"], f"{key}.exclude_zones_with_activity", ACTIVITIES
        )
    if d.get("largest_zones") is not None:
        out["largest_zones"] = integer(d["largest_zones"], f"{key}.largest_zones", lo=1)
    for k in ("largest_zones_share", "smallest_zones_share"):
        if d.get(k) is not None:
            out[k] = fraction(d[k], f"{key}.{k}", open_low=True)
    for k in (
        "min_zone_population_quantile",
        "max_zone_population_quantile",
        "min_centre_km_quantile",
        "max_centre_km_quantile",
    ):
        if d.get(k) is not None:
            out[k] = fraction(d[k], f"{key}.{k}")
    if d.get("main_centre") is not None:
        out["main_centre"] = boolean(d["main_centre"], f"{key}.main_centre")
    for k in ("min_centre_km", "max_centre_km"):
        if d.get(k) is not None:
            out[k] = number(d[k], f"{key}.{k}")
    for lo_k, hi_k in (
        ("min_zone_population", "max_zone_population"),
        ("min_zone_population_quantile", "max_zone_population_quantile"),
        ("min_centre_km", "max_centre_km"),
        ("min_centre_km_quantile", "max_centre_km_quantile"),
    ):
        lo, hi = out.get(lo_k), out.get(hi_k)
        if lo is not None and hi is not None and lo > hi:
            raise ConfigError(f"{key}.{hi_k}", f"got {hi}, expected >= {lo_k} ({lo})")
    return out


def zone_selector(value: Any, key: str) -> ZoneSelector:
    """A zone selector (``at``) from its YAML mapping."""
    d = mapping(value, key, ZONE_KEYS, what="a zone selector mapping (" + ", ".join(ZONE_KEYS) + ")")
    return ZoneSelector(**zone_criteria(d, key))


def selector(value: Any, key: str) -> Selector:
    """A place selector (``select``) from its YAML mapping; at least one criterion."""
    d = mapping(value, key, SELECTOR_KEYS, what="a selector mapping (" + ", ".join(SELECTOR_KEYS) + ")")
    out = zone_criteria(d, key)
    for k, choices in (("origin", ORIGINS), ("operator", OPERATORS)):
        if k in d:
            out[k] = str_list(d[k], f"{key}.{k}", choices)
    if "label" in d:
        # An empty label is legitimate here (the unlabelled places), so a lone "" is accepted.
        out["label"] = ("",) if d["label"] == "" else str_list(d["label"], f"{key}.label")
    if "place_id" in d:
        out["place_id"] = tuple(str(p) for p in str_list(d["place_id"], f"{key}.place_id"))
    if "one_per_zone" in d:
        out["one_per_zone"] = boolean(d["one_per_zone"], f"{key}.one_per_zone")
    if "prefer" in d:
        out["prefer"] = str_list(d["prefer"], f"{key}.prefer", ORIGINS)
    criteria = set(out) - {"one_per_zone", "prefer", "limit"}
    if not criteria:
        # An empty selector would pick every place of the territory: almost surely a mistake in a scenario.
        raise fail(key, value, "at least one criterion (" + ", ".join(SELECTOR_KEYS) + ")")
    return Selector(**out)


def population_share_middle(population: np.ndarray, zone_ids: np.ndarray, largest_first: bool) -> np.ndarray:
    """Each zone's middle of its slice of the cumulative share of adults, zones sorted by adults.

    Args:
        population: adults per zone.
        zone_ids: zone ids (ties in population are ordered by id, so the result is deterministic).
        largest_first: sort the most populous zones first (else the least populous).

    Returns:
        Per zone (in the input order), the cumulative share of the zones before it plus half its own share; all
        0.5 when the territory has no adult (no zone is then larger than another).
    """
    pop = np.asarray(population, dtype=float)
    total = pop.sum()
    if total <= 0:
        return np.full(len(pop), 0.5)
    order = np.lexsort((np.asarray(zone_ids, dtype=str), -pop if largest_first else pop))
    share = pop[order] / total
    middle = np.empty(len(pop))
    middle[order] = np.cumsum(share) - share / 2
    return middle


def centre_km(zones: pd.DataFrame) -> np.ndarray:
    """Straight-line distance of each zone from the main centre (:func:`centre_index`), km."""
    xy = zones[["x_km", "y_km"]].to_numpy(dtype=float)
    c = centre_index(zones.reset_index(drop=True))
    return np.hypot(*(xy - xy[c]).T)


def relative_mask(sel: ZoneSelector, zones: pd.DataFrame) -> np.ndarray:
    """The relative criteria (module docstring): ranks, shares, quantiles, the main centre, distances."""
    ok = np.ones(len(zones), dtype=bool)
    if not len(zones):
        return ok
    pop = zones["population"].to_numpy(dtype=float)
    ids = zones["zone_id"].astype(str).to_numpy()
    if sel.largest_zones is not None:
        order = np.lexsort((ids, -pop))
        ok[order[sel.largest_zones :]] = False
    if sel.largest_zones_share is not None:
        ok &= population_share_middle(pop, ids, largest_first=True) < sel.largest_zones_share
    if sel.smallest_zones_share is not None:
        ok &= population_share_middle(pop, ids, largest_first=False) < sel.smallest_zones_share
    if sel.min_zone_population_quantile is not None:
        ok &= pop >= np.quantile(pop, sel.min_zone_population_quantile)
    if sel.max_zone_population_quantile is not None:
        ok &= pop <= np.quantile(pop, sel.max_zone_population_quantile)
    if sel.main_centre is not None:
        is_centre = np.zeros(len(zones), dtype=bool)
        is_centre[centre_index(zones.reset_index(drop=True))] = True
        ok &= is_centre if sel.main_centre else ~is_centre
    dist_keys = ("min_centre_km", "max_centre_km", "min_centre_km_quantile", "max_centre_km_quantile")
    if any(getattr(sel, k) is not None for k in dist_keys):
        dist = centre_km(zones)
        if sel.min_centre_km is not None:
            ok &= dist >= sel.min_centre_km
        if sel.max_centre_km is not None:
            ok &= dist <= sel.max_centre_km
        if sel.min_centre_km_quantile is not None:
            ok &= dist >= np.quantile(dist, sel.min_centre_km_quantile)
        if sel.max_centre_km_quantile is not None:
            ok &= dist <= np.quantile(dist, sel.max_centre_km_quantile)
    return ok


def zone_mask(sel: ZoneSelector, zones: pd.DataFrame, places: pd.DataFrame, key: str) -> pd.Series:
    """Boolean Series over ``zones`` rows: the zones that pass the zone criteria."""
    ok = pd.Series(relative_mask(sel, zones), index=zones.index)
    if sel.zone is not None:
        unknown = sorted(set(sel.zone) - set(zones["zone_id"]))
        if unknown:
            raise ConfigError(f"{key}.zone", f"unknown zone id(s) {', '.join(unknown)} in this territory")
        ok &= zones["zone_id"].isin(sel.zone)
    if sel.zone_kind is not None:
        ok &= zones["kind"].isin(sel.zone_kind)
    if sel.min_zone_population is not None:
        ok &= zones["population"] >= sel.min_zone_population
    if sel.max_zone_population is not None:
        ok &= zones["population"] <= sel.max_zone_population
    # Exclusions look at the places as they stand after the previous interventions (order matters).
    if sel.exclude_zones_with_label is not None:
        ok &= ~zones["zone_id"].isin(places.loc[places["label"] == sel.exclude_zones_with_label, "zone_id"])
    if sel.exclude_zones_with_origin is not None:
        ok &= ~zones["zone_id"].isin(
            places.loc[places["origin"].isin(sel.exclude_zones_with_origin), "zone_id"]
        )
    if sel.exclude_zones_with_activity is not None:
        col = CAPACITY_COLUMN[sel.exclude_zones_with_activity]
        ok &= ~zones["zone_id"].isin(places.loc[places[col] > 0, "zone_id"])
    return ok


def select_zones(sel: ZoneSelector, zones: pd.DataFrame, places: pd.DataFrame, key: str) -> pd.DataFrame:
    """The zones picked by ``sel``, largest population first (ties by zone id), at most ``limit``."""
    out = zones[zone_mask(sel, zones, places, key)].sort_values(
        ["population", "zone_id"], ascending=[False, True], kind="stable"
    )
    return out if sel.limit is None else out.head(sel.limit)


def select_places(sel: Selector, zones: pd.DataFrame, places: pd.DataFrame, key: str) -> pd.Index:
    """Index labels of the places picked by ``sel``, largest zones first (ties by place id)."""
    if sel.place_id is not None:
        unknown = sorted(set(sel.place_id) - set(places["place_id"]))
        if unknown:
            raise ConfigError(
                f"{key}.place_id", f"unknown place id(s) {', '.join(unknown)} in this territory"
            )
    zok = zones.loc[zone_mask(sel, zones, places, key), ["zone_id", "population"]]
    p = places[["place_id", "zone_id", "origin", "counters"]].join(
        places["zone_id"].map(zok.set_index("zone_id")["population"]).rename("zone_pop")
    )
    ok = p["zone_pop"].notna()
    for col in ("origin", "operator", "label", "place_id"):
        wanted = getattr(sel, col)
        if wanted is not None:
            ok &= places[col].isin(wanted)
    p = p[ok]
    if sel.one_per_zone and len(p):
        rank = p["origin"].map({o: i for i, o in enumerate(sel.prefer)}).fillna(len(sel.prefer))
        p = (
            p.assign(_rank=rank)
            .sort_values(["zone_id", "_rank", "counters", "place_id"], ascending=[True, True, False, True])
            .drop_duplicates("zone_id")
        )
    p = p.sort_values(["zone_pop", "zone_id", "place_id"], ascending=[False, True, True], kind="stable")
    if sel.limit is not None:
        p = p.head(sel.limit)
    return p.index


def count_by_origin(origins: pd.Series) -> str:
    """``post_office 3, town_hall 2``: places counted by origin, most first."""
    counts = origins.value_counts()
    return ", ".join(f"{o} {n}" for o, n in sorted(counts.items(), key=lambda t: (-t[1], t[0])))
